/*
 * pipeline: the body of a POST /raft, which is one raw Message (no length
 * prefix) sized by Content-Length.
 *
 * etcd reads pipeline bodies with no total limit (only 64 KiB per read); we
 * cap the body at the configured message limit and refuse to store more.
 *
 * Threads and ownership: one body per request, used by one thread; the
 * decoded message belongs to the caller (rh_msg_free).
 */
#ifndef RH_PIPELINE_H
#define RH_PIPELINE_H

#include "../raftpb/raftpb.h"

struct rh_pipeline_body {
    struct rh_buf bytes; /* the body so far, capped at the limit */
};

void rh_pipeline_body_init(struct rh_pipeline_body *b,
                           const struct rafthttp_allocator *a, size_t limit);
void rh_pipeline_body_close(struct rh_pipeline_body *b);

/* Adds body bytes. Returns 0, RAFTHTTP_ETOOBIG or RAFTHTTP_ENOMEM. */
int rh_pipeline_body_feed(struct rh_pipeline_body *b, const uint8_t *p,
                          size_t n);

/*
 * Decodes the whole body. Returns 0, RAFTHTTP_EPROTO (etcd answers 400
 * "error unmarshalling raft message") or RAFTHTTP_ENOMEM.
 */
int rh_pipeline_body_finish(struct rh_pipeline_body *b, struct rh_msg **out);

/* The request body for m: its encoding, appended to out. */
int rh_pipeline_body_encode(const struct rafthttp_allocator *a,
                            const struct rafthttp_message *m,
                            struct rh_buf *out);

#endif /* RH_PIPELINE_H */
