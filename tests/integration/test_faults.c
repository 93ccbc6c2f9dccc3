// SPDX-License-Identifier: Apache-2.0
/*
 * Faults between loopback transports: streams cut and mended, a peer
 * killed and restarted, peers removed and updated under traffic, a slow or
 * blocked raft core, and a five-member cluster.
 */
#include <setjmp.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cluster.h"

static struct rafthttp_message msg(int32_t type, uint64_t from, uint64_t to,
                                   uint64_t index)
{
    struct rafthttp_message m = {
        .type = type, .from = from, .to = to, .term = 2, .index = index};
    return m;
}

static size_t count_from(struct tc_node *n, uint64_t from, int32_t type)
{
    size_t k = 0;
    pthread_mutex_lock(&n->mu);
    for (size_t i = 0; i < n->n_records; i++) {
        k += n->records[i].from == from && n->records[i].type == type;
    }
    pthread_mutex_unlock(&n->mu);
    return k;
}

/* Sends one message every few ms until it arrives (bounded). */
static bool send_until_seen(struct tc_cluster *c, size_t from, size_t to,
                            int32_t type)
{
    struct tc_node *dst = &c->nodes[to];
    size_t before = count_from(dst, c->nodes[from].id, type);
    for (int i = 0; i < 3000; i++) {
        struct rafthttp_message m =
            msg(type, c->nodes[from].id, dst->id, (uint64_t)i);
        rafthttp_transport_send(c->nodes[from].t, &m, 1);
        tc_sleep_ms(5);
        if (count_from(dst, c->nodes[from].id, type) > before) {
            return true;
        }
    }
    return false;
}

static bool pipeline_only(struct tc_cluster *c, size_t a, size_t b)
{
    struct rafthttp_peer_status s;
    rafthttp_transport_peer_status(c->nodes[a].t, c->nodes[b].id, &s);
    return !s.message_writer && !s.msgapp_writer;
}

/*
 * Node 2 forgets node 1 (streams close both ways): node 1's messages go by
 * the pipeline, which node 2 still accepts; once node 2 knows node 1 again
 * the streams come back.
 */
static void test_pipeline_takes_over_and_streams_return(void **state)
{
    (void)state;
    struct tc_cluster c;
    tc_start(&c, 2, NULL);
    tc_connect_all(&c);
    assert_true(tc_wait_streams(&c, 0, 1));
    assert_int_equal(rafthttp_transport_remove_peer(c.nodes[1].t, 1), 0);
    for (int i = 0; i < 1500 && !pipeline_only(&c, 0, 1); i++) {
        tc_sleep_ms(10);
    }
    assert_true(pipeline_only(&c, 0, 1));
    assert_true(send_until_seen(&c, 0, 1, RAFTHTTP_MSG_HEARTBEAT));
    const char *url = c.nodes[0].url;
    assert_int_equal(rafthttp_transport_add_peer(c.nodes[1].t, 1, &url, 1), 0);
    assert_true(tc_wait_streams(&c, 0, 1));
    assert_true(send_until_seen(&c, 0, 1, RAFTHTTP_MSG_APP));
    tc_stop(&c);
}

/* A killed peer is reported unreachable; restarted, it is reconnected. */
static void test_peer_killed_and_restarted(void **state)
{
    (void)state;
    struct tc_cluster c;
    tc_start(&c, 3, NULL);
    tc_connect_all(&c);
    assert_true(tc_wait_streams(&c, 0, 1));
    tc_kill(&c, 1);
    struct tc_node *n1 = &c.nodes[0];
    for (int i = 0; i < 1500 && tc_unreachable(n1, 2) == 0; i++) {
        struct rafthttp_message m = msg(RAFTHTTP_MSG_APP, 1, 2, 1);
        rafthttp_transport_send(n1->t, &m, 1);
        tc_sleep_ms(10);
    }
    assert_true(tc_unreachable(n1, 2) > 0);
    struct rafthttp_peer_status st;
    assert_int_equal(rafthttp_transport_peer_status(n1->t, 2, &st), 0);
    assert_false(st.active);
    /* Node 3 is not bothered meanwhile. */
    assert_true(send_until_seen(&c, 0, 2, RAFTHTTP_MSG_HEARTBEAT));
    tc_restart(&c, 1);
    assert_true(tc_wait_streams(&c, 0, 1));
    assert_true(tc_wait_streams(&c, 2, 1));
    assert_true(send_until_seen(&c, 0, 1, RAFTHTTP_MSG_VOTE));
    tc_stop(&c);
}

