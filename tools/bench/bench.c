// SPDX-License-Identifier: Apache-2.0
/*
 * The few helpers every file of rafthttp-bench uses: role names as the
 * command line and the JSON output spell them, and the clock.
 */
#define _POSIX_C_SOURCE 200809L

#include <time.h>

#include "bench.h"

const char *bench_role_name(enum bench_role role)
{
    switch (role) {
    case ROLE_BOTH:
        return "both";
    case ROLE_SEND:
        return "send";
    case ROLE_RECV:
        return "recv";
    }
    return "?";
}

uint64_t bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

double bench_now_s(void)
{
    return (double)bench_now_ns() / 1e9;
}

void bench_sleep_s(double secs)
{
    struct timespec ts;
    ts.tv_sec = (time_t)secs;
    ts.tv_nsec = (long)((secs - (double)ts.tv_sec) * 1e9);
    nanosleep(&ts, NULL);
}
