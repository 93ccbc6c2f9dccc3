// SPDX-License-Identifier: Apache-2.0
/*
 * The stream driver (stream_driver.c), with explicit clocks and no I/O:
 * the stream type table; the redial backoff (every wait stays between the
 * floor and the current backoff, the backoff doubles up to the cap, jitter
 * spreads the waits, the floor keeps a reader at or below 10 dials per
 * second); the reader's timer (dial, wait, read timeout) through dialing,
 * the answer's head, body bytes, the texts and decisions of every kind of
 * end, and a peer that proves alive; and the writer's timer (link
 * heartbeats after a third of the read timeout, waking a parked response).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "stream/stream.h"
#include "testlib.h"

/* ------------------------------------------------------------ helpers */

/*
 * Stand-ins for the client's transfers and the server's responses: the
 * driver only stores and compares the pointers, so aligned storage does.
 */
static _Alignas(max_align_t) unsigned char fake_slots[3][64];

static struct rh_xfer *fake_xfer(size_t i)
{
    return (struct rh_xfer *)(void *)fake_slots[i];
}

static struct rh_stream_resp *fake_resp(void)
{
    return (struct rh_stream_resp *)(void *)fake_slots[2];
}

/* The default config; the tests below rely on these three values. */
static void default_config(struct rafthttp_config *cfg)
{
    rafthttp_config_init(cfg);
    assert_int_equal(cfg->dial_retry_min_ms, 100);
    assert_int_equal(cfg->dial_retry_max_ms, 500);
    assert_int_equal(cfg->read_timeout_ms, 5000);
    assert_false(cfg->pipeline_only);
}

static void check_tick(struct rh_stream_reader *r,
                       const struct rafthttp_config *cfg, int64_t now_ms,
                       enum rh_reader_todo want, int64_t want_due)
{
    int64_t due = -1;
    assert_int_equal(rh_stream_reader_tick(r, cfg, now_ms, &due), want);
    assert_int_equal(due, want_due);
}

/* Dials r with fake_xfer(0) and brings it up at now_ms. */
static void bring_up(struct rh_stream_reader *r,
                     const struct rafthttp_config *cfg, int64_t now_ms)
{
    check_tick(r, cfg, now_ms, RH_READER_DIAL, INT64_MAX);
    rh_stream_dialing(r, fake_xfer(0));
    assert_true(rh_stream_head(r, NULL, cfg, 1, 2, 200, true, now_ms));
    assert_int_equal(r->state, RH_READER_UP);
}

/* Ends r's GET and checks the reader is idle and forgot its transfer. */
static void end_stream(struct rh_stream_reader *r,
                       const struct rafthttp_config *cfg, uint64_t *rng,
                       const struct rh_stream_end *end, int64_t now_ms,
                       struct rh_stream_failure *f)
{
    memset(f, 0x5a, sizeof(*f));
    f->why[0] = '\0';
    rh_stream_ended(r, cfg, rng, end, now_ms, f);
    assert_int_equal(r->state, RH_READER_IDLE);
    assert_null(r->xfer);
}

/* ------------------------------------------------------------ backoff */

static void test_doubles_to_cap(void **state)
{
    (void)state;
    uint64_t rng = 42;
    unsigned backoff = 100;
    unsigned expect[] = {200, 400, 500, 500, 500};
    for (size_t i = 0; i < 5; i++) {
        rh_backoff_next(&backoff, 100, 500, &rng);
        assert_int_equal(backoff, expect[i]);
    }
}

static void test_wait_bounds(void **state)
{
    (void)state;
    uint64_t rng = 7;
    for (int round = 0; round < 1000; round++) {
        unsigned backoff = 100;
        for (int i = 0; i < 6; i++) {
            unsigned cur = backoff;
            unsigned wait = rh_backoff_next(&backoff, 100, 500, &rng);
            assert_true(wait >= 100); /* at most 10 dials a second */
            assert_true(wait >= cur / 2);
            assert_true(wait <= cur);
        }
    }
}

/* Jitter: readers that failed together do not redial together. */
static void test_jitter_spreads(void **state)
{
    (void)state;
    uint64_t rng = 99;
    unsigned seen_low = 0, seen_high = 0;
    for (int i = 0; i < 1000; i++) {
        unsigned backoff = 500;
        unsigned wait = rh_backoff_next(&backoff, 100, 500, &rng);
        seen_low += wait < 350;
        seen_high += wait >= 350;
    }
    assert_true(seen_low > 300);
    assert_true(seen_high > 300);
}

/* A backoff below the floor (a config change) starts at the floor. */
static void test_floor_applies(void **state)
{
    (void)state;
    uint64_t rng = 1;
    unsigned backoff = 10;
    assert_true(rh_backoff_next(&backoff, 100, 500, &rng) >= 100);
    assert_int_equal(backoff, 200);
}

/* --------------------------------------------------------- type table */

