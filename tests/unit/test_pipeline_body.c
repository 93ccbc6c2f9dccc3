// SPDX-License-Identifier: Apache-2.0
/*
 * pipeline body: the raw Message of a POST /raft. Encode, feed in pieces
 * of every size and cut at every point, finish, and get the message back;
 * a body over the cap is refused with nothing more stored; an empty body
 * is the zero Message, as in etcd; bytes that are not a Message are
 * RAFTHTTP_EPROTO; allocation failure at every step is a clean
 * RAFTHTTP_ENOMEM with nothing leaked.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "pipeline/pipeline.h"
#include "testlib.h"

#define N_ENTRIES 20

static struct rafthttp_entry entries[N_ENTRIES];
static const uint8_t entry_data[] = "entry data of a few dozen bytes, twice";
static const uint8_t context[] = "ctx";

/* A MsgApp of 20 entries: a body larger than a buffer's first growth. */
static struct rafthttp_message app_message(void)
{
    for (size_t i = 0; i < N_ENTRIES; i++) {
        entries[i] = (struct rafthttp_entry){
            .term = 7,
            .index = 100 + i,
            .type = i == 5 ? RAFTHTTP_ENTRY_CONF_CHANGE : RAFTHTTP_ENTRY_NORMAL,
            .data = {entry_data, sizeof(entry_data) - 1}};
    }
    struct rafthttp_message m = {.type = RAFTHTTP_MSG_APP,
                                 .to = 0x1d022bfa869d1d4u,
                                 .from = 0x8f96cf29dba10d9u,
                                 .term = 7,
                                 .log_term = 6,
                                 .index = 99,
                                 .entries = entries,
                                 .n_entries = N_ENTRIES,
                                 .commit = 98,
                                 .reject = true,
                                 .reject_hint = UINT64_MAX,
                                 .context = {context, sizeof(context) - 1}};
    return m;
}

/* The body etcd's pipeline sends for m. */
static struct rh_buf encode_body(const struct rafthttp_message *m)
{
    struct rh_buf out;
    rh_buf_init(&out, NULL, 1 << 20);
    assert_int_equal(rh_pipeline_body_encode(NULL, m, &out), 0);
    return out;
}

/* Feeds p[0..n) in pieces of at most piece bytes; first error or 0. */
static int feed_in_pieces(struct rh_pipeline_body *b, const uint8_t *p,
                          size_t n, size_t piece)
{
    size_t off = 0;
    while (off < n) {
        size_t chunk = piece < n - off ? piece : n - off;
        int rv = rh_pipeline_body_feed(b, p + off, chunk);
        if (rv != 0) {
            return rv;
        }
        off += chunk;
    }
    return 0;
}

/* Finishes b and expects m back. */
static void assert_finishes_to(struct rh_pipeline_body *b,
                               const struct rafthttp_message *m)
{
    struct rh_msg *msg = NULL;
    assert_int_equal(rh_pipeline_body_finish(b, &msg), 0);
    assert_non_null(msg);
    assert_true(tl_msg_equal(&msg->m, m));
    rh_msg_free(msg);
}

static void test_encode(void **state)
{
    (void)state;
    struct rafthttp_message m = app_message();
    struct rh_buf body = encode_body(&m);
    /* No length prefix: the body is exactly the Message encoding. */
    struct rh_buf plain;
    rh_buf_init(&plain, NULL, 1 << 20);
    assert_int_equal(rh_raftpb_message_append(NULL, &m, &plain), 0);
    assert_int_equal(body.len, plain.len);
    assert_int_equal(body.len, rh_raftpb_message_size(&m));
    assert_memory_equal(body.data, plain.data, plain.len);
    rh_buf_close(&plain);
    rh_buf_close(&body);

    /* etcd's MsgHeartbeat reference bytes (wire-protocol 1.4). */
    struct rafthttp_message hb = {.type = RAFTHTTP_MSG_HEARTBEAT,
                                  .to = 2,
                                  .from = 1,
                                  .term = 5,
                                  .commit = 10};
    body = encode_body(&hb);
    char *hex = tl_hex(body.data, body.len);
    assert_string_equal(hex, "080810021801200528003000400a4a0a12080a02280010"
                             "00180050005800");
    free(hex);
    rh_buf_close(&body);
}