struct pump {
    struct tc_cluster *c;
    atomic_bool stop;
    unsigned sent;
};

static void *pump_main(void *arg)
{
    struct pump *p = arg;
    static uint8_t data[512];
    while (!p->stop) {
        struct rafthttp_entry e = {.index = p->sent + 1, .data = {data, 512}};
        struct rafthttp_message m = msg(RAFTHTTP_MSG_APP, 1, 2, p->sent);
        m.entries = &e;
        m.n_entries = 1;
        rafthttp_transport_send(p->c->nodes[0].t, &m, 1);
        p->sent++;
        if (p->sent % 64 == 0) {
            tc_sleep_ms(1);
        }
    }
    return NULL;
}

/* Removing, re-adding and re-pointing a peer while another thread sends. */
static void test_remove_and_update_under_traffic(void **state)
{
    (void)state;
    struct tc_cluster c;
    tc_start(&c, 2, NULL);
    tc_connect_all(&c);
    assert_true(tc_wait_streams(&c, 0, 1));
    struct pump p = {&c, false, 0};
    pthread_t th;
    pthread_create(&th, NULL, pump_main, &p);
    struct rafthttp_transport *t = c.nodes[0].t;
    const char *good = c.nodes[1].url;
    for (int i = 0; i < 5; i++) {
        tc_sleep_ms(20);
        assert_int_equal(rafthttp_transport_remove_peer(t, 2), 0);
        assert_int_equal(rafthttp_transport_remove_peer(t, 2),
                         RAFTHTTP_EPEER_NOT_FOUND);
        tc_sleep_ms(5);
        assert_int_equal(rafthttp_transport_add_peer(t, 2, &good, 1), 0);
    }
    /* A dead URL sorts first; the picker moves on to the good one. */
    const char *urls[] = {good, "http://127.0.0.1:1"};
    assert_int_equal(rafthttp_transport_update_peer(t, 2, urls, 2), 0);
    assert_int_equal(rafthttp_transport_update_peer(t, 9, urls, 2),
                     RAFTHTTP_EPEER_NOT_FOUND);
    p.stop = true;
    pthread_join(th, NULL);
    assert_true(tc_wait_streams(&c, 0, 1));
    assert_true(send_until_seen(&c, 0, 1, RAFTHTTP_MSG_HEARTBEAT));
    tc_stop(&c);
}

static void make_node3_slow_for_1(struct tc_cluster *c)
{
    c->nodes[2].process_delay_ms = 300;
    c->nodes[2].slow_from = 1;
}

/* A slow process() for one peer's messages does not hold up another's. */
static void test_slow_process_isolated(void **state)
{
    (void)state;
    struct tc_cluster c;
    tc_start(&c, 3, NULL);
    tc_connect_all(&c);
    assert_true(tc_wait_streams(&c, 0, 2));
    assert_true(tc_wait_streams(&c, 1, 2));
    make_node3_slow_for_1(&c);
    struct rafthttp_message ms[5];
    for (int i = 0; i < 5; i++) {
        ms[i] = msg(RAFTHTTP_MSG_HEARTBEAT, 1, 3, (uint64_t)i);
    }
    rafthttp_transport_send(c.nodes[0].t, ms, 5);
    tc_sleep_ms(50);
    struct rafthttp_message fast = msg(RAFTHTTP_MSG_VOTE, 2, 3, 99);
    rafthttp_transport_send(c.nodes[1].t, &fast, 1);
    assert_true(tc_wait_records(&c.nodes[2], 6));
    size_t vote_at = 0, last_slow_at = 0;
    for (size_t i = 0; i < c.nodes[2].n_records; i++) {
        if (c.nodes[2].records[i].from == 2) {
            vote_at = i;
        } else {
            last_slow_at = i;
        }
    }
    assert_true(vote_at < last_slow_at);
    tc_stop(&c);
}

/* A raft core blocked on a proposal still gets votes and appends. */
static void test_blocked_proposal_does_not_stall_votes(void **state)
{
    (void)state;
    struct tc_cluster c;
    tc_start(&c, 2, NULL);
    tc_connect_all(&c);
    assert_true(tc_wait_streams(&c, 0, 1));
    c.nodes[1].block_props = true;
    struct rafthttp_message ms[3] = {msg(RAFTHTTP_MSG_PROP, 1, 2, 1),
                                     msg(RAFTHTTP_MSG_VOTE, 1, 2, 2),
                                     msg(RAFTHTTP_MSG_APP, 1, 2, 3)};
    rafthttp_transport_send(c.nodes[0].t, ms, 3);
    assert_true(tc_wait_records(&c.nodes[1], 2));
    assert_int_equal(count_from(&c.nodes[1], 1, RAFTHTTP_MSG_PROP), 0);
    tc_release_props(&c.nodes[1]);
    assert_true(tc_wait_records(&c.nodes[1], 3));
    tc_stop(&c);
}