static void test_type_table(void **state)
{
    (void)state;
    assert_int_equal(RH_STREAM_TYPES, 2);
    assert_string_equal(rh_stream_word(RH_STREAM_MSGAPPV2), "msgapp");
    assert_string_equal(rh_stream_word(RH_STREAM_MESSAGE), "message");
    assert_string_equal(rh_stream_source(RH_STREAM_MSGAPPV2),
                        "stream MsgApp v2");
    assert_string_equal(rh_stream_source(RH_STREAM_MESSAGE), "stream Message");
    for (int i = 0; i < RH_STREAM_TYPES; i++) {
        const char *w = rh_stream_word((enum rh_stream_type)i);
        assert_int_equal(rh_stream_type_of_word(w, strlen(w)), i);
    }
    /* Only the length given counts: the word may sit inside a path. */
    const char *path = "message/1a2b";
    assert_int_equal(rh_stream_type_of_word(path, 7), RH_STREAM_MESSAGE);
    assert_int_equal(rh_stream_type_of_word("msgappx", 6), RH_STREAM_MSGAPPV2);

    static const char *const unknown[] = {
        "",       "msg",      "messages", "msgapps", "msgappv2", "Message",
        "MSGAPP", "mess age", "stream",   "raft",    "snapshot", "message ",
    };
    for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
        assert_int_equal(rh_stream_type_of_word(unknown[i], strlen(unknown[i])),
                         RH_STREAM_TYPES);
    }
    /* A prefix of a word is not the word. */
    assert_int_equal(rh_stream_type_of_word("message", 3), RH_STREAM_TYPES);
    assert_int_equal(rh_stream_type_of_word("msgapp", 5), RH_STREAM_TYPES);
}

/* ------------------------------------------------------ reader redial */

/* A new reader is idle, at the floor, and dials at once. */
static void test_new_reader_dials(void **state)
{
    (void)state;
    struct rafthttp_config cfg;
    default_config(&cfg);
    for (int t = 0; t < RH_STREAM_TYPES; t++) {
        struct rh_stream_reader r;
        rh_stream_reader_init(&r, (enum rh_stream_type)t,
                              cfg.dial_retry_min_ms);
        assert_int_equal(r.type, t);
        assert_int_equal(r.state, RH_READER_IDLE);
        assert_null(r.xfer);
        assert_int_equal(r.backoff_ms, 100);
        assert_int_equal(r.next_dial_ms, 0);
        check_tick(&r, &cfg, 0, RH_READER_DIAL, INT64_MAX);
        check_tick(&r, &cfg, 123456, RH_READER_DIAL, INT64_MAX);
        rh_stream_reader_close(&r);
    }
}

/* Before next_dial_ms the timer waits for exactly then. */
static void test_waits_for_next_dial(void **state)
{
    (void)state;
    struct rafthttp_config cfg;
    default_config(&cfg);
    struct rh_stream_reader r;
    rh_stream_reader_init(&r, RH_STREAM_MESSAGE, cfg.dial_retry_min_ms);
    r.next_dial_ms = 2000;
    check_tick(&r, &cfg, 0, RH_READER_WAIT, 2000);
    check_tick(&r, &cfg, 1999, RH_READER_WAIT, 2000);
    check_tick(&r, &cfg, 2000, RH_READER_DIAL, INT64_MAX);
    check_tick(&r, &cfg, 2001, RH_READER_DIAL, INT64_MAX);
    rh_stream_reader_close(&r);
}

/* With pipeline_only a reader never dials and asks for no timer. */
static void test_pipeline_only_never_dials(void **state)
{
    (void)state;
    struct rafthttp_config cfg;
    default_config(&cfg);
    cfg.pipeline_only = true;
    struct rh_stream_reader r;
    rh_stream_reader_init(&r, RH_STREAM_MSGAPPV2, cfg.dial_retry_min_ms);
    check_tick(&r, &cfg, 0, RH_READER_WAIT, INT64_MAX);
    check_tick(&r, &cfg, INT64_MAX / 2, RH_READER_WAIT, INT64_MAX);
    r.next_dial_ms = 2000;
    check_tick(&r, &cfg, 1000, RH_READER_WAIT, INT64_MAX);
    check_tick(&r, &cfg, 3000, RH_READER_WAIT, INT64_MAX);
    rh_stream_peer_alive(&r, &cfg, 5000);
    check_tick(&r, &cfg, 5000, RH_READER_WAIT, INT64_MAX);
    rh_stream_reader_close(&r);
}

/*
 * Failed dials: the next dial is between the floor and the backoff of the
 * moment, the backoff doubles up to the cap, and the timer waits for the
 * next dial. The same seed gives the same schedule.
 */
