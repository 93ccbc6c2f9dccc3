// SPDX-License-Identifier: Apache-2.0
/*
 * The prober (xiang90/probing as etcd uses it): the /raft/probing body as
 * etcd's server writes it and as Go's decoder reads it, refused shapes and
 * cut-off bodies (each fed from a heap block of its exact length, so ASan
 * sees any read past it), the smoothed RTT and clock difference against
 * numbers printed by the Go code itself, endpoint rotation on failure, and
 * the schedules of the probe ticker and of the monitor.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "probing/prober.h"

/* wire-protocol.md 2.1, byte for byte (json.Encoder ends with '\n'). */
static const char wire_body[] =
    "{\"OK\":true,\"Now\":\"2026-11-25T14:01:39.990669091Z\"}\n";
/* What Go's time.Time.UnixNano() gives for that Now. */
#define WIRE_NS INT64_C(1795615299990669091)

/* Parses n bytes of s from a heap block of exactly n bytes. */
static int parse_exact(const char *s, size_t n, bool *ok, int64_t *ns)
{
    char *copy = malloc(n > 0 ? n : 1);
    assert_non_null(copy);
    memcpy(copy, s, n);
    int rv = rh_probe_parse(copy, n, ok, ns);
    free(copy);
    return rv;
}

static int parse_str(const char *s, bool *ok, int64_t *ns)
{
    return parse_exact(s, strlen(s), ok, ns);
}

/* Parses a body around the given Now; *ns gets the Unix ns. */
static int parse_now_rv(const char *now, int64_t *ns)
{
    char body[160];
    int n = snprintf(body, sizeof(body), "{\"OK\":true,\"Now\":\"%s\"}", now);
    assert_true(n > 0 && (size_t)n < sizeof(body));
    bool ok = false;
    int rv = parse_str(body, &ok, ns);
    assert_true(rv != 0 || ok);
    return rv;
}

static int64_t parse_now(const char *now)
{
    int64_t ns = 0;
    assert_int_equal(parse_now_rv(now, &ns), 0);
    return ns;
}

static void test_parse_wire_example(void **state)
{
    (void)state;
    bool ok = false;
    int64_t ns = 0;
    assert_int_equal(parse_exact(wire_body, strlen(wire_body), &ok, &ns), 0);
    assert_true(ok);
    assert_int_equal(ns, WIRE_NS);
    /* Without the encoder's newline too. */
    assert_int_equal(parse_exact(wire_body, strlen(wire_body) - 1, &ok, &ns),
                     0);
    assert_int_equal(ns, WIRE_NS);
}

/* Values from Go 1.19's json.Unmarshal into time.Time, then UnixNano(). */
static void test_parse_time_forms(void **state)
{
    (void)state;
    assert_int_equal(parse_now("2026-11-25T14:01:39Z"),
                     INT64_C(1795615299000000000));
    assert_int_equal(parse_now("2026-11-25T16:01:39.5+02:00"),
                     INT64_C(1795615299500000000));
    assert_int_equal(parse_now("2026-11-25T14:01:39-00:00"),
                     INT64_C(1795615299000000000));
    assert_int_equal(parse_now("2026-11-25T08:31:39.1-05:30"),
                     INT64_C(1795615299100000000));
    assert_int_equal(parse_now("2026-11-25T14:01:39.000000001Z"),
                     INT64_C(1795615299000000001));
    assert_int_equal(parse_now("2026-11-25T14:01:39.12Z"),
                     INT64_C(1795615299120000000));
    assert_int_equal(parse_now("1970-01-01T00:00:00Z"), 0);
    assert_int_equal(parse_now("1969-12-31T23:59:59.5Z"), -500000000);
    assert_int_equal(parse_now("2024-02-29T00:00:00Z"),
                     INT64_C(1709164800000000000));
    assert_int_equal(parse_now("2000-02-29T23:59:59Z"),
                     INT64_C(951868799000000000));
    /* The ends of int64 nanoseconds, as Go prints them. */
    assert_int_equal(parse_now("2262-04-11T23:47:16.854775807Z"), INT64_MAX);
    assert_int_equal(parse_now("1677-09-21T00:12:43.145224192Z"), INT64_MIN);
}

