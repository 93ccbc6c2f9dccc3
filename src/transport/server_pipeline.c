// SPDX-License-Identifier: Apache-2.0
/*
 * POST /raft on the server: etcd's pipelineHandler. The checks run first
 * (http/: method, versions, cluster ID); a Content-Length over
 * max_msg_bytes is refused before any byte of the body is read; the body
 * is gathered under that cap, decoded, and handed to the raft core
 * through the pipeline mailbox; the request stays parked until process()
 * returns, and its result becomes the answer (pipeline/'s mapping: 204,
 * 403, 500, 503).
 *
 * Failure modes: a failed check: its verdict at once; a body over the cap:
 * 413 after the body (libmicrohttpd takes no answer mid-upload); a body
 * that is not a Message: 400; stopping, or process() behind: 503.
 */
#include <stdlib.h>

#include "io.h"

static enum MHD_Result pipeline_start(struct rafthttp_transport *t,
                                      struct MHD_Connection *c,
                                      struct rh_conn *conn,
                                      const struct rh_request *req)
{
    struct rh_verdict v;
    conn->state = RH_CONN_ANSWERED; /* unless it passes */
    if (!rh_check_post_request(&t->local, req, &v)) {
        return rh_server_answer(t, c, &v, RH_WITH_CLUSTER);
    }
    const char *len = rh_server_header(c, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (len != NULL && strtoull(len, NULL, 10) > t->cfg.max_msg_bytes) {
        rh_pipeline_refuse(RAFTHTTP_ETOOBIG, &v);
        return rh_server_answer(t, c, &v, RH_WITH_CLUSTER);
    }
    rh_server_add_remote(t, c);
    rh_pipeline_body_init(&conn->body, t->alloc, t->cfg.max_msg_bytes);
    conn->state = RH_CONN_BODY;
    return MHD_YES;
}

/* The whole body is in: decode, and park until process() returns. */
static enum MHD_Result pipeline_body_done(struct rafthttp_transport *t,
                                          struct MHD_Connection *c,
                                          struct rh_conn *conn)
{
    struct rh_verdict v;
    if (conn->too_big) {
        rh_pipeline_refuse(RAFTHTTP_ETOOBIG, &v);
        return rh_server_answer(t, c, &v, RH_WITH_CLUSTER);
    }
    struct rh_msg *msg = NULL;
    size_t bytes = conn->body.bytes.len;
    int rv = rh_pipeline_body_finish(&conn->body, &msg);
    rh_pipeline_body_close(&conn->body);
    if (rv != 0) {
        rh_pipeline_refuse(RAFTHTTP_EPROTO, &v);
        return rh_server_answer(t, c, &v, RH_WITH_CLUSTER);
    }
    rh_mutex_lock(&t->mu);
    bool queued = rh_peer_receive_post(&t->peers, msg, bytes, &conn->reply, &v);
    if (queued) {
        rh_server_wait(t, conn, c);
    }
    rh_mutex_unlock(&t->mu);
    return queued ? MHD_YES : rh_server_answer(t, c, &v, RH_WITH_CLUSTER);
}

enum MHD_Result rh_on_processed(struct rafthttp_transport *t,
                                struct MHD_Connection *c, struct rh_conn *conn)
{
    struct rh_verdict v;
    char text[240];
    rh_mutex_lock(&t->mu);
    rh_server_unwait(t, conn);
    int result = conn->reply.ready ? conn->reply.result : RAFTHTTP_ESTOPPED;
    if (conn->snap != NULL) {
        rh_snap_in_answer(conn->snap, result, text, sizeof(text), &v);
    } else {
        rh_pipeline_answer(result, &v);
    }
    rh_mutex_unlock(&t->mu);
    conn->state = RH_CONN_ANSWERED;
    return rh_server_answer(t, c, &v, RH_WITH_CLUSTER);
}

enum MHD_Result rh_on_pipeline(struct rafthttp_transport *t,
                               struct MHD_Connection *c, struct rh_conn *conn,
                               const struct rh_request *req, const char *data,
                               size_t *size)
{
    switch (conn->state) {
    case RH_CONN_NEW:
        return pipeline_start(t, c, conn, req);
    case RH_CONN_BODY:
        if (*size == 0) {
            return pipeline_body_done(t, c, conn);
        }
        if (!conn->too_big &&
            rh_pipeline_body_feed(&conn->body, (const uint8_t *)data, *size) !=
                0) {
            conn->too_big = true;
        }
        *size = 0;
        return MHD_YES;
    case RH_CONN_WAITING:
        return rh_on_processed(t, c, conn);
    case RH_CONN_SNAP:
    case RH_CONN_REJECTED:
    case RH_CONN_ANSWERED:
        break;
    }
    *size = 0; /* answered already: the rest is dropped */
    return MHD_YES;
}
