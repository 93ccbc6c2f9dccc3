/*
 * Receiving a snapshot (POST /raft/snapshot), as etcd's snapshot handler
 * but without holding the I/O thread on the disk.
 *
 * Happy path: the server feeds the body; the head (BE64 length + MsgSnap)
 * is decoded in place, then database bytes go into a bounded buffer that a
 * writer thread of this upload drains into a temporary file. When the body
 * ends the writer syncs and renames the file (snapshot_file.c) and queues
 * the MsgSnap, with the file's path, for process_snapshot(); its result
 * becomes the answer (204 after processing, as etcd).
 *
 * Memory stays bounded: the network side takes at most RECV_BUFFER_BYTES
 * ahead of the disk, and the connection is parked until the writer makes
 * room (TCP back-pressure on the sender).
 *
 * Failure modes: a bad head or a wrong message type: 400 with etcd's body;
 * a database over max_snapshot_bytes: 413; no snapshot directory, disk full
 * or any I/O error: 500 "failed to save KV snapshot (...)" and the
 * temporary file is deleted; the connection cut mid-body: the writer
 * deletes the temporary file and nothing is processed.
 *
 * Threads and ownership: all fields are guarded by t->mu (the writer waits
 * on cv with it). The upload is reference counted: the connection holds one
 * reference, the writer thread another.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <string.h>

#include "snapshot.h"

/* Bytes the network may run ahead of the disk. */
#define RECV_BUFFER_BYTES (4u * 1024 * 1024)

struct rh_snap_recv {
    struct rafthttp_transport *t;
    int refs;                         /* connection + writer */
    struct rh_snap_head_decoder head;
    struct rh_msg *msg;               /* the MsgSnap once decoded */
    struct rh_buf pending;            /* to be written */
    struct rh_buf writing;            /* the writer's, outside the lock */
    uint64_t db_bytes;                /* database bytes taken */
    bool body_done;                   /* the upload ended cleanly */
    bool detached;                    /* the connection went away first */
    bool failed;                      /* saving failed */
    bool want_room;                   /* the connection is parked */
    bool writer_done;                 /* the writer has given its result */
    char reason[200];                 /* why saving failed */
    struct rh_reply *reply;           /* the connection's, until detached */
    uint64_t from;                    /* the sender, for its metrics */
    int64_t started_ms;
    pthread_cond_t cv;                /* the writer waits here (t->mu) */
};

struct rh_snap_recv *rh_snap_recv_new(struct rafthttp_transport *t)
{
    struct rh_snap_recv *r = rh_calloc(t->alloc, 1, sizeof(*r));
    if (r == NULL) {
        return NULL;
    }
    r->t = t;
    r->refs = 1;
    rh_snap_head_decoder_init(&r->head, t->alloc,
                              t->cfg.max_snapshot_head_bytes);
    rh_buf_init(&r->pending, t->alloc, RECV_BUFFER_BYTES);
    rh_buf_init(&r->writing, t->alloc, RECV_BUFFER_BYTES);
    pthread_cond_init(&r->cv, NULL);
    return r;
}

static void unref(struct rh_snap_recv *r)
{
    if (--r->refs > 0) {
        return;
    }
    const struct rafthttp_allocator *a = r->t->alloc;
    rh_snap_head_decoder_close(&r->head);
    rh_msg_free(r->msg);
    rh_buf_close(&r->pending);
    rh_buf_close(&r->writing);
    pthread_cond_destroy(&r->cv);
    rh_free(a, r);
}

static void fail(struct rh_snap_recv *r, const char *why)
{
    if (!r->failed) {
        r->failed = true;
        snprintf(r->reason, sizeof(r->reason),
                 "failed to save KV snapshot (%s)", why);
    }
    if (r->want_room && r->reply != NULL) {
        r->want_room = false;
        rh_io_resume(r->t, r->reply); /* so the handler sees it */
    }
}

/* ------------------------------------------------------------ writer */

