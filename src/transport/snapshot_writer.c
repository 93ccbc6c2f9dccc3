// SPDX-License-Identifier: Apache-2.0
/*
 * A received snapshot's writer: one thread per upload, so a slow disk or
 * a multi-gigabyte snapshot never stalls the I/O thread. The rules (what
 * the network may feed, when it parks, what the answer is) are
 * snapshot/'s; this file is the thread, the file and the hand-over.
 *
 * Happy path: the server feeds body bytes (rh_snap_in_feed, under the
 * lock); once the head is in, the writer thread starts, takes the pending
 * bytes (resuming the parked connection when it had no room) and writes
 * them to a temporary file outside the lock. When the body ends the writer
 * syncs and renames the file (snapshot/snapshot_file.c) and queues the
 * MsgSnap, with the file's path, for process_snapshot(); its result
 * becomes the answer.
 *
 * Failure modes: no snapshot directory, disk full or any I/O error: the
 * temporary file is deleted and the answer is 500 "failed to save KV
 * snapshot (...)", at once if the body has ended, else when it does; the
 * connection cut mid-body: the writer deletes the temporary file and
 * nothing is processed; stopping: the MsgSnap is not queued and the
 * request is answered 503.
 *
 * Threads and ownership: all fields are guarded by t->mu (the writer waits
 * on cv with it). The upload is reference counted: the connection holds
 * one reference, the writer thread another. Stop waits for every writer
 * (t->snap_recv_threads).
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>

#include "io.h"

struct rh_snap_in {
    struct rafthttp_transport *t;
    int refs; /* connection + writer */
    struct rh_snap_receiver rx;
    struct rh_reply *reply; /* the connection's, until detached */
    uint64_t from;          /* the sender, for its metrics */
    int64_t started_ms;
    pthread_cond_t cv; /* the writer waits here (t->mu) */
};

struct rh_snap_in *rh_snap_in_new(struct rafthttp_transport *t)
{
    struct rh_snap_in *s = rh_calloc(t->alloc, 1, sizeof(*s));
    if (s == NULL) {
        return NULL;
    }
    s->t = t;
    s->refs = 1;
    rh_snap_receiver_init(&s->rx, t->alloc, &t->cfg);
    pthread_cond_init(&s->cv, NULL);
    return s;
}

static void unref(struct rh_snap_in *s)
{
    assert(s->refs > 0);
    if (--s->refs > 0) {
        return;
    }
    rh_snap_receiver_close(&s->rx);
    pthread_cond_destroy(&s->cv);
    rh_free(s->t->alloc, s);
}

/* Saving failed: the parked connection goes on to see it (t->mu). */
static void failed(struct rh_snap_in *s, const char *why)
{
    if (rh_snap_receiver_failed(&s->rx, why) && s->reply != NULL) {
        rh_io_resume(s->t, s->reply);
    }
}

/* ------------------------------------------------------------ writer */

/* Hands the saved snapshot to process_snapshot() (t->mu). */
static void deliver(struct rh_snap_in *s, const char *path)
{
    struct rafthttp_transport *t = s->t;
    if (t->state != RH_STARTED) {
        if (s->reply != NULL) {
            rh_io_answer(t, s->reply, RAFTHTTP_ESTOPPED);
        }
        return;
    }
    uint64_t index = s->rx.msg->m.snapshot.metadata.index;
    if (!rh_inbox_snapshot(&t->inbox, s->rx.msg, path, s->reply)) {
        return; /* out of memory: answered ESTOPPED */
    }
    s->rx.msg = NULL; /* the event owns it now */
    char from[RAFTHTTP_ID_STRLEN], idx[24], bytes[24];
    rh_log(&t->log, RAFTHTTP_LOG_INFO, "received and saved database snapshot",
           RH_F("remote-snapshot-sender-id", rafthttp_id_format(s->from, from)),
           RH_F("incoming-snapshot-index",
                rh_fmt(idx, sizeof(idx), "%llu", (unsigned long long)index)),
           RH_F("incoming-snapshot-size-bytes",
                rh_fmt(bytes, sizeof(bytes), "%llu",
                       (unsigned long long)s->rx.db_bytes)),
           RH_F("path", path));
}

/* Writes what the network feeds until the body ends (t->mu). */
static void write_body(struct rh_snap_in *s, struct rh_snap_file *f)
{
    struct rafthttp_transport *t = s->t;
    for (;;) {
        bool resume;
        enum rh_snap_step step = rh_snap_receiver_next(&s->rx, &resume);
        if (resume && s->reply != NULL) {
            rh_io_resume(t, s->reply);
        }
        if (step == RH_SNAP_STEP_END) {
            return;
        }
        if (step == RH_SNAP_STEP_WAIT) {
            rh_cond_wait(&s->cv, &t->mu);
            continue;
        }
        rh_mutex_unlock(&t->mu);
        int rv = rh_snap_file_write(f, s->rx.writing.data, s->rx.writing.len);
        rh_buf_reset(&s->rx.writing);
        rh_mutex_lock(&t->mu);
        if (rv != 0) {
            failed(s, f->err);
        }
    }
}

