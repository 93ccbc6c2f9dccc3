// SPDX-License-Identifier: Apache-2.0
/*
 * Mailboxes: what the raft core is told, in what order, and which delivery
 * thread takes it (the threads themselves are src/transport/deliver.c).
 *
 * Order: one mailbox is served by one thread at a time, so a peer's
 * messages are processed one at a time. Messages that keep a leader alive
 * (votes, heartbeats, responses) go ahead of queued appends, proposals and
 * snapshots, as on the sending side, so a deep queue of appends does not
 * delay them; among themselves, urgent messages keep their order, and so
 * do the others. Isolation: the "recv" pool has several threads and the
 * "prop" pool its own, so a slow process() for one peer, or a raft core
 * blocked on a proposal, leaves the other peers' votes and appends moving.
 * Mailboxes that have work wait on their pool's ready list; a thread takes
 * the first, runs a batch, and puts it back at the tail if it has more, so
 * peers take turns.
 *
 * Memory: event structs are recycled through a small cache, so a steady
 * stream allocates none. Failure modes:
 * 1. a mailbox over its byte limit: rh_inbox_message refuses the message
 *    (the caller counts RAFTHTTP_DROP_RECV_FULL; a POST gets 503);
 * 2. out of memory for a report: it is lost (raft retries what it reports
 *    on); a snapshot's two reports are reserved up front instead
 *    (rh_inbox_event when it is accepted), so they cannot be lost;
 * 3. a mailbox cleared (peer removal, stop): its events are freed
 *    unprocessed, and a request waiting on one is answered ESTOPPED.
 *
 * Everything here runs under the transport lock (in->mu).
 */
#include <string.h>

#include "peer.h"

/* Spare event structs kept for reuse. */
#define EVENT_CACHE 1024

void rh_mailbox_init(struct rh_mailbox *mb, enum rh_pool pool, size_t limit,
                     struct rh_peer *peer)
{
    memset(mb, 0, sizeof(*mb));
    mb->pool = pool;
    mb->limit = limit;
    mb->peer = peer;
}

void rh_inbox_init(struct rh_inbox *in, struct rh_mutex *mu,
                   const struct rafthttp_allocator *a, size_t recv_limit,
                   void (*answer)(void *, struct rh_reply *, int), void *ud)
{
    memset(in, 0, sizeof(*in));
    in->mu = mu;
    in->alloc = a;
    in->answer = answer;
    in->answer_ud = ud;
    for (int i = 0; i < RH_POOLS; i++) {
        pthread_cond_init(&in->work_cv[i], NULL);
    }
    rh_mailbox_init(&in->control, RH_POOL_RECV, SIZE_MAX, NULL);
    rh_mailbox_init(&in->pipe_recv, RH_POOL_RECV, recv_limit, NULL);
    rh_mailbox_init(&in->pipe_prop, RH_POOL_PROP, recv_limit, NULL);
}

void rh_inbox_clear(struct rh_inbox *in)
{
    rh_mailbox_clear(in, &in->control);
    rh_mailbox_clear(in, &in->pipe_recv);
    rh_mailbox_clear(in, &in->pipe_prop);
    while (in->spare_events != NULL) {
        struct rh_event *ev = in->spare_events;
        in->spare_events = ev->next;
        rh_free(in->alloc, ev);
    }
    in->n_spare_events = 0;
}

void rh_inbox_close(struct rh_inbox *in)
{
    assert(in->control.head == NULL && in->spare_events == NULL);
    for (int i = 0; i < RH_POOLS; i++) {
        pthread_cond_destroy(&in->work_cv[i]);
    }
}

/* ------------------------------------------------------- ready lists */

static void ready_push(struct rh_inbox *in, struct rh_mailbox *mb)
{
    if (mb->ready || mb->busy || mb->head == NULL) {
        return;
    }
    mb->ready = true;
    mb->next_ready = NULL;
    if (in->ready_tail[mb->pool] != NULL) {
        in->ready_tail[mb->pool]->next_ready = mb;
    } else {
        in->ready_head[mb->pool] = mb;
    }
    in->ready_tail[mb->pool] = mb;
    pthread_cond_signal(&in->work_cv[mb->pool]);
}

