/*
 * Delivery threads: the only threads that call process() and the report
 * callbacks (see deliver.h for the model).
 *
 * A thread takes the first mailbox on its pool's ready list, marks it busy,
 * takes up to RH_DELIVER_BATCH events, and runs them in order with the lock
 * released; then the mailbox goes back to the tail of the ready list if it
 * has more, so peers take turns. Taking a batch costs one lock round trip
 * instead of one per message, which is most of the cost of a small message.
 * Event structs are recycled through a small free list (t->mu), so a
 * steady stream allocates none. Failure modes:
 * 1. a mailbox over its byte limit: the message is dropped and counted as
 *    RAFTHTTP_DROP_RECV_FULL (etcd drops too, with a warning); a POST
 *    waiting for it is answered 503 by the caller;
 * 2. a peer removed while it has events: they are freed unprocessed; a
 *    busy mailbox keeps its peer alive through a reference until the event
 *    in progress returns;
 * 3. stop: threads finish the batch in progress and exit; what is left is
 *    freed by the transport.
 */
#include <string.h>

#include "transport.h"

/* Events one thread takes from a mailbox at a time. */
#define RH_DELIVER_BATCH 128
/* Spare event structs kept for reuse. */
#define RH_EVENT_CACHE 1024

void rh_mailbox_init(struct rh_mailbox *mb, enum rh_pool pool, size_t limit,
                     struct rh_peer *peer)
{
    memset(mb, 0, sizeof(*mb));
    mb->pool = pool;
    mb->limit = limit;
    mb->peer = peer;
}

static void ready_push(struct rafthttp_transport *t, struct rh_mailbox *mb)
{
    if (mb->ready || mb->busy || mb->head == NULL) {
        return;
    }
    mb->ready = true;
    mb->next_ready = NULL;
    if (t->ready_tail[mb->pool] != NULL) {
        t->ready_tail[mb->pool]->next_ready = mb;
    } else {
        t->ready_head[mb->pool] = mb;
    }
    t->ready_tail[mb->pool] = mb;
    pthread_cond_signal(&t->work_cv[mb->pool]);
}

static struct rh_mailbox *ready_pop(struct rafthttp_transport *t,
                                    enum rh_pool pool)
{
    struct rh_mailbox *mb = t->ready_head[pool];
    if (mb != NULL) {
        t->ready_head[pool] = mb->next_ready;
        if (t->ready_head[pool] == NULL) {
            t->ready_tail[pool] = NULL;
        }
        mb->ready = false;
        mb->next_ready = NULL;
    }
    return mb;
}

static void ready_unlink(struct rafthttp_transport *t, struct rh_mailbox *mb)
{
    struct rh_mailbox **pp = &t->ready_head[mb->pool];
    struct rh_mailbox *prev = NULL;
    while (*pp != NULL && *pp != mb) {
        prev = *pp;
        pp = &(*pp)->next_ready;
    }
    if (*pp == mb) {
        *pp = mb->next_ready;
        if (t->ready_tail[mb->pool] == mb) {
            t->ready_tail[mb->pool] = prev;
        }
    }
    mb->ready = false;
    mb->next_ready = NULL;
}

/* A zeroed event, from the free list when it has one (t->mu). */
static struct rh_event *event_new(struct rafthttp_transport *t)
{
    struct rh_event *ev = t->spare_events;
    if (ev == NULL) {
        return rh_calloc(t->alloc, 1, sizeof(*ev));
    }
    t->spare_events = ev->next;
    t->n_spare_events--;
    memset(ev, 0, sizeof(*ev));
    return ev;
}

/* Back to the free list, or to the allocator past RH_EVENT_CACHE (t->mu). */
static void event_put(struct rafthttp_transport *t, struct rh_event *ev)
{
    if (t->n_spare_events >= RH_EVENT_CACHE) {
        rh_free(t->alloc, ev);
        return;
    }
    ev->next = t->spare_events;
    t->spare_events = ev;
    t->n_spare_events++;
}

void rh_deliver_free_spares(struct rafthttp_transport *t)
{
    while (t->spare_events != NULL) {
        struct rh_event *ev = t->spare_events;
        t->spare_events = ev->next;
        rh_free(t->alloc, ev);
    }
    t->n_spare_events = 0;
}

