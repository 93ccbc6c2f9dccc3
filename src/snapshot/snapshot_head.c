// SPDX-License-Identifier: Apache-2.0
/*
 * The head of a snapshot upload: a message-stream frame that must hold a
 * MsgSnap. Failure modes, with the 400 bodies etcd's snapshot handler
 * writes:
 * 1. declared length over the limit:
 *    "failed to decode raft message (rafthttp: error limit exceeded)";
 * 2. bytes that are not a Message:
 *    "failed to decode raft message (malformed data from a peer)";
 * 3. a Message of another type: "wrong raft message type".
 * A body that ends inside the head is the caller's to notice (no message).
 */
#include <stdio.h>

#include "snapshot.h"

int rh_snap_head_encode(const struct rafthttp_allocator *a,
                        const struct rafthttp_message *m, struct rh_buf *out)
{
    if (m->type != RAFTHTTP_MSG_SNAP) {
        return RAFTHTTP_EINVAL;
    }
    return rh_msg_frame_encode(a, m, out);
}

void rh_snap_head_decoder_init(struct rh_snap_head_decoder *d,
                               const struct rafthttp_allocator *a, size_t limit)
{
    rh_msg_decoder_init(&d->frame, a, limit);
    d->reason[0] = '\0';
}

void rh_snap_head_decoder_close(struct rh_snap_head_decoder *d)
{
    rh_msg_decoder_close(&d->frame);
}

int rh_snap_head_decoder_feed(struct rh_snap_head_decoder *d, const uint8_t *p,
                              size_t n, size_t *used, struct rh_msg **out)
{
    int rv = rh_msg_decoder_feed(&d->frame, p, n, used, out);
    if (rv == RAFTHTTP_ETOOBIG) {
        snprintf(d->reason, sizeof(d->reason), "%s",
                 "failed to decode raft message "
                 "(rafthttp: error limit exceeded)");
        return rv;
    }
    if (rv != 0) {
        snprintf(d->reason, sizeof(d->reason),
                 "failed to decode raft message (%s)", rafthttp_strerror(rv));
        return rv;
    }
    if (*out != NULL && (*out)->m.type != RAFTHTTP_MSG_SNAP) {
        rh_msg_free(*out);
        *out = NULL;
        snprintf(d->reason, sizeof(d->reason), "%s", "wrong raft message type");
        return RAFTHTTP_EPROTO;
    }
    return 0;
}
