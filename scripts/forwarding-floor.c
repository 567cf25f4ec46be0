/* The forwarding-latency floor of this machine: a minimal UDP fan-out with no SFU in it, fed the
 * arrival pattern of `sfu load --scenario rooms` (docs/benchmarks.md, "The floor: a bare
 * forwarder"). Whatever tail this shows at a given load, no server on this machine can beat.
 *
 *   cc -O2 -o forwarding-floor scripts/forwarding-floor.c
 *   taskset -c 0 ./forwarding-floor forward ROOMS COPIES WORK_NS SECONDS &
 *   taskset -c 1 ./forwarding-floor generate ROOMS COPIES SECONDS
 *
 * forward: one UDP socket per room's publisher (127.0.0.1, port 10000 + room), one per subscriber
 *   to send from; for each datagram read (epoll, then recvmsg until EAGAIN) it sends COPIES
 *   copies, each after WORK_NS of busy work standing in for the SRTP protect and header rewrite
 *   of a real SFU, and records the time from the kernel's receive stamp (SO_TIMESTAMPNS) to
 *   after each copy's sendto: the same span as sfu_forwarding_latency_seconds. After a 3 s
 *   warm-up it prints the percentiles and its thread's share of the core.
 * generate: ROOMS publishers on one thread, as the load tool's: 30 video frames a second of six
 *   1 200-byte packets, released two at a time every 5 ms (the load tool's pacer), and a
 *   100-byte audio packet every 20 ms, each publisher at a random phase, sent at their exact
 *   times (clock_nanosleep-free: epoll_pwait2 until the next one); between sends it reads the
 *   ROOMS x COPIES sink sockets (port 11000 + n), as subscribers would. */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { PUBLISHER_PORT = 10000, SINK_PORT = 11000, MAX_ROOMS = 200, MAX_COPIES = 400, MAX_SOCKETS = 8000, BUCKET_NS = 10000,
       BUCKETS = 5000 /* 10 us buckets up to 50 ms */ };

static int64_t now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static int64_t realtime_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static int udp_socket(int port) {
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    if (fd < 0) { perror("socket"); exit(1); }
    int size = 4 << 20;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                                  .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (bind(fd, (struct sockaddr *)&address, sizeof address) < 0) { perror("bind"); exit(1); }
    return fd;
}

static struct sockaddr_in loopback(int port) {
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                                  .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    return address;
}

static int64_t percentile(const int64_t *histogram, int64_t total, double q) {
    int64_t seen = 0;
    for (int b = 0; b < BUCKETS; b++) {
        seen += histogram[b];
        if (seen >= q * total) return (int64_t)(b + 1) * BUCKET_NS / 1000;
    }
    return -1;
}

static int forward(int rooms, int copies, int64_t work_ns, double seconds) {
    int epoll = epoll_create1(0);
    static int publishers[MAX_ROOMS], senders[MAX_ROOMS][MAX_COPIES];
    for (int room = 0; room < rooms; room++) {
        publishers[room] = udp_socket(PUBLISHER_PORT + room);
        int on = 1;
        setsockopt(publishers[room], SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on);
        struct epoll_event event = {.events = EPOLLIN, .data.u32 = (uint32_t)room};
        epoll_ctl(epoll, EPOLL_CTL_ADD, publishers[room], &event);
        for (int copy = 0; copy < copies; copy++) senders[room][copy] = udp_socket(0);
    }
    static int64_t histogram[BUCKETS];
    int64_t over = 0, total = 0, longest = 0;
    static unsigned char packet[2048], scratch[2048];
    char control[256];
    int64_t start = now_ns(), measure_from = start + 3000000000LL, end = start + (int64_t)(seconds * 1e9);
    struct timespec cpu_from = {0};
    int measuring = 0;
    while (now_ns() < end) {
        struct epoll_event ready[64];
        int count = epoll_wait(epoll, ready, 64, 100);
        if (!measuring && now_ns() >= measure_from) {
            measuring = 1;
            clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu_from);
            measure_from = now_ns();
        }
        for (int i = 0; i < count; i++) {
            int room = (int)ready[i].data.u32;
            for (;;) {
                struct iovec vector = {packet, sizeof packet};
                struct msghdr message = {.msg_iov = &vector, .msg_iovlen = 1, .msg_control = control,
                                         .msg_controllen = sizeof control};
                ssize_t length = recvmsg(publishers[room], &message, 0);
                if (length < 0) break;
                int64_t stamp = 0;  /* CLOCK_REALTIME, as the kernel stamps */
                for (struct cmsghdr *c = CMSG_FIRSTHDR(&message); c; c = CMSG_NXTHDR(&message, c))
                    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
                        struct timespec t;
                        memcpy(&t, CMSG_DATA(c), sizeof t);
                        stamp = (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
                    }
                for (int copy = 0; copy < copies; copy++) {
                    memcpy(scratch, packet, (size_t)length);
                    int64_t until = now_ns() + work_ns;
                    while (now_ns() < until) scratch[0] ^= 1;
                    struct sockaddr_in to = loopback(SINK_PORT + room * copies + copy);
                    sendto(senders[room][copy], scratch, (size_t)length, 0, (struct sockaddr *)&to, sizeof to);
                    if (measuring && stamp) {
                        int64_t latency = realtime_ns() - stamp;
                        int64_t bucket = latency / BUCKET_NS;
                        if (bucket >= BUCKETS) over++; else histogram[bucket < 0 ? 0 : bucket]++;
                        if (latency > longest) longest = latency;
                        total++;
                    }
                }
            }
        }
    }
    struct timespec cpu_to;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu_to);
    double cpu = (cpu_to.tv_sec - cpu_from.tv_sec) + (cpu_to.tv_nsec - cpu_from.tv_nsec) / 1e9;
    double wall = (now_ns() - measure_from) / 1e9;
    printf("forwarder: %lld copies in %.1f s, %.0f %% of its core, %.2f us CPU a copy; latency p50/p95/p99/p99.9 "
           "%lld/%lld/%lld/%lld us (10 us buckets), longest %.2f ms, over 50 ms %lld\n",
           (long long)total, wall, cpu / wall * 100, total ? cpu / (double)total * 1e6 : 0,
           (long long)percentile(histogram, total, 0.5), (long long)percentile(histogram, total, 0.95),
           (long long)percentile(histogram, total, 0.99), (long long)percentile(histogram, total, 0.999),
           longest / 1e6, (long long)over);
    return 0;
}

