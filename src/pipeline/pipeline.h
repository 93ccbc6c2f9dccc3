/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pipeline: POST /raft, everything but the sockets: the body (one raw
 * Message, no length prefix, sized by Content-Length; pipeline_body.c), a
 * peer's queue of messages to POST (pipeline.c), and the pipeline driver:
 * what a POST's answer means to the sender and what the receiver answers
 * (pipeline_driver.c).
 *
 * etcd reads pipeline bodies with no total limit (only 64 KiB per read); we
 * cap the body at the configured message limit and refuse to store more.
 *
 * Threads and ownership: one body per request, used by one thread; the
 * decoded message belongs to the caller (rh_msg_free). A peer's queue is
 * guarded by the transport lock.
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

/* ---------------------------------------------------------- send queue */

/* One message waiting to be POSTed, with its encoded body. */
struct rh_pipe_job {
    struct rh_pipe_job *next;
    int32_t type; /* the message's type (MsgSnap gets a report) */
    uint64_t to;
    size_t len; /* body bytes, stored right after the struct */
};

static inline uint8_t *rh_pipe_job_body(struct rh_pipe_job *j)
{
    return (uint8_t *)(j + 1);
}

/*
 * A peer's pipeline: a FIFO of jobs served by up to pipeline_conns
 * concurrent POSTs (etcd: 64 queued, 4 in flight). Guarded by the
 * transport lock.
 */
struct rh_pipeline {
    struct rh_pipe_job *head;
    struct rh_pipe_job *tail;
    unsigned queued;   /* jobs in the FIFO */
    unsigned inflight; /* POSTs under way */
    size_t bytes;      /* body bytes in the FIFO and in flight */
};

void rh_pipeline_init(struct rh_pipeline *p);

/*
 * Encodes m into a new job at the tail, if the queue has room for one more
 * message and room bytes suffice. Returns 0 with *added, RAFTHTTP_EFULL
 * (queue full by count), RAFTHTTP_ETOOBIG (bytes) or RAFTHTTP_ENOMEM.
 */
int rh_pipeline_push(struct rh_pipeline *p, const struct rafthttp_allocator *a,
                     const struct rafthttp_message *m, unsigned max_queued,
                     size_t room, size_t *added);

/* Takes the head job for a POST (counted in flight), or NULL. */
struct rh_pipe_job *rh_pipeline_take(struct rh_pipeline *p,
                                     unsigned max_inflight);

/* A POST ended: frees the job; returns its body size. */
size_t rh_pipeline_done(struct rh_pipeline *p,
                        const struct rafthttp_allocator *a,
                        struct rh_pipe_job *j);

/* Frees every queued job, calling drop() on each first. Returns bytes. */
size_t rh_pipeline_clear(struct rh_pipeline *p,
                         const struct rafthttp_allocator *a,
                         void (*drop)(const struct rh_pipe_job *j, void *ud),
                         void *ud);

/* ------------------------------------------------------ pipeline driver */

/*
 * What a POST means (pipeline_driver.c), on both sides; no I/O, no lock
 * needed.
 */

/* How a POST /raft ended, as the sender's client saw it. */
struct rh_post_end {
    bool transfer_ok;  /* libcurl finished it without error */
    const char *error; /* libcurl's text when not ok */
    long status;       /* the HTTP status, 0 if none came */
    const char *body;  /* the start of the answer's body, or "" */
};

/* What it means for the sender. */
struct rh_post_outcome {
    bool delivered; /* 204: the peer processed the message */
    bool removed;   /* 403: the peer says we were removed */
    char why[320];  /* when not delivered: the peer's inactive reason */
};

void rh_pipeline_outcome(const struct rh_post_end *end,
                         struct rh_post_outcome *out);

/*
 * The receiver's answer to a POST whose message was handed to the raft
 * core: result is what process() returned (RAFTHTTP_ESTOPPED when the
 * transport stopped first).
 */
void rh_pipeline_answer(int result, struct rh_verdict *v);

/*
 * The receiver's answer to a body that cannot be handed over: too large
 * (RAFTHTTP_ETOOBIG), not a Message (RAFTHTTP_EPROTO), or no room to queue
 * it (RAFTHTTP_EFULL: stopping, or process() behind). Returns false.
 */
bool rh_pipeline_refuse(int why, struct rh_verdict *v);

#endif /* RH_PIPELINE_H */