static void dial_failures(uint64_t seed, int64_t *schedule, size_t n)
{
    struct rafthttp_config cfg;
    default_config(&cfg);
    static const unsigned want_backoff[] = {200, 400, 500, 500, 500, 500};
    assert_true(n <= sizeof(want_backoff) / sizeof(want_backoff[0]));
    uint64_t rng = seed;
    struct rh_stream_reader r;
    rh_stream_reader_init(&r, RH_STREAM_MESSAGE, cfg.dial_retry_min_ms);
    int64_t now = 1000;
    for (size_t i = 0; i < n; i++) {
        check_tick(&r, &cfg, now, RH_READER_DIAL, INT64_MAX);
        unsigned cur = r.backoff_ms;
        int64_t next = rh_stream_dial_failed(&r, &cfg, &rng, now);
        assert_int_equal(next, r.next_dial_ms);
        assert_int_equal(r.state, RH_READER_IDLE);
        int64_t wait = next - now;
        assert_true(wait >= 100);
        assert_true(wait >= cur / 2);
        assert_true(wait <= cur);
        if (i == 0) {
            assert_int_equal(wait, 100); /* half of 100 is below the floor */
        }
        assert_int_equal(r.backoff_ms, want_backoff[i]);
        check_tick(&r, &cfg, now, RH_READER_WAIT, next);
        check_tick(&r, &cfg, next - 1, RH_READER_WAIT, next);
        schedule[i] = next;
        now = next;
    }
    check_tick(&r, &cfg, now, RH_READER_DIAL, INT64_MAX);
    rh_stream_reader_close(&r);
}

static void test_dial_failed_backoff(void **state)
{
    (void)state;
    int64_t a[6];
    int64_t b[6];
    dial_failures(42, a, 6);
    dial_failures(42, b, 6);
    assert_memory_equal(a, b, sizeof(a));
    /* Over many seeds the capped waits do spread. */
    int64_t lo = INT64_MAX;
    int64_t hi = 0;
    for (uint64_t seed = 1; seed <= 64; seed++) {
        dial_failures(seed, a, 6);
        int64_t last = a[5] - a[4];
        lo = last < lo ? last : lo;
        hi = last > hi ? last : hi;
    }
    assert_true(lo >= 250 && lo < 350);
    assert_true(hi > 400 && hi <= 500);
}

/* ------------------------------------------------------------ dialing */

/* While the GET is out the timer waits for the end, however long. */
static void test_dialing_waits(void **state)
{
    (void)state;
    struct rafthttp_config cfg;
    default_config(&cfg);
    struct rh_stream_reader r;
    rh_stream_reader_init(&r, RH_STREAM_MESSAGE, cfg.dial_retry_min_ms);
    rh_stream_dialing(&r, fake_xfer(1));
    assert_int_equal(r.state, RH_READER_DIALING);
    assert_ptr_equal(r.xfer, fake_xfer(1));
    check_tick(&r, &cfg, 0, RH_READER_WAIT, INT64_MAX);
    check_tick(&r, &cfg, 100000, RH_READER_WAIT, INT64_MAX); /* no timeout */
    rh_stream_reader_close(&r);
    assert_int_equal(r.state, RH_READER_IDLE);
    assert_null(r.xfer);
}

/* 200 with a valid version: up, active, backoff back at the floor. */
static void test_head_ok(void **state)
{
    (void)state;
    struct rafthttp_config cfg;
    default_config(&cfg);
    uint64_t rng = 3;
    for (int t = 0; t < RH_STREAM_TYPES; t++) {
        struct rh_stream_reader r;
        rh_stream_reader_init(&r, (enum rh_stream_type)t,
                              cfg.dial_retry_min_ms);
        rh_stream_dial_failed(&r, &cfg, &rng, 0);
        rh_stream_dial_failed(&r, &cfg, &rng, 100);
        assert_int_equal(r.backoff_ms, 400);
        rh_stream_dialing(&r, fake_xfer(0));
        assert_true(rh_stream_head(&r, NULL, &cfg, 7, 9, 200, true, 5000));
        assert_int_equal(r.state, RH_READER_UP);
        assert_ptr_equal(r.xfer, fake_xfer(0));
        assert_int_equal(r.backoff_ms, 100);
        assert_int_equal(r.last_byte_ms, 5000);
        /* The decoders take the configured limit and the members. */
        assert_int_equal(r.msg_dec.limit, cfg.max_msg_bytes);
        assert_int_equal(r.app_dec.limit, cfg.max_msg_bytes);
        assert_int_equal(r.app_dec.local, 7);
        assert_int_equal(r.app_dec.remote, 9);
        rh_stream_reader_close(&r);
    }
}

