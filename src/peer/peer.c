/*
 * Peers: creation, teardown of what they own, and status (etcd's
 * peerStatus: active since, or inactive with the reason).
 */
#include <stdio.h>
#include <string.h>

#include "peer.h"

struct rh_peer *rh_peer_new(const struct rafthttp_allocator *a, uint64_t id,
                            const char *const *urls, size_t n_urls,
                            const struct rafthttp_config *cfg)
{
    struct rh_peer *p = rh_calloc(a, 1, sizeof(*p));
    if (p == NULL) {
        return NULL;
    }
    if (rh_urlpick_init(&p->picker, a, urls, n_urls) != 0) {
        rh_free(a, p);
        return NULL;
    }
    p->id = id;
    rafthttp_id_format(id, p->id_str);
    p->refs = 1;
    snprintf(p->reason, sizeof(p->reason), "%s", "not connected yet");
    for (int i = 0; i < 2; i++) {
        rh_stream_writer_init(&p->writers[i], (enum rh_stream_type)i, a,
                              cfg->peer_queue_bytes + 64);
        rh_stream_reader_init(&p->readers[i], (enum rh_stream_type)i,
                              cfg->dial_retry_min_ms);
    }
    rh_pipeline_init(&p->pipeline);
    rh_probe_init(&p->probe, rh_now_ms());
    rh_peer_metrics_init(&p->metrics, id);
    rh_mailbox_init(&p->recvq, RH_POOL_RECV, cfg->recv_queue_bytes, p);
    rh_mailbox_init(&p->propq, RH_POOL_PROP, cfg->recv_queue_bytes, p);
    return p;
}

void rh_peer_free(struct rh_peer *p, const struct rafthttp_allocator *a)
{
    for (int i = 0; i < 2; i++) {
        rh_stream_writer_close(&p->writers[i]);
        rh_stream_reader_end(&p->readers[i]);
    }
    rh_pipeline_clear(&p->pipeline, a, NULL, NULL);
    rh_urlpick_close(&p->picker, a);
    rh_free(a, p);
}

bool rh_peer_activate(struct rh_peer *p)
{
    if (p->active) {
        return false;
    }
    p->active = true;
    p->active_since_ms = rh_wall_ms();
    p->reason[0] = '\0';
    return true;
}

bool rh_peer_deactivate(struct rh_peer *p, const char *reason)
{
    snprintf(p->reason, sizeof(p->reason), "%s", reason);
    if (!p->active) {
        return false;
    }
    p->active = false;
    p->active_since_ms = 0;
    return true;
}