/*
 * A member that reached us first (and so is a remote) becomes a full peer
 * when the raft core adds it: streams come up both ways.
 */
static void test_remote_promoted_to_peer(void **state)
{
    (void)state;
    struct tc_cluster c;
    tc_start(&c, 2, NULL);
    const char *u1 = c.nodes[0].url;
    const char *u2 = c.nodes[1].url;
    assert_int_equal(rafthttp_transport_add_remote(c.nodes[0].t, 2, &u2, 1), 0);
    assert_int_equal(rafthttp_transport_add_peer(c.nodes[1].t, 1, &u1, 1), 0);
    assert_int_equal(rafthttp_transport_add_peer(c.nodes[0].t, 2, &u2, 1), 0);
    assert_true(tc_wait_streams(&c, 0, 1));
    assert_int_equal(rafthttp_transport_active_peers(c.nodes[0].t), 1);
    tc_stop(&c);
}

static bool has_critical(struct tc_node *n)
{
    return n->critical > 0;
}

/*
 * etcd's ErrorC: a 403 to our POST (the peer's raft core says we were
 * removed) and a 410 to our stream dial both reach critical_error.
 */
static void test_removed_member_is_told(void **state)
{
    (void)state;
    struct tc_cluster c;
    tc_start(&c, 3, NULL);
    /* Node 2 posts to node 1, whose raft core answers "removed". */
    c.nodes[0].process_result = RAFTHTTP_EREMOVED;
    const char *u1 = c.nodes[0].url;
    assert_int_equal(rafthttp_transport_add_remote(c.nodes[1].t, 1, &u1, 1), 0);
    struct rafthttp_message m = msg(RAFTHTTP_MSG_HEARTBEAT, 2, 1, 1);
    assert_int_equal(rafthttp_transport_send(c.nodes[1].t, &m, 1), 0);
    assert_true(tc_wait_until(&c.nodes[1], has_critical));
    /* Node 3 dials node 1's streams; node 1 says 3 was removed: 410. */
    pthread_mutex_lock(&c.nodes[0].mu);
    c.nodes[0].removed_id = 3;
    pthread_mutex_unlock(&c.nodes[0].mu);
    const char *u3 = c.nodes[2].url;
    assert_int_equal(rafthttp_transport_add_peer(c.nodes[0].t, 3, &u3, 1), 0);
    assert_int_equal(rafthttp_transport_add_peer(c.nodes[2].t, 1, &u1, 1), 0);
    assert_true(tc_wait_until(&c.nodes[2], has_critical));
    tc_stop(&c);
}

/* Five members, everyone to everyone. */
static void test_five_members(void **state)
{
    (void)state;
    struct tc_cluster c;
    tc_start(&c, 5, NULL);
    tc_connect_all(&c);
    for (size_t i = 0; i < 5; i++) {
        for (size_t j = i + 1; j < 5; j++) {
            assert_true(tc_wait_streams(&c, i, j));
        }
    }
    for (size_t i = 0; i < 5; i++) {
        for (size_t j = 0; j < 5; j++) {
            if (i != j) {
                struct rafthttp_message m =
                    msg(RAFTHTTP_MSG_HEARTBEAT, i + 1, j + 1, i + 1);
                rafthttp_transport_send(c.nodes[i].t, &m, 1);
            }
        }
    }
    for (size_t j = 0; j < 5; j++) {
        assert_true(tc_wait_records(&c.nodes[j], 4));
        assert_int_equal(rafthttp_transport_active_peers(c.nodes[j].t), 4);
    }
    tc_stop(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pipeline_takes_over_and_streams_return),
        cmocka_unit_test(test_peer_killed_and_restarted),
        cmocka_unit_test(test_remove_and_update_under_traffic),
        cmocka_unit_test(test_slow_process_isolated),
        cmocka_unit_test(test_blocked_proposal_does_not_stall_votes),
        cmocka_unit_test(test_remote_promoted_to_peer),
        cmocka_unit_test(test_removed_member_is_told),
        cmocka_unit_test(test_five_members),
    };
    return cmocka_run_group_tests_name("faults", tests, NULL, NULL);
}
