// SPDX-License-Identifier: Apache-2.0
/*
 * Delivery order and urgency, without threads or sockets (peer/mailbox.c):
 * votes, heartbeats and responses overtake queued appends, proposals and
 * snapshots but keep their own order; a message over the byte limit is
 * refused; ready mailboxes take turns and a busy one is not served twice;
 * a removed peer's mailbox is not put back; once stopping only reports go
 * out; cleared and finished events answer their requests; event structs
 * are recycled.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "peer/peer.h"
#include "testlib.h"

#define RECV_LIMIT 1000

/* A request that waits for process(): what the answer hook was told. */
struct rh_reply {
    int answers;
    int result;
};

struct fixture {
    struct tl_alloc ta;
    struct rh_mutex mu;
    struct rh_inbox in;
    struct rh_mailbox a; /* a peer's recvq */
    struct rh_mailbox b; /* another peer's recvq */
    struct rh_mailbox prop;
};

static void on_answer(void *ud, struct rh_reply *r, int result)
{
    (void)ud;
    r->answers++;
    r->result = result;
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    tl_alloc_init(&f->ta, 0);
    rh_mutex_init(&f->mu, RH_LOCK_TRANSPORT);
    rh_inbox_init(&f->in, &f->mu, &f->ta.a, RECV_LIMIT, on_answer, f);
    rh_mailbox_init(&f->a, RH_POOL_RECV, RECV_LIMIT, NULL);
    rh_mailbox_init(&f->b, RH_POOL_RECV, RECV_LIMIT, NULL);
    rh_mailbox_init(&f->prop, RH_POOL_PROP, RECV_LIMIT, NULL);
    rh_mutex_lock(&f->mu); /* everything here runs under the lock */
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    rh_mailbox_clear(&f->in, &f->a);
    rh_mailbox_clear(&f->in, &f->b);
    rh_mailbox_clear(&f->in, &f->prop);
    rh_inbox_clear(&f->in);
    rh_inbox_close(&f->in);
    rh_mutex_unlock(&f->mu);
    rh_mutex_destroy(&f->mu);
    assert_int_equal(f->ta.live, 0);
    free(f);
    return 0;
}

/* Queues a message of type with index (to tell them apart). */
static bool post(struct fixture *f, struct rh_mailbox *mb, int32_t type,
                 uint64_t index, size_t bytes, struct rh_reply *reply)
{
    struct rh_msg *msg = rh_msg_new(&f->ta.a);
    assert_non_null(msg);
    msg->m.type = type;
    msg->m.index = index;
    return rh_inbox_message(&f->in, mb, &f->prop, msg, bytes, reply);
}

/* Takes up to max events from the next ready mailbox of pool. */
static struct rh_event *take(struct fixture *f, enum rh_pool pool, size_t max,
                             struct rh_mailbox **from)
{
    struct rh_mailbox *mb = rh_inbox_next(&f->in, pool);
    assert_non_null(mb);
    *from = mb;
    return rh_inbox_take(mb, max);
}

/* Checks a batch's indexes, finishes its events, releases the mailbox. */
static void expect_batch(struct fixture *f, struct rh_mailbox *mb,
                         struct rh_event *batch, const uint64_t *indexes,
                         size_t n)
{
    size_t i = 0;
    while (batch != NULL) {
        struct rh_event *ev = batch;
        batch = ev->next;
        ev->next = NULL; /* finished one at a time */
        assert_true(i < n);
        assert_int_equal(ev->msg->m.index, indexes[i]);
        i++;
        rh_inbox_finish(&f->in, ev);
    }
    assert_int_equal(i, n);
    rh_inbox_release(&f->in, mb);
}

static void test_urgent_overtake_bulk_in_order(void **state)
{
    struct fixture *f = *state;
    post(f, &f->a, RAFTHTTP_MSG_APP, 1, 10, NULL);
    post(f, &f->a, RAFTHTTP_MSG_APP, 2, 10, NULL);
    post(f, &f->a, RAFTHTTP_MSG_HEARTBEAT, 3, 10, NULL);
    post(f, &f->a, RAFTHTTP_MSG_VOTE, 4, 10, NULL);
    post(f, &f->a, RAFTHTTP_MSG_APP, 5, 10, NULL);
    post(f, &f->a, RAFTHTTP_MSG_HEARTBEAT_RESP, 6, 10, NULL);
    post(f, &f->a, RAFTHTTP_MSG_SNAP, 7, 10, NULL);
    struct rh_mailbox *mb;
    struct rh_event *batch = take(f, RH_POOL_RECV, 128, &mb);
    assert_ptr_equal(mb, &f->a);
    const uint64_t order[] = {3, 4, 6, 1, 2, 5, 7};
    expect_batch(f, mb, batch, order, 7);
    assert_int_equal(f->a.bytes, 0);
}

