// SPDX-License-Identifier: Apache-2.0
/*
 * The "message" stream framing: etcd's link heartbeat frame, frames split
 * at every byte boundary, the size limit, malformed bodies, and memory
 * that is only spent on bytes that actually arrived.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "stream/stream.h"
#include "testlib.h"

/* etcd's link heartbeat on the message stream, from the wire. */
static const char heartbeat_hex[] =
    "000000000000001e08081000180020002800300040004a0a12080a022800100018"
    "0050005800";

static const struct rafthttp_entry entries[] = {
    {.term = 1, .index = 4, .data = {(const uint8_t *)"hi", 2}},
    {.term = 1, .index = 5, .type = RAFTHTTP_ENTRY_CONF_CHANGE},
};

/* A few messages of different shapes, encoded back to back. */
static size_t sample_messages(struct rafthttp_message *ms)
{
    memset(ms, 0, 4 * sizeof(*ms));
    ms[0].type = RAFTHTTP_MSG_HEARTBEAT;
    ms[1].type = RAFTHTTP_MSG_APP;
    ms[1].to = 2;
    ms[1].from = 1;
    ms[1].entries = entries;
    ms[1].n_entries = 2;
    ms[2].type = RAFTHTTP_MSG_VOTE;
    ms[2].term = 7;
    ms[2].context = (struct rafthttp_bytes){(const uint8_t *)"ctx", 3};
    ms[3].type = RAFTHTTP_MSG_PROP;
    return 4;
}

static void encode_all(const struct rafthttp_message *ms, size_t n,
                       struct rh_buf *out)
{
    rh_buf_init(out, NULL, 1 << 20);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(rh_msg_frame_encode(NULL, &ms[i], out), 0);
    }
}

static void test_link_heartbeat_frame(void **state)
{
    (void)state;
    struct rafthttp_message hb = {.type = RAFTHTTP_MSG_HEARTBEAT};
    assert_true(rh_is_link_heartbeat(&hb));
    struct rh_buf out;
    encode_all(&hb, 1, &out);
    char *hex = tl_hex(out.data, out.len);
    assert_string_equal(hex, heartbeat_hex);
    free(hex);
    rh_buf_close(&out);
    hb.to = 2;
    assert_false(rh_is_link_heartbeat(&hb));
}

/* Decodes wire with the given split and checks the messages. */
static void check_split(const struct rh_buf *wire,
                        const struct rafthttp_message *ms, size_t n,
                        const size_t *splits, size_t n_splits)
{
    struct rh_msg_decoder d;
    rh_msg_decoder_init(&d, NULL, 1 << 20);
    struct tl_decoded got;
    assert_int_equal(tl_decode_all(TL_MSG_STREAM, &d, wire->data, wire->len,
                                   splits, n_splits, &got),
                     0);
    assert_int_equal(got.n, n);
    for (size_t i = 0; i < n; i++) {
        assert_true(tl_msg_equal(&got.msgs[i]->m, &ms[i]));
    }
    assert_true(rh_msg_decoder_idle(&d));
    tl_decoded_free(&got);
    rh_msg_decoder_close(&d);
}

static void test_splits(void **state)
{
    (void)state;
    struct rafthttp_message ms[4];
    size_t n = sample_messages(ms);
    struct rh_buf wire;
    encode_all(ms, n, &wire);
    check_split(&wire, ms, n, NULL, 0);
    for (size_t cut = 1; cut <= wire.len; cut++) {
        size_t splits[] = {cut};
        check_split(&wire, ms, n, splits, 1);
    }
    /* Two cuts at every pair of points within the first frames. */
    for (size_t a = 1; a < 60; a++) {
        for (size_t b = 1; b < 60; b++) {
            size_t splits[] = {a, b};
            check_split(&wire, ms, n, splits, 2);
        }
    }
    rh_buf_close(&wire);
}

/* A frame whose declared length exceeds the limit costs no memory. */
static void test_limit(void **state)
{
    (void)state;
    struct tl_alloc t;
    tl_alloc_init(&t, 0);
    struct rh_msg_decoder d;
    rh_msg_decoder_init(&d, &t.a, 1000);
    uint8_t huge[8] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    size_t used;
    struct rh_msg *msg;
    assert_int_equal(rh_msg_decoder_feed(&d, huge, 8, &used, &msg),
                     RAFTHTTP_ETOOBIG);
    assert_int_equal(t.calls, 0);
    rh_msg_decoder_close(&d);

    /* Exactly at the limit is fine; one more is not. */
    uint8_t frame[8 + 1001] = {0};
    rh_put_be64(frame, 1001);
    rh_msg_decoder_init(&d, &t.a, 1000);
    assert_int_equal(rh_msg_decoder_feed(&d, frame, sizeof(frame), &used, &msg),
                     RAFTHTTP_ETOOBIG);
    rh_msg_decoder_close(&d);
    assert_int_equal(t.live, 0);
}

