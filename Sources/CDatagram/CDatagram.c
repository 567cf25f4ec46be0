#define _GNU_SOURCE
#include "CDatagram.h"

#include <errno.h>
#include <stddef.h>
#include <linux/sockios.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <time.h>
#include <sys/eventfd.h>
#include <unistd.h>

_Static_assert(sizeof(struct cdatagram_message) == sizeof(struct mmsghdr), "mmsghdr layout");
_Static_assert(offsetof(struct cdatagram_message, length) == offsetof(struct mmsghdr, msg_len), "mmsghdr layout");

int cdatagram_receive(int fd, struct cdatagram_message *messages, unsigned int count) {
    return recvmmsg(fd, (struct mmsghdr *)messages, count, MSG_DONTWAIT, NULL);
}

int cdatagram_send(int fd, struct cdatagram_message *messages, unsigned int count) {
    return sendmmsg(fd, (struct mmsghdr *)messages, count, MSG_DONTWAIT);
}

int cdatagram_last_receive_time(int fd, int64_t *realtime_nanoseconds) {
    struct timespec stamp;
    if (ioctl(fd, SIOCGSTAMPNS, &stamp) != 0) return -1;
    *realtime_nanoseconds = (int64_t)stamp.tv_sec * 1000000000 + stamp.tv_nsec;
    return 0;
}

int cdatagram_poller_create(void) { return epoll_create1(EPOLL_CLOEXEC); }

int cdatagram_poller_add(int poller, int fd, uint64_t token) {
    struct epoll_event event = {.events = EPOLLIN, .data = {.u64 = token}};
    return epoll_ctl(poller, EPOLL_CTL_ADD, fd, &event);
}

int cdatagram_poller_remove(int poller, int fd) { return epoll_ctl(poller, EPOLL_CTL_DEL, fd, NULL); }

int cdatagram_poller_wait(int poller, uint64_t *tokens, int capacity, int timeout_ms) {
    struct epoll_event events[64];
    if (capacity > 64) capacity = 64;
    int ready = epoll_wait(poller, events, capacity, timeout_ms);
    if (ready < 0) return errno == EINTR ? 0 : -1;
    for (int i = 0; i < ready; i++) tokens[i] = events[i].data.u64;
    return ready;
}

int cdatagram_wakeup_create(void) { return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC); }

void cdatagram_wakeup_signal(int fd) {
    uint64_t one = 1;
    /* EAGAIN means the counter is already non-zero: the poller wakes anyway. */
    (void)!write(fd, &one, sizeof one);
}

void cdatagram_wakeup_drain(int fd) {
    uint64_t value;
    (void)!read(fd, &value, sizeof value);
}