static void test_encode_too_big(void **state)
{
    (void)state;
    struct rafthttp_message m = app_message();
    size_t size = rh_raftpb_message_size(&m);
    struct rh_buf out;
    rh_buf_init(&out, NULL, size - 1);
    assert_int_equal(rh_pipeline_body_encode(NULL, &m, &out), RAFTHTTP_ETOOBIG);
    assert_int_equal(out.len, 0);
    rh_buf_close(&out);
    rh_buf_init(&out, NULL, size);
    assert_int_equal(rh_pipeline_body_encode(NULL, &m, &out), 0);
    assert_int_equal(out.len, size);
    rh_buf_close(&out);
}

static void test_round_trip_pieces(void **state)
{
    (void)state;
    struct rafthttp_message m = app_message();
    struct rh_buf body = encode_body(&m);
    const size_t pieces[] = {1, 2, 3, 7, 64, 255, 256, 257, 1000, SIZE_MAX};
    for (size_t i = 0; i < sizeof(pieces) / sizeof(pieces[0]); i++) {
        struct tl_alloc t;
        tl_alloc_init(&t, 0);
        struct rh_pipeline_body b;
        rh_pipeline_body_init(&b, &t.a, 1 << 20);
        assert_int_equal(feed_in_pieces(&b, body.data, body.len, pieces[i]), 0);
        assert_int_equal(b.bytes.len, body.len);
        assert_finishes_to(&b, &m);
        rh_pipeline_body_close(&b);
        assert_int_equal(t.live, 0);
    }
    rh_buf_close(&body);
}

static void test_round_trip_every_split(void **state)
{
    (void)state;
    struct rafthttp_message m = app_message();
    struct rh_buf body = encode_body(&m);
    for (size_t cut = 0; cut <= body.len; cut++) {
        struct rh_pipeline_body b;
        rh_pipeline_body_init(&b, NULL, body.len);
        assert_int_equal(rh_pipeline_body_feed(&b, body.data, cut), 0);
        assert_int_equal(
            rh_pipeline_body_feed(&b, body.data + cut, body.len - cut), 0);
        assert_finishes_to(&b, &m);
        rh_pipeline_body_close(&b);
    }
    rh_buf_close(&body);
}

/* The cap is the body size: at the cap is fine, one byte more is not. */
static void test_limit(void **state)
{
    (void)state;
    struct rafthttp_message m = app_message();
    struct rh_buf body = encode_body(&m);

    struct rh_pipeline_body b;
    rh_pipeline_body_init(&b, NULL, body.len);
    assert_int_equal(feed_in_pieces(&b, body.data, body.len, 100), 0);
    assert_finishes_to(&b, &m);
    /* A byte past the end of the body. */
    assert_int_equal(rh_pipeline_body_feed(&b, (const uint8_t *)"x", 1),
                     RAFTHTTP_ETOOBIG);
    assert_int_equal(b.bytes.len, body.len);
    assert_memory_equal(b.bytes.data, body.data, body.len);
    rh_pipeline_body_close(&b);

    /* One byte short of room: the last piece is refused whole. */
    rh_pipeline_body_init(&b, NULL, body.len - 1);
    assert_int_equal(rh_pipeline_body_feed(&b, body.data, 10), 0);
    assert_int_equal(rh_pipeline_body_feed(&b, body.data + 10, body.len - 10),
                     RAFTHTTP_ETOOBIG);
    assert_int_equal(b.bytes.len, 10);
    assert_memory_equal(b.bytes.data, body.data, 10);
    assert_int_equal(rh_pipeline_body_feed(&b, body.data + 10, body.len - 11),
                     0);
    assert_int_equal(b.bytes.len, body.len - 1);
    assert_int_equal(rh_pipeline_body_feed(&b, body.data + body.len - 1, 1),
                     RAFTHTTP_ETOOBIG);
    assert_int_equal(b.bytes.len, body.len - 1);
    assert_memory_equal(b.bytes.data, body.data, body.len - 1);
    rh_pipeline_body_close(&b);

    /* All at once into too small a cap: nothing is stored at all. */
    struct tl_alloc t;
    tl_alloc_init(&t, 0);
    rh_pipeline_body_init(&b, &t.a, 64);
    assert_int_equal(rh_pipeline_body_feed(&b, body.data, body.len),
                     RAFTHTTP_ETOOBIG);
    assert_int_equal(b.bytes.len, 0);
    assert_int_equal(t.calls, 0);
    rh_pipeline_body_close(&b);
    rh_buf_close(&body);
}

