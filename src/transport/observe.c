// SPDX-License-Identifier: Apache-2.0
/*
 * The public entry points that read a transport: a peer's status, the
 * counters, and the metrics and leader stats texts, for one transport or
 * (rafthttp_metrics_write) several in one exposition.
 *
 * Each copies the numbers under the transport's lock and formats after
 * releasing it, so a slow scrape never holds up the senders; several
 * transports are copied one after the other, never two locks at once.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <string.h>

#include "transport.h"

/* --------------------------------------------------------------- status */

int rafthttp_transport_peer_status(struct rafthttp_transport *t, uint64_t id,
                                   struct rafthttp_peer_status *st)
{
    if (!rh_transport_usable(t, "peer_status")) {
        return RAFTHTTP_EINVAL;
    }
    if (st == NULL) {
        rh_thread_errmsg_set("peer_status: st NULL");
        return RAFTHTTP_EINVAL;
    }
    rh_mutex_lock(&t->mu);
    struct rh_peer *p = rh_peer_find(&t->peers, id);
    if (p != NULL) {
        rh_peer_fill_status(p, st);
    } else {
        rh_set_errmsg(t, "peer_status %llx: no such peer",
                      (unsigned long long)id);
    }
    rh_mutex_unlock(&t->mu);
    return p != NULL ? 0 : RAFTHTTP_EPEER_NOT_FOUND;
}

int64_t rafthttp_transport_active_since(struct rafthttp_transport *t,
                                        uint64_t id)
{
    struct rafthttp_peer_status st;
    if (rafthttp_transport_peer_status(t, id, &st) != 0) {
        return 0;
    }
    return st.active_since_ms;
}

size_t rafthttp_transport_active_peers(struct rafthttp_transport *t)
{
    size_t n = 0;
    if (!rh_transport_valid(t)) {
        return 0;
    }
    rh_mutex_lock(&t->mu);
    for (struct rh_peer *p = t->peers.list; p != NULL; p = p->next) {
        n += !p->remote && p->active;
    }
    rh_mutex_unlock(&t->mu);
    return n;
}

/* The transport-wide counters (t->mu). */
static void copy_stats(struct rafthttp_transport *t, struct rafthttp_stats *st)
{
    *st = t->peers.stats;
    st->queued_bytes = t->peers.queued_bytes;
}

void rafthttp_transport_stats(struct rafthttp_transport *t,
                              struct rafthttp_stats *st)
{
    if (!rh_transport_valid(t) || st == NULL) {
        return;
    }
    rh_mutex_lock(&t->mu);
    copy_stats(t, st);
    rh_mutex_unlock(&t->mu);
}

/* ------------------------------------------------------------- metrics */

/* Copies every peer's metrics (t->mu); *n set. */
static struct rh_peer_metrics *copy_metrics(struct rafthttp_transport *t,
                                            size_t *n)
{
    size_t count = 0;
    for (struct rh_peer *p = t->peers.list; p != NULL; p = p->next) {
        count++;
    }
    struct rh_peer_metrics *m = rh_calloc(t->alloc, count, sizeof(*m));
    if (m == NULL) {
        return NULL;
    }
    size_t i = 0;
    for (struct rh_peer *p = t->peers.list; p != NULL; p = p->next, i++) {
        rh_peer_fill_metrics(p, &m[i]);
    }
    *n = count;
    return m;
}

/* The output checks every text call makes; the thread's error says why. */
static bool output_usable(const char *call, const char *buf, size_t cap,
                          const size_t *len)
{
    if (len == NULL || (buf == NULL && cap > 0)) {
        rh_thread_errmsg_set(
            "%s: %s", call, len == NULL ? "len NULL" : "buf NULL with cap > 0");
        return false;
    }
    return true;
}

/* Hands a finished text to the caller's buffer, or says what it needs. */
static int copy_out(const char *call, const struct rh_buf *text, char *buf,
                    size_t cap, size_t *len)
{
    *len = text->len;
    if (text->len >= cap) {
        rh_thread_errmsg_set("%s: cap %zu, the text needs %zu and a NUL", call,
                             cap, text->len);
        return RAFTHTTP_ETOOBIG;
    }
    memcpy(buf, text->data, text->len);
    buf[text->len] = '\0';
    return 0;
}

