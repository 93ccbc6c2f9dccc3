/*
 * snapshot: the head of a /raft/snapshot upload.
 *
 * etcd's body is BE64 length + Message (MsgSnap) followed by the database
 * bytes up to the end of the body; the database has no length of its own.
 * The head decoder takes bytes until the message is complete and says how
 * many it used, so the caller streams the rest to disk.
 *
 * Threads and ownership: one decoder per upload, used by one thread; the
 * decoded message belongs to the caller (rh_msg_free).
 */
#ifndef RH_SNAPSHOT_H
#define RH_SNAPSHOT_H

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
int rh_snap_head_decoder_feed(struct rh_snap_head_decoder *d,
                              const uint8_t *p, size_t n, size_t *used,
                              struct rh_msg **out);

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
    int fd;               /* -1 when closed */
    char dir[1024];
    char tmp[1100];       /* <dir>/tmpXXXXXX */
    char err[160];        /* what failed, for the 500 answer and the log */
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

#endif /* RH_SNAPSHOT_H */