/* Any other head leaves the reader dialing, its backoff untouched. */
static void test_head_refused(void **state)
{
    (void)state;
    struct rafthttp_config cfg;
    default_config(&cfg);
    uint64_t rng = 3;
    struct rh_stream_reader r;
    rh_stream_reader_init(&r, RH_STREAM_MESSAGE, cfg.dial_retry_min_ms);
    rh_stream_dial_failed(&r, &cfg, &rng, 0);
    rh_stream_dial_failed(&r, &cfg, &rng, 100);
    rh_stream_dialing(&r, fake_xfer(0));
    static const long statuses[] = {404, 410, 412, 500, 503, 201, 204, 0};
    for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
        assert_false(
            rh_stream_head(&r, NULL, &cfg, 1, 2, statuses[i], true, 1000));
        assert_int_equal(r.state, RH_READER_DIALING);
        assert_int_equal(r.backoff_ms, 400);
    }
    assert_false(rh_stream_head(&r, NULL, &cfg, 1, 2, 200, false, 1000));
    assert_int_equal(r.state, RH_READER_DIALING);
    assert_ptr_equal(r.xfer, fake_xfer(0));
    assert_int_equal(r.backoff_ms, 400);
    check_tick(&r, &cfg, 100000, RH_READER_WAIT, INT64_MAX);
    rh_stream_reader_close(&r);
}

/* ------------------------------------------------------- read timeout */

/* An up stream with no byte for read_timeout_ms is aborted. */
static void test_read_timeout(void **state)
{
    (void)state;
    struct rafthttp_config cfg;
    default_config(&cfg);
    struct rh_stream_reader r;
    rh_stream_reader_init(&r, RH_STREAM_MESSAGE, cfg.dial_retry_min_ms);
    bring_up(&r, &cfg, 1000);
    check_tick(&r, &cfg, 1000, RH_READER_WAIT, 6000);
    check_tick(&r, &cfg, 5999, RH_READER_WAIT, 6000);
    check_tick(&r, &cfg, 6000, RH_READER_ABORT, 6000);
    check_tick(&r, &cfg, 9000, RH_READER_ABORT, 9000);
    /* A shorter timeout counts from the same last byte. */
    cfg.read_timeout_ms = 300;
    check_tick(&r, &cfg, 1299, RH_READER_WAIT, 1300);
    check_tick(&r, &cfg, 1300, RH_READER_ABORT, 1300);
    assert_string_equal(rh_stream_read_timeout_why,
                        "read timeout: no bytes from the peer");
    rh_stream_reader_close(&r);
}

/*
 * Body bytes push the read timeout back, even those of a message not yet
 * complete; a whole frame comes out as its message.
 */
static void test_feed_moves_last_byte(void **state)
{
    (void)state;
    struct rafthttp_config cfg;
    default_config(&cfg);
    struct rafthttp_message hb = {.type = RAFTHTTP_MSG_HEARTBEAT,
                                  .from = 2,
                                  .to = 1,
                                  .term = 3,
                                  .commit = 7};
    struct rh_buf frame;
    rh_buf_init(&frame, NULL, 1024);
    assert_int_equal(rh_msg_frame_encode(NULL, &hb, &frame), 0);
    assert_true(frame.len > 8);

    struct rh_stream_reader r;
    rh_stream_reader_init(&r, RH_STREAM_MESSAGE, cfg.dial_retry_min_ms);
    bring_up(&r, &cfg, 1000);
    size_t used = 0;
    struct rh_msg *msg = NULL;
    assert_int_equal(rh_stream_feed(&r, frame.data, 5, 3000, &used, &msg), 0);
    assert_int_equal(used, 5);
    assert_null(msg);
    assert_int_equal(r.last_byte_ms, 3000);
    check_tick(&r, &cfg, 6000, RH_READER_WAIT, 8000);

    assert_int_equal(
        rh_stream_feed(&r, frame.data + 5, frame.len - 5, 7000, &used, &msg),
        0);
    assert_int_equal(used, frame.len - 5);
    assert_non_null(msg);
    assert_int_equal(msg->m.type, RAFTHTTP_MSG_HEARTBEAT);
    assert_int_equal(msg->m.from, 2);
    assert_int_equal(msg->m.to, 1);
    assert_int_equal(msg->m.term, 3);
    assert_int_equal(msg->m.commit, 7);
    assert_true(tl_msg_equal(&msg->m, &hb));
    rh_msg_free(msg);
    assert_int_equal(r.last_byte_ms, 7000);
    check_tick(&r, &cfg, 11999, RH_READER_WAIT, 12000);
    check_tick(&r, &cfg, 12000, RH_READER_ABORT, 12000);
    rh_stream_reader_close(&r);
    rh_buf_close(&frame);
}

