/* What UDP generic segmentation offload saves on this machine's loopback (docs/benchmarks.md,
 * "Held sends"): CPU per datagram for trains of N datagrams of SIZE bytes to one destination,
 * sent with one sendto each against one sendmsg with UDP_SEGMENT a train: the project's own
 * cdatagram_send_segments (Sources/CDatagram), the call HeldSends sends a run with. The receiving socket is drained on the same thread every 64 trains, so the figures
 * include the receive side, as a loopback send does (the kernel delivers on the sender's CPU).
 *
 *   cc -O2 -I Sources/CDatagram/include -o udp-segmentation scripts/udp-segmentation.c Sources/CDatagram/CDatagram.c
 *   ./udp-segmentation TRAIN SIZE DATAGRAMS    (run by scripts/udp-segmentation.sh in a namespace) */
#define _GNU_SOURCE
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "CDatagram.h"

static double cpu_seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static double run(int train, int size, long datagrams, int segmented) {
    int receiver = socket(AF_INET, SOCK_DGRAM, 0), sender = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t length = sizeof address;
    if (bind(receiver, (struct sockaddr *)&address, sizeof address) != 0 ||
        getsockname(receiver, (struct sockaddr *)&address, &length) != 0) { perror("bind"); exit(1); }
    int buffer = 64 << 20;
    setsockopt(receiver, SOL_SOCKET, SO_RCVBUFFORCE, &buffer, sizeof buffer);
    static char payload[65536], sink[65536];
    memset(payload, 0x5a, sizeof payload);
    long trains = datagrams / train, sent = 0, received = 0;
    double start = cpu_seconds();
    for (long i = 0; i < trains; i++) {
        if (!segmented) {
            for (int k = 0; k < train; k++)
                if (sendto(sender, payload, (size_t)size, 0, (struct sockaddr *)&address, sizeof address) == size) sent++;
        } else {
            struct iovec vector = {payload, (size_t)size * (size_t)train};
            if (cdatagram_send_segments(sender, &vector, 1, (struct sockaddr *)&address, sizeof address, (uint16_t)size) < 0) {
                perror("cdatagram_send_segments");
                exit(1);
            }
            sent += train;
        }
        if (i % 64 == 63 || i == trains - 1)
            while (recv(receiver, sink, sizeof sink, MSG_DONTWAIT) > 0) received++;
    }
    double cpu = cpu_seconds() - start;
    if (received != sent) fprintf(stderr, "udp-segmentation: %ld sent, %ld received\n", sent, received);
    return cpu / (double)sent * 1e6;
}

int main(int argc, char **argv) {
    if (argc != 4) { fprintf(stderr, "usage: udp-segmentation TRAIN SIZE DATAGRAMS\n"); return 2; }
    int train = atoi(argv[1]), size = atoi(argv[2]);
    long datagrams = atol(argv[3]);
    if (train < 1 || train > 64 || size < 1 || size * train > 65000 || datagrams < train) return 2;
    if (!cdatagram_segmentation_supported()) { fprintf(stderr, "udp-segmentation: this kernel has no UDP_SEGMENT\n"); return 1; }
    double plain = run(train, size, datagrams, 0), segmented = run(train, size, datagrams, 1);
    printf("train of %d x %d bytes: sendto %.2f us CPU a datagram, UDP_SEGMENT %.2f us (%+.0f %%)\n", train, size, plain,
           segmented, (segmented / plain - 1) * 100);
    return 0;
}