/* The subscribers' side of generate and replay: ROOMS x COPIES sink sockets (port 11000 + n) in
 * one epoll set, read while the sender waits for its next send. */
struct sinks {
    int epoll, count, *sockets;
    int64_t received;
};

static struct sinks open_sinks(int count) {
    struct sinks sinks = {.epoll = epoll_create1(0), .count = count, .sockets = calloc((size_t)count, sizeof(int))};
    for (int n = 0; n < count; n++) {
        sinks.sockets[n] = udp_socket(SINK_PORT + n);
        struct epoll_event event = {.events = EPOLLIN, .data.u32 = (uint32_t)n};
        epoll_ctl(sinks.epoll, EPOLL_CTL_ADD, sinks.sockets[n], &event);
    }
    return sinks;
}

/* Waits up to wait_ns (epoll_pwait2: to the nanosecond) and reads whatever the sinks received. */
static void wait_draining(struct sinks *sinks, int64_t wait_ns) {
    static unsigned char buffer[2048];
    if (wait_ns < 0) wait_ns = 0;
    struct timespec timeout = {.tv_sec = wait_ns / 1000000000, .tv_nsec = wait_ns % 1000000000};
    struct epoll_event ready[256];
    int count = epoll_pwait2(sinks->epoll, ready, 256, &timeout, NULL);
    for (int i = 0; i < count; i++)
        while (recv(sinks->sockets[ready[i].data.u32], buffer, sizeof buffer, 0) >= 0) sinks->received++;
}

