/* How often this machine takes a CPU away from a running thread, and for how long: the floor
 * under any tail latency measured here (docs/benchmarks.md).
 *
 *   cc -O2 -o cpu-stall scripts/cpu-stall.c && taskset -c 0 ./cpu-stall 10
 *
 * Spins for the given seconds reading CLOCK_MONOTONIC; any gap of over 100 us between two reads
 * is time the thread did not run (interrupts, kernel threads, or, in a virtual machine, the
 * hypervisor running something else on the physical CPU). Prints the gaps by length. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static long long now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000LL + t.tv_nsec;
}

int main(int argc, char **argv) {
    double seconds = argc > 1 ? atof(argv[1]) : 10;
    if (seconds <= 0 || seconds > 600) {
        fprintf(stderr, "cpu-stall: seconds must be in (0, 600]\n");
        return 2;
    }
    static const long long bounds[] = {250000, 500000, 1000000, 2000000};
    long long counts[5] = {0}, lost = 0, longest = 0;
    long long last = now(), end = last + (long long)(seconds * 1e9);
    for (;;) {
        long long t = now(), gap = t - last;
        last = t;
        if (t > end) break;
        if (gap <= 100000) continue;
        int bucket = 0;
        while (bucket < 4 && gap > bounds[bucket]) bucket++;
        counts[bucket]++;
        lost += gap;
        if (gap > longest) longest = gap;
    }
    printf("%.0f s: stalls 0.1-0.25 ms %lld, 0.25-0.5 ms %lld, 0.5-1 ms %lld, 1-2 ms %lld, over 2 ms %lld; "
           "longest %.2f ms; %.2f %% of the time lost\n",
           seconds, counts[0], counts[1], counts[2], counts[3], counts[4], longest / 1e6, lost / (seconds * 1e9) * 100);
    return 0;
}