/* etcd unmarshals an empty body into a zero Message (a MsgHup to 0). */
static void test_empty_body(void **state)
{
    (void)state;
    const struct rafthttp_message zero = {0};
    struct tl_alloc t;
    tl_alloc_init(&t, 0);
    struct rh_pipeline_body b;
    rh_pipeline_body_init(&b, &t.a, 1 << 20);
    struct rh_msg *msg = NULL;
    assert_int_equal(rh_pipeline_body_finish(&b, &msg), 0);
    assert_non_null(msg);
    assert_true(tl_msg_equal(&msg->m, &zero));
    assert_int_equal(msg->m.type, RAFTHTTP_MSG_HUP);
    assert_int_equal(msg->m.to, 0);
    assert_int_equal(msg->m.n_entries, 0);
    assert_null(msg->m.context.base);
    assert_null(msg->m.snapshot.data.base);
    assert_int_equal(msg->m.snapshot.metadata.conf_state.n_voters, 0);
    rh_msg_free(msg);

    /* Feeding nothing is the same as not feeding. */
    assert_int_equal(rh_pipeline_body_feed(&b, (const uint8_t *)"", 0), 0);
    msg = NULL;
    assert_int_equal(rh_pipeline_body_finish(&b, &msg), 0);
    assert_true(tl_msg_equal(&msg->m, &zero));
    rh_msg_free(msg);
    rh_pipeline_body_close(&b);
    assert_int_equal(t.live, 0);

    /* A zero cap still takes an empty body. */
    rh_pipeline_body_init(&b, NULL, 0);
    msg = NULL;
    assert_int_equal(rh_pipeline_body_finish(&b, &msg), 0);
    assert_true(tl_msg_equal(&msg->m, &zero));
    rh_msg_free(msg);
    rh_pipeline_body_close(&b);
}

static void expect_garbage(const uint8_t *p, size_t n)
{
    struct tl_alloc t;
    tl_alloc_init(&t, 0);
    struct rh_pipeline_body b;
    rh_pipeline_body_init(&b, &t.a, 1 << 20);
    assert_int_equal(feed_in_pieces(&b, p, n, 3), 0);
    struct rh_msg *msg = NULL;
    assert_int_equal(rh_pipeline_body_finish(&b, &msg), RAFTHTTP_EPROTO);
    assert_null(msg);
    rh_pipeline_body_close(&b);
    assert_int_equal(t.live, 0);
}

static void expect_garbage_hex(const char *hex)
{
    size_t n;
    uint8_t *p = tl_unhex(hex, &n);
    assert_non_null(p);
    expect_garbage(p, n);
    free(p);
}

