// SPDX-License-Identifier: Apache-2.0
/*
 * The snapshot driver: the rules of etcd's snapshotSender and
 * snapshotHandler, without the threads and the network.
 *
 * Sender. The client's read callback asks rh_snap_upload_read for the
 * body: the head (BE64 length + MsgSnap), then the database read from the
 * application's source, chunked. Success is a 204 only. Failure modes:
 * 1. the source fails, ends early ("short read") or has more than its
 *    declared size ("long read"): the upload is aborted without its final
 *    chunk, so the receiver never takes it as complete;
 * 2. no byte moves for snapshot_progress_timeout_ms, or no answer within
 *    snapshot_response_timeout_ms after the last byte: timed out. There is
 *    no deadline on the whole transfer (etcd's fixed limits trap large
 *    snapshots in resend loops);
 * 3. remove_peer or stop: cancelled at the next read or progress call
 *    (libcurl calls progress at least once a second);
 * 4. connect error or any status but 204: failed; 403 means the peer says
 *    we were removed. What a failure does to the peer (inactive, picker,
 *    reports) is the peer driver's.
 *
 * Receiver. The server feeds body bytes: the head is decoded in place,
 * then database bytes go into a buffer of RH_SNAP_RECV_BUFFER_BYTES that
 * the writer thread swaps out and writes; while the buffer is full the
 * connection is parked (TCP back-pressure on the sender). When the body
 * ends the writer commits the file and the MsgSnap goes to the raft core;
 * its result becomes the answer. Failure modes: a bad head or another
 * message type: 400 with etcd's body; a database over max_snapshot_bytes:
 * 413; saving fails (no directory, disk full, I/O error): 500 "failed to
 * save KV snapshot (...)"; the connection cut mid-body: nothing is kept.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../pipeline/pipeline.h"
#include "snapshot.h"

/* ---------------------------------------------------------- the sender */

int rh_snap_upload_init(struct rh_snap_upload *u,
                        const struct rafthttp_allocator *a,
                        const struct rafthttp_config *cfg,
                        const struct rafthttp_message *m,
                        const struct rafthttp_snapshot_source *src,
                        int64_t now_ms)
{
    memset(u, 0, sizeof(*u));
    rh_buf_init(&u->head, a, SIZE_MAX);
    int rv = rh_snap_head_encode(a, m, &u->head);
    if (rv != 0) {
        rh_buf_close(&u->head);
        return rv;
    }
    u->src = *src;
    atomic_init(&u->cancel, false);
    u->progress_timeout_ms = cfg->snapshot_progress_timeout_ms;
    u->response_timeout_ms = cfg->snapshot_response_timeout_ms;
    u->started_ms = now_ms;
    u->last_move_ms = now_ms;
    return 0;
}

void rh_snap_upload_close(struct rh_snap_upload *u)
{
    rh_buf_close(&u->head);
}

void rh_snap_upload_cancel(struct rh_snap_upload *u)
{
    atomic_store(&u->cancel, true);
}

static int64_t source_read(struct rh_snap_upload *u, uint8_t *buf, size_t len)
{
    if (u->src.read != NULL) {
        return u->src.read(buf, len, u->src.user_data);
    }
    for (;;) {
        ssize_t n = read(u->src.fd, buf, len);
        if (n >= 0 || errno != EINTR) {
            return n;
        }
    }
}

static size_t abort_upload(struct rh_snap_upload *u, int code, const char *why)
{
    u->fail = code;
    u->why = why;
    return RH_SNAP_UPLOAD_ABORT;
}

/* After the declared size: the source must be at its end. */
static size_t check_end(struct rh_snap_upload *u, int64_t now_ms)
{
    uint8_t extra;
    int64_t n = source_read(u, &extra, 1);
    if (n < 0) {
        return abort_upload(u, RAFTHTTP_EIO, "source read failed");
    }
    if (n > 0) {
        return abort_upload(u, RAFTHTTP_EPROTO,
                            "source longer than its declared size");
    }
    u->db_done = true;
    u->sent_all_ms = now_ms;
    return 0;
}