/* After the body: commit or discard, then answer or deliver (t->mu). */
static void conclude(struct rh_snap_in *s, struct rh_snap_file *f, bool opened)
{
    struct rafthttp_transport *t = s->t;
    bool complete = rh_snap_receiver_complete(&s->rx);
    char path[1200];
    int rv = 0;
    rh_mutex_unlock(&t->mu);
    if (complete) {
        uint64_t index = s->rx.msg->m.snapshot.metadata.index;
        rv = rh_snap_file_commit(f, index, t->cfg.snapshot_fsync, path,
                                 sizeof(path));
    } else if (opened) {
        rh_snap_file_discard(f);
    }
    rh_mutex_lock(&t->mu);
    if (complete && rv != 0) {
        failed(s, f->err);
    }
    s->rx.writer_done = true; /* a body that ends later is answered then */
    if (s->rx.failed && s->reply != NULL && s->rx.body_done) {
        rh_io_answer(t, s->reply, RAFTHTTP_EIO);
    } else if (complete && rv == 0) {
        deliver(s, path);
    }
    if (s->rx.failed) {
        char from[RAFTHTTP_ID_STRLEN];
        rh_log(&t->log, RAFTHTTP_LOG_WARN,
               "failed to save incoming database snapshot",
               RH_F("remote-snapshot-sender-id",
                    rafthttp_id_format(s->from, from)),
               RH_F("error", s->rx.reason));
    }
    rh_peer_snapshot_received(&t->peers, s->from, complete && !s->rx.failed,
                              s->rx.db_bytes,
                              (double)(rh_now_ms() - s->started_ms) / 1000.0);
}

static void *writer_main(void *arg)
{
    struct rh_snap_in *s = arg;
    struct rafthttp_transport *t = s->t;
    struct rh_snap_file f;
    rh_thread_name(t->local.id, "snapw");
    const char *dir = t->cfg.snapshot_dir;
    int rv = dir != NULL ? rh_snap_file_open(&f, dir) : RAFTHTTP_EINVAL;
    rh_mutex_lock(&t->mu);
    if (rv != 0) {
        failed(s, dir != NULL ? f.err : "no snapshot directory");
    } else {
        write_body(s, &f);
    }
    conclude(s, &f, rv == 0);
    unref(s);
    /* Last: once the count drops, stop may free t. */
    t->snap_recv_threads--;
    pthread_cond_broadcast(&t->snap_cv);
    rh_mutex_unlock(&t->mu);
    return NULL;
}

/* The head is in: the writer starts (t->mu). */
static int start_writer(struct rh_snap_in *s)
{
    struct rafthttp_transport *t = s->t;
    s->from = s->rx.msg->m.from;
    s->started_ms = rh_now_ms();
    rh_peer_snapshot_receiving(&t->peers, s->from);
    char from[RAFTHTTP_ID_STRLEN], index[24];
    rh_log(
        &t->log, RAFTHTTP_LOG_INFO, "receiving database snapshot",
        RH_F("remote-snapshot-sender-id", rafthttp_id_format(s->from, from)),
        RH_F("incoming-snapshot-index",
             rh_fmt(index, sizeof(index), "%llu",
                    (unsigned long long)s->rx.msg->m.snapshot.metadata.index)));
    pthread_t th;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    s->refs++;
    t->snap_recv_threads++;
    int rv = pthread_create(&th, &attr, writer_main, s);
    pthread_attr_destroy(&attr);
    if (rv != 0) {
        s->refs--;
        t->snap_recv_threads--;
        rh_peer_snapshot_received(&t->peers, s->from, false, 0, 0);
        return RAFTHTTP_ENOMEM;
    }
    return 0;
}

/* --------------------------------------------------------- network side */

bool rh_snap_in_feed(struct rh_snap_in *s, const uint8_t *p, size_t n,
                     size_t *used, struct rh_reply *reply, struct rh_verdict *v)
{
    RH_ASSERT_HELD(&s->t->mu);
    bool head_done;
    if (!rh_snap_receiver_feed(&s->rx, p, n, used, &head_done, v)) {
        return false;
    }
    if (head_done && start_writer(s) != 0) {
        return rh_refuse(v, 500,
                         "failed to save KV snapshot (cannot start a writer)");
    }
    s->reply = reply;
    pthread_cond_signal(&s->cv);
    return true;
}

bool rh_snap_in_finish(struct rh_snap_in *s, struct rh_reply *reply,
                       struct rh_verdict *v)
{
    RH_ASSERT_HELD(&s->t->mu);
    if (!rh_snap_receiver_finish(&s->rx, v)) {
        return false;
    }
    s->reply = reply;
    pthread_cond_signal(&s->cv);
    return true;
}

void rh_snap_in_answer(struct rh_snap_in *s, int result, char *text, size_t len,
                       struct rh_verdict *v)
{
    RH_ASSERT_HELD(&s->t->mu);
    rh_snap_receiver_answer(&s->rx, result, text, len, v);
}

void rh_snap_in_detach(struct rh_snap_in *s)
{
    RH_ASSERT_HELD(&s->t->mu);
    s->reply = NULL;
    rh_snap_receiver_detach(&s->rx);
    pthread_cond_signal(&s->cv);
    unref(s);
}
