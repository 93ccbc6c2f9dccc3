// SPDX-License-Identifier: Apache-2.0
/*
 * A peer's memory: creation with everything it owns, references, and the
 * free that follows the last reference. A peer is freed only once it is
 * unlinked from the table (removed) and no transfer, connection or busy
 * mailbox refers to it any more.
 */
#include <stdio.h>
#include <string.h>

#include "peer.h"

static struct rh_peer *peer_new(const struct rh_peer_table *pt, uint64_t id,
                                const char *const *urls, size_t n_urls)
{
    const struct rafthttp_config *cfg = pt->cfg;
    struct rh_peer *p = rh_calloc(pt->alloc, 1, sizeof(*p));
    if (p == NULL) {
        return NULL;
    }
    if (rh_urlpick_init(&p->picker, pt->alloc, urls, n_urls) != 0) {
        rh_free(pt->alloc, p);
        return NULL;
    }
    p->id = id;
    rafthttp_id_format(id, p->id_str);
    p->refs = 1;
    snprintf(p->reason, sizeof(p->reason), "%s", "not connected yet");
    for (int i = 0; i < RH_STREAM_TYPES; i++) {
        enum rh_stream_type type = (enum rh_stream_type)i;
        rh_stream_writer_init(&p->writers[i], type, pt->alloc,
                              cfg->peer_queue_bytes + 64);
        rh_stream_reader_init(&p->readers[i], type, cfg->dial_retry_min_ms);
    }
    rh_pipeline_init(&p->pipeline);
    rh_probe_init(&p->probe, rh_now_ms());
    rh_peer_metrics_init(&p->metrics, id);
    rh_mailbox_init(&p->recvq, RH_POOL_RECV, cfg->recv_queue_bytes, p);
    rh_mailbox_init(&p->propq, RH_POOL_PROP, cfg->recv_queue_bytes, p);
    return p;
}

static void peer_free(const struct rh_peer_table *pt, struct rh_peer *p)
{
    assert(p->refs == 0 && p->removed);
    assert(p->recvq.head == NULL && p->propq.head == NULL);
    for (int i = 0; i < RH_STREAM_TYPES; i++) {
        rh_stream_writer_close(&p->writers[i]);
        rh_stream_reader_close(&p->readers[i]);
    }
    rh_pipeline_clear(&p->pipeline, pt->alloc, NULL, NULL);
    rh_urlpick_close(&p->picker, pt->alloc);
    rh_free(pt->alloc, p);
}

void rh_peer_ref(struct rh_peer *p)
{
    assert(p->refs > 0);
    p->refs++;
}

void rh_peer_unref(struct rh_peer_table *pt, struct rh_peer *p)
{
    RH_ASSERT_HELD(pt->mu);
    assert(p->refs > 0);
    if (--p->refs == 0) {
        peer_free(pt, p);
    }
}

int rh_peer_add(struct rh_peer_table *pt, uint64_t id, const char *const *urls,
                size_t n, bool remote, enum rh_peer_added *what)
{
    RH_ASSERT_HELD(pt->mu);
    assert(id != 0 && id != pt->local_id);
    struct rh_peer *old = rh_peer_find(pt, id);
    *what = RH_PEER_KNOWN;
    if (old != NULL && old->remote && !remote) {
        /*
         * A member we only knew as a remote (it reached us first, with
         * X-PeerURLs) becomes a full peer: etcd keeps peers and remotes
         * apart and prefers the peer, which is what promoting it does.
         */
        int rv = rh_urlpick_update(&old->picker, pt->alloc, urls, n);
        if (rv != 0) {
            return rv;
        }
        old->remote = false;
        *what = RH_PEER_PROMOTED;
        rh_log(pt->log, RAFTHTTP_LOG_INFO, "remote became a peer",
               RH_F("remote-peer-id", old->id_str));
        return 0;
    }
    if (old != NULL && !remote && !old->remote &&
        !rh_urlpick_same(&old->picker, urls, n)) {
        *what = RH_PEER_CONFLICT;
        return 0;
    }
    if (old != NULL) {
        return 0; /* a duplicate is ignored, as etcd does */
    }
    struct rh_peer *p = peer_new(pt, id, urls, n);
    if (p == NULL) {
        return RAFTHTTP_ENOMEM;
    }
    p->remote = remote;
    p->next = pt->list;
    pt->list = p;
    *what = RH_PEER_NEW;
    return 0;
}