static int generate(int rooms, int copies, double seconds) {
    struct sinks sinks = open_sinks(rooms * copies);
    int senders[MAX_ROOMS];
    /* Per publisher: the next video frame, the pacer's remaining packets and next tick, the next audio. */
    int64_t frame_due[MAX_ROOMS], tick_due[MAX_ROOMS], audio_due[MAX_ROOMS];
    int pending[MAX_ROOMS];
    int64_t start = now_ns();
    srand((unsigned)start);
    for (int room = 0; room < rooms; room++) {
        senders[room] = udp_socket(0);
        frame_due[room] = start + rand() % 33333333;
        audio_due[room] = start + rand() % 20000000;
        tick_due[room] = INT64_MAX;
        pending[room] = 0;
    }
    static unsigned char video[1200], audio[100];
    memset(video, 0x5a, sizeof video);
    memset(audio, 0xa5, sizeof audio);
    int64_t end = start + (int64_t)(seconds * 1e9), sent = 0;
    for (;;) {
        int64_t now = now_ns();
        if (now >= end) break;
        int64_t next = end;
        for (int room = 0; room < rooms; room++) {
            struct sockaddr_in to = loopback(PUBLISHER_PORT + room);
            if (frame_due[room] <= now) {
                pending[room] += 6;
                if (tick_due[room] == INT64_MAX) tick_due[room] = frame_due[room];
                frame_due[room] += 33333333;
            }
            if (tick_due[room] <= now) {
                for (int k = 0; k < 2 && pending[room] > 0; k++, pending[room]--, sent++)
                    sendto(senders[room], video, sizeof video, 0, (struct sockaddr *)&to, sizeof to);
                tick_due[room] = pending[room] > 0 ? tick_due[room] + 5000000 : INT64_MAX;
            }
            if (audio_due[room] <= now) {
                sendto(senders[room], audio, sizeof audio, 0, (struct sockaddr *)&to, sizeof to);
                sent++;
                audio_due[room] += 20000000;
            }
            if (frame_due[room] < next) next = frame_due[room];
            if (tick_due[room] < next) next = tick_due[room];
            if (audio_due[room] < next) next = audio_due[room];
        }
        wait_draining(&sinks, next - now_ns());
    }
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    double cpu = usage.ru_utime.tv_sec + usage.ru_stime.tv_sec + (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
    printf("generator: %lld packets sent (%.0f a second), %lld copies received, %.0f %% of its core\n",
           (long long)sent, sent / seconds, (long long)sinks.received, cpu / seconds * 100);
    return 0;
}

/* replay: the arrivals of a capture, at their times: FILE holds one line per datagram, "OFFSET_NS
 * PUBLISHER SIZE" in time order (scripts/forwarding-floor.sh --replay, from a capture at a real
 * server); the trace repeats until SECONDS. Publisher n sends to room n % ROOMS. */
static int replay(const char *path, int rooms, int copies, double seconds) {
    FILE *file = fopen(path, "r");
    if (!file) { perror(path); return 1; }
    size_t capacity = 1 << 16, n = 0;
    int64_t *offsets = malloc(capacity * sizeof *offsets);
    int *rooms_of = malloc(capacity * sizeof *rooms_of), *sizes = malloc(capacity * sizeof *sizes);
    long long offset;
    int publisher, size;
    while (fscanf(file, "%lld %d %d", &offset, &publisher, &size) == 3) {
        if (n == capacity) {
            capacity *= 2;
            offsets = realloc(offsets, capacity * sizeof *offsets);
            rooms_of = realloc(rooms_of, capacity * sizeof *rooms_of);
            sizes = realloc(sizes, capacity * sizeof *sizes);
        }
        offsets[n] = offset;
        rooms_of[n] = publisher % rooms;
        sizes[n] = size < 1 ? 1 : size > 1500 ? 1500 : size;
        n++;
    }
    fclose(file);
    if (n < 2) { fprintf(stderr, "%s: no arrivals\n", path); return 1; }
    int64_t period = offsets[n - 1] + (offsets[n - 1] - offsets[0]) / (int64_t)(n - 1);
    struct sinks sinks = open_sinks(rooms * copies);
    int senders[MAX_ROOMS];
    for (int room = 0; room < rooms; room++) senders[room] = udp_socket(0);
    static unsigned char datagram[1500];
    memset(datagram, 0x5a, sizeof datagram);
    int64_t start = now_ns(), end = start + (int64_t)(seconds * 1e9), sent = 0, base = start;
    size_t next = 0;
    for (;;) {
        int64_t now = now_ns();
        if (now >= end) break;
        while (base + offsets[next] <= now) {
            struct sockaddr_in to = loopback(PUBLISHER_PORT + rooms_of[next]);
            sendto(senders[rooms_of[next]], datagram, (size_t)sizes[next], 0, (struct sockaddr *)&to, sizeof to);
            sent++;
            if (++next == n) { next = 0; base += period; }
        }
        int64_t wait = base + offsets[next] - now_ns();
        wait_draining(&sinks, wait > end - now ? end - now : wait);
    }
    printf("replay: %lld packets sent (%.0f a second) from %zu arrivals of %s, %lld copies received\n",
           (long long)sent, sent / seconds, n, path, (long long)sinks.received);
    return 0;
}

/* Rooms x copies within the limits, and descriptors for their sockets (a sender and a sink each). */
static int shape(int rooms, int copies) {
    if (rooms < 1 || rooms > MAX_ROOMS || copies < 1 || copies > MAX_COPIES || rooms * copies > MAX_SOCKETS / 2) {
        fprintf(stderr, "forwarding-floor: 1-%d rooms of 1-%d copies, at most %d copies in all\n", MAX_ROOMS, MAX_COPIES,
                MAX_SOCKETS / 2);
        return 0;
    }
    struct rlimit files = {MAX_SOCKETS + 64, MAX_SOCKETS + 64};
    setrlimit(RLIMIT_NOFILE, &files);
    return 1;
}

int main(int argc, char **argv) {
    if (argc == 6 && strcmp(argv[1], "forward") == 0) {
        int rooms = atoi(argv[2]), copies = atoi(argv[3]);
        if (!shape(rooms, copies)) return 2;
        return forward(rooms, copies, atoll(argv[4]), atof(argv[5]));
    }
    if (argc == 5 && strcmp(argv[1], "generate") == 0) {
        int rooms = atoi(argv[2]), copies = atoi(argv[3]);
        if (!shape(rooms, copies)) return 2;
        return generate(rooms, copies, atof(argv[4]));
    }
    if (argc == 6 && strcmp(argv[1], "replay") == 0) {
        int rooms = atoi(argv[3]), copies = atoi(argv[4]);
        if (!shape(rooms, copies)) return 2;
        return replay(argv[2], rooms, copies, atof(argv[5]));
    }
    fprintf(stderr, "usage: forwarding-floor forward ROOMS COPIES WORK_NS SECONDS | generate ROOMS COPIES SECONDS"
                    " | replay FILE ROOMS COPIES SECONDS\n");
    return 2;
}
