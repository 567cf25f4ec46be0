#ifndef CDATAGRAM_H
#define CDATAGRAM_H

#include <poll.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/uio.h>

/* Batched UDP I/O and readiness polling for the relay's packet path, and receive timestamps for
 * the SFU's forwarding latency.
 *
 * glibc declares recvmmsg, sendmmsg and struct mmsghdr only under _GNU_SOURCE, which the Swift
 * Glibc module is not built with, and struct epoll_event is packed on x86-64, which Swift does not
 * import. These few functions, compiled with _GNU_SOURCE in CDatagram.c, are the whole C surface. */

/* The layout of Linux's struct mmsghdr (checked in CDatagram.c). */
struct cdatagram_message {
    struct msghdr header;
    unsigned int length;
};

/* recvmmsg / sendmmsg without blocking: the count of messages, or -1 with errno set. */
int cdatagram_receive(int fd, struct cdatagram_message *messages, unsigned int count);
int cdatagram_send(int fd, struct cdatagram_message *messages, unsigned int count);

/* 1 when the kernel knows UDP_SEGMENT (Linux 4.18; asked with getsockopt on a scratch socket),
 * else 0. Before 4.18 a UDP_SEGMENT control message is skipped, not refused: the run would leave
 * as one datagram. */
int cdatagram_segmentation_supported(void);

/* One sendmsg of `count` vectors to `address`, without blocking. With segment_size > 0 the payload
 * (the vectors joined) leaves as datagrams of segment_size bytes, the last one possibly shorter:
 * UDP generic segmentation offload (UDP_SEGMENT, Linux 4.18), one pass through the stack for the
 * train, cut by the device or, in software, at its queue. The bytes sent, or -1 with errno set
 * (EINVAL when a segment would not fit the route's MTU, EIO where the path cannot segment). Ask
 * cdatagram_segmentation_supported first. */
long cdatagram_send_segments(int fd, const struct iovec *vectors, int count, const struct sockaddr *address,
                             socklen_t address_length, uint16_t segment_size);

/* An epoll instance (close-on-exec), level-triggered read interest with a 64-bit token. */
int cdatagram_poller_create(void);
int cdatagram_poller_add(int poller, int fd, uint64_t token);
int cdatagram_poller_remove(int poller, int fd);
/* Waits up to timeout_ms (-1: forever) and writes the ready tokens; the count, 0 on timeout or
 * EINTR, -1 with errno set on any other failure. */
int cdatagram_poller_wait(int poller, uint64_t *tokens, int capacity, int timeout_ms);

/* The kernel's receive time of the last datagram read from fd (SIOCGSTAMPNS, CLOCK_REALTIME
 * nanoseconds): 0 on success, -1 with errno set (ENOENT: none yet; the first call switches
 * receive timestamps on for the socket). */
int cdatagram_last_receive_time(int fd, int64_t *realtime_nanoseconds);

/* An eventfd (non-blocking, close-on-exec) that wakes a poller from another thread. */
int cdatagram_wakeup_create(void);
void cdatagram_wakeup_signal(int fd);
void cdatagram_wakeup_drain(int fd);

/* An epoll set that mirrors a GLib main context's poll array (struct pollfd layout) between
 * iterations, for a media worker's loop (Transport/Worker/WorkerLoop.swift).
 *
 * poll(2) visits every descriptor of the array in the kernel at every wake-up; here they stay
 * registered, so a wait costs the ready descriptors only, and the loop learns which descriptors
 * are ready (a media socket it reads itself) before GLib does.
 *
 * epoll registers open files, not descriptor numbers: a descriptor closed and reused for a new
 * socket between two updates, at the same place in an otherwise unchanged array, would stay
 * unregistered. Whoever opens descriptors on the thread of a context that will poll them (an ICE
 * agent gathering its sockets) calls `cdatagram_pollset_descriptors_opened` on that context's
 * set afterwards; the set then re-checks each of its descriptors at its next update (one
 * epoll_ctl each) and registers any new file. (A number closed on another thread and reused
 * here is in this set's array only once this thread's agent opened it, hence the one set.) */
struct cdatagram_pollset;
struct cdatagram_pollset *cdatagram_pollset_create(void);
void cdatagram_pollset_destroy(struct cdatagram_pollset *set);
/* Brings the set in line with the array: 0, or -1 when epoll refuses a descriptor (the caller
 * then polls the array with poll(2)). */
int cdatagram_pollset_update(struct cdatagram_pollset *set, const struct pollfd *fds, unsigned int count);
/* Waits up to timeout_ns nanoseconds (-1: forever; epoll_pwait2, so that a timer due in 200 us
 * is not waited for a whole millisecond as with epoll_wait, which is the fallback where the
 * kernel or a seccomp filter refuses it); writes up to `capacity` ready descriptors and their
 * events. The count, 0 on timeout, -1 with errno set (EINTR included). */
int cdatagram_pollset_wait(struct cdatagram_pollset *set, int *ready, uint32_t *events, int capacity, int64_t timeout_ns);
/* Sets the array's revents from ready descriptors (fd -1: skipped), as poll(2) would have:
 * errors and hang-ups whether asked for or not. The count of entries with revents. */
int cdatagram_pollset_answer(struct cdatagram_pollset *set, struct pollfd *fds, unsigned int count,
                             const int *ready, const uint32_t *events, int ready_count);
void cdatagram_pollset_descriptors_opened(struct cdatagram_pollset *set);

/* Names the calling thread for the kernel (top -H, ps -L, perf; 15 bytes kept): pthread_setname_np
 * is declared only under _GNU_SOURCE too. 0, or an errno value. */
int cdatagram_name_thread(const char *name);

#endif