static void test_parse_ok_false(void **state)
{
    (void)state;
    bool ok = true;
    int64_t ns = 0;
    assert_int_equal(
        parse_str("{\"OK\":false,\"Now\":\"2026-11-25T14:01:39Z\"}", &ok, &ns),
        0);
    assert_false(ok);
    assert_int_equal(ns, INT64_C(1795615299000000000));
}

/* Shapes Go's decoder takes: spacing, order, any case, extra members. */
static void test_parse_json_shapes(void **state)
{
    (void)state;
    static const char *const bodies[] = {
        " { \"OK\" : true , \"Now\" : \"2026-11-25T14:01:39Z\" } \r\n\t",
        "{\"Now\":\"2026-11-25T14:01:39Z\",\"OK\":true}",
        "{\"ok\":true,\"now\":\"2026-11-25T14:01:39Z\"}",
        "{\"OK\":true,\"X\":[1,{\"a\":\"}\"},-2.5e3],\"Y\":null,"
        "\"Z\":\"q\\\"\",\"Now\":\"2026-11-25T14:01:39Z\"}",
        "{\"OK\":true,\"X\":\"\\u00e9\\n\\/\",\"Y\":-0.5E+3,\"Z\":[],"
        "\"W\":{},\"Now\":\"2026-11-25T14:01:39Z\"}",
        /* A repeated member: the last one counts, as in Go. */
        "{\"OK\":false,\"Now\":\"2000-01-01T00:00:00Z\",\"OK\":true,"
        "\"Now\":\"2026-11-25T14:01:39Z\"}",
    };
    for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
        bool ok = false;
        int64_t ns = 0;
        assert_int_equal(parse_str(bodies[i], &ok, &ns), 0);
        assert_true(ok);
        assert_int_equal(ns, INT64_C(1795615299000000000));
    }
}