/* Copies what is left of the head; returns the count. */
static size_t take_head(struct rh_snap_upload *u, uint8_t *buf, size_t max)
{
    size_t left = u->head.len - u->head_off;
    size_t n = left < max ? left : max;
    memcpy(buf, u->head.data + u->head_off, n);
    u->head_off += n;
    return n;
}

size_t rh_snap_upload_read(struct rh_snap_upload *u, uint8_t *buf, size_t max,
                           int64_t now_ms)
{
    if (atomic_load(&u->cancel)) {
        return abort_upload(u, RAFTHTTP_ECANCELED, "cancelled");
    }
    size_t n = take_head(u, buf, max);
    if (n == max || u->db_done) {
        return n;
    }
    uint64_t left = u->src.size - u->db_sent;
    if (left == 0) {
        return n > 0 ? n : check_end(u, now_ms);
    }
    size_t want = max - n < left ? max - n : (size_t)left;
    int64_t got = source_read(u, buf + n, want);
    if (got < 0) {
        return abort_upload(u, RAFTHTTP_EIO, "source read failed");
    }
    if (got == 0) {
        return abort_upload(u, RAFTHTTP_EPROTO,
                            "source shorter than its declared size");
    }
    u->db_sent += (uint64_t)got;
    return n + (size_t)got;
}

bool rh_snap_upload_progress(struct rh_snap_upload *u, uint64_t uploaded,
                             int64_t now_ms)
{
    if (atomic_load(&u->cancel)) {
        abort_upload(u, RAFTHTTP_ECANCELED, "cancelled");
        return false;
    }
    if (uploaded != u->last_ul) {
        u->last_ul = uploaded;
        u->last_move_ms = now_ms;
    }
    if (!u->db_done &&
        now_ms - u->last_move_ms > (int64_t)u->progress_timeout_ms) {
        abort_upload(u, RAFTHTTP_ETIMEDOUT, "no progress");
        return false;
    }
    if (u->db_done &&
        now_ms - u->sent_all_ms > (int64_t)u->response_timeout_ms) {
        abort_upload(u, RAFTHTTP_ETIMEDOUT, "no answer after the upload");
        return false;
    }
    if (u->src.progress != NULL && u->db_sent != u->reported) {
        u->reported = u->db_sent;
        u->src.progress(u->db_sent, u->src.size, u->src.user_data);
    }
    return true;
}

void rh_snap_upload_answer(struct rh_snap_upload *u, const char *p, size_t n)
{
    size_t room = sizeof(u->answer) - 1 - u->answer_len;
    size_t take = n < room ? n : room;
    memcpy(u->answer + u->answer_len, p, take);
    u->answer_len += take;
    u->answer[u->answer_len] = '\0';
}

int rh_snap_upload_result(struct rh_snap_upload *u,
                          const struct rh_snap_end *end, const char **why)
{
    if (u->fail != 0) {
        *why = u->why;
        return u->fail; /* our own reason comes first */
    }
    if (!end->transfer_ok) {
        *why = end->error;
        return end->timed_out ? RAFTHTTP_ETIMEDOUT : RAFTHTTP_EIO;
    }
    if (end->status == 204) {
        *why = NULL;
        return 0;
    }
    *why = u->answer_len > 0 ? u->answer : "unexpected status";
    return end->status == 403 ? RAFTHTTP_EREMOVED : RAFTHTTP_EIO;
}

/* -------------------------------------------------------- the receiver */

void rh_snap_receiver_init(struct rh_snap_receiver *r,
                           const struct rafthttp_allocator *a,
                           const struct rafthttp_config *cfg)
{
    memset(r, 0, sizeof(*r));
    rh_snap_head_decoder_init(&r->head, a, cfg->max_snapshot_head_bytes);
    rh_buf_init(&r->pending, a, RH_SNAP_RECV_BUFFER_BYTES);
    rh_buf_init(&r->writing, a, RH_SNAP_RECV_BUFFER_BYTES);
    r->max_db_bytes = cfg->max_snapshot_bytes;
}

