// SPDX-License-Identifier: Apache-2.0
/*
 * The logger: both line formats byte for byte after the timestamp (text
 * quoting, JSON escaping, truncation that still reports the whole length),
 * the level filter, the local-member-id every event starts with, and the
 * merging of repeated events into one line that carries their count.
 */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "common/common.h"

/* The line after "2026-12-08T01:02:03.456Z " (text) or its JSON "ts". */
static const char *after_timestamp(const char *line)
{
    const char *z = strchr(line, 'Z');
    assert_non_null(z);
    return z + 1;
}

static void test_text_format(void **state)
{
    (void)state;
    const struct rafthttp_log_field f[] = {
        {"peer-id", "2"}, {"error", "dial tcp: connection refused"},
        {"empty", ""},    {"quote", "say \"hi\" \\ bye"},
        {"eq", "a=b"},    {"newline", "one\ntwo"},
        {NULL, NULL},
    };
    char line[512];
    size_t len =
        rafthttp_log_format(RAFTHTTP_LOG_TEXT, RAFTHTTP_LOG_WARN,
                            "peer became inactive", f, 7, line, sizeof(line));
    assert_int_equal(len, strlen(line));
    assert_int_equal(line[4], '-');
    assert_int_equal(line[10], 'T');
    assert_string_equal(after_timestamp(line),
                        " WARN peer became inactive peer-id=2 "
                        "error=\"dial tcp: connection refused\" empty=\"\" "
                        "quote=\"say \\\"hi\\\" \\\\ bye\" eq=\"a=b\" "
                        "newline=\"one two\" =\"\"");
}

static void test_json_format(void **state)
{
    (void)state;
    const struct rafthttp_log_field f[] = {
        {"peer-id", "2"},
        {"error", "say \"hi\"\\\t\x01"},
    };
    char line[512];
    size_t len = rafthttp_log_format(RAFTHTTP_LOG_JSON, RAFTHTTP_LOG_ERROR,
                                     "failed \"x\"", f, 2, line, sizeof(line));
    assert_int_equal(len, strlen(line));
    assert_memory_equal(line, "{\"level\":\"error\",\"ts\":\"", 23);
    assert_string_equal(after_timestamp(line),
                        "\",\"msg\":\"failed \\\"x\\\"\",\"peer-id\":\"2\","
                        "\"error\":\"say \\\"hi\\\"\\\\\\u0009\\u0001\"}");
    /* Levels as zap names them; an out-of-range one is an error. */
    rafthttp_log_format(RAFTHTTP_LOG_JSON, RAFTHTTP_LOG_DEBUG, "m", NULL, 0,
                        line, sizeof(line));
    assert_memory_equal(line, "{\"level\":\"debug\"", 16);
    rafthttp_log_format(RAFTHTTP_LOG_JSON, (enum rafthttp_log_level)9, NULL,
                        NULL, 0, line, sizeof(line));
    assert_memory_equal(line, "{\"level\":\"error\"", 16);
    assert_string_equal(line + strlen(line) - 9, "\"msg\":\"\"}");
}

static void test_truncation(void **state)
{
    (void)state;
    const struct rafthttp_log_field f[] = {{"k", "a long value to cut"}};
    char whole[256];
    size_t need = rafthttp_log_format(RAFTHTTP_LOG_TEXT, RAFTHTTP_LOG_INFO,
                                      "msg", f, 1, whole, sizeof(whole));
    char small[20];
    memset(small, 'x', sizeof(small));
    size_t len = rafthttp_log_format(RAFTHTTP_LOG_TEXT, RAFTHTTP_LOG_INFO,
                                     "msg", f, 1, small, sizeof(small));
    assert_int_equal(len, need); /* the length it would have had */
    assert_int_equal(strlen(small), sizeof(small) - 1);
    assert_memory_equal(small, whole, sizeof(small) - 1);
    /* No buffer at all: the length alone, nothing written. */
    assert_int_equal(rafthttp_log_format(RAFTHTTP_LOG_TEXT, RAFTHTTP_LOG_INFO,
                                         "msg", f, 1, NULL, 0),
                     need);
}

/* ------------------------------------------------------------- logger */

struct seen {
    unsigned calls;
    enum rafthttp_log_level level;
    char msg[64];
    size_t n;
    char keys[8][32];
    char values[8][64];
};