static struct rh_mailbox *ready_pop(struct rh_inbox *in, enum rh_pool pool)
{
    struct rh_mailbox *mb = in->ready_head[pool];
    if (mb != NULL) {
        in->ready_head[pool] = mb->next_ready;
        if (in->ready_head[pool] == NULL) {
            in->ready_tail[pool] = NULL;
        }
        mb->ready = false;
        mb->next_ready = NULL;
    }
    return mb;
}

static void ready_unlink(struct rh_inbox *in, struct rh_mailbox *mb)
{
    struct rh_mailbox **pp = &in->ready_head[mb->pool];
    struct rh_mailbox *prev = NULL;
    while (*pp != NULL && *pp != mb) {
        prev = *pp;
        pp = &(*pp)->next_ready;
    }
    if (*pp == mb) {
        *pp = mb->next_ready;
        if (in->ready_tail[mb->pool] == mb) {
            in->ready_tail[mb->pool] = prev;
        }
    }
    mb->ready = false;
    mb->next_ready = NULL;
}

/* ------------------------------------------------------------ events */

struct rh_event *rh_inbox_event(struct rh_inbox *in)
{
    RH_ASSERT_HELD(in->mu);
    struct rh_event *ev = in->spare_events;
    if (ev == NULL) {
        return rh_calloc(in->alloc, 1, sizeof(*ev));
    }
    in->spare_events = ev->next;
    in->n_spare_events--;
    memset(ev, 0, sizeof(*ev));
    return ev;
}

/* Back to the cache, or to the allocator past EVENT_CACHE. */
static void event_put(struct rh_inbox *in, struct rh_event *ev)
{
    if (in->n_spare_events >= EVENT_CACHE) {
        rh_free(in->alloc, ev);
        return;
    }
    ev->next = in->spare_events;
    in->spare_events = ev;
    in->n_spare_events++;
}

/* Frees what ev owns and answers its request with result. */
static void event_free(struct rh_inbox *in, struct rh_event *ev, int result)
{
    if (ev->reply != NULL) {
        in->answer(in->answer_ud, ev->reply, result);
        ev->reply = NULL;
    }
    rh_msg_free(ev->msg);
    ev->msg = NULL;
    rh_free(in->alloc, ev->text);
    ev->text = NULL;
    event_put(in, ev);
}

void rh_mailbox_clear(struct rh_inbox *in, struct rh_mailbox *mb)
{
    RH_ASSERT_HELD(in->mu);
    ready_unlink(in, mb);
    while (mb->head != NULL) {
        struct rh_event *ev = mb->head;
        mb->head = ev->next;
        event_free(in, ev, RAFTHTTP_ESTOPPED);
    }
    mb->tail = NULL;
    mb->urgent_tail = NULL;
    mb->bytes = 0;
}

/* Messages that overtake queued bulk ones (see the essay). */
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

void rh_inbox_post(struct rh_inbox *in, struct rh_mailbox *mb,
                   struct rh_event *ev)
{
    RH_ASSERT_HELD(in->mu);
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
    ready_push(in, mb);
}

void rh_inbox_report(struct rh_inbox *in, enum rh_event_kind kind, uint64_t id,
                     int status, const char *detail)
{
    struct rh_event *ev = rh_inbox_event(in);
    if (ev == NULL) {
        return; /* out of memory: lost, and raft retries anyway */
    }
    ev->kind = kind;
    ev->id = id;
    ev->status = status;
    ev->detail = detail;
    rh_inbox_post(in, &in->control, ev);
}

void rh_inbox_peer_status(struct rh_inbox *in, uint64_t id, bool active,
                          const char *reason)
{
    struct rh_event *ev = rh_inbox_event(in);
    char *copy = ev != NULL ? rh_strdup(in->alloc, reason) : NULL;
    if (copy == NULL) {
        if (ev != NULL) {
            event_put(in, ev);
        }
        return; /* out of memory: the change is still in peer_status */
    }
    ev->kind = RH_EV_PEER_STATUS;
    ev->id = id;
    ev->status = active;
    ev->text = copy;
    rh_inbox_post(in, &in->control, ev);
}