/* One transport's numbers, copied out from under its lock. */
struct snapshot_of {
    struct rh_metrics_source src;
    struct rafthttp_stats stats;
    struct rh_peer_metrics *peers; /* owned, t's allocator */
};

static int take(struct rafthttp_transport *t, struct snapshot_of *s)
{
    size_t n = 0;
    rh_mutex_lock(&t->mu);
    s->peers = copy_metrics(t, &n);
    copy_stats(t, &s->stats);
    rh_mutex_unlock(&t->mu);
    s->src = (struct rh_metrics_source){t->local.id, s->peers, n, &s->stats};
    return s->peers != NULL ? 0 : RAFTHTTP_ENOMEM;
}

/* Every ts[i] is a live transport; the thread's error names the first not. */
static bool all_usable(const char *call, struct rafthttp_transport *const *ts,
                       size_t n)
{
    if (ts == NULL || n == 0) {
        rh_thread_errmsg_set("%s: %s", call,
                             ts == NULL ? "ts NULL" : "n 0 (no transports)");
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        if (!rh_transport_valid(ts[i])) {
            rh_thread_errmsg_set("%s: ts[%zu] is %s", call, i,
                                 ts[i] == NULL ? "NULL"
                                               : "not a live transport");
            return false;
        }
    }
    return true;
}

static int write_metrics(const char *call, struct rafthttp_transport *const *ts,
                         size_t n, char *buf, size_t cap, size_t *len)
{
    const struct rafthttp_allocator *a = ts[0]->alloc;
    struct snapshot_of *snaps = rh_calloc(a, n, sizeof(*snaps));
    struct rh_metrics_source *srcs = rh_calloc(a, n, sizeof(*srcs));
    int rv = snaps != NULL && srcs != NULL ? 0 : RAFTHTTP_ENOMEM;
    for (size_t i = 0; rv == 0 && i < n; i++) {
        rv = take(ts[i], &snaps[i]);
        srcs[i] = snaps[i].src;
    }
    struct rh_buf text;
    rh_buf_init(&text, a, SIZE_MAX);
    if (rv == 0) {
        rv = rh_metrics_format_many(srcs, n, &text);
    }
    if (rv == 0) {
        rv = copy_out(call, &text, buf, cap, len);
    } else {
        rh_thread_errmsg_set("%s: out of memory", call);
    }
    rh_buf_close(&text);
    for (size_t i = 0; snaps != NULL && i < n; i++) {
        rh_free(ts[i]->alloc, snaps[i].peers);
    }
    rh_free(a, srcs);
    rh_free(a, snaps);
    return rv;
}

int rafthttp_transport_metrics(struct rafthttp_transport *t, char *buf,
                               size_t cap, size_t *len)
{
    if (!rh_transport_usable(t, "metrics") ||
        !output_usable("metrics", buf, cap, len)) {
        return RAFTHTTP_EINVAL;
    }
    return write_metrics("metrics", &t, 1, buf, cap, len);
}

int rafthttp_metrics_write(struct rafthttp_transport *const *ts, size_t n,
                           char *buf, size_t cap, size_t *len)
{
    if (!all_usable("metrics_write", ts, n) ||
        !output_usable("metrics_write", buf, cap, len)) {
        return RAFTHTTP_EINVAL;
    }
    return write_metrics("metrics_write", ts, n, buf, cap, len);
}

int rafthttp_transport_leader_stats(struct rafthttp_transport *t, char *buf,
                                    size_t cap, size_t *len)
{
    if (!rh_transport_usable(t, "leader_stats") ||
        !output_usable("leader_stats", buf, cap, len)) {
        return RAFTHTTP_EINVAL;
    }
    struct snapshot_of s;
    int rv = take(t, &s);
    struct rh_buf text;
    rh_buf_init(&text, t->alloc, SIZE_MAX);
    if (rv == 0) {
        rv = rh_leader_stats_format(t->local.id, s.peers, s.src.n_peers, &text);
    }
    if (rv == 0) {
        rv = copy_out("leader_stats", &text, buf, cap, len);
    } else {
        rh_thread_errmsg_set("leader_stats: out of memory");
    }
    rh_buf_close(&text);
    rh_free(t->alloc, s.peers);
    return rv;
}