/* Bodies Go's decoder refuses, or that miss what we require. */
static const char *const bad_bodies[] = {
    "",
    "\n",
    "{}",
    "[]",
    "null",
    "{\"OK\":true}",
    "{\"Now\":\"2026-11-25T14:01:39Z\"}",
    "{\"OK\":\"true\",\"Now\":\"2026-11-25T14:01:39Z\"}",
    "{\"OK\":1,\"Now\":\"2026-11-25T14:01:39Z\"}",
    "{\"OK\":null,\"Now\":\"2026-11-25T14:01:39Z\"}",
    "{\"OK\":truex,\"Now\":\"2026-11-25T14:01:39Z\"}",
    "{\"OK\":True,\"Now\":\"2026-11-25T14:01:39Z\"}",
    "{\"OK\":true,\"Now\":123}",
    "{\"OK\":true,\"Now\":null}",
    "{\"OK\":true,\"Now\":\"2026-11-25T14:01:39Z\",}",
    "{\"OK\":true \"Now\":\"2026-11-25T14:01:39Z\"}",
    "{\"OK\" true,\"Now\":\"2026-11-25T14:01:39Z\"}",
    "{OK:true,\"Now\":\"2026-11-25T14:01:39Z\"}",
    "{\"OK\":true,\"Now\":\"2026-11-25T14:01:39Z\"} x",
    "{\"OK\":true,\"Now\":\"2026-11-25T14:01:39Z\"}{}",
    "{\"OK\":true,\"X\":[},\"Now\":\"2026-11-25T14:01:39Z\"}",
    "{\"OK\":true,\"X\":{],\"Now\":\"2026-11-25T14:01:39Z\"}",
    "{\"OK\":true,\"X\":},\"Now\":\"2026-11-25T14:01:39Z\"}",
    "{\"OK\":true,\"X\":\"a\nb\",\"Now\":\"2026-11-25T14:01:39Z\"}",
    "{\"OK\":true,\"Now\":\"2026-11-25T14:01:39\\u005a\"}",
    /* Unknown members must still be valid JSON, as Go checks. */
    "{\"OK\":true,\"X\":[1 2],\"Now\":\"2026-11-25T14:01:39Z\"}",
    "{\"OK\":true,\"X\":{\"a\" 1},\"Now\":\"2026-11-25T14:01:39Z\"}",
    "{\"OK\":true,\"X\":{1:1},\"Now\":\"2026-11-25T14:01:39Z\"}",
    "{\"OK\":true,\"X\":[1,],\"Now\":\"2026-11-25T14:01:39Z\"}",
    "{\"OK\":true,\"X\":01,\"Now\":\"2026-11-25T14:01:39Z\"}",
    "{\"OK\":true,\"X\":1.,\"Now\":\"2026-11-25T14:01:39Z\"}",
    "{\"OK\":true,\"X\":1e,\"Now\":\"2026-11-25T14:01:39Z\"}",
    "{\"OK\":true,\"X\":+1,\"Now\":\"2026-11-25T14:01:39Z\"}",
    "{\"OK\":true,\"X\":-,\"Now\":\"2026-11-25T14:01:39Z\"}",
    "{\"OK\":true,\"X\":tru,\"Now\":\"2026-11-25T14:01:39Z\"}",
    "{\"OK\":true,\"X\":nulls,\"Now\":\"2026-11-25T14:01:39Z\"}",
    "{\"OK\":true,\"X\":\"\\q\",\"Now\":\"2026-11-25T14:01:39Z\"}",
    "{\"OK\":true,\"X\":\"\\u12G4\",\"Now\":\"2026-11-25T14:01:39Z\"}",
};

static void test_parse_malformed(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(bad_bodies) / sizeof(bad_bodies[0]); i++) {
        bool ok = false;
        int64_t ns = 0;
        assert_int_equal(parse_str(bad_bodies[i], &ok, &ns), RAFTHTTP_EPROTO);
    }
    bool ok;
    int64_t ns;
    assert_int_equal(rh_probe_parse(NULL, 0, &ok, &ns), RAFTHTTP_EPROTO);
}

/* Times Go's encoder never writes; Go's parser refuses most of them too. */
static void test_parse_bad_times(void **state)
{
    (void)state;
    static const char *const times[] = {
        "2026-11-25T14:01:39",             /* no zone */
        "2026-11-25T14:01:39.Z",           /* '.' without digits */
        "2026-11-25T14:01:39.1234567891Z", /* ten digits */
        "2026-11-25T14:01:39,5Z",          /* Go 1.19 takes ',' */
        "2026-11-25t14:01:39Z",
        "2026-11-25T14:01:39z",
        "2026-11-25 14:01:39Z",
        "2026-02-29T00:00:00Z",
        "1900-02-29T00:00:00Z",
        "2026-04-31T00:00:00Z",
        "2026-13-01T00:00:00Z",
        "2026-00-01T00:00:00Z",
        "2026-11-00T00:00:00Z",
        "2026-11-25T24:00:00Z",
        "2026-11-25T14:60:39Z",
        "2026-11-25T14:01:60Z",
        "2026-11-25T14:01:39+24:00",
        "2026-11-25T14:01:39+02:60",
        "2026-11-25T14:01:39+0200",
        "2026-11-25T14:01:39+02",
        "2026-11-25T14:01:39Z ",
        "26-11-25T14:01:39Z",
        "2026-1-25T14:01:39Z",
        "2026-11-25T14:01:3Z",
        "+026-11-25T14:01:39Z",
        "2026-11-25T14:01:39.-1Z",
        /* One nanosecond past either end of int64. */
        "2262-04-11T23:47:16.854775808Z",
        "1677-09-21T00:12:43.145224191Z",
        "0000-01-01T00:00:00Z",
        "9999-12-31T23:59:59Z",
        "",
    };
    for (size_t i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
        int64_t ns;
        assert_int_equal(parse_now_rv(times[i], &ns), RAFTHTTP_EPROTO);
    }
}

