// SPDX-License-Identifier: Apache-2.0
/*
 * Names the calling thread "rh-<role>-<member id in hex>" (cut to Linux's
 * 15 characters), so top, perf and the benchmark's per-side CPU accounting
 * can tell a transport's threads apart. Best effort: a failure is ignored.
 */
#define _GNU_SOURCE

#include <pthread.h>
#include <stdio.h>

#include "common.h"

void rh_thread_name(uint64_t member, const char *role)
{
    char name[16];
    snprintf(name, sizeof(name), "rh-%s-%llx", role,
             (unsigned long long)member);
    (void)pthread_setname_np(pthread_self(), name);
}
