// SPDX-License-Identifier: Apache-2.0
/*
 * Transports talking over loopback in one process: streams come up both
 * ways, every message type arrives in order, the pipeline carries traffic
 * while no stream is up, removal and stop under traffic are clean.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cluster.h"

static const int32_t wire_types[] = {RAFTHTTP_MSG_PROP,
                                     RAFTHTTP_MSG_APP,
                                     RAFTHTTP_MSG_APP_RESP,
                                     RAFTHTTP_MSG_VOTE,
                                     RAFTHTTP_MSG_VOTE_RESP,
                                     RAFTHTTP_MSG_SNAP,
                                     RAFTHTTP_MSG_HEARTBEAT,
                                     RAFTHTTP_MSG_HEARTBEAT_RESP,
                                     RAFTHTTP_MSG_TRANSFER_LEADER,
                                     RAFTHTTP_MSG_TIMEOUT_NOW,
                                     RAFTHTTP_MSG_READ_INDEX,
                                     RAFTHTTP_MSG_READ_INDEX_RESP,
                                     RAFTHTTP_MSG_PRE_VOTE,
                                     RAFTHTTP_MSG_PRE_VOTE_RESP};
#define N_TYPES (sizeof(wire_types) / sizeof(wire_types[0]))

static struct rafthttp_message make_msg(int32_t type, uint64_t from,
                                        uint64_t to, uint64_t index)
{
    struct rafthttp_message m = {.type = type,
                                 .from = from,
                                 .to = to,
                                 .term = 3,
                                 .log_term = 3,
                                 .index = index,
                                 .commit = index};
    return m;
}

static void test_streams_come_up(void **state)
{
    (void)state;
    struct tc_cluster c;
    tc_start(&c, 2, NULL);
    tc_connect_all(&c);
    assert_true(tc_wait_streams(&c, 0, 1));
    assert_int_equal(rafthttp_transport_active_peers(c.nodes[0].t), 1);
    assert_true(rafthttp_transport_active_since(c.nodes[0].t, 2) > 0);
    tc_stop(&c);
}

static void test_every_type_arrives(void **state)
{
    (void)state;
    struct tc_cluster c;
    tc_start(&c, 2, NULL);
    tc_connect_all(&c);
    assert_true(tc_wait_streams(&c, 0, 1));
    struct rafthttp_message ms[N_TYPES];
    for (size_t i = 0; i < N_TYPES; i++) {
        ms[i] = make_msg(wire_types[i], 1, 2, i + 1);
    }
    assert_int_equal(rafthttp_transport_send(c.nodes[0].t, ms, N_TYPES), 0);
    assert_true(tc_wait_records(&c.nodes[1], N_TYPES));
    bool seen[N_TYPES] = {false};
    for (size_t i = 0; i < c.nodes[1].n_records; i++) {
        struct tc_record *r = &c.nodes[1].records[i];
        assert_int_equal(r->from, 1);
        assert_int_equal(r->to, 2);
        assert_int_equal(r->index, r->commit);
        seen[r->index - 1] = true;
        assert_int_equal(r->type, wire_types[r->index - 1]);
    }
    for (size_t i = 0; i < N_TYPES; i++) {
        assert_true(seen[i]);
    }
    tc_stop(&c);
}

/* Appends on the msgapp stream keep their order, entries included. */
static void test_appends_in_order(void **state)
{
    (void)state;
    struct tc_cluster c;
    tc_start(&c, 2, NULL);
    tc_connect_all(&c);
    assert_true(tc_wait_streams(&c, 0, 1));
    enum { N = 2000 };
    static uint8_t data[1000];
    for (uint64_t i = 0; i < N; i++) {
        struct rafthttp_entry e = {
            .term = 3, .index = i + 1, .data = {data, i % sizeof(data)}};
        struct rafthttp_message m = make_msg(RAFTHTTP_MSG_APP, 1, 2, i);
        m.entries = &e;
        m.n_entries = 1;
        assert_int_equal(rafthttp_transport_send(c.nodes[0].t, &m, 1), 0);
    }
    assert_true(tc_wait_records(&c.nodes[1], N));
    for (uint64_t i = 0; i < N; i++) {
        struct tc_record *r = &c.nodes[1].records[i];
        assert_int_equal(r->type, RAFTHTTP_MSG_APP);
        assert_int_equal(r->index, i);
        assert_int_equal(r->n_entries, 1);
        assert_int_equal(r->data_len, i % sizeof(data));
    }
    tc_stop(&c);
}

