// SPDX-License-Identifier: Apache-2.0
/*
 * The pipeline's status mapping, both ways, as etcd's pipeline.go and
 * pipelineHandler (http.go) have it.
 *
 * Sender: only 204 means delivered (the receiver ran process() and it
 * returned nil). Anything else, or a transport error, means the peer
 * failed: it goes inactive, the URL picker moves on, the raft core hears
 * report_unreachable, and a MsgSnap also report_snapshot FAILURE (the peer
 * driver does that). 403 is etcd's "cannot process message from removed
 * member": the critical error as well.
 *
 * Receiver: 204 after process() returns 0; 403 with etcd's JSON when it
 * says the sender was removed; 500 and a closed connection for any other
 * error (etcd's handler panics there: the connection is dropped); 503 and a
 * closed connection when the transport stopped first. Refused bodies: 413
 * past max_msg_bytes, 400 "error unmarshalling raft message" for a body
 * that is not a Message, 503 "raft message queue full" when the message
 * cannot be queued for process().
 */
#include <stdio.h>
#include <string.h>

#include "pipeline.h"

void rh_pipeline_outcome(const struct rh_post_end *end,
                         struct rh_post_outcome *out)
{
    out->delivered = end->transfer_ok && end->status == 204;
    out->removed = end->transfer_ok && end->status == 403;
    out->why[0] = '\0';
    if (out->delivered) {
        return;
    }
    if (!end->transfer_ok) {
        snprintf(out->why, sizeof(out->why), "post: %s", end->error);
        return;
    }
    snprintf(out->why, sizeof(out->why), "post: status %ld %s", end->status,
             end->body);
    out->why[strcspn(out->why, "\n")] = '\0';
}

void rh_pipeline_answer(int result, struct rh_verdict *v)
{
    switch (result) {
    case 0:
        *v = (struct rh_verdict){.status = 204, .body = ""};
        return;
    case RAFTHTTP_EREMOVED:
        *v = (struct rh_verdict){
            .status = 403,
            .body = "{\"message\":\"cannot process message from removed "
                    "member\"}",
            .json = true};
        return;
    case RAFTHTTP_ESTOPPED:
        rh_refuse(v, 503, "transport stopped");
        break;
    default:
        rh_refuse(v, 500, "error processing raft message");
        break;
    }
    v->close = true;
}

bool rh_pipeline_refuse(int why, struct rh_verdict *v)
{
    switch (why) {
    case RAFTHTTP_ETOOBIG:
        return rh_refuse(v, 413, "raft message too large");
    case RAFTHTTP_EPROTO:
        return rh_refuse(v, 400, "error unmarshalling raft message");
    default:
        return rh_refuse(v, 503, "raft message queue full");
    }
}
