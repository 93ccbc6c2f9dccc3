// SPDX-License-Identifier: Apache-2.0
/*
 * Pipeline send queue: messages that go by POST /raft because no stream is
 * up (or because they are MsgSnap, or the target is a remote).
 *
 * Each job holds its encoded body, so a POST needs no work under the lock
 * and the byte budget counts exactly what is held. Failure modes: a full
 * queue by count (RAFTHTTP_EFULL) or by bytes (RAFTHTTP_ETOOBIG) refuses
 * the job and changes nothing; what a POST's answer means is the pipeline
 * driver's (pipeline_driver.c).
 */
#include <string.h>

#include "pipeline.h"

void rh_pipeline_init(struct rh_pipeline *p)
{
    memset(p, 0, sizeof(*p));
}

int rh_pipeline_push(struct rh_pipeline *p, const struct rafthttp_allocator *a,
                     const struct rafthttp_message *m, unsigned max_queued,
                     size_t room, size_t *added)
{
    if (p->queued >= max_queued) {
        return RAFTHTTP_EFULL;
    }
    size_t len = rh_raftpb_message_size(m);
    if (len > room) {
        return RAFTHTTP_ETOOBIG;
    }
    struct rh_pipe_job *j = rh_malloc(a, sizeof(*j) + len);
    if (j == NULL) {
        return RAFTHTTP_ENOMEM;
    }
    struct rh_buf b = {rh_pipe_job_body(j), 0, len, len, NULL};
    if (rh_raftpb_message_append(a, m, &b) != 0 || b.len != len) {
        rh_free(a, j);
        return RAFTHTTP_ENOMEM;
    }
    j->next = NULL;
    j->type = m->type;
    j->to = m->to;
    j->len = len;
    if (p->tail != NULL) {
        p->tail->next = j;
    } else {
        p->head = j;
    }
    p->tail = j;
    p->queued++;
    p->bytes += len;
    *added = len;
    return 0;
}

struct rh_pipe_job *rh_pipeline_take(struct rh_pipeline *p,
                                     unsigned max_inflight)
{
    struct rh_pipe_job *j = p->head;
    if (j == NULL || p->inflight >= max_inflight) {
        return NULL;
    }
    p->head = j->next;
    if (p->head == NULL) {
        p->tail = NULL;
    }
    j->next = NULL;
    p->queued--;
    p->inflight++;
    return j;
}

size_t rh_pipeline_done(struct rh_pipeline *p,
                        const struct rafthttp_allocator *a,
                        struct rh_pipe_job *j)
{
    size_t len = j->len;
    p->inflight--;
    p->bytes -= len;
    rh_free(a, j);
    return len;
}

size_t rh_pipeline_clear(struct rh_pipeline *p,
                         const struct rafthttp_allocator *a,
                         void (*drop)(const struct rh_pipe_job *j, void *ud),
                         void *ud)
{
    size_t bytes = 0;
    while (p->head != NULL) {
        struct rh_pipe_job *j = p->head;
        p->head = j->next;
        if (drop != NULL) {
            drop(j, ud);
        }
        bytes += j->len;
        p->bytes -= j->len;
        rh_free(a, j);
    }
    p->tail = NULL;
    p->queued = 0;
    return bytes;
}