/* An urgent message goes ahead of what is left after a batch was taken. */
static void test_urgent_after_a_batch(void **state)
{
    struct fixture *f = *state;
    post(f, &f->a, RAFTHTTP_MSG_HEARTBEAT, 1, 10, NULL);
    post(f, &f->a, RAFTHTTP_MSG_APP, 2, 10, NULL);
    post(f, &f->a, RAFTHTTP_MSG_APP, 3, 10, NULL);
    struct rh_mailbox *mb;
    struct rh_event *batch = take(f, RH_POOL_RECV, 2, &mb);
    const uint64_t first[] = {1, 2};
    post(f, &f->a, RAFTHTTP_MSG_VOTE_RESP, 4, 10, NULL); /* while busy */
    expect_batch(f, mb, batch, first, 2);
    batch = take(f, RH_POOL_RECV, 128, &mb);
    const uint64_t rest[] = {4, 3};
    expect_batch(f, mb, batch, rest, 2);
}

static void test_proposals_apart(void **state)
{
    struct fixture *f = *state;
    post(f, &f->a, RAFTHTTP_MSG_PROP, 1, 10, NULL);
    post(f, &f->a, RAFTHTTP_MSG_APP, 2, 10, NULL);
    assert_int_equal(f->prop.head->msg->m.index, 1);
    assert_int_equal(f->a.head->msg->m.index, 2);
    struct rh_mailbox *mb;
    struct rh_event *batch = take(f, RH_POOL_PROP, 128, &mb);
    assert_ptr_equal(mb, &f->prop);
    const uint64_t one[] = {1};
    expect_batch(f, mb, batch, one, 1);
}

static void test_byte_limit_refuses(void **state)
{
    struct fixture *f = *state;
    long live = f->ta.live;
    assert_true(post(f, &f->a, RAFTHTTP_MSG_APP, 1, 600, NULL));
    long one = f->ta.live;
    assert_false(post(f, &f->a, RAFTHTTP_MSG_APP, 2, 600, NULL));
    assert_int_equal(f->ta.live, one); /* the refused message was freed */
    assert_int_equal(f->a.bytes, 600);
    assert_true(post(f, &f->a, RAFTHTTP_MSG_APP, 3, 400, NULL)); /* fits */
    assert_int_equal(f->a.bytes, 1000);
    rh_mailbox_clear(&f->in, &f->a);
    assert_int_equal(f->a.bytes, 0);
    assert_true(f->ta.live <= live + 2); /* events kept in the cache */
}

/* Ready mailboxes take turns; a busy one is not served twice. */
static void test_turns_and_busy(void **state)
{
    struct fixture *f = *state;
    post(f, &f->a, RAFTHTTP_MSG_APP, 1, 10, NULL);
    post(f, &f->a, RAFTHTTP_MSG_APP, 2, 10, NULL);
    post(f, &f->b, RAFTHTTP_MSG_APP, 10, 10, NULL);
    struct rh_mailbox *first, *second;
    struct rh_event *b1 = take(f, RH_POOL_RECV, 1, &first);
    struct rh_event *b2 = take(f, RH_POOL_RECV, 1, &second);
    assert_ptr_equal(first, &f->a);
    assert_ptr_equal(second, &f->b);
    assert_null(rh_inbox_next(&f->in, RH_POOL_RECV)); /* both busy */
    const uint64_t one[] = {1}, ten[] = {10}, two[] = {2};
    expect_batch(f, first, b1, one, 1); /* a has more: ready again */
    expect_batch(f, second, b2, ten, 1);
    struct rh_mailbox *again;
    struct rh_event *b3 = take(f, RH_POOL_RECV, 1, &again);
    assert_ptr_equal(again, &f->a);
    expect_batch(f, again, b3, two, 1);
    assert_null(rh_inbox_next(&f->in, RH_POOL_RECV));
}

static void test_removed_peer_not_requeued(void **state)
{
    struct fixture *f = *state;
    struct rh_peer gone = {.removed = false};
    rh_mailbox_init(&f->b, RH_POOL_RECV, RECV_LIMIT, &gone);
    post(f, &f->b, RAFTHTTP_MSG_APP, 1, 10, NULL);
    post(f, &f->b, RAFTHTTP_MSG_APP, 2, 10, NULL);
    struct rh_mailbox *mb;
    struct rh_event *batch = take(f, RH_POOL_RECV, 1, &mb);
    gone.removed = true; /* removed while its event runs */
    const uint64_t one[] = {1};
    expect_batch(f, mb, batch, one, 1);
    assert_null(rh_inbox_next(&f->in, RH_POOL_RECV));
    rh_mailbox_clear(&f->in, &f->b);
}