/* Nested values in an unknown member: 32 levels deep at most. */
static int parse_nested(size_t depth)
{
    char body[160];
    size_t n = 0;
    const char *head = "{\"OK\":true,\"X\":";
    const char *tail = ",\"Now\":\"2026-11-25T14:01:39Z\"}";
    memcpy(body, head, strlen(head));
    n += strlen(head);
    memset(body + n, '[', depth);
    n += depth;
    body[n++] = '1';
    memset(body + n, ']', depth);
    n += depth;
    memcpy(body + n, tail, strlen(tail));
    n += strlen(tail);
    bool ok;
    int64_t ns;
    return parse_exact(body, n, &ok, &ns);
}

static void test_parse_nesting(void **state)
{
    (void)state;
    assert_int_equal(parse_nested(0), 0);
    assert_int_equal(parse_nested(32), 0);
    assert_int_equal(parse_nested(33), RAFTHTTP_EPROTO);
    assert_int_equal(parse_nested(40), RAFTHTTP_EPROTO);
}

/* Every prefix of a body is refused, and none is read past its end. */
static void check_prefixes(const char *body, size_t valid_from)
{
    size_t n = strlen(body);
    for (size_t k = 0; k < n; k++) {
        bool ok = false;
        int64_t ns = 0;
        int rv = parse_exact(body, k, &ok, &ns);
        assert_int_equal(rv, k >= valid_from ? 0 : RAFTHTTP_EPROTO);
    }
}

static void test_parse_truncated(void **state)
{
    (void)state;
    /* Only the newline may go. */
    check_prefixes(wire_body, strlen(wire_body) - 1);
    check_prefixes("{\"OK\":true,\"X\":[{\"s\":\"a\\\"b\"},12,false],"
                   "\"Now\":\"2026-11-25T16:01:39.5+02:00\"}",
                   SIZE_MAX);
    check_prefixes("{\"OK\":false,\"Now\":\"2026-11-25T14:01:39Z\"}", SIZE_MAX);
}

/*
 * srtt and clockdiff against Go: status.record() run on the same inputs
 * printed (int64(srtt), srtt.Seconds(), int64(cd), cd.Seconds()) as
 * below. The first sample gives 0.125 * rtt, as Go's srtt starts at 0.
 */
struct probe_step {
    double rtt_s;
    int64_t delta_ns; /* local - remote */
    int64_t srtt_ns;
    double srtt_s;
    int64_t cd_ns;
    double cd_s;
};

static void test_srtt_clockdiff(void **state)
{
    (void)state;
    static const struct probe_step steps[] = {
        {0.001, INT64_C(2500000000), 125000, 0.000125, INT64_C(2499937500),
         2.4999375},
        {0.002, INT64_C(-3000000000), 359375, 0.000359375, INT64_C(-3000179687),
         -3.000179687},
        {3e-9, INT64_C(1000179687), 314453, 0.000314453, INT64_C(1000022461),
         1.000022461},
        {0.999999999, INT64_C(1062637573), 125275146, 0.125275146,
         INT64_C(1000000000), 1},
        {1.5, 0, 297115752, 0.297115752, -148557876, -0.148557876},
    };
    struct rh_probe_status st;
    rh_probe_init(&st, 0);
    assert_false(st.ever_ok);
    assert_true(st.srtt_s == 0);
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        const struct probe_step *s = &steps[i];
        rh_probe_record_ok(&st, s->rtt_s, WIRE_NS, WIRE_NS + s->delta_ns);
        assert_int_equal(st.srtt_ns, s->srtt_ns);
        assert_int_equal(st.clock_diff_ns, s->cd_ns);
        assert_true(st.srtt_s == s->srtt_s);
        assert_true(st.clock_diff_s == s->cd_s);
        assert_true(st.healthy);
        assert_true(st.ever_ok);
        assert_int_equal(st.total, i + 1);
        assert_int_equal(st.loss, 0);
    }
}