/* With no stream (the peer is a remote), messages go by POST /raft. */
static void test_pipeline_to_remote(void **state)
{
    (void)state;
    struct tc_cluster c;
    tc_start(&c, 2, NULL);
    const char *url = c.nodes[1].url;
    assert_int_equal(rafthttp_transport_add_remote(c.nodes[0].t, 2, &url, 1),
                     0);
    struct rafthttp_message ms[10];
    for (size_t i = 0; i < 10; i++) {
        ms[i] = make_msg(RAFTHTTP_MSG_HEARTBEAT, 1, 2, i + 1);
    }
    assert_int_equal(rafthttp_transport_send(c.nodes[0].t, ms, 10), 0);
    assert_true(tc_wait_records(&c.nodes[1], 10));
    tc_stop(&c);
}

static void pipeline_only(struct rafthttp_config *cfg)
{
    cfg->pipeline_only = true;
}

/* pipeline_only: no stream either way, everything arrives by POST. */
static void test_pipeline_only(void **state)
{
    (void)state;
    struct tc_cluster c;
    tc_start(&c, 2, pipeline_only);
    tc_connect_all(&c);
    enum { N = 200 };
    static uint8_t data[100];
    for (uint64_t i = 0; i < N; i++) {
        struct rafthttp_entry e = {
            .term = 3, .index = i + 1, .data = {data, sizeof(data)}};
        struct rafthttp_message m[2] = {
            make_msg(RAFTHTTP_MSG_APP, 1, 2, i),
            make_msg(RAFTHTTP_MSG_HEARTBEAT, 1, 2, i)};
        m[0].entries = &e;
        m[0].n_entries = 1;
        assert_int_equal(rafthttp_transport_send(c.nodes[0].t, m, 2), 0);
        if (i % 16 == 15) { /* stay within the POST queue (64) */
            assert_true(tc_wait_records(&c.nodes[1], 2 * (i + 1)));
        }
    }
    assert_true(tc_wait_records(&c.nodes[1], 2 * N));
    struct rafthttp_stats st;
    rafthttp_transport_stats(c.nodes[1].t, &st);
    assert_int_equal(st.received_pipeline, 2 * N);
    for (size_t i = 0; i < 2; i++) {
        struct rafthttp_peer_status ps;
        assert_int_equal(rafthttp_transport_peer_status(c.nodes[i].t,
                                                        c.nodes[1 - i].id, &ps),
                         0);
        assert_false(ps.msgapp_writer || ps.message_writer ||
                     ps.msgapp_reader || ps.message_reader);
    }
    tc_stop(&c);
}

static bool is_held(struct tc_node *n)
{
    return n->held;
}

static uint64_t received(struct tc_node *n)
{
    struct rafthttp_stats st;
    rafthttp_transport_stats(n->t, &st);
    return st.received_msgs;
}

/*
 * A heartbeat that arrives while appends wait for a busy raft core goes
 * ahead of them; the appends keep their order.
 */