static void event_free(struct rafthttp_transport *t, struct rh_event *ev)
{
    rh_msg_free(ev->msg);
    rh_free(t->alloc, ev->path);
    if (ev->reply != NULL) {
        rh_io_reply_ready(t, ev->reply, RAFTHTTP_ESTOPPED);
    }
    event_put(t, ev);
}

void rh_mailbox_clear(struct rafthttp_transport *t, struct rh_mailbox *mb)
{
    ready_unlink(t, mb);
    while (mb->head != NULL) {
        struct rh_event *ev = mb->head;
        mb->head = ev->next;
        event_free(t, ev);
    }
    mb->tail = NULL;
    mb->urgent_tail = NULL;
    mb->bytes = 0;
}

/* Messages that overtake queued bulk ones (see deliver.h). */
static bool is_urgent(const struct rh_event *ev)
{
    if (ev->kind != RH_EV_MESSAGE || ev->msg == NULL) {
        return false;
    }
    int32_t type = ev->msg->m.type;
    return type != RAFTHTTP_MSG_APP && type != RAFTHTTP_MSG_PROP &&
           type != RAFTHTTP_MSG_SNAP;
}

/* Inserts ev after the urgent events at the front of mb. */
static void post_urgent(struct rh_mailbox *mb, struct rh_event *ev)
{
    struct rh_event *after = mb->urgent_tail;
    ev->next = after != NULL ? after->next : mb->head;
    if (after != NULL) {
        after->next = ev;
    } else {
        mb->head = ev;
    }
    if (mb->tail == after) {
        mb->tail = ev;
    }
    mb->urgent_tail = ev;
}

void rh_deliver_post(struct rafthttp_transport *t, struct rh_mailbox *mb,
                     struct rh_event *ev)
{
    if (is_urgent(ev)) {
        post_urgent(mb, ev);
    } else {
        ev->next = NULL;
        if (mb->tail != NULL) {
            mb->tail->next = ev;
        } else {
            mb->head = ev;
        }
        mb->tail = ev;
    }
    mb->bytes += ev->bytes;
    ready_push(t, mb);
}

void rh_deliver_report(struct rafthttp_transport *t, enum rh_event_kind kind,
                       uint64_t id, int status, const char *detail)
{
    struct rh_event *ev = event_new(t);
    if (ev == NULL) {
        return; /* out of memory: the report is lost, raft retries anyway */
    }
    ev->kind = kind;
    ev->id = id;
    ev->status = status;
    ev->detail = detail;
    rh_deliver_post(t, &t->control, ev);
}

bool rh_deliver_message(struct rafthttp_transport *t, struct rh_mailbox *recvq,
                        struct rh_mailbox *propq, struct rh_msg *msg,
                        size_t bytes, struct rh_reply *reply)
{
    struct rh_mailbox *mb = msg->m.type == RAFTHTTP_MSG_PROP ? propq : recvq;
    struct rh_event *ev = NULL;
    if (mb->bytes + bytes <= mb->limit) {
        ev = event_new(t);
    }
    if (ev == NULL) {
        rh_msg_free(msg);
        return false;
    }
    ev->kind = RH_EV_MESSAGE;
    ev->msg = msg;
    ev->bytes = bytes;
    ev->reply = reply;
    rh_deliver_post(t, mb, ev);
    return true;
}

/* Runs one event's callback; t->mu is not held. */
static void run_event(struct rafthttp_transport *t, struct rh_event *ev)
{
    const struct rafthttp_raft_ops *ops = t->cfg.raft_ops;
    void *ud = t->cfg.raft_user_data;
    int rv = 0;
    rh_in_callback = t;
    switch (ev->kind) {
    case RH_EV_MESSAGE:
        if (ev->path != NULL && ops != NULL && ops->process_snapshot != NULL) {
            rv = ops->process_snapshot(t, &ev->msg->m, ev->path, ud);
        } else if (ops != NULL && ops->process != NULL) {
            rv = ops->process(t, &ev->msg->m, ud);
        }
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
                                 (enum rafthttp_snapshot_status)ev->status,
                                 ud);
        }
        break;
    case RH_EV_CRITICAL:
        if (ops != NULL && ops->critical_error != NULL) {
            ops->critical_error(t, ev->status, ev->detail, ud);
        }
        break;
    }
    rh_in_callback = NULL;
    if (ev->kind == RH_EV_MESSAGE) {
        ev->status = rv;
    }
}