/* A declared length is never allocated up front: only what arrives. */
static void test_memory_follows_bytes(void **state)
{
    (void)state;
    struct tl_alloc t;
    tl_alloc_init(&t, 0);
    struct rh_msg_decoder d;
    rh_msg_decoder_init(&d, &t.a, 512u * 1024 * 1024);
    uint8_t head[8 + 16] = {0};
    rh_put_be64(head, 500u * 1024 * 1024);
    size_t used;
    struct rh_msg *msg;
    assert_int_equal(rh_msg_decoder_feed(&d, head, sizeof(head), &used, &msg),
                     0);
    assert_null(msg);
    assert_int_equal(used, sizeof(head));
    assert_true(d.body.cap <= 4096);
    assert_false(rh_msg_decoder_idle(&d));
    rh_msg_decoder_close(&d);
    assert_int_equal(t.live, 0);
}

static void test_malformed_body(void **state)
{
    (void)state;
    uint8_t frame[8 + 2] = {0};
    rh_put_be64(frame, 2);
    frame[8] = 0x0c; /* end group: not a Message */
    struct rh_msg_decoder d;
    rh_msg_decoder_init(&d, NULL, 1000);
    size_t used;
    struct rh_msg *msg;
    assert_int_equal(rh_msg_decoder_feed(&d, frame, sizeof(frame), &used, &msg),
                     RAFTHTTP_EPROTO);
    assert_null(msg);
    rh_msg_decoder_close(&d);
}

/* A zero-length frame is an all-zero Message, as in etcd. */
static void test_zero_length_frame(void **state)
{
    (void)state;
    uint8_t frame[8] = {0};
    struct rh_msg_decoder d;
    rh_msg_decoder_init(&d, NULL, 1000);
    size_t used;
    struct rh_msg *msg;
    assert_int_equal(rh_msg_decoder_feed(&d, frame, 8, &used, &msg), 0);
    assert_non_null(msg);
    assert_int_equal(used, 8);
    assert_int_equal(msg->m.type, RAFTHTTP_MSG_HUP);
    rh_msg_free(msg);
    rh_msg_decoder_close(&d);
}

/* A large frame, split in odd pieces, and its buffer released after. */
static void test_large_frame(void **state)
{
    (void)state;
    size_t size = 3u * 1024 * 1024 + 17;
    uint8_t *data = malloc(size);
    for (size_t i = 0; i < size; i++) {
        data[i] = (uint8_t)(i * 31 + 7);
    }
    struct rafthttp_entry e = {.index = 1, .data = {data, size}};
    struct rafthttp_message m = {
        .type = RAFTHTTP_MSG_APP, .entries = &e, .n_entries = 1};
    struct rh_buf wire;
    rh_buf_init(&wire, NULL, 8u * 1024 * 1024);
    assert_int_equal(rh_msg_frame_encode(NULL, &m, &wire), 0);
    struct rh_msg_decoder d;
    rh_msg_decoder_init(&d, NULL, 8u * 1024 * 1024);
    size_t splits[] = {4096, 7, 65536, 1};
    struct tl_decoded got;
    assert_int_equal(
        tl_decode_all(TL_MSG_STREAM, &d, wire.data, wire.len, splits, 4, &got),
        0);
    assert_int_equal(got.n, 1);
    assert_true(tl_msg_equal(&got.msgs[0]->m, &m));
    assert_int_equal(d.body.cap, 0);
    tl_decoded_free(&got);
    rh_msg_decoder_close(&d);
    rh_buf_close(&wire);
    free(data);
}

/* Failing each allocation in turn: ENOMEM, never a leak or a crash. */
static void test_allocation_failures(void **state)
{
    (void)state;
    struct rafthttp_message ms[4];
    size_t n = sample_messages(ms);
    struct rh_buf wire;
    encode_all(ms, n, &wire);
    size_t splits[] = {3};
    for (long k = 1;; k++) {
        struct tl_alloc t;
        tl_alloc_init(&t, k);
        struct rh_msg_decoder d;
        rh_msg_decoder_init(&d, &t.a, 1 << 20);
        struct tl_decoded got;
        int rv = tl_decode_all(TL_MSG_STREAM, &d, wire.data, wire.len, splits,
                               1, &got);
        assert_true(rv == 0 || rv == RAFTHTTP_ENOMEM);
        tl_decoded_free(&got);
        rh_msg_decoder_close(&d);
        assert_int_equal(t.live, 0);
        if (t.calls < k) {
            break;
        }
    }
    rh_buf_close(&wire);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_link_heartbeat_frame),
        cmocka_unit_test(test_splits),
        cmocka_unit_test(test_limit),
        cmocka_unit_test(test_memory_follows_bytes),
        cmocka_unit_test(test_malformed_body),
        cmocka_unit_test(test_zero_length_frame),
        cmocka_unit_test(test_large_frame),
        cmocka_unit_test(test_allocation_failures),
    };
    return cmocka_run_group_tests_name("msg_codec", tests, NULL, NULL);
}
