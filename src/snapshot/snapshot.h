/* SPDX-License-Identifier: Apache-2.0 */
/*
 * snapshot: sending and receiving POST /raft/snapshot, without the I/O.
 *
 * etcd's body is BE64 length + Message (MsgSnap) followed by the database
 * bytes up to the end of the body; the database has no length of its own.
 * This folder holds
 * - the head codec (snapshot_head.c): the decoder takes bytes until the
 *   message is complete and says how many it used, so the rest streams to
 *   disk;
 * - the database file (snapshot_file.c): temporary, synced, renamed;
 * - the snapshot driver (snapshot_driver.c): the sender's rules (what the
 *   upload reads next, when it has stalled, what its end means) and the
 *   receiver's (what the network may feed, when the connection parks,
 *   what the writer does next, what the answer is).
 * The threads and the network are the adapters' (src/transport/
 * snapshot_client.c for the sender, server_snapshot.c and
 * snapshot_writer.c for the receiver).
 *
 * Threads and ownership: a head decoder belongs to one upload and is used
 * by one thread; the decoded message belongs to the caller (rh_msg_free).
 * An upload (sender) is used by its sender thread, except
 * rh_snap_upload_cancel, which any thread may call. A receiver is guarded
 * by the transport lock.
 */
#ifndef RH_SNAPSHOT_H
#define RH_SNAPSHOT_H

#include <stdatomic.h>

#include "../stream/stream.h"

/*
 * Appends the head for a MsgSnap to out. Returns 0, RAFTHTTP_EINVAL (not
 * a MsgSnap), RAFTHTTP_ETOOBIG or RAFTHTTP_ENOMEM.
 */
int rh_snap_head_encode(const struct rafthttp_allocator *a,
                        const struct rafthttp_message *m, struct rh_buf *out);

struct rh_snap_head_decoder {
    struct rh_msg_decoder frame; /* the head is a message-stream frame */
    char reason[96];             /* etcd's 400 body for the last error */
};

void rh_snap_head_decoder_init(struct rh_snap_head_decoder *d,
                               const struct rafthttp_allocator *a,
                               size_t limit);
void rh_snap_head_decoder_close(struct rh_snap_head_decoder *d);

/*
 * As rh_msg_decoder_feed: on 0 with *out set, the head is complete and the
 * input after *used bytes is database. Errors: RAFTHTTP_ETOOBIG,
 * RAFTHTTP_EPROTO (not a Message, or not a MsgSnap), RAFTHTTP_ENOMEM; then
 * d->reason holds the body etcd answers with status 400.
 */
int rh_snap_head_decoder_feed(struct rh_snap_head_decoder *d, const uint8_t *p,
                              size_t n, size_t *used, struct rh_msg **out);

/* -------------------------------------------------------- database files */

/* etcd's name for a snapshot database: "%016x.snap.db" of its index. */
#define RH_SNAP_NAME_LEN 32
void rh_snap_db_name(uint64_t index, char out[RH_SNAP_NAME_LEN]);

/*
 * A database being received: written to a temporary file in the snapshot
 * directory, then synced and renamed to its final name, so that a crash or
 * a cut connection never leaves a file that looks complete.
 */
struct rh_snap_file {
    int fd; /* -1 when closed */
    char dir[1024];
    char tmp[1100]; /* <dir>/tmpXXXXXX */
    char err[160];  /* what failed, for the 500 answer and the log */
};

/* Creates dir if missing and a temporary file in it. 0 or RAFTHTTP_EIO. */
int rh_snap_file_open(struct rh_snap_file *f, const char *dir);
/* Writes all of p. 0 or RAFTHTTP_EIO (disk full, I/O error). */
int rh_snap_file_write(struct rh_snap_file *f, const uint8_t *p, size_t n);
/*
 * Makes the file final: fsync (if sync), close, rename to
 * <dir>/<name of index> unless that exists (then, as etcd, the temporary
 * is deleted and the existing file kept), fsync the directory. Sets
 * path. 0 or RAFTHTTP_EIO (the temporary is deleted).
 */
int rh_snap_file_commit(struct rh_snap_file *f, uint64_t index, bool sync,
                        char *path, size_t path_len);
/* Closes and deletes the temporary file. */
void rh_snap_file_discard(struct rh_snap_file *f);

/* -------------------------------------------------- the sender's rules */

/*
 * One snapshot being sent: the head, then the database read from the
 * application's source, and the clocks that decide a stall.
 */
struct rh_snap_upload {
    struct rafthttp_snapshot_source src; /* the application's */
    struct rh_buf head;                  /* BE64 length + MsgSnap */
    size_t head_off;                     /* head bytes handed over */
    uint64_t db_sent;                    /* database bytes handed over */
    bool db_done;                 /* all read, and the source's end seen */
    int fail;                     /* our own reason to fail, or 0 */
    const char *why;              /* its text (static) */
    atomic_bool cancel;           /* remove_peer or stop asked */
    unsigned progress_timeout_ms; /* no byte moved for this long: stalled */
    unsigned response_timeout_ms; /* no answer this long after the end */
    int64_t started_ms;
    int64_t last_move_ms; /* when bytes last moved */
    int64_t sent_all_ms;  /* when the last byte was handed over */
    uint64_t last_ul;     /* bytes the client had uploaded */
    uint64_t reported;    /* db bytes last told to progress() */
    char answer[128];     /* the start of the receiver's answer */
    size_t answer_len;
};

/*
 * Encodes the head of m (a MsgSnap; copied) for a database from src.
 * Returns 0, RAFTHTTP_EINVAL or RAFTHTTP_ENOMEM (then nothing to close).
 */