/* After an event ran (t->mu held): answer its POST, free it. */
static void finish_event(struct rafthttp_transport *t, struct rh_mailbox *mb,
                         struct rh_event *ev)
{
    if (ev->kind == RH_EV_UNREACHABLE && mb == &t->control) {
        struct rh_peer *p = rh_find_peer(t, ev->id);
        if (p != NULL) {
            p->unreachable_pending = false;
        }
    }
    if (ev->reply != NULL) {
        rh_io_reply_ready(t, ev->reply, ev->status);
        ev->reply = NULL;
    }
    rh_msg_free(ev->msg);
    ev->msg = NULL;
    rh_free(t->alloc, ev->path);
    event_put(t, ev);
}

/*
 * The next mailbox to serve. Once stopping, only reports still go out (one
 * per snapshot, as promised); messages are dropped with the transport.
 */
static struct rh_mailbox *next_mailbox(struct rafthttp_transport *t,
                                       enum rh_pool pool)
{
    if (!t->workers_stop) {
        return ready_pop(t, pool);
    }
    struct rh_mailbox *mb = &t->control;
    if (pool != RH_POOL_RECV || mb->head == NULL || mb->busy) {
        return NULL;
    }
    ready_unlink(t, mb);
    return mb;
}

/* Detaches up to RH_DELIVER_BATCH events from mb's head (t->mu). */
static struct rh_event *take_batch(struct rh_mailbox *mb)
{
    struct rh_event *first = mb->head;
    struct rh_event *last = first;
    for (int n = 1;; n++) {
        mb->bytes -= last->bytes;
        if (last == mb->urgent_tail) {
            mb->urgent_tail = NULL; /* no urgent event left at the front */
        }
        if (n == RH_DELIVER_BATCH || last->next == NULL) {
            break;
        }
        last = last->next;
    }
    mb->head = last->next;
    if (mb->head == NULL) {
        mb->tail = NULL;
    }
    last->next = NULL;
    return first;
}

/* Runs a batch with t->mu released, then finishes it under the lock. */
static void run_batch(struct rafthttp_transport *t, struct rh_mailbox *mb,
                      struct rh_event *batch)
{
    pthread_mutex_unlock(&t->mu);
    for (struct rh_event *ev = batch; ev != NULL; ev = ev->next) {
        run_event(t, ev);
    }
    pthread_mutex_lock(&t->mu);
    while (batch != NULL) {
        struct rh_event *ev = batch;
        batch = ev->next;
        finish_event(t, mb, ev);
    }
}

static void *worker_main(void *arg)
{
    struct rafthttp_transport *t = ((struct rh_worker *)arg)->t;
    enum rh_pool pool = ((struct rh_worker *)arg)->pool;
    rh_thread_name(t, "dlv");
    pthread_mutex_lock(&t->mu);
    for (;;) {
        struct rh_mailbox *mb = next_mailbox(t, pool);
        if (mb == NULL) {
            if (t->workers_stop) {
                break;
            }
            pthread_cond_wait(&t->work_cv[pool], &t->mu);
            continue;
        }
        struct rh_event *batch = take_batch(mb);
        mb->busy = true;
        struct rh_peer *p = mb->peer;
        if (p != NULL) {
            rh_peer_ref(p);
        }
        run_batch(t, mb, batch);
        mb->busy = false;
        if (p == NULL || !p->removed) {
            ready_push(t, mb);
        }
        if (p != NULL) {
            rh_peer_unref(t, p);
        }
    }
    pthread_mutex_unlock(&t->mu);
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
    pthread_mutex_lock(&t->mu);
    t->workers_stop = true;
    for (int i = 0; i < RH_POOLS; i++) {
        pthread_cond_broadcast(&t->work_cv[i]);
    }
    pthread_mutex_unlock(&t->mu);
    for (size_t i = 0; i < t->n_workers; i++) {
        pthread_join(t->workers[i].thread, NULL);
    }
    t->n_workers = 0;
}