static void record(enum rafthttp_log_level level, const char *msg,
                   const struct rafthttp_log_field *f, size_t n, void *ud)
{
    struct seen *s = ud;
    s->calls++;
    s->level = level;
    snprintf(s->msg, sizeof(s->msg), "%s", msg);
    s->n = n;
    for (size_t i = 0; i < n && i < 8; i++) {
        snprintf(s->keys[i], sizeof(s->keys[i]), "%s", f[i].key);
        snprintf(s->values[i], sizeof(s->values[i]), "%s", f[i].value);
    }
}

static void test_level_and_local_id(void **state)
{
    (void)state;
    struct seen s = {0};
    struct rh_logger lg;
    rh_logger_init(&lg, record, &s, RAFTHTTP_LOG_INFO, RAFTHTTP_LOG_TEXT,
                   0x1d022bfa869d1d4u);
    rh_log(&lg, RAFTHTTP_LOG_DEBUG, "below the level", RH_F("k", "v"));
    assert_int_equal(s.calls, 0);
    rh_log(&lg, RAFTHTTP_LOG_WARN, "peer became active", RH_F("peer-id", "2"));
    assert_int_equal(s.calls, 1);
    assert_int_equal(s.level, RAFTHTTP_LOG_WARN);
    assert_string_equal(s.msg, "peer became active");
    assert_int_equal(s.n, 2);
    assert_string_equal(s.keys[0], "local-member-id");
    assert_string_equal(s.values[0], "1d022bfa869d1d4"); /* hex, as etcd */
    assert_string_equal(s.keys[1], "peer-id");
    assert_string_equal(s.values[1], "2");
    rh_logger_close(&lg);
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void test_repeats_merged(void **state)
{
    (void)state;
    struct seen s = {0};
    struct rh_logger lg;
    rh_logger_init(&lg, record, &s, RAFTHTTP_LOG_DEBUG, RAFTHTTP_LOG_TEXT, 1);
    lg.merge_ms = 60 * 1000; /* nothing ages out while this part runs */
    for (int i = 0; i < 5; i++) {
        rh_log(&lg, RAFTHTTP_LOG_WARN, "lost TCP streaming connection",
               RH_F("remote-peer-id", "2"));
    }
    assert_int_equal(s.calls, 1);
    assert_int_equal(s.n, 2); /* no "repeated" on the first */
    /* Other fields are another event. */
    rh_log(&lg, RAFTHTTP_LOG_WARN, "lost TCP streaming connection",
           RH_F("remote-peer-id", "3"));
    assert_int_equal(s.calls, 2);
    /* Once the window has passed, the next carries the count. */
    lg.merge_ms = 1;
    sleep_ms(5);
    rh_log(&lg, RAFTHTTP_LOG_WARN, "lost TCP streaming connection",
           RH_F("remote-peer-id", "2"));
    assert_int_equal(s.calls, 3);
    assert_int_equal(s.n, 3);
    assert_string_equal(s.keys[2], "repeated");
    assert_string_equal(s.values[2], "4");
    sleep_ms(5);
    rh_log(&lg, RAFTHTTP_LOG_WARN, "lost TCP streaming connection",
           RH_F("remote-peer-id", "2"));
    assert_int_equal(s.calls, 4);
    assert_int_equal(s.n, 2); /* nothing held back since */
    rh_logger_close(&lg);
}

/* More distinct events than merge slots: each still goes out once. */
static void test_many_distinct_events(void **state)
{
    (void)state;
    struct seen s = {0};
    struct rh_logger lg;
    rh_logger_init(&lg, record, &s, RAFTHTTP_LOG_DEBUG, RAFTHTTP_LOG_TEXT, 1);
    enum { N = RH_LOG_MERGE_SLOTS * 3 };
    for (int i = 0; i < N; i++) {
        char v[16];
        rh_log(&lg, RAFTHTTP_LOG_INFO, "event",
               RH_F("n", rh_fmt(v, sizeof(v), "%d", i)));
    }
    assert_int_equal(s.calls, N);
    rh_logger_close(&lg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_text_format),
        cmocka_unit_test(test_json_format),
        cmocka_unit_test(test_truncation),
        cmocka_unit_test(test_level_and_local_id),
        cmocka_unit_test(test_repeats_merged),
        cmocka_unit_test(test_many_distinct_events),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
