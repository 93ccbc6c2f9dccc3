// SPDX-License-Identifier: Apache-2.0
/*
 * What operators see: the prober's health and RTT for live and dead peers
 * (with etcd's rate-limited warning), and the metrics and leader stats
 * after real traffic and a snapshot.
 */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cluster.h"

static struct rafthttp_peer_status status_of(struct tc_node *n, uint64_t id)
{
    struct rafthttp_peer_status st;
    assert_int_equal(rafthttp_transport_peer_status(n->t, id, &st), 0);
    return st;
}

/* Bounded wait for a probe condition on node 1's peer id. */
static bool wait_probe(struct tc_node *n, uint64_t id, bool healthy)
{
    for (int i = 0; i < 1200; i++) {
        struct rafthttp_peer_status st = status_of(n, id);
        bool seen = healthy ? st.probes > st.probe_failures && st.probe_healthy
                            : st.probe_failures > 0 && !st.probe_healthy;
        if (seen) {
            return true;
        }
        tc_sleep_ms(10);
    }
    return false;
}

static bool warned(struct tc_node *n)
{
    return n->unhealthy_warnings > 0;
}

static void test_probing_live_and_dead(void **state)
{
    (void)state;
    struct tc_cluster c;
    tc_start(&c, 2, NULL);
    tc_connect_all(&c);
    const char *dead = "http://127.0.0.1:1";
    assert_int_equal(rafthttp_transport_add_peer(c.nodes[0].t, 9, &dead, 1), 0);
    assert_true(wait_probe(&c.nodes[0], 2, true));
    struct rafthttp_peer_status st = status_of(&c.nodes[0], 2);
    assert_true(st.rtt_s > 0 && st.rtt_s < 1.0);
    assert_true(st.clock_diff_s > -1.0 && st.clock_diff_s < 1.0);
    assert_true(wait_probe(&c.nodes[0], 9, false));
    /* etcd's monitor: the first look is 5 s in, then it warns. */
    assert_true(tc_wait_until(&c.nodes[0], warned));
    tc_stop(&c);
}

static int64_t read_source(uint8_t *buf, size_t len, void *ud)
{
    uint64_t *left = ud;
    size_t n = *left < len ? (size_t)*left : len;
    memset(buf, 'x', n);
    *left -= n;
    return (int64_t)n;
}

/* The value of the sample whose line starts with prefix, or -1. */
static double sample(const char *text, const char *prefix)
{
    const char *at = strstr(text, prefix);
    if (at == NULL) {
        return -1;
    }
    return strtod(at + strlen(prefix), NULL);
}

static void test_metrics_after_traffic(void **state)
{
    (void)state;
    struct tc_cluster c;
    tc_start(&c, 2, NULL);
    tc_connect_all(&c);
    assert_true(tc_wait_streams(&c, 0, 1));
    static uint8_t data[1000];
    for (uint64_t i = 0; i < 100; i++) {
        struct rafthttp_entry e = {.index = i + 1, .data = {data, 1000}};
        struct rafthttp_message m = {.type = RAFTHTTP_MSG_APP,
                                     .from = 1,
                                     .to = 2,
                                     .index = i,
                                     .entries = &e,
                                     .n_entries = 1};
        rafthttp_transport_send(c.nodes[0].t, &m, 1);
    }
    assert_true(tc_wait_records(&c.nodes[1], 100));
    uint64_t left = 5000;
    struct rafthttp_message snap = {
        .type = RAFTHTTP_MSG_SNAP, .from = 1, .to = 2};
    struct rafthttp_snapshot_source src = {
        .read = read_source, .fd = -1, .size = 5000, .user_data = &left};
    assert_int_equal(
        rafthttp_transport_send_snapshot(c.nodes[0].t, &snap, &src), 0);
    for (int i = 0; i < 1000 && c.nodes[1].snapshots == 0; i++) {
        tc_sleep_ms(10);
    }
    tc_sleep_ms(100); /* the sender's bookkeeping follows the 204 */
    size_t len = 0;
    assert_int_equal(rafthttp_transport_metrics(c.nodes[0].t, NULL, 0, &len),
                     RAFTHTTP_ETOOBIG);
    char *text = malloc(len + 1);
    assert_int_equal(
        rafthttp_transport_metrics(c.nodes[0].t, text, len + 1, &len), 0);
    assert_true(sample(text, "etcd_network_peer_sent_bytes_total{To=\"2\"} ") >
                100000);
    assert_int_equal(
        sample(text, "etcd_network_snapshot_send_success{To=\"2\"} "), 1);
    assert_int_equal(
        sample(text, "etcd_network_active_peers{Local=\"1\",Remote=\"2\"} "),
        1);
    free(text);
    /* The receiver counts the snapshot and the bytes. */
    assert_int_equal(rafthttp_transport_metrics(c.nodes[1].t, NULL, 0, &len),
                     RAFTHTTP_ETOOBIG);
    text = malloc(len + 1);
    assert_int_equal(
        rafthttp_transport_metrics(c.nodes[1].t, text, len + 1, &len), 0);
    assert_int_equal(
        sample(text, "etcd_network_snapshot_receive_success{From=\"1\"} "), 1);
    assert_true(
        sample(text, "etcd_network_peer_received_bytes_total{From=\"1\"} ") >
        100000);
    free(text);
    char json[2048];
    assert_int_equal(
        rafthttp_transport_leader_stats(c.nodes[0].t, json, sizeof(json), &len),
        0);
    assert_non_null(strstr(json, "{\"leader\":\"1\",\"followers\":{\"2\":"));
    assert_non_null(strstr(json, "\"counts\":{\"fail\":0,\"success\":100}"));
    tc_stop(&c);
}

