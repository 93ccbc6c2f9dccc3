/*
 * Names the calling thread "rh-<role>-<member id in hex>" (cut to Linux's
 * 15 characters), so top, perf and the benchmark's per-side CPU accounting
 * can tell a transport's threads apart. Best effort: a failure is ignored.
 */
#define _GNU_SOURCE

#include <pthread.h>
#include <stdio.h>

#include "transport.h"

void rh_thread_name(const struct rafthttp_transport *t, const char *role)
{
    char name[16];
    snprintf(name, sizeof(name), "rh-%s-%llx", role,
             (unsigned long long)t->local.id);
    (void)pthread_setname_np(pthread_self(), name);
}