/* Extreme clocks saturate instead of overflowing. */
static void test_clockdiff_saturates(void **state)
{
    (void)state;
    struct rh_probe_status st;
    rh_probe_init(&st, 0);
    rh_probe_record_ok(&st, 0.008, INT64_MIN, INT64_MAX);
    assert_int_equal(st.srtt_ns, 1000000);
    assert_int_equal(st.clock_diff_ns, INT64_MAX - 500000);
    rh_probe_record_ok(&st, -1, INT64_MAX, INT64_MIN);
    assert_int_equal(st.srtt_ns, 875000);
    assert_int_equal(st.clock_diff_ns, INT64_MIN);
}

static void test_record_fail_rotation(void **state)
{
    (void)state;
    struct rh_probe_status st;
    rh_probe_init(&st, 0);
    rh_probe_record_ok(&st, 0.001, WIRE_NS, WIRE_NS);
    static const size_t pinned[] = {1, 2, 0, 1};
    for (size_t i = 0; i < 4; i++) {
        rh_probe_record_fail(&st, 3);
        assert_int_equal(st.pinned, pinned[i]);
        assert_false(st.healthy);
        assert_int_equal(st.loss, i + 1);
        assert_int_equal(st.total, i + 2);
        /* A failure keeps the last srtt and clockdiff, as Go does. */
        assert_int_equal(st.srtt_ns, 125000);
        assert_int_equal(st.clock_diff_ns, -62500);
        assert_true(st.ever_ok);
    }
    /* A success stays on the endpoint that answered. */
    rh_probe_record_ok(&st, 0.001, WIRE_NS, WIRE_NS);
    assert_true(st.healthy);
    assert_int_equal(st.pinned, 1);
    assert_int_equal(st.loss, 4);
    /* One endpoint, or none (never divides by zero). */
    rh_probe_record_fail(&st, 1);
    assert_int_equal(st.pinned, 0);
    rh_probe_record_fail(&st, 1);
    assert_int_equal(st.pinned, 0);
    rh_probe_record_fail(&st, 0);
    assert_int_equal(st.pinned, 0);
}

/* First look 5 s after init; then 5 s while unhealthy, 30 s while healthy. */
static void test_monitor_schedule(void **state)
{
    (void)state;
    struct rh_probe_status st;
    rh_probe_init(&st, 1000);
    assert_int_equal(st.next_monitor_ms, 6000);
    assert_int_equal(rh_probe_monitor(&st, 5999), 0);
    /* Unhealthy, no sample yet: warn, nothing to observe. */
    assert_int_equal(rh_probe_monitor(&st, 6000), RH_PROBE_WARN_UNHEALTHY);
    assert_int_equal(st.next_monitor_ms, 11000);
    assert_int_equal(rh_probe_monitor(&st, 6000), 0);
    rh_probe_record_ok(&st, 0.001, WIRE_NS, WIRE_NS);
    assert_int_equal(rh_probe_monitor(&st, 10999), 0);
    assert_int_equal(rh_probe_monitor(&st, 11000), RH_PROBE_OBSERVE_RTT);
    assert_int_equal(st.next_monitor_ms, 41000);
    assert_int_equal(rh_probe_monitor(&st, 40999), 0);
    rh_probe_record_fail(&st, 2);
    /* Once a sample exists it is observed on every wake-up. */
    assert_int_equal(rh_probe_monitor(&st, 41000),
                     RH_PROBE_OBSERVE_RTT | RH_PROBE_WARN_UNHEALTHY);
    assert_int_equal(st.next_monitor_ms, 46000);
    /* A late wake-up schedules from when it ran, as time.After does. */
    rh_probe_record_ok(&st, 0.001, WIRE_NS, WIRE_NS);
    assert_int_equal(rh_probe_monitor(&st, 50000), RH_PROBE_OBSERVE_RTT);
    assert_int_equal(st.next_monitor_ms, 80000);
}