static void test_garbage(void **state)
{
    (void)state;
    /* etcd's TestServeRaftPrefix "bad request protobuf". */
    const char garbage[] = "malformed garbage";
    expect_garbage((const uint8_t *)garbage, sizeof(garbage) - 1);
    expect_garbage_hex("08");                       /* truncated varint */
    expect_garbage_hex("0c");                       /* end group, no group */
    expect_garbage_hex("3a05080010");               /* entry past the end */
    expect_garbage_hex("4a0a1208");                 /* snapshot past the end */
    expect_garbage_hex("08ffffffffffffffffffff01"); /* 11-byte varint */

    /* A good body cut short inside its last field. */
    struct rafthttp_message m = app_message();
    struct rh_buf body = encode_body(&m);
    expect_garbage(body.data, body.len - 1);
    /* A good body with a message stream's length prefix in front. */
    uint8_t framed[8 + 64];
    struct rafthttp_message hb = {.type = RAFTHTTP_MSG_HEARTBEAT,
                                  .to = 2,
                                  .from = 1,
                                  .term = 5,
                                  .commit = 10};
    struct rh_buf hb_body = encode_body(&hb);
    assert_true(hb_body.len <= 64);
    rh_put_be64(framed, hb_body.len);
    memcpy(framed + 8, hb_body.data, hb_body.len);
    expect_garbage(framed, 8 + hb_body.len);
    rh_buf_close(&hb_body);
    rh_buf_close(&body);
}

/*
 * Encode and receive with the k-th allocation failing, for k = 1 until a
 * run has no k-th allocation: each step ends in 0 or RAFTHTTP_ENOMEM, and
 * nothing stays allocated.
 */
static void run_allocation_failures(size_t piece)
{
    struct rafthttp_message m = app_message();
    struct rh_buf body = encode_body(&m);
    long failures = 0;
    for (long k = 1;; k++) {
        struct tl_alloc t;
        tl_alloc_init(&t, k);
        struct rh_buf out;
        rh_buf_init(&out, &t.a, 1 << 20);
        int enc = rh_pipeline_body_encode(&t.a, &m, &out);
        assert_true(enc == 0 || enc == RAFTHTTP_ENOMEM);
        if (enc == 0) {
            assert_int_equal(out.len, body.len);
            assert_memory_equal(out.data, body.data, body.len);
        } else {
            assert_int_equal(out.len, 0);
        }
        rh_buf_close(&out);

        struct rh_pipeline_body b;
        rh_pipeline_body_init(&b, &t.a, 1 << 20);
        int rv = feed_in_pieces(&b, body.data, body.len, piece);
        assert_true(rv == 0 || rv == RAFTHTTP_ENOMEM);
        if (rv == 0) {
            struct rh_msg *msg = NULL;
            rv = rh_pipeline_body_finish(&b, &msg);
            assert_true(rv == 0 || rv == RAFTHTTP_ENOMEM);
            if (rv == 0) {
                assert_true(tl_msg_equal(&msg->m, &m));
                rh_msg_free(msg);
            } else {
                assert_null(msg);
            }
        }
        failures += enc != 0 || rv != 0;
        rh_pipeline_body_close(&b);
        assert_int_equal(t.live, 0);
        if (t.calls < k) {
            break; /* no allocation left to fail */
        }
    }
    assert_true(failures > 0);
    rh_buf_close(&body);
}

static void test_allocation_failures_whole(void **state)
{
    (void)state;
    run_allocation_failures(SIZE_MAX);
}

static void test_allocation_failures_byte_by_byte(void **state)
{
    (void)state;
    run_allocation_failures(1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encode),
        cmocka_unit_test(test_encode_too_big),
        cmocka_unit_test(test_round_trip_pieces),
        cmocka_unit_test(test_round_trip_every_split),
        cmocka_unit_test(test_limit),
        cmocka_unit_test(test_empty_body),
        cmocka_unit_test(test_garbage),
        cmocka_unit_test(test_allocation_failures_whole),
        cmocka_unit_test(test_allocation_failures_byte_by_byte),
    };
    return cmocka_run_group_tests_name("pipeline_body", tests, NULL, NULL);
}