/* Counts the upload in the sender's metrics (t->mu held). */
static void count_upload(struct rh_snap_recv *r, int delta, bool ok)
{
    struct rh_peer *p = rh_find_peer(r->t, r->from);
    if (p == NULL) {
        return;
    }
    struct rh_peer_metrics *m = &p->metrics;
    m->snap_recv_inflight += (uint64_t)(int64_t)delta;
    if (delta > 0) {
        return;
    }
    if (ok) {
        m->snap_recv_success++;
        m->received_bytes += r->db_bytes;
        rh_histogram_observe(&m->snap_recv_s,
                             (double)(rh_now_ms() - r->started_ms) / 1000.0);
    } else {
        m->snap_recv_failures++;
    }
}


/* Hands the saved snapshot to process_snapshot() (t->mu held). */
static void deliver(struct rh_snap_recv *r, const char *path)
{
    struct rafthttp_transport *t = r->t;
    struct rh_event *ev = NULL;
    size_t len = strlen(path) + 1;
    if (t->state == RH_STARTED) {
        ev = rh_calloc(t->alloc, 1, sizeof(*ev));
    }
    char *copy = ev != NULL ? rh_malloc(t->alloc, len) : NULL;
    if (copy == NULL) {
        rh_free(t->alloc, ev);
        if (r->reply != NULL) {
            rh_io_reply_ready(t, r->reply, RAFTHTTP_ESTOPPED);
        }
        return;
    }
    memcpy(copy, path, len);
    ev->kind = RH_EV_MESSAGE;
    ev->msg = r->msg;
    ev->path = copy;
    ev->reply = r->reply;
    r->msg = NULL;
    rh_deliver_post(t, &t->pipe_recv, ev);
    rh_log(&t->log, RAFTHTTP_LOG_INFO, "received snapshot",
           "path=%s bytes=%llu", path, (unsigned long long)r->db_bytes);
}

/* Waits for bytes and writes them until the body ends (t->mu held). */
static void write_body(struct rh_snap_recv *r, struct rh_snap_file *f)
{
    struct rafthttp_transport *t = r->t;
    while (!r->failed && !r->detached) {
        while (r->pending.len == 0 && !r->body_done && !r->detached) {
            pthread_cond_wait(&r->cv, &t->mu);
        }
        if (r->detached || r->pending.len == 0) {
            return; /* cut, or done */
        }
        struct rh_buf tmp = r->pending;
        r->pending = r->writing;
        r->writing = tmp;
        if (r->want_room && r->reply != NULL) {
            r->want_room = false;
            rh_io_resume(t, r->reply);
        }
        pthread_mutex_unlock(&t->mu);
        int rv = rh_snap_file_write(f, r->writing.data, r->writing.len);
        rh_buf_reset(&r->writing);
        pthread_mutex_lock(&t->mu);
        if (rv != 0) {
            fail(r, f->err);
        }
    }
}

static void *writer_main(void *arg)
{
    struct rh_snap_recv *r = arg;
    struct rafthttp_transport *t = r->t;
    struct rh_snap_file f;
    rh_thread_name(t, "snapw");
    int rv = t->cfg.snapshot_dir != NULL
                 ? rh_snap_file_open(&f, t->cfg.snapshot_dir)
                 : RAFTHTTP_EINVAL;
    pthread_mutex_lock(&t->mu);
    if (rv != 0) {
        fail(r, t->cfg.snapshot_dir != NULL ? f.err
                                             : "no snapshot directory");
    } else {
        write_body(r, &f);
    }
    bool complete = !r->failed && !r->detached && r->body_done;
    pthread_mutex_unlock(&t->mu);
    char path[1200];
    if (complete) {
        uint64_t index = r->msg->m.snapshot.metadata.index;
        rv = rh_snap_file_commit(&f, index, t->cfg.snapshot_fsync, path,
                                 sizeof(path));
    } else if (rv == 0) {
        rh_snap_file_discard(&f);
    }
    pthread_mutex_lock(&t->mu);
    if (complete && rv != 0) {
        fail(r, f.err);
    }
    r->writer_done = true; /* a body that ends later is answered by finish */
    if (r->failed && r->reply != NULL && r->body_done) {
        rh_io_reply_ready(t, r->reply, RAFTHTTP_EIO);
    } else if (complete && rv == 0) {
        deliver(r, path);
    }
    if (r->failed) {
        rh_log(&t->log, RAFTHTTP_LOG_WARN, "snapshot not saved", "reason=\"%s\"",
               r->reason);
    }
    count_upload(r, -1, complete && !r->failed);
    unref(r);
    /* Last: once the count drops, stop may free t. */
    t->snap_recv_threads--;
    pthread_cond_broadcast(&t->snap_cv);
    pthread_mutex_unlock(&t->mu);
    return NULL;
}