/* Drift is |clockdiff| > 1 s, strictly (etcd: clockdiff > 1 s). */
static void test_monitor_drift(void **state)
{
    (void)state;
    struct rh_probe_status st;
    rh_probe_init(&st, 0);
    /* srtt 125000 ns: clockdiff = delta - 62500. */
    rh_probe_record_ok(&st, 0.001, WIRE_NS, WIRE_NS + 1000062500);
    assert_int_equal(st.clock_diff_ns, 1000000000);
    assert_int_equal(rh_probe_monitor(&st, 5000), RH_PROBE_OBSERVE_RTT);
    /* srtt 234375 ns now: clockdiff = delta - 117187. */
    rh_probe_record_ok(&st, 0.001, WIRE_NS, WIRE_NS + 1000117188);
    assert_int_equal(st.clock_diff_ns, 1000000001);
    assert_int_equal(rh_probe_monitor(&st, 35000),
                     RH_PROBE_OBSERVE_RTT | RH_PROBE_WARN_DRIFT);
    /* A peer ahead of us by more than 1 s warns too (etcd does not). */
    rh_probe_record_ok(&st, 0.001, WIRE_NS + 2000000000, WIRE_NS);
    assert_true(st.clock_diff_ns < -1000000000);
    assert_int_equal(rh_probe_monitor(&st, 65000),
                     RH_PROBE_OBSERVE_RTT | RH_PROBE_WARN_DRIFT);
    /* Drift and health are reported together; drift stays after a loss. */
    rh_probe_record_fail(&st, 1);
    assert_int_equal(rh_probe_monitor(&st, 95000), RH_PROBE_OBSERVE_RTT |
                                                       RH_PROBE_WARN_UNHEALTHY |
                                                       RH_PROBE_WARN_DRIFT);
}

/* The probe ticker: every 4 s in phase; missed ticks collapse into one. */
static void test_probe_due(void **state)
{
    (void)state;
    struct rh_probe_status st;
    rh_probe_init(&st, 0);
    assert_int_equal(st.next_probe_ms, 4000);
    assert_false(rh_probe_due(&st, 3999));
    assert_true(rh_probe_due(&st, 4000));
    assert_int_equal(st.next_probe_ms, 8000);
    assert_false(rh_probe_due(&st, 4000));
    assert_true(rh_probe_due(&st, 8100));
    assert_int_equal(st.next_probe_ms, 12000);
    /* A probe that ran past two ticks: one probe now, phase kept. */
    assert_true(rh_probe_due(&st, 20500));
    assert_int_equal(st.next_probe_ms, 24000);
    assert_false(rh_probe_due(&st, 23999));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_wire_example),
        cmocka_unit_test(test_parse_time_forms),
        cmocka_unit_test(test_parse_ok_false),
        cmocka_unit_test(test_parse_json_shapes),
        cmocka_unit_test(test_parse_malformed),
        cmocka_unit_test(test_parse_bad_times),
        cmocka_unit_test(test_parse_nesting),
        cmocka_unit_test(test_parse_truncated),
        cmocka_unit_test(test_srtt_clockdiff),
        cmocka_unit_test(test_clockdiff_saturates),
        cmocka_unit_test(test_record_fail_rotation),
        cmocka_unit_test(test_monitor_schedule),
        cmocka_unit_test(test_monitor_drift),
        cmocka_unit_test(test_probe_due),
    };
    return cmocka_run_group_tests_name("prober", tests, NULL, NULL);
}