/* Three members of one process scraped as one exposition. */
static void test_metrics_of_several(void **state)
{
    (void)state;
    struct tc_cluster c;
    tc_start(&c, 3, NULL);
    tc_connect_all(&c);
    assert_true(tc_wait_streams(&c, 0, 1));
    assert_true(tc_wait_streams(&c, 1, 2));
    struct rafthttp_transport *ts[3] = {c.nodes[0].t, c.nodes[1].t,
                                        c.nodes[2].t};
    size_t len = 0;
    assert_int_equal(rafthttp_metrics_write(ts, 3, NULL, 0, &len),
                     RAFTHTTP_ETOOBIG);
    char *text = malloc(len + 1);
    assert_int_equal(rafthttp_metrics_write(ts, 3, text, len + 1, &len), 0);
    assert_int_equal(strlen(text), len);
    assert_int_equal(
        sample(text, "etcd_network_active_peers{Local=\"3\",Remote=\"1\"} "),
        1);
    assert_non_null(strstr(
        text, "etcd_network_peer_sent_bytes_total{Local=\"2\",To=\"3\"}"));
    const char *help = "# HELP etcd_network_peer_sent_bytes_total ";
    const char *first = strstr(text, help);
    assert_non_null(first);
    assert_null(strstr(first + 1, help));
    free(text);
    /* One transport: the same text as rafthttp_transport_metrics. */
    char a[65536], b[65536];
    size_t la = 0, lb = 0;
    assert_int_equal(rafthttp_metrics_write(ts, 1, a, sizeof(a), &la), 0);
    assert_int_equal(rafthttp_transport_metrics(ts[0], b, sizeof(b), &lb), 0);
    assert_null(strstr(a, "Local=\"1\",To="));
    assert_non_null(strstr(a, "{To=\"2\"}"));
    /* Misuse names the argument. */
    struct rafthttp_transport *with_null[2] = {ts[0], NULL};
    assert_int_equal(rafthttp_metrics_write(with_null, 2, a, sizeof(a), &la),
                     RAFTHTTP_EINVAL);
    assert_string_equal(rafthttp_transport_errmsg(NULL),
                        "metrics_write: ts[1] is NULL");
    assert_int_equal(rafthttp_metrics_write(ts, 0, a, sizeof(a), &la),
                     RAFTHTTP_EINVAL);
    assert_string_equal(rafthttp_transport_errmsg(NULL),
                        "metrics_write: n 0 (no transports)");
    tc_stop(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_probing_live_and_dead),
        cmocka_unit_test(test_metrics_after_traffic),
        cmocka_unit_test(test_metrics_of_several),
    };
    return cmocka_run_group_tests_name("observe", tests, NULL, NULL);
}