/* The head is in: the writer starts (t->mu held). */
static int start_writer(struct rh_snap_recv *r)
{
    r->from = r->msg->m.from;
    r->started_ms = rh_now_ms();
    count_upload(r, 1, false);
    pthread_t th;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    r->refs++;
    r->t->snap_recv_threads++;
    int rv = pthread_create(&th, &attr, writer_main, r);
    pthread_attr_destroy(&attr);
    if (rv != 0) {
        r->refs--;
        r->t->snap_recv_threads--;
        return RAFTHTTP_ENOMEM;
    }
    return 0;
}

/* --------------------------------------------------------- network side */

/* Decodes the head from p (t->mu held); *used bytes were head. */
static int feed_head(struct rh_snap_recv *r, const uint8_t *p, size_t n,
                     size_t *used, const char **reason)
{
    int rv = rh_snap_head_decoder_feed(&r->head, p, n, used, &r->msg);
    if (rv != 0) {
        *reason = r->head.reason;
        return 400;
    }
    if (r->msg != NULL && start_writer(r) != 0) {
        *reason = "failed to save KV snapshot (cannot start a writer)";
        return 500;
    }
    return 0;
}

int rh_snap_recv_feed(struct rh_snap_recv *r, const uint8_t *p, size_t n,
                      size_t *used, struct rh_reply *reply,
                      const char **reason)
{
    size_t head = 0;
    *used = 0;
    if (r->msg == NULL) {
        int status = feed_head(r, p, n, &head, reason);
        if (status != 0 || r->msg == NULL) {
            *used = head;
            return status;
        }
    }
    if (r->failed) {
        *reason = r->reason;
        return 500;
    }
    size_t rest = n - head;
    uint64_t max = r->t->cfg.max_snapshot_bytes;
    if (max != 0 && r->db_bytes + rest > max) {
        *reason = "snapshot too large";
        return 413;
    }
    size_t room = RECV_BUFFER_BYTES - r->pending.len;
    size_t take = rest < room ? rest : room;
    if (rh_buf_append(&r->pending, p + head, take) != 0) {
        *reason = "failed to save KV snapshot (out of memory)";
        return 500;
    }
    r->db_bytes += take;
    r->reply = reply;
    r->want_room = take < rest;
    pthread_cond_signal(&r->cv);
    *used = head + take;
    return 0;
}

int rh_snap_recv_finish(struct rh_snap_recv *r, struct rh_reply *reply,
                        const char **reason)
{
    if (r->msg == NULL) {
        *reason = "failed to decode raft message (unexpected EOF)";
        return 400;
    }
    if (r->writer_done) { /* it failed before the body ended */
        *reason = r->reason;
        return 500;
    }
    r->body_done = true;
    r->reply = reply;
    pthread_cond_signal(&r->cv);
    return 0;
}

bool rh_snap_recv_save_failed(const struct rh_snap_recv *r,
                              const char **reason)
{
    *reason = r->reason;
    return r->failed;
}

void rh_snap_recv_detach(struct rh_snap_recv *r)
{
    r->reply = NULL;
    r->want_room = false;
    if (!r->body_done) {
        r->detached = true; /* cut mid-body: nothing is kept */
    }
    pthread_cond_signal(&r->cv);
    unref(r);
}
