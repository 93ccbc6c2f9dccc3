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

#endif /* RH_SNAPSHOT_H */
