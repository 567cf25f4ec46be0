#define _GNU_SOURCE
#include "CDatagram.h"

#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/udp.h>
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

int cdatagram_segmentation_supported(void) {
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return 0;
    int size = 0;
    socklen_t length = sizeof size;
    int supported = getsockopt(fd, SOL_UDP, UDP_SEGMENT, &size, &length) == 0;
    close(fd);
    return supported;
}

long cdatagram_send_segments(int fd, const struct iovec *vectors, int count, const struct sockaddr *address,
                             socklen_t address_length, uint16_t segment_size) {
    union {
        char bytes[CMSG_SPACE(sizeof(uint16_t))];
        struct cmsghdr align;
    } control;
    struct msghdr message = {.msg_name = (void *)address, .msg_namelen = address_length,
                             .msg_iov = (struct iovec *)vectors, .msg_iovlen = (size_t)count};
    if (segment_size > 0) {
        memset(&control, 0, sizeof control);
        message.msg_control = control.bytes;
        message.msg_controllen = sizeof control.bytes;
        struct cmsghdr *header = CMSG_FIRSTHDR(&message);
        header->cmsg_level = SOL_UDP;
        header->cmsg_type = UDP_SEGMENT;
        header->cmsg_len = CMSG_LEN(sizeof(uint16_t));
        memcpy(CMSG_DATA(header), &segment_size, sizeof segment_size);
    }
    return (long)sendmsg(fd, &message, MSG_DONTWAIT);
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

/* ---- An epoll set mirroring a GLib poll array (see CDatagram.h). ---- */

struct cdatagram_pollset {
    int epoll;
    int opened;              /* descriptors were opened since the last update */
    struct pollfd *last;     /* the array as last registered (fd, events) */
    unsigned int count, capacity;
    /* Per descriptor number: the events registered (0: none), and where it is in the current
     * array (index + 1, 0: absent), for writing revents back. */
    short *registered;
    unsigned int *position;
    int descriptors;         /* length of registered and position */
    int duplicates;          /* a descriptor appears more than once in the array */
    struct epoll_event *ready;
    int ready_capacity;
    int no_pwait2;           /* epoll_pwait2 failed other than by EINTR: whole milliseconds from then on */
};

void cdatagram_pollset_descriptors_opened(struct cdatagram_pollset *set) { set->opened = 1; }

struct cdatagram_pollset *cdatagram_pollset_create(void) {
    struct cdatagram_pollset *set = calloc(1, sizeof *set);
    if (!set) return NULL;
    set->epoll = epoll_create1(EPOLL_CLOEXEC);
    if (set->epoll < 0) {
        free(set);
        return NULL;
    }
    return set;
}

void cdatagram_pollset_destroy(struct cdatagram_pollset *set) {
    if (!set) return;
    close(set->epoll);
    free(set->last);
    free(set->registered);
    free(set->position);
    free(set->ready);
    free(set);
}

static int pollset_grow_descriptors(struct cdatagram_pollset *set, int fd) {
    if (fd < set->descriptors) return 0;
    int descriptors = set->descriptors ? set->descriptors : 256;
    while (descriptors <= fd) descriptors *= 2;
    short *registered = realloc(set->registered, (size_t)descriptors * sizeof *registered);
    if (!registered) return -1;
    set->registered = registered;
    unsigned int *position = realloc(set->position, (size_t)descriptors * sizeof *position);
    if (!position) return -1;
    set->position = position;
    memset(set->registered + set->descriptors, 0, (size_t)(descriptors - set->descriptors) * sizeof *registered);
    memset(set->position + set->descriptors, 0, (size_t)(descriptors - set->descriptors) * sizeof *position);
    set->descriptors = descriptors;
    return 0;
}

/* Registers `events` for fd (0: removes it). `probe`: the number may name a newer file than the
 * one registered, so add even when registered (EEXIST: it is the same file, modify instead). */
static int pollset_control(struct cdatagram_pollset *set, int fd, short events, int probe) {
    short before = probe && events ? 0 : set->registered[fd];
    if (before == events) return 0;
    struct epoll_event event = {.events = (uint32_t)events, .data.fd = fd};
    int result;
    if (events == 0) {
        result = epoll_ctl(set->epoll, EPOLL_CTL_DEL, fd, NULL);
        if (result < 0 && (errno == ENOENT || errno == EBADF)) result = 0; /* closed: epoll dropped it */
    } else if (before == 0) {
        result = epoll_ctl(set->epoll, EPOLL_CTL_ADD, fd, &event);
        if (result < 0 && errno == EEXIST) result = epoll_ctl(set->epoll, EPOLL_CTL_MOD, fd, &event);
    } else {
        result = epoll_ctl(set->epoll, EPOLL_CTL_MOD, fd, &event);
        if (result < 0 && errno == ENOENT) result = epoll_ctl(set->epoll, EPOLL_CTL_ADD, fd, &event);
    }
    if (result < 0 && events && errno == EBADF) {
        /* Closed while its source is still attached: nothing to wait for; its owner removes
         * the source (poll(2) would answer POLLNVAL). Not a reason to give up on epoll. */
        set->registered[fd] = 0;
        return 0;
    }
    if (result < 0) return -1;
    set->registered[fd] = events;
    return 0;
}

int cdatagram_pollset_update(struct cdatagram_pollset *set, const struct pollfd *fds, unsigned int count) {
    int everything = set->opened;
    if (!everything && count == set->count) {
        unsigned int index = 0;
        while (index < count && fds[index].fd == set->last[index].fd && fds[index].events == set->last[index].events)
            index++;
        if (index == count) return 0;
    }
    for (unsigned int index = 0; index < set->count; index++) {
        int fd = set->last[index].fd;
        if (fd >= 0) set->position[fd] = 0;
    }
    if (count > set->capacity) {
        struct pollfd *last = realloc(set->last, count * sizeof *last);
        if (!last) return -1;
        set->last = last;
        set->capacity = count;
    }
    set->duplicates = 0;
    for (unsigned int index = 0; index < count; index++) {
        int fd = fds[index].fd;
        if (fd < 0) continue;
        if (pollset_grow_descriptors(set, fd) < 0) return -1;
        if (set->position[fd]) set->duplicates = 1;
        else set->position[fd] = index + 1;
    }
    /* Descriptors gone from the array: out of the set. */
    for (unsigned int index = 0; index < set->count; index++) {
        int fd = set->last[index].fd;
        if (fd >= 0 && !set->position[fd] && pollset_control(set, fd, 0, 0) < 0) return -1;
    }
    for (unsigned int index = 0; index < count; index++) {
        int fd = fds[index].fd;
        if (fd < 0 || set->position[fd] != index + 1) continue;
        short events = fds[index].events;
        if (set->duplicates) {
            for (unsigned int other = index + 1; other < count; other++)
                if (fds[other].fd == fd) events |= fds[other].events;
        }
        /* After descriptors were opened elsewhere every number is probed: one closed and reused
         * for a new socket is registered anew (epoll dropped the old file with its close). */
        if (pollset_control(set, fd, events & (POLLIN | POLLPRI | POLLOUT), everything) < 0) return -1;
    }
    memcpy(set->last, fds, count * sizeof *fds);
    set->count = count;
    set->opened = 0;
    return 0;
}

int cdatagram_pollset_wait(struct cdatagram_pollset *set, int *ready, uint32_t *events, int capacity, int64_t timeout_ns) {
    if (capacity <= 0) capacity = 1;
    if (capacity > set->ready_capacity) {
        struct epoll_event *buffer = realloc(set->ready, (size_t)capacity * sizeof *buffer);
        if (!buffer) return -1;
        set->ready = buffer;
        set->ready_capacity = capacity;
    }
    int count;
    if (timeout_ns < 0) {
        count = epoll_wait(set->epoll, set->ready, capacity, -1);
    } else {
        struct timespec timeout = {.tv_sec = (time_t)(timeout_ns / 1000000000), .tv_nsec = (long)(timeout_ns % 1000000000)};
        count = -1;
        /* Before Linux 5.11 (ENOSYS), or refused by a seccomp filter that does not know it (EPERM
         * and others): epoll_wait, whole milliseconds rounded up, from now on. */
        if (!set->no_pwait2) {
            count = epoll_pwait2(set->epoll, set->ready, capacity, &timeout, NULL);
            if (count < 0 && errno != EINTR) set->no_pwait2 = 1;
        }
        if (set->no_pwait2) {
            int64_t milliseconds = timeout_ns / 1000000 + (timeout_ns % 1000000 != 0);
            count = epoll_wait(set->epoll, set->ready, capacity, milliseconds > 0x7fffffff ? 0x7fffffff : (int)milliseconds);
        }
    }
    for (int index = 0; index < count; index++) {
        ready[index] = set->ready[index].data.fd;
        events[index] = set->ready[index].events;
    }
    return count;
}

int cdatagram_pollset_answer(struct cdatagram_pollset *set, struct pollfd *fds, unsigned int count,
                             const int *ready, const uint32_t *events, int ready_count) {
    for (unsigned int index = 0; index < count; index++) fds[index].revents = 0;
    int answered = 0;
    for (int event = 0; event < ready_count; event++) {
        int fd = ready[event];
        if (fd < 0 || fd >= set->descriptors || !set->position[fd]) continue;
        for (unsigned int index = set->position[fd] - 1; index < count; index++) {
            if (fds[index].fd != fd) continue;
            short mine = (short)events[event] & (fds[index].events | POLLERR | POLLHUP);
            if (mine && !fds[index].revents) answered++;
            fds[index].revents |= mine;
            if (!set->duplicates) break;
        }
    }
    return answered;
}

int cdatagram_name_thread(const char *name) {
    char kept[16];
    strncpy(kept, name, sizeof kept - 1);
    kept[sizeof kept - 1] = 0;
    return pthread_setname_np(pthread_self(), kept);
}