/* A msgapp reader decodes msgappv2: a link heartbeat, then a bad type. */
static void test_feed_msgappv2(void **state)
{
    (void)state;
    struct rafthttp_config cfg;
    default_config(&cfg);
    struct rh_stream_reader r;
    rh_stream_reader_init(&r, RH_STREAM_MSGAPPV2, cfg.dial_retry_min_ms);
    bring_up(&r, &cfg, 1000);
    static const uint8_t link_hb[] = {RH_MSGAPPV2_LINK_HEARTBEAT};
    size_t used = 0;
    struct rh_msg *msg = NULL;
    assert_int_equal(rh_stream_feed(&r, link_hb, 1, 2500, &used, &msg), 0);
    assert_int_equal(used, 1);
    assert_non_null(msg);
    assert_true(rh_is_link_heartbeat(&msg->m));
    rh_msg_free(msg);
    assert_int_equal(r.last_byte_ms, 2500);
    check_tick(&r, &cfg, 7499, RH_READER_WAIT, 7500);

    static const uint8_t bad[] = {0x07};
    msg = NULL;
    assert_int_equal(rh_stream_feed(&r, bad, 1, 2600, &used, &msg),
                     RAFTHTTP_EPROTO);
    assert_null(msg);
    rh_stream_reader_close(&r);
}

/* ----------------------------------------------------------- the ends */

/* The peer closed an up stream: same URL, redial after the floor. */
static void test_ended_clean(void **state)
{
    (void)state;
    struct rafthttp_config cfg;
    default_config(&cfg);
    uint64_t rng = 5;
    struct rh_stream_reader r;
    rh_stream_reader_init(&r, RH_STREAM_MESSAGE, cfg.dial_retry_min_ms);
    bring_up(&r, &cfg, 1000);
    r.backoff_ms = 400; /* a clean end does not use the backoff */
    struct rh_stream_end end = {
        .transfer_ok = true, .error = "No error", .status = 200, .body = ""};
    struct rh_stream_failure f;
    end_stream(&r, &cfg, &rng, &end, 9000, &f);
    assert_string_equal(f.why, "stream closed: end of body");
    assert_true(f.was_up);
    assert_false(f.removed);
    assert_false(f.move_url);
    assert_int_equal(r.next_dial_ms, 9100);
    assert_int_equal(r.backoff_ms, 400);
    check_tick(&r, &cfg, 9099, RH_READER_WAIT, 9100);
    check_tick(&r, &cfg, 9100, RH_READER_DIAL, INT64_MAX);
    rh_stream_reader_close(&r);
}

/*
 * An up stream that failed: the URL moves on, the backoff applies; a
 * refused redial after it backs off further.
 */
static void test_ended_error(void **state)
{
    (void)state;
    struct rafthttp_config cfg;
    default_config(&cfg);
    uint64_t rng = 5;
    struct rh_stream_reader r;
    rh_stream_reader_init(&r, RH_STREAM_MSGAPPV2, cfg.dial_retry_min_ms);
    bring_up(&r, &cfg, 1000);
    struct rh_stream_end end = {.transfer_ok = false,
                                .error = "Timeout was reached",
                                .status = 200,
                                .body = ""};
    struct rh_stream_failure f;
    end_stream(&r, &cfg, &rng, &end, 9000, &f);
    assert_string_equal(f.why, "stream closed: Timeout was reached");
    assert_true(f.was_up);
    assert_false(f.removed);
    assert_true(f.move_url);
    assert_int_equal(r.next_dial_ms, 9100); /* the floor: backoff was 100 */
    assert_int_equal(r.backoff_ms, 200);

    check_tick(&r, &cfg, 9100, RH_READER_DIAL, INT64_MAX);
    rh_stream_dialing(&r, fake_xfer(1));
    assert_false(rh_stream_head(&r, NULL, &cfg, 1, 2, 404, true, 9150));
    struct rh_stream_end refused = {.transfer_ok = true,
                                    .error = "No error",
                                    .status = 404,
                                    .body = "404 page not found\n"};
    end_stream(&r, &cfg, &rng, &refused, 9200, &f);
    assert_string_equal(f.why, "dial: status 404 404 page not found");
    assert_false(f.was_up);
    assert_false(f.removed);
    assert_true(f.move_url);
    assert_true(r.next_dial_ms >= 9300 && r.next_dial_ms <= 9400);
    assert_int_equal(r.backoff_ms, 400);
    rh_stream_reader_close(&r);
}

/* 410: the peer says we were removed; the text stops at a newline. */
static void test_ended_removed(void **state)
{
    (void)state;
    struct rafthttp_config cfg;
    default_config(&cfg);
    uint64_t rng = 5;
    struct rh_stream_reader r;
    rh_stream_reader_init(&r, RH_STREAM_MESSAGE, cfg.dial_retry_min_ms);
    rh_stream_dialing(&r, fake_xfer(0));
    assert_false(rh_stream_head(&r, NULL, &cfg, 1, 2, 410, true, 500));
    struct rh_stream_end end = {
        .transfer_ok = true,
        .error = "No error",
        .status = 410,
        .body = "the member has been permanently removed from the cluster\n"
                "second line"};
    struct rh_stream_failure f;
    end_stream(&r, &cfg, &rng, &end, 600, &f);
    assert_true(f.removed);
    assert_false(f.was_up);
    assert_true(f.move_url);
    assert_int_equal(strncmp(f.why, "dial: status 410", 16), 0);
    assert_string_equal(f.why, "dial: status 410 the member has been "
                               "permanently removed from the cluster");
    assert_null(strchr(f.why, '\n'));
    assert_int_equal(r.next_dial_ms, 700);
    assert_int_equal(r.backoff_ms, 200);
    rh_stream_reader_close(&r);
}