static void test_heartbeat_overtakes_queued_appends(void **state)
{
    (void)state;
    struct tc_cluster c;
    tc_start(&c, 2, NULL);
    tc_connect_all(&c);
    assert_true(tc_wait_streams(&c, 0, 1));
    struct tc_node *n2 = &c.nodes[1];
    enum { N = 10 };
    struct rafthttp_entry e = {.term = 3, .index = 1};
    struct rafthttp_message ms[N + 1];
    for (uint64_t i = 0; i <= N; i++) {
        ms[i] = make_msg(RAFTHTTP_MSG_APP, 1, 2, i);
        ms[i].entries = &e;
        ms[i].n_entries = 1;
    }
    n2->hold = true;
    assert_int_equal(rafthttp_transport_send(c.nodes[0].t, ms, 1), 0);
    assert_true(tc_wait_until(n2, is_held)); /* inside process(ms[0]) */
    uint64_t before = received(n2);
    assert_int_equal(rafthttp_transport_send(c.nodes[0].t, ms + 1, N), 0);
    struct rafthttp_message hb = make_msg(RAFTHTTP_MSG_HEARTBEAT, 1, 2, 99);
    assert_int_equal(rafthttp_transport_send(c.nodes[0].t, &hb, 1), 0);
    for (int i = 0; i < 1500 && received(n2) < before + N + 1; i++) {
        tc_sleep_ms(10); /* until all are queued behind ms[0] */
    }
    pthread_mutex_lock(&n2->mu);
    n2->hold = false;
    pthread_cond_broadcast(&n2->cv);
    pthread_mutex_unlock(&n2->mu);
    assert_true(tc_wait_records(n2, N + 2));
    struct tc_record *r = n2->records;
    assert_int_equal(r[0].index, 0);
    assert_int_equal(r[1].type, RAFTHTTP_MSG_HEARTBEAT);
    for (uint64_t i = 1; i <= N; i++) {
        assert_int_equal(r[i + 1].type, RAFTHTTP_MSG_APP);
        assert_int_equal(r[i + 1].index, i);
    }
    tc_stop(&c);
}

static void test_unreachable_when_peer_down(void **state)
{
    (void)state;
    struct tc_cluster c;
    tc_start(&c, 1, NULL);
    const char *url = "http://127.0.0.1:1"; /* nothing listens there */
    assert_int_equal(rafthttp_transport_add_peer(c.nodes[0].t, 2, &url, 1), 0);
    struct rafthttp_message m = make_msg(RAFTHTTP_MSG_VOTE, 1, 2, 1);
    assert_int_equal(rafthttp_transport_send(c.nodes[0].t, &m, 1), 0);
    struct tc_node *n = &c.nodes[0];
    for (int i = 0; i < 1500 && tc_unreachable(n, 2) == 0; i++) {
        tc_sleep_ms(10);
    }
    assert_true(tc_unreachable(n, 2) > 0);
    struct rafthttp_peer_status st;
    assert_int_equal(rafthttp_transport_peer_status(n->t, 2, &st), 0);
    assert_false(st.active);
    assert_true(strlen(st.reason) > 0);
    tc_stop(&c);
}

/* Stop while both sides push traffic: returns, and nothing leaks. */
static void test_stop_under_load(void **state)
{
    (void)state;
    struct tc_cluster c;
    tc_start(&c, 3, NULL);
    tc_connect_all(&c);
    assert_true(tc_wait_streams(&c, 0, 1));
    static uint8_t data[4096];
    for (int round = 0; round < 200; round++) {
        for (size_t i = 0; i < 3; i++) {
            struct rafthttp_entry e = {.index = 1, .data = {data, 4096}};
            struct rafthttp_message m =
                make_msg(RAFTHTTP_MSG_APP, i + 1, (i + 1) % 3 + 1, 1);
            m.entries = &e;
            m.n_entries = 1;
            rafthttp_transport_send(c.nodes[i].t, &m, 1);
        }
    }
    rafthttp_transport_remove_peer(c.nodes[0].t, 2);
    tc_stop(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_streams_come_up),
        cmocka_unit_test(test_every_type_arrives),
        cmocka_unit_test(test_appends_in_order),
        cmocka_unit_test(test_pipeline_to_remote),
        cmocka_unit_test(test_pipeline_only),
        cmocka_unit_test(test_heartbeat_overtakes_queued_appends),
        cmocka_unit_test(test_unreachable_when_peer_down),
        cmocka_unit_test(test_stop_under_load),
    };
    return cmocka_run_group_tests_name("transport", tests, NULL, NULL);
}
