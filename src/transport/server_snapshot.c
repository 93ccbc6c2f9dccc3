// SPDX-License-Identifier: Apache-2.0
/*
 * POST /raft/snapshot on the server: etcd's snapshotHandler, without
 * holding the I/O thread on the disk. The checks run first (http/); body
 * bytes go to the upload's receiver (snapshot_writer.c, with snapshot/'s
 * rules), which takes what fits in its buffer: the rest waits in the
 * connection, parked until the writer makes room (TCP back-pressure on the
 * sender). When the body ends the request stays parked until the snapshot
 * is saved and processed; the answer is snapshot/'s.
 *
 * Failure modes: a refusal mid-body (bad head 400, too large 413, saving
 * failed 500) cannot be answered before the body ends, as libmicrohttpd
 * takes no answer mid-upload: the rest is read and dropped, up to
 * MAX_DISCARD_BYTES, and answered at its end; past that the connection is
 * closed instead (a refused 2 GiB snapshot is not worth reading).
 */
#include <stdio.h>

#include "io.h"

#define MAX_DISCARD_BYTES (16u * 1024 * 1024)

static enum MHD_Result snapshot_start(struct rafthttp_transport *t,
                                      struct MHD_Connection *c,
                                      struct rh_conn *conn,
                                      const struct rh_request *req)
{
    struct rh_verdict v;
    if (!rh_check_post_request(&t->local, req, &v)) {
        conn->state = RH_CONN_ANSWERED;
        return rh_server_answer(t, c, &v, RH_WITH_CLUSTER);
    }
    rh_server_add_remote(t, c);
    conn->snap = rh_snap_in_new(t);
    if (conn->snap == NULL) {
        conn->state = RH_CONN_ANSWERED;
        return rh_server_refuse(t, c, 500,
                                "failed to save KV snapshot (out of memory)",
                                RH_WITH_CLUSTER);
    }
    conn->state = RH_CONN_SNAP;
    return MHD_YES;
}

/* Body bytes: to the writer, parking when it is behind. */
static enum MHD_Result snapshot_body(struct rafthttp_transport *t,
                                     struct MHD_Connection *c,
                                     struct rh_conn *conn, const char *data,
                                     size_t *size)
{
    struct rh_verdict v;
    size_t used = 0;
    rh_mutex_lock(&t->mu);
    bool ok = rh_snap_in_feed(conn->snap, (const uint8_t *)data, *size, &used,
                              &conn->reply, &v);
    if (ok && used < *size) {
        rh_server_park(conn, c); /* resumed when the writer has room */
    }
    if (!ok) { /* the reason lives in the receiver: copy it locked */
        snprintf(conn->reject_reason, sizeof(conn->reject_reason), "%s",
                 v.body);
        conn->reject_status = v.status;
    }
    rh_mutex_unlock(&t->mu);
    if (!ok) {
        *size = 0;
        conn->state = RH_CONN_REJECTED;
        return MHD_YES;
    }
    *size -= used;
    return MHD_YES;
}

/* The body ended: park until saved and processed. */
static enum MHD_Result snapshot_end(struct rafthttp_transport *t,
                                    struct MHD_Connection *c,
                                    struct rh_conn *conn)
{
    struct rh_verdict v;
    rh_mutex_lock(&t->mu);
    bool ok = rh_snap_in_finish(conn->snap, &conn->reply, &v);
    if (ok) {
        rh_server_wait(t, conn, c);
    } else {
        snprintf(conn->reject_reason, sizeof(conn->reject_reason), "%s",
                 v.body);
    }
    rh_mutex_unlock(&t->mu);
    if (!ok) {
        conn->state = RH_CONN_ANSWERED;
        return rh_server_refuse(t, c, v.status, conn->reject_reason,
                                RH_WITH_CLUSTER);
    }
    return MHD_YES;
}

/* The rest of a refused body: read and dropped, then answered. */
static enum MHD_Result snapshot_rejected(struct rafthttp_transport *t,
                                         struct MHD_Connection *c,
                                         struct rh_conn *conn, size_t *size)
{
    if (*size == 0) {
        conn->state = RH_CONN_ANSWERED;
        return rh_server_refuse(t, c, conn->reject_status, conn->reject_reason,
                                RH_WITH_CLUSTER);
    }
    conn->discarded += *size;
    *size = 0;
    return conn->discarded <= MAX_DISCARD_BYTES ? MHD_YES : MHD_NO;
}

enum MHD_Result rh_on_snapshot(struct rafthttp_transport *t,
                               struct MHD_Connection *c, struct rh_conn *conn,
                               const struct rh_request *req, const char *data,
                               size_t *size)
{
    switch (conn->state) {
    case RH_CONN_NEW:
        return snapshot_start(t, c, conn, req);
    case RH_CONN_SNAP:
        return *size > 0 ? snapshot_body(t, c, conn, data, size)
                         : snapshot_end(t, c, conn);
    case RH_CONN_WAITING:
        return rh_on_processed(t, c, conn);
    case RH_CONN_REJECTED:
        return snapshot_rejected(t, c, conn, size);
    default:
        *size = 0; /* answered already: the rest is dropped */
        return MHD_YES;
    }
}