void rh_snap_receiver_close(struct rh_snap_receiver *r)
{
    rh_snap_head_decoder_close(&r->head);
    rh_msg_free(r->msg);
    r->msg = NULL;
    rh_buf_close(&r->pending);
    rh_buf_close(&r->writing);
}

bool rh_snap_receiver_failed(struct rh_snap_receiver *r, const char *why)
{
    if (!r->failed) {
        r->failed = true;
        snprintf(r->reason, sizeof(r->reason),
                 "failed to save KV snapshot (%s)", why);
    }
    bool resume = r->want_room;
    r->want_room = false; /* so the server sees the failure */
    return resume;
}

/* Decodes the head from p; *used bytes were head. */
static bool feed_head(struct rh_snap_receiver *r, const uint8_t *p, size_t n,
                      size_t *used, bool *head_done, struct rh_verdict *v)
{
    int rv = rh_snap_head_decoder_feed(&r->head, p, n, used, &r->msg);
    if (rv != 0) {
        return rh_refuse(v, 400, r->head.reason);
    }
    *head_done = r->msg != NULL;
    return true;
}

bool rh_snap_receiver_feed(struct rh_snap_receiver *r, const uint8_t *p,
                           size_t n, size_t *used, bool *head_done,
                           struct rh_verdict *v)
{
    size_t head = 0;
    *used = 0;
    *head_done = false;
    if (r->msg == NULL) {
        bool ok = feed_head(r, p, n, &head, head_done, v);
        *used = head;
        if (!ok || r->msg == NULL) {
            return ok;
        }
    }
    if (r->failed) {
        return rh_refuse(v, 500, r->reason);
    }
    size_t rest = n - head;
    if (r->max_db_bytes != 0 && r->db_bytes + rest > r->max_db_bytes) {
        return rh_refuse(v, 413, "snapshot too large");
    }
    size_t room = RH_SNAP_RECV_BUFFER_BYTES - r->pending.len;
    size_t take = rest < room ? rest : room;
    if (rh_buf_append(&r->pending, p + head, take) != 0) {
        return rh_refuse(v, 500, "failed to save KV snapshot (out of memory)");
    }
    r->db_bytes += take;
    r->want_room = take < rest;
    *used = head + take;
    return true;
}

bool rh_snap_receiver_finish(struct rh_snap_receiver *r, struct rh_verdict *v)
{
    if (r->msg == NULL) {
        return rh_refuse(v, 400,
                         "failed to decode raft message (unexpected EOF)");
    }
    if (r->writer_done) { /* it failed before the body ended */
        return rh_refuse(v, 500, r->reason);
    }
    r->body_done = true;
    return true;
}

void rh_snap_receiver_detach(struct rh_snap_receiver *r)
{
    r->want_room = false;
    if (!r->body_done) {
        r->detached = true; /* cut mid-body: nothing is kept */
    }
}

enum rh_snap_step rh_snap_receiver_next(struct rh_snap_receiver *r,
                                        bool *resume)
{
    *resume = false;
    if (r->failed || r->detached) {
        return RH_SNAP_STEP_END;
    }
    if (r->pending.len == 0) {
        return r->body_done ? RH_SNAP_STEP_END : RH_SNAP_STEP_WAIT;
    }
    struct rh_buf tmp = r->pending;
    r->pending = r->writing;
    r->writing = tmp;
    *resume = r->want_room;
    r->want_room = false;
    return RH_SNAP_STEP_WRITE;
}

bool rh_snap_receiver_complete(const struct rh_snap_receiver *r)
{
    return !r->failed && !r->detached && r->body_done;
}

void rh_snap_receiver_answer(const struct rh_snap_receiver *r, int result,
                             char *text, size_t len, struct rh_verdict *v)
{
    if (result == 0 || result == RAFTHTTP_EREMOVED ||
        result == RAFTHTTP_ESTOPPED) {
        rh_pipeline_answer(result, v);
        return;
    }
    if (r->failed) {
        snprintf(text, len, "%s", r->reason);
    } else {
        snprintf(text, len, "failed to process raft message (%s)",
                 rafthttp_strerror(result));
    }
    rh_refuse(v, 500, text);
}
