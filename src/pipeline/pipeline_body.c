// SPDX-License-Identifier: Apache-2.0
/*
 * Pipeline request bodies. The sender writes one Message with
 * Content-Length; the receiver gathers it under a cap and decodes it once
 * complete. Failure modes: a body over the cap (RAFTHTTP_ETOOBIG, answered
 * 413 by the server) and a body that is not a Message (RAFTHTTP_EPROTO,
 * answered 400 as etcd does).
 */
#include "pipeline.h"

void rh_pipeline_body_init(struct rh_pipeline_body *b,
                           const struct rafthttp_allocator *a, size_t limit)
{
    rh_buf_init(&b->bytes, a, limit);
}

void rh_pipeline_body_close(struct rh_pipeline_body *b)
{
    rh_buf_close(&b->bytes);
}

int rh_pipeline_body_feed(struct rh_pipeline_body *b, const uint8_t *p,
                          size_t n)
{
    return rh_buf_append(&b->bytes, p, n);
}

int rh_pipeline_body_finish(struct rh_pipeline_body *b, struct rh_msg **out)
{
    return rh_raftpb_message_decode(b->bytes.alloc, b->bytes.data, b->bytes.len,
                                    out);
}

int rh_pipeline_body_encode(const struct rafthttp_allocator *a,
                            const struct rafthttp_message *m,
                            struct rh_buf *out)
{
    return rh_raftpb_message_append(a, m, out);
}