/* A long refusal body is cut to the room of why, NUL-terminated. */
static void test_ended_long_body(void **state)
{
    (void)state;
    struct rafthttp_config cfg;
    default_config(&cfg);
    uint64_t rng = 5;
    char body[1024];
    memset(body, 'x', sizeof(body) - 1);
    body[sizeof(body) - 1] = '\0';
    struct rh_stream_reader r;
    rh_stream_reader_init(&r, RH_STREAM_MESSAGE, cfg.dial_retry_min_ms);
    rh_stream_dialing(&r, fake_xfer(0));
    struct rh_stream_end end = {
        .transfer_ok = true, .error = "No error", .status = 503, .body = body};
    struct rh_stream_failure f;
    end_stream(&r, &cfg, &rng, &end, 0, &f);
    assert_int_equal(strlen(f.why), sizeof(f.why) - 1);
    assert_int_equal(strncmp(f.why, "dial: status 503 xxx", 20), 0);
    assert_false(f.removed);
    rh_stream_reader_close(&r);
}

struct end_case {
    bool up; /* brought up before the end */
    struct rh_stream_end end;
    const char *why;
    bool move_url;
};

/* The other ends: their texts, and that every one moves the URL on. */
static void test_ended_texts(void **state)
{
    (void)state;
    struct rafthttp_config cfg;
    default_config(&cfg);
    const struct end_case cases[] = {
        {false,
         {.transfer_ok = true,
          .error = "No error",
          .status = 200,
          .body = "",
          .bad_version = true},
         "peer sent an invalid X-Server-Version",
         true},
        {true,
         {.transfer_ok = false,
          .error = "Failed writing received data",
          .status = 200,
          .body = "",
          .malformed = true},
         "malformed data",
         true},
        {true,
         {.transfer_ok = false,
          .error = "Callback aborted",
          .status = 200,
          .body = "",
          .aborted = rh_stream_read_timeout_why},
         "read timeout: no bytes from the peer",
         true},
        {false,
         {.transfer_ok = false,
          .error = "Callback aborted",
          .status = 0,
          .body = "",
          .aborted = "peer removed"},
         "peer removed",
         true},
        {true,
         {.transfer_ok = false,
          .error = "Callback aborted",
          .status = 200,
          .body = "",
          .aborted = "stopping",
          .malformed = true},
         "stopping",
         true},
        {false,
         {.transfer_ok = false,
          .error = "Couldn't connect to server",
          .status = 0,
          .body = ""},
         "dial: Couldn't connect to server",
         true},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct end_case *c = &cases[i];
        uint64_t rng = 11;
        struct rh_stream_reader r;
        rh_stream_reader_init(&r, RH_STREAM_MESSAGE, cfg.dial_retry_min_ms);
        if (c->up) {
            bring_up(&r, &cfg, 1000);
        } else {
            rh_stream_dialing(&r, fake_xfer(1));
        }
        struct rh_stream_failure f;
        end_stream(&r, &cfg, &rng, &c->end, 2000, &f);
        assert_string_equal(f.why, c->why);
        assert_int_equal(f.was_up, c->up);
        assert_int_equal(f.move_url, c->move_url);
        assert_false(f.removed);
        assert_int_equal(r.next_dial_ms, 2100); /* first backoff: floor */
        assert_int_equal(r.backoff_ms, 200);
        rh_stream_reader_close(&r);
    }
}

/* ---------------------------------------------------------- peer alive */

static void test_peer_alive(void **state)
{
    (void)state;
    struct rafthttp_config cfg;
    default_config(&cfg);
    uint64_t rng = 8;

    /* Idle, backed off: due now, backoff back at the floor. */
    struct rh_stream_reader r;
    rh_stream_reader_init(&r, RH_STREAM_MESSAGE, cfg.dial_retry_min_ms);
    int64_t next = 0;
    for (int i = 0; i < 4; i++) {
        next = rh_stream_dial_failed(&r, &cfg, &rng, next);
    }
    assert_int_equal(r.backoff_ms, 500);
    check_tick(&r, &cfg, next - 50, RH_READER_WAIT, next);
    rh_stream_peer_alive(&r, &cfg, next - 50);
    assert_int_equal(r.next_dial_ms, next - 50);
    assert_int_equal(r.backoff_ms, 100);
    check_tick(&r, &cfg, next - 50, RH_READER_DIAL, INT64_MAX);

    /* Dialing: untouched. */
    r.backoff_ms = 400;
    r.next_dial_ms = 99999;
    rh_stream_dialing(&r, fake_xfer(0));
    rh_stream_peer_alive(&r, &cfg, 5000);
    assert_int_equal(r.state, RH_READER_DIALING);
    assert_ptr_equal(r.xfer, fake_xfer(0));
    assert_int_equal(r.next_dial_ms, 99999);
    assert_int_equal(r.backoff_ms, 400);

    /* Up: untouched. */
    assert_true(rh_stream_head(&r, NULL, &cfg, 1, 2, 200, true, 6000));
    r.backoff_ms = 400;
    rh_stream_peer_alive(&r, &cfg, 7000);
    assert_int_equal(r.state, RH_READER_UP);
    assert_ptr_equal(r.xfer, fake_xfer(0));
    assert_int_equal(r.next_dial_ms, 99999);
    assert_int_equal(r.backoff_ms, 400);
    assert_int_equal(r.last_byte_ms, 6000);
    check_tick(&r, &cfg, 7000, RH_READER_WAIT, 11000);
    rh_stream_reader_close(&r);
}

