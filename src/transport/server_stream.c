// SPDX-License-Identifier: Apache-2.0
/*
 * GET /raft/stream/<type>/<sender> on the server: etcd's streamHandler.
 * The checks run in etcd's order: method, versions and cluster ID, the
 * path (http/); a removed sender (is_id_removed, the only raft callback
 * the I/O thread makes) 410; an unknown one 404, after it has been added
 * as a remote if it sent X-PeerURLs; X-Raft-To 412. Then the answer is a
 * 200 whose body never ends: a response that pulls what the peer's
 * stream writer has queued (peer/peer_driver.c), parking when there is
 * nothing, unparked by the next send or link heartbeat.
 *
 * Failure modes: a newer dial for the same stream replaces this one (its
 * response sees the connection number change at its next pull and ends);
 * the connection closes: the writer is detached, what it held is dropped
 * and reported; the peer is removed or we stop: the response ends.
 */
#include "io.h"

/* Block size of stream responses: frames are coalesced up to this. */
#define STREAM_BLOCK_BYTES (64 * 1024)

/* One stream response (lives as long as the libmicrohttpd response). */
struct rh_stream_resp {
    struct rh_stream_resp *next; /* io->streams */
    struct rh_stream_resp **pprev;
    struct rafthttp_transport *t;
    struct rh_peer *peer; /* a reference */
    enum rh_stream_type type;
    uint64_t gen; /* the writer's connection number */
    struct MHD_Connection *mhd;
    bool suspended; /* parked in stream_pull */
};

void rh_stream_resp_wake(struct rh_stream_resp *s)
{
    if (s != NULL && s->suspended) {
        s->suspended = false;
        MHD_resume_connection(s->mhd);
        s->t->io->resumed = true;
    }
}

static ssize_t stream_pull(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    struct rh_stream_resp *s = cls;
    struct rafthttp_transport *t = s->t;
    bool end;
    rh_mutex_lock(&t->mu);
    size_t n = rh_peer_writer_pull(&t->peers, s->peer, s->type, s->gen,
                                   (uint8_t *)buf, max, rh_now_ms(), &end);
    if (n == 0 && !end) {
        s->suspended = true;
        MHD_suspend_connection(s->mhd);
    }
    rh_mutex_unlock(&t->mu);
    return end ? MHD_CONTENT_READER_END_OF_STREAM : (ssize_t)n;
}

/* The stream response is gone: the connection ended or was replaced. */
static void stream_gone(void *cls)
{
    struct rh_stream_resp *s = cls;
    struct rafthttp_transport *t = s->t;
    rh_mutex_lock(&t->mu);
    if (s->gen != 0) {
        rh_peer_writer_gone(&t->peers, s->peer, s->type, s->gen);
    }
    if (s->pprev != NULL) {
        *s->pprev = s->next;
        if (s->next != NULL) {
            s->next->pprev = s->pprev;
        }
    }
    rh_peer_unref(&t->peers, s->peer);
    rh_mutex_unlock(&t->mu);
    rh_free(t->alloc, s);
}

/* Binds a new connection to the peer's writer (t->mu). */
static void attach(struct rafthttp_transport *t, struct rh_stream_resp *s,
                   struct MHD_Connection *c)
{
    s->mhd = c;
    s->next = t->io->streams;
    s->pprev = &t->io->streams;
    if (s->next != NULL) {
        s->next->pprev = &s->next;
    }
    t->io->streams = s;
    struct rh_stream_resp *old = rh_peer_writer_attach(
        &t->peers, s->peer, s->type, s, &s->gen, rh_now_ms());
    rh_stream_resp_wake(old); /* the connection it replaces ends */
    rh_io_kick(t);
}

/* A response for the sender's stream (t->mu), or NULL with *v. */
static struct rh_stream_resp *admit(struct rafthttp_transport *t,
                                    const struct rh_request *req,
                                    enum rh_stream_type type, uint64_t from,
                                    struct rh_verdict *v)
{
    struct rh_peer *p = rh_peer_stream_sender(&t->peers, from, v);
    if (p == NULL || !rh_check_recipient(&t->local, req, v)) {
        return NULL;
    }
    struct rh_stream_resp *s = rh_calloc(t->alloc, 1, sizeof(*s));
    if (s == NULL) {
        rh_refuse(v, 500, "out of memory");
        return NULL;
    }
    s->t = t;
    s->peer = p;
    s->type = type;
    rh_peer_ref(p);
    return s;
}

static bool removed_sender(struct rafthttp_transport *t, uint64_t from)
{
    const struct rafthttp_raft_ops *ops = t->cfg.raft_ops;
    return ops != NULL && ops->is_id_removed != NULL &&
           ops->is_id_removed(t, from, t->cfg.raft_user_data);
}

enum MHD_Result rh_on_stream(struct rafthttp_transport *t,
                             struct MHD_Connection *c,
                             const struct rh_request *req)
{
    const int flags = RH_WITH_CLUSTER | RH_WITH_VERSION;
    struct rh_verdict v;
    enum rh_stream_type type;
    uint64_t from;
    if (!rh_check_stream_request(&t->local, req, &type, &from, &v)) {
        return rh_server_answer(t, c, &v, flags);
    }
    if (t->cfg.pipeline_only) {
        return rh_server_refuse(t, c, 404, "404 page not found", 0);
    }
    if (removed_sender(t, from)) {
        return rh_server_refuse(t, c, 410, "removed member", flags);
    }
    rh_mutex_lock(&t->mu);
    bool known = rh_peer_find(&t->peers, from) != NULL;
    rh_mutex_unlock(&t->mu);
    if (!known) {
        rh_server_add_remote(t, c);
    }
    rh_mutex_lock(&t->mu);
    struct rh_stream_resp *s = admit(t, req, type, from, &v);
    rh_mutex_unlock(&t->mu);
    if (s == NULL) {
        return rh_server_answer(t, c, &v, flags);
    }
    struct MHD_Response *r = MHD_create_response_from_callback(
        MHD_SIZE_UNKNOWN, STREAM_BLOCK_BYTES, stream_pull, s, stream_gone);
    if (r == NULL) {
        stream_gone(s);
        return MHD_NO;
    }
    rh_server_headers(t, r, flags);
    rh_mutex_lock(&t->mu);
    attach(t, s, c);
    rh_mutex_unlock(&t->mu);
    enum MHD_Result rv = MHD_queue_response(c, 200, r);
    MHD_destroy_response(r);
    return rv;
}

void rh_stream_resp_end_all(struct rafthttp_transport *t)
{
    RH_ASSERT_HELD(&t->mu);
    /*
     * Streams end when their daemon next pulls (we are stopping); one in an
     * application's daemon may do so after t->io is gone, so unlink them.
     */
    while (t->io->streams != NULL) {
        struct rh_stream_resp *s = t->io->streams;
        t->io->streams = s->next;
        rh_stream_resp_wake(s);
        s->next = NULL;
        s->pprev = NULL;
    }
}