int rh_snap_upload_init(struct rh_snap_upload *u,
                        const struct rafthttp_allocator *a,
                        const struct rafthttp_config *cfg,
                        const struct rafthttp_message *m,
                        const struct rafthttp_snapshot_source *src,
                        int64_t now_ms);
void rh_snap_upload_close(struct rh_snap_upload *u);

/* Asks the upload to give up at its next read or progress call. */
void rh_snap_upload_cancel(struct rh_snap_upload *u);

/* rh_snap_upload_read's answer when the upload must be aborted. */
#define RH_SNAP_UPLOAD_ABORT SIZE_MAX

/*
 * The next bytes of the body into buf (at most max): the head, then the
 * database from the source. Returns the count, 0 at the end of the body,
 * or RH_SNAP_UPLOAD_ABORT (cancelled, the source failed, or it was shorter
 * or longer than its declared size: the body must end without its final
 * chunk, so the receiver never takes it as complete).
 */
size_t rh_snap_upload_read(struct rh_snap_upload *u, uint8_t *buf, size_t max,
                           int64_t now_ms);

/*
 * The client's progress: uploaded bytes so far. Returns false to abort:
 * cancelled, no byte moved for progress_timeout_ms before the end, or no
 * answer response_timeout_ms after it. Calls the source's progress().
 */
bool rh_snap_upload_progress(struct rh_snap_upload *u, uint64_t uploaded,
                             int64_t now_ms);

/* Keeps the start of the receiver's answer, for the failure's text. */
void rh_snap_upload_answer(struct rh_snap_upload *u, const char *p, size_t n);

/* How the POST ended, as the sender's client saw it. */
struct rh_snap_end {
    bool transfer_ok;  /* libcurl finished it without error */
    bool timed_out;    /* libcurl's own timeout (the connect) */
    const char *error; /* libcurl's text when not ok */
    long status;       /* the HTTP status, 0 if none came */
};

/* What the end means: 0 (204) or why it failed, with *why. */
int rh_snap_upload_result(struct rh_snap_upload *u,
                          const struct rh_snap_end *end, const char **why);

/* ------------------------------------------------ the receiver's rules */

/*
 * One upload being received: the network side feeds body bytes into a
 * bounded buffer; the writer thread swaps it out and writes it. Guarded by
 * the transport lock.
 */
struct rh_snap_receiver {
    struct rh_snap_head_decoder head;
    struct rh_msg *msg;    /* the MsgSnap once decoded */
    struct rh_buf pending; /* database bytes for the writer */
    struct rh_buf writing; /* the writer's, used outside the lock */
    uint64_t db_bytes;     /* database bytes taken */
    uint64_t max_db_bytes; /* 0: no limit */
    bool body_done;        /* the upload ended cleanly */
    bool detached;         /* the connection went away first */
    bool failed;           /* saving failed (reason) */
    bool want_room;        /* the connection is parked for room */
    bool writer_done;      /* the writer has given its result */
    char reason[200];      /* why saving failed: etcd's 500 body */
};

/* Bytes the network may run ahead of the disk. */
#define RH_SNAP_RECV_BUFFER_BYTES (4u * 1024 * 1024)

void rh_snap_receiver_init(struct rh_snap_receiver *r,
                           const struct rafthttp_allocator *a,
                           const struct rafthttp_config *cfg);
void rh_snap_receiver_close(struct rh_snap_receiver *r);

/*
 * Body bytes p[0..n). Returns false with *v to refuse the upload: 400 (a
 * bad head or not a MsgSnap), 413 (over max_snapshot_bytes), 500 (saving
 * failed). On true, *used bytes were taken: fewer than n means the writer
 * is behind (park the connection until the writer makes room); *head_done
 * says the head just completed (start the writer).
 */
bool rh_snap_receiver_feed(struct rh_snap_receiver *r, const uint8_t *p,
                           size_t n, size_t *used, bool *head_done,
                           struct rh_verdict *v);

/*
 * The body ended. Returns false with *v to answer at once (400: it ended
 * inside the head; 500: saving failed already); true: park the connection
 * until the writer's result.
 */
bool rh_snap_receiver_finish(struct rh_snap_receiver *r, struct rh_verdict *v);

/* The connection went away; a body cut short is not kept. */
void rh_snap_receiver_detach(struct rh_snap_receiver *r);

/* What the writer does next. */
enum rh_snap_step {
    RH_SNAP_STEP_WAIT,  /* nothing to write yet: wait for the network */
    RH_SNAP_STEP_WRITE, /* write r->writing, outside the lock */
    RH_SNAP_STEP_END    /* the body is over, or cut, or saving failed */
};

/*
 * The writer's next step; on RH_SNAP_STEP_WRITE the pending bytes have
 * become r->writing, and *resume says the parked connection may go on.
 */
enum rh_snap_step rh_snap_receiver_next(struct rh_snap_receiver *r,
                                        bool *resume);

/* Saving failed (why: the file's error). True: resume the connection. */
bool rh_snap_receiver_failed(struct rh_snap_receiver *r, const char *why);

/* True when the writer should commit the file: complete and not failed. */
bool rh_snap_receiver_complete(const struct rh_snap_receiver *r);

/*
 * The answer to the upload once the writer is done and the raft core has
 * had the snapshot (result: process_snapshot()'s, or RAFTHTTP_ESTOPPED):
 * 204, 403 (removed) and 503 (stopped) as a POST /raft's; any other error
 * 500 with etcd's "failed to save KV snapshot (...)" when saving failed,
 * else "failed to process raft message (...)", written into text.
 */
void rh_snap_receiver_answer(const struct rh_snap_receiver *r, int result,
                             char *text, size_t len, struct rh_verdict *v);

#endif /* RH_SNAPSHOT_H */
