// SPDX-License-Identifier: Apache-2.0
/*
 * Delivery threads: the only threads that call process() and the report
 * callbacks. What they run, and in what order, is the inbox's
 * (peer/mailbox.c); this file is the threads.
 *
 * A thread takes the next ready mailbox of its pool, takes up to
 * DELIVER_BATCH events from it, and runs them in order with the lock
 * released; then it finishes them under the lock (a POST waiting for one
 * gets its result) and gives the mailbox back. Taking a batch costs one
 * lock round trip instead of one per message, which is most of the cost
 * of a small message. Two threads serve the "recv" pool, one the "prop"
 * pool (MsgProp), so a raft core blocked on a proposal stalls nothing
 * else.
 *
 * Failure modes:
 * 1. a peer removed while its mailbox is busy: a reference keeps the peer
 *    alive until the batch returns; its other events were freed
 *    unprocessed by the removal;
 * 2. stop: threads finish the batch in progress, deliver the reports still
 *    queued (one per snapshot, as promised) and exit; messages left are
 *    freed by the transport.
 */
#include "transport.h"

/* Events one thread takes from a mailbox at a time. */
#define DELIVER_BATCH 128

/* Runs one event's callback; t->mu is not held. */
static void run_event(struct rafthttp_transport *t, struct rh_event *ev)
{
    const struct rafthttp_raft_ops *ops = t->cfg.raft_ops;
    void *ud = t->cfg.raft_user_data;
    int rv = 0;
    rh_in_callback = t;
    switch (ev->kind) {
    case RH_EV_MESSAGE:
        if (ev->text != NULL && ops != NULL && ops->process_snapshot != NULL) {
            rv = ops->process_snapshot(t, &ev->msg->m, ev->text, ud);
        } else if (ops != NULL && ops->process != NULL) {
            rv = ops->process(t, &ev->msg->m, ud);
        }
        ev->status = rv;
        break;
    case RH_EV_SNAP_DONE:
        if (ev->done != NULL) {
            ev->done(ev->status, ev->done_ud);
        }
        break;
    case RH_EV_UNREACHABLE:
        if (ops != NULL && ops->report_unreachable != NULL) {
            ops->report_unreachable(t, ev->id, ud);
        }
        break;
    case RH_EV_SNAPSHOT:
        if (ops != NULL && ops->report_snapshot != NULL) {
            ops->report_snapshot(t, ev->id,
                                 (enum rafthttp_snapshot_status)ev->status, ud);
        }
        break;
    case RH_EV_CRITICAL:
        if (ops != NULL && ops->critical_error != NULL) {
            ops->critical_error(t, ev->status, ev->detail, ud);
        }
        break;
    case RH_EV_PEER_STATUS:
        if (ops != NULL && ops->peer_status_changed != NULL) {
            ops->peer_status_changed(t, ev->id, ev->status != 0, ev->text, ud);
        }
        break;
    }
    rh_in_callback = NULL;
}

/* Runs a batch with t->mu released, then finishes it under the lock. */
static void run_batch(struct rafthttp_transport *t, struct rh_event *batch)
{
    rh_mutex_unlock(&t->mu);
    for (struct rh_event *ev = batch; ev != NULL; ev = ev->next) {
        run_event(t, ev);
    }
    rh_mutex_lock(&t->mu);
    for (struct rh_event *ev = batch; ev != NULL; ev = ev->next) {
        if (ev->kind == RH_EV_UNREACHABLE) {
            rh_peer_unreachable_reported(&t->peers, ev->id);
        }
    }
    rh_inbox_finish(&t->inbox, batch);
}

static void *worker_main(void *arg)
{
    struct rh_worker *w = arg;
    struct rafthttp_transport *t = w->t;
    rh_thread_name(t->local.id, "dlv");
    rh_mutex_lock(&t->mu);
    for (;;) {
        struct rh_mailbox *mb = rh_inbox_next(&t->inbox, w->pool);
        if (mb == NULL) {
            if (t->inbox.stopping) {
                break;
            }
            rh_inbox_wait(&t->inbox, w->pool);
            continue;
        }
        struct rh_peer *p = mb->peer;
        if (p != NULL) {
            rh_peer_ref(p);
        }
        run_batch(t, rh_inbox_take(mb, DELIVER_BATCH));
        rh_inbox_release(&t->inbox, mb);
        if (p != NULL) {
            rh_peer_unref(&t->peers, p);
        }
    }
    rh_mutex_unlock(&t->mu);
    return NULL;
}

int rh_deliver_start(struct rafthttp_transport *t)
{
    size_t n = RH_RECV_THREADS + 1;
    for (size_t i = 0; i < n; i++) {
        struct rh_worker *w = &t->workers[i];
        w->t = t;
        w->pool = i < RH_RECV_THREADS ? RH_POOL_RECV : RH_POOL_PROP;
        if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
            return RAFTHTTP_ENOMEM;
        }
        t->n_workers++;
    }
    return 0;
}

void rh_deliver_stop(struct rafthttp_transport *t)
{
    rh_mutex_lock(&t->mu);
    rh_inbox_stop(&t->inbox);
    rh_mutex_unlock(&t->mu);
    for (size_t i = 0; i < t->n_workers; i++) {
        pthread_join(t->workers[i].thread, NULL);
    }
    t->n_workers = 0;
}