/* Stopping: messages wait (and go with the transport), reports go out. */
static void test_stopping_serves_reports_only(void **state)
{
    struct fixture *f = *state;
    post(f, &f->a, RAFTHTTP_MSG_APP, 1, 10, NULL);
    rh_inbox_report(&f->in, RH_EV_SNAPSHOT, 2, RAFTHTTP_SNAPSHOT_FAILURE, NULL);
    rh_inbox_stop(&f->in);
    struct rh_mailbox *mb = rh_inbox_next(&f->in, RH_POOL_RECV);
    assert_ptr_equal(mb, &f->in.control);
    struct rh_event *ev = rh_inbox_take(mb, 128);
    assert_int_equal(ev->kind, RH_EV_SNAPSHOT);
    assert_int_equal(ev->status, RAFTHTTP_SNAPSHOT_FAILURE);
    assert_null(ev->next);
    rh_inbox_finish(&f->in, ev);
    rh_inbox_release(&f->in, mb);
    assert_null(rh_inbox_next(&f->in, RH_POOL_RECV));
    assert_null(rh_inbox_next(&f->in, RH_POOL_PROP));
}

/* A processed request gets process()'s result; a dropped one ESTOPPED. */
static void test_requests_answered(void **state)
{
    struct fixture *f = *state;
    struct rh_reply done = {0}, dropped = {0};
    post(f, &f->in.pipe_recv, RAFTHTTP_MSG_APP, 1, 10, &done);
    struct rh_mailbox *mb;
    struct rh_event *ev = take(f, RH_POOL_RECV, 1, &mb);
    ev->status = RAFTHTTP_EREMOVED; /* what process() returned */
    rh_inbox_finish(&f->in, ev);
    rh_inbox_release(&f->in, mb);
    assert_int_equal(done.answers, 1);
    assert_int_equal(done.result, RAFTHTTP_EREMOVED);
    post(f, &f->in.pipe_recv, RAFTHTTP_MSG_APP, 2, 10, &dropped);
    rh_mailbox_clear(&f->in, &f->in.pipe_recv);
    assert_int_equal(dropped.answers, 1);
    assert_int_equal(dropped.result, RAFTHTTP_ESTOPPED);
}

/* Forgotten requests (stop) are not answered when their events go. */
static void test_forgotten_requests(void **state)
{
    struct fixture *f = *state;
    struct rh_reply r = {0};
    post(f, &f->in.pipe_recv, RAFTHTTP_MSG_APP, 1, 10, &r);
    rh_inbox_forget_replies(&f->in);
    rh_mailbox_clear(&f->in, &f->in.pipe_recv);
    assert_int_equal(r.answers, 0);
}

static void test_events_recycled(void **state)
{
    struct fixture *f = *state;
    rh_inbox_report(&f->in, RH_EV_UNREACHABLE, 2, 0, NULL);
    struct rh_mailbox *mb;
    struct rh_event *ev = take(f, RH_POOL_RECV, 1, &mb);
    rh_inbox_finish(&f->in, ev);
    rh_inbox_release(&f->in, mb);
    long calls = f->ta.calls;
    rh_inbox_report(&f->in, RH_EV_UNREACHABLE, 2, 0, NULL);
    assert_int_equal(f->ta.calls, calls); /* from the cache */
    rh_mailbox_clear(&f->in, &f->in.control);
}

static void test_snapshot_event(void **state)
{
    struct fixture *f = *state;
    struct rh_reply r = {0};
    struct rh_msg *msg = rh_msg_new(&f->ta.a);
    msg->m.type = RAFTHTTP_MSG_SNAP;
    assert_true(rh_inbox_snapshot(&f->in, msg, "/tmp/x.snap.db", &r));
    assert_string_equal(f->in.pipe_recv.head->text, "/tmp/x.snap.db");
    assert_ptr_equal(f->in.pipe_recv.head->msg, msg);
    /* Out of memory: refused, answered ESTOPPED, the message stays ours. */
    struct rh_msg *other = rh_msg_new(&f->ta.a);
    f->ta.fail_at = f->ta.calls + 1;
    assert_false(rh_inbox_snapshot(&f->in, other, "/tmp/y.snap.db", &r));
    assert_int_equal(r.answers, 1);
    assert_int_equal(r.result, RAFTHTTP_ESTOPPED);
    f->ta.fail_at = 0;
    rh_msg_free(other);
    rh_mailbox_clear(&f->in, &f->in.pipe_recv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_urgent_overtake_bulk_in_order,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_urgent_after_a_batch, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_proposals_apart, setup, teardown),
        cmocka_unit_test_setup_teardown(test_byte_limit_refuses, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_turns_and_busy, setup, teardown),
        cmocka_unit_test_setup_teardown(test_removed_peer_not_requeued, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_stopping_serves_reports_only,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_requests_answered, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_forgotten_requests, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_events_recycled, setup, teardown),
        cmocka_unit_test_setup_teardown(test_snapshot_event, setup, teardown),
    };
    return cmocka_run_group_tests_name("mailbox", tests, NULL, NULL);
}
