// SPDX-License-Identifier: Apache-2.0
/*
 * The library's lock (struct rh_mutex): a pthread mutex with a rank. Debug
 * builds keep, per thread, the locks it holds, so that
 * 1. taking a lock whose rank is not above every lock already held (the
 *    order written in common.h) fails an assertion at once, instead of
 *    deadlocking one day under load;
 * 2. a function that must run under a lock can assert it (RH_ASSERT_HELD).
 * The bookkeeping is thread-local: no atomics, nothing shared, nothing for
 * ThreadSanitizer to see. Release builds use the inline wrappers in
 * common.h and none of this.
 */
#include "common.h"

void rh_mutex_init(struct rh_mutex *mu, enum rh_lock_rank rank)
{
    pthread_mutex_init(&mu->m, NULL);
    mu->rank = rank;
}

void rh_mutex_destroy(struct rh_mutex *mu)
{
    pthread_mutex_destroy(&mu->m);
}

#ifndef NDEBUG

/* More than every rank once: a thread never holds two of one rank. */
#define MAX_HELD 8

static _Thread_local const struct rh_mutex *held[MAX_HELD];
static _Thread_local int n_held;

static void note_locked(const struct rh_mutex *mu)
{
    for (int i = 0; i < n_held; i++) {
        assert(held[i]->rank < mu->rank); /* the lock order, common.h */
    }
    assert(n_held < MAX_HELD);
    held[n_held++] = mu;
}

static void note_unlocked(const struct rh_mutex *mu)
{
    bool holding = false; /* unlocking what this thread holds */
    for (int i = n_held - 1; i >= 0 && !holding; i--) {
        if (held[i] == mu) {
            held[i] = held[--n_held];
            holding = true;
        }
    }
    assert(holding);
}

void rh_mutex_lock(struct rh_mutex *mu)
{
    pthread_mutex_lock(&mu->m);
    note_locked(mu);
}

void rh_mutex_unlock(struct rh_mutex *mu)
{
    note_unlocked(mu);
    pthread_mutex_unlock(&mu->m);
}

void rh_cond_wait(pthread_cond_t *cv, struct rh_mutex *mu)
{
    note_unlocked(mu);
    pthread_cond_wait(cv, &mu->m);
    note_locked(mu);
}

bool rh_mutex_held(const struct rh_mutex *mu)
{
    for (int i = 0; i < n_held; i++) {
        if (held[i] == mu) {
            return true;
        }
    }
    return false;
}

#endif /* NDEBUG */