/* -------------------------------------------------------- writer tick */

static int64_t writer_tick(struct rh_stream_writer *w,
                           const struct rafthttp_config *cfg, int64_t now_ms,
                           size_t want_added, bool want_wake)
{
    size_t added = 12345;
    bool wake = !want_wake;
    int64_t due = rh_stream_writer_tick(w, NULL, cfg, now_ms, &added, &wake);
    assert_int_equal(added, want_added);
    assert_int_equal(wake, want_wake);
    return due;
}

/* No connection: nothing to keep alive, no timer. */
static void test_writer_unattached(void **state)
{
    (void)state;
    struct rafthttp_config cfg;
    default_config(&cfg);
    struct rh_stream_writer w;
    rh_stream_writer_init(&w, RH_STREAM_MESSAGE, NULL, cfg.max_msg_bytes);
    assert_int_equal(writer_tick(&w, &cfg, 0, 0, false), INT64_MAX);
    assert_int_equal(writer_tick(&w, &cfg, 100000, 0, false), INT64_MAX);
    assert_int_equal(rh_stream_writer_queued(&w), 0);
    uint8_t buf[16];
    assert_int_equal(rh_stream_writer_pull(&w, buf, sizeof(buf), 5), 0);
    assert_true(w.suspended);
    assert_int_equal(writer_tick(&w, &cfg, 200000, 0, false), INT64_MAX);
    assert_int_equal(rh_stream_writer_queued(&w), 0);
    rh_stream_writer_close(&w);
}

/*
 * A link heartbeat a third of the read timeout (1666 ms) after the last
 * write, and not before; a pull that writes restarts the interval.
 */
static void writer_heartbeats(enum rh_stream_type type, size_t hb_bytes)
{
    struct rafthttp_config cfg;
    default_config(&cfg);
    struct rh_stream_writer w;
    rh_stream_writer_init(&w, type, NULL, cfg.max_msg_bytes);
    assert_int_equal(rh_stream_writer_attach(&w, fake_resp(), 1, 1000), 0);
    assert_int_equal(writer_tick(&w, &cfg, 1000, 0, false), 2666);
    assert_int_equal(writer_tick(&w, &cfg, 2665, 0, false), 2666);
    assert_int_equal(rh_stream_writer_queued(&w), 0);
    assert_int_equal(writer_tick(&w, &cfg, 2666, hb_bytes, false), 4332);
    assert_int_equal(rh_stream_writer_queued(&w), hb_bytes);
    assert_int_equal(w.last_write_ms, 2666);
    assert_int_equal(writer_tick(&w, &cfg, 2667, 0, false), 4332);

    uint8_t buf[64];
    assert_int_equal(rh_stream_writer_pull(&w, buf, sizeof(buf), 3000),
                     hb_bytes);
    if (type == RH_STREAM_MSGAPPV2) {
        assert_int_equal(buf[0], RH_MSGAPPV2_LINK_HEARTBEAT);
    } else {
        struct rafthttp_message hb = {.type = RAFTHTTP_MSG_HEARTBEAT};
        struct rh_buf want;
        rh_buf_init(&want, NULL, 1024);
        assert_int_equal(rh_msg_frame_encode(NULL, &hb, &want), 0);
        assert_int_equal(want.len, hb_bytes);
        assert_memory_equal(buf, want.data, want.len);
        rh_buf_close(&want);
    }
    assert_int_equal(writer_tick(&w, &cfg, 4665, 0, false), 4666);
    assert_int_equal(writer_tick(&w, &cfg, 4666, hb_bytes, false), 6332);
    /* A much later tick still queues only one heartbeat. */
    assert_int_equal(writer_tick(&w, &cfg, 50000, 0, false), 51666);
    assert_int_equal(rh_stream_writer_queued(&w), hb_bytes);
    rh_stream_writer_detach(&w);
    rh_stream_writer_close(&w);
}

