#ifndef CDATAGRAM_H
#define CDATAGRAM_H

#include <stdint.h>
#include <sys/socket.h>

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

#endif