bool rh_inbox_message(struct rh_inbox *in, struct rh_mailbox *recvq,
                      struct rh_mailbox *propq, struct rh_msg *msg,
                      size_t bytes, struct rh_reply *reply)
{
    struct rh_mailbox *mb = msg->m.type == RAFTHTTP_MSG_PROP ? propq : recvq;
    struct rh_event *ev = NULL;
    if (mb->bytes + bytes <= mb->limit) {
        ev = rh_inbox_event(in);
    }
    if (ev == NULL) {
        rh_msg_free(msg);
        return false;
    }
    ev->kind = RH_EV_MESSAGE;
    ev->msg = msg;
    ev->bytes = bytes;
    ev->reply = reply;
    rh_inbox_post(in, mb, ev);
    return true;
}

bool rh_inbox_snapshot(struct rh_inbox *in, struct rh_msg *msg,
                       const char *path, struct rh_reply *reply)
{
    struct rh_event *ev = rh_inbox_event(in);
    char *copy = ev != NULL ? rh_strdup(in->alloc, path) : NULL;
    if (copy == NULL) {
        if (ev != NULL) {
            event_put(in, ev);
        }
        if (reply != NULL) {
            in->answer(in->answer_ud, reply, RAFTHTTP_ESTOPPED);
        }
        return false;
    }
    ev->kind = RH_EV_MESSAGE;
    ev->msg = msg;
    ev->text = copy;
    ev->reply = reply;
    rh_inbox_post(in, &in->pipe_recv, ev);
    return true;
}

/* --------------------------------------------- delivery threads' side */

struct rh_mailbox *rh_inbox_next(struct rh_inbox *in, enum rh_pool pool)
{
    RH_ASSERT_HELD(in->mu);
    struct rh_mailbox *mb = NULL;
    if (!in->stopping) {
        mb = ready_pop(in, pool);
    } else if (pool == RH_POOL_RECV && in->control.head != NULL &&
               !in->control.busy) {
        mb = &in->control;
        ready_unlink(in, mb);
    }
    if (mb != NULL) {
        assert(!mb->busy && mb->head != NULL);
        mb->busy = true;
    }
    return mb;
}

struct rh_event *rh_inbox_take(struct rh_mailbox *mb, size_t max)
{
    assert(mb->busy && mb->head != NULL && max > 0);
    struct rh_event *first = mb->head;
    struct rh_event *last = first;
    for (size_t n = 1;; n++) {
        mb->bytes -= last->bytes;
        if (last == mb->urgent_tail) {
            mb->urgent_tail = NULL; /* no urgent event left at the front */
        }
        if (n == max || last->next == NULL) {
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

void rh_inbox_finish(struct rh_inbox *in, struct rh_event *batch)
{
    RH_ASSERT_HELD(in->mu);
    while (batch != NULL) {
        struct rh_event *ev = batch;
        batch = ev->next;
        event_free(in, ev, ev->status);
    }
}

void rh_inbox_release(struct rh_inbox *in, struct rh_mailbox *mb)
{
    RH_ASSERT_HELD(in->mu);
    assert(mb->busy);
    mb->busy = false;
    if (mb->peer == NULL || !mb->peer->removed) {
        ready_push(in, mb);
    }
}

void rh_inbox_wait(struct rh_inbox *in, enum rh_pool pool)
{
    rh_cond_wait(&in->work_cv[pool], in->mu);
}

void rh_inbox_stop(struct rh_inbox *in)
{
    RH_ASSERT_HELD(in->mu);
    in->stopping = true;
    for (int i = 0; i < RH_POOLS; i++) {
        pthread_cond_broadcast(&in->work_cv[i]);
    }
}

/* The requests of the pipeline mailboxes' events, forgotten at stop. */
static void forget_replies(struct rh_mailbox *mb)
{
    for (struct rh_event *ev = mb->head; ev != NULL; ev = ev->next) {
        ev->reply = NULL;
    }
}

void rh_inbox_forget_replies(struct rh_inbox *in)
{
    RH_ASSERT_HELD(in->mu);
    forget_replies(&in->pipe_recv);
    forget_replies(&in->pipe_prop);
}