static void test_writer_heartbeat(void **state)
{
    (void)state;
    writer_heartbeats(RH_STREAM_MESSAGE, 38);
    writer_heartbeats(RH_STREAM_MSGAPPV2, 1);
}

/* Bytes waiting unwritten: the interval passes and no heartbeat is added. */
static void test_writer_no_heartbeat_behind_bytes(void **state)
{
    (void)state;
    struct rafthttp_config cfg;
    default_config(&cfg);
    struct rh_stream_writer w;
    rh_stream_writer_init(&w, RH_STREAM_MESSAGE, NULL, cfg.max_msg_bytes);
    rh_stream_writer_attach(&w, fake_resp(), 1, 0);
    struct rafthttp_message vote = {
        .type = RAFTHTTP_MSG_VOTE, .from = 1, .to = 2, .term = 4};
    size_t added = 0;
    assert_int_equal(rh_stream_writer_push(&w, NULL, &vote, SIZE_MAX, &added),
                     0);
    assert_int_equal(writer_tick(&w, &cfg, 1666, 0, false), 3332);
    assert_int_equal(rh_stream_writer_queued(&w), added);
    rh_stream_writer_close(&w);
}

/*
 * wake only for a parked response with bytes queued (a heartbeat or a
 * message); rh_stream_writer_wake unparks once.
 */
static void test_writer_wake(void **state)
{
    (void)state;
    struct rafthttp_config cfg;
    default_config(&cfg);
    struct rh_stream_writer w;
    rh_stream_writer_init(&w, RH_STREAM_MESSAGE, NULL, cfg.max_msg_bytes);
    rh_stream_writer_attach(&w, fake_resp(), 1, 0);
    assert_false(rh_stream_writer_wake(&w)); /* never parked */

    uint8_t buf[64];
    assert_int_equal(rh_stream_writer_pull(&w, buf, sizeof(buf), 10), 0);
    assert_true(w.suspended);
    assert_int_equal(writer_tick(&w, &cfg, 100, 0, false), 1666);
    assert_int_equal(writer_tick(&w, &cfg, 1666, 38, true), 3332);
    assert_true(w.suspended); /* the tick only says so */
    assert_true(rh_stream_writer_wake(&w));
    assert_false(w.suspended);
    assert_false(rh_stream_writer_wake(&w));
    assert_int_equal(writer_tick(&w, &cfg, 1667, 0, false), 3332);

    /* Parked again, then a message is pushed before the interval. */
    assert_int_equal(rh_stream_writer_pull(&w, buf, sizeof(buf), 2000), 38);
    assert_int_equal(rh_stream_writer_pull(&w, buf, sizeof(buf), 2000), 0);
    assert_true(w.suspended);
    assert_int_equal(writer_tick(&w, &cfg, 2100, 0, false), 3666);
    struct rafthttp_message vote = {
        .type = RAFTHTTP_MSG_VOTE, .from = 1, .to = 2, .term = 4};
    size_t added = 0;
    assert_int_equal(rh_stream_writer_push(&w, NULL, &vote, SIZE_MAX, &added),
                     0);
    assert_int_equal(writer_tick(&w, &cfg, 2200, 0, true), 3666);
    assert_true(rh_stream_writer_wake(&w));
    assert_int_equal(writer_tick(&w, &cfg, 2300, 0, false), 3666);
    assert_false(rh_stream_writer_wake(&w));
    rh_stream_writer_detach(&w);
    rh_stream_writer_close(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_doubles_to_cap),
        cmocka_unit_test(test_wait_bounds),
        cmocka_unit_test(test_jitter_spreads),
        cmocka_unit_test(test_floor_applies),
        cmocka_unit_test(test_type_table),
        cmocka_unit_test(test_new_reader_dials),
        cmocka_unit_test(test_waits_for_next_dial),
        cmocka_unit_test(test_pipeline_only_never_dials),
        cmocka_unit_test(test_dial_failed_backoff),
        cmocka_unit_test(test_dialing_waits),
        cmocka_unit_test(test_head_ok),
        cmocka_unit_test(test_head_refused),
        cmocka_unit_test(test_read_timeout),
        cmocka_unit_test(test_feed_moves_last_byte),
        cmocka_unit_test(test_feed_msgappv2),
        cmocka_unit_test(test_ended_clean),
        cmocka_unit_test(test_ended_error),
        cmocka_unit_test(test_ended_removed),
        cmocka_unit_test(test_ended_long_body),
        cmocka_unit_test(test_ended_texts),
        cmocka_unit_test(test_peer_alive),
        cmocka_unit_test(test_writer_unattached),
        cmocka_unit_test(test_writer_heartbeat),
        cmocka_unit_test(test_writer_no_heartbeat_behind_bytes),
        cmocka_unit_test(test_writer_wake),
    };
    return cmocka_run_group_tests_name("stream_driver", tests, NULL, NULL);
}
