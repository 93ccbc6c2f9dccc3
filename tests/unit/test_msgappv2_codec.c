// SPDX-License-Identifier: Apache-2.0
/*
 * msgappv2: etcd's TestMsgAppV2 sequence, etcd's captured bytes, splits at
 * every byte, and hostile records (unknown type, huge counts and sizes,
 * malformed protobuf) that must fail cleanly where etcd would panic.
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

static const struct rafthttp_entry e_hi = {
    .term = 1, .index = 4, .data = {(const uint8_t *)"hi", 2}};
static const struct rafthttp_entry e_yo = {
    .term = 1, .index = 5, .data = {(const uint8_t *)"yo", 2}};

static void encode_seq(const struct rafthttp_message *ms, size_t n,
                       struct rh_buf *out)
{
    struct rh_msgappv2_encoder e;
    rh_msgappv2_encoder_init(&e);
    rh_buf_init(out, NULL, 1 << 20);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(rh_msgappv2_encode(&e, NULL, &ms[i], out), 0);
    }
}

static void check_decode(const struct rh_buf *wire,
                         const struct rafthttp_message *ms, size_t n,
                         const size_t *splits, size_t n_splits)
{
    struct rh_msgappv2_decoder d;
    rh_msgappv2_decoder_init(&d, NULL, 2, 1, 1 << 20);
    struct tl_decoded got;
    assert_int_equal(tl_decode_all(TL_MSGAPPV2, &d, wire->data, wire->len,
                                   splits, n_splits, &got),
                     0);
    assert_int_equal(got.n, n);
    for (size_t i = 0; i < n; i++) {
        assert_true(tl_msg_equal(&got.msgs[i]->m, &ms[i]));
    }
    assert_true(rh_msgappv2_decoder_idle(&d));
    tl_decoded_free(&got);
    rh_msgappv2_decoder_close(&d);
}

static void test_etcd_sequence(void **state)
{
    (void)state;
    struct rafthttp_message ms[16];
    size_t n = tl_etcd_msgappv2_sequence(ms);
    struct rh_buf wire;
    encode_seq(ms, n, &wire);
    check_decode(&wire, ms, n, NULL, 0);
    for (size_t cut = 1; cut < 40; cut++) {
        size_t splits[] = {cut};
        check_decode(&wire, ms, n, splits, 1);
    }
    for (size_t a = 1; a < 30; a++) {
        for (size_t b = 1; b < 30; b++) {
            size_t splits[] = {a, b};
            check_decode(&wire, ms, n, splits, 2);
        }
    }
    rh_buf_close(&wire);
}

/* The bytes etcd's encoder wrote (wire-protocol.md 4.3). */
static void test_etcd_bytes(void **state)
{
    (void)state;
    struct rafthttp_message ms[4];
    struct rafthttp_message hb = {.type = RAFTHTTP_MSG_HEARTBEAT};
    ms[0] = hb;
    ms[1] = tl_app(1, 1, 3, 3, &e_hi, 1);
    ms[2] = tl_app(1, 1, 4, 4, &e_yo, 1);
    ms[3] = tl_app(1, 1, 5, 5, NULL, 0);
    struct rh_buf wire;
    encode_seq(ms, 4, &wire);
    char *hex = tl_hex(wire.data, wire.len);
    assert_string_equal(
        hex, "00"
             "02000000000000002a0803100218012001280130033a0a0800100118042202"
             "686940034a0a12080a0228001000180050005800"
             "010000000000000001000000000000000a0800100118052202796f"
             "0000000000000004"
             "0100000000000000000000000000000005");
    free(hex);
    rh_buf_close(&wire);
}

/* etcd's benchmark: Term = LogTerm = Index = 0, compact from the start. */
static void test_compact_first(void **state)
{
    (void)state;
    struct rafthttp_entry e = {.index = 1, .data = {(const uint8_t *)"x", 1}};
    struct rafthttp_message m = tl_app(0, 0, 0, 0, &e, 1);
    struct rh_buf wire;
    encode_seq(&m, 1, &wire);
    assert_int_equal(wire.data[0], RH_MSGAPPV2_APP_ENTRIES);
    check_decode(&wire, &m, 1, NULL, 0);
    rh_buf_close(&wire);
}

static void test_encode_refuses_other_types(void **state)
{
    (void)state;
    struct rh_msgappv2_encoder e;
    rh_msgappv2_encoder_init(&e);
    struct rh_buf out;
    rh_buf_init(&out, NULL, 1024);
    struct rafthttp_message vote = {.type = RAFTHTTP_MSG_VOTE, .to = 2};
    assert_int_equal(rh_msgappv2_encode(&e, NULL, &vote, &out),
                     RAFTHTTP_EINVAL);
    assert_int_equal(out.len, 0);
    rh_buf_close(&out);
}

/* Encoder state is untouched when the output buffer refuses a record. */
static void test_encode_failure_keeps_state(void **state)
{
    (void)state;
    struct rh_msgappv2_encoder e;
    rh_msgappv2_encoder_init(&e);
    struct rh_buf out;
    rh_buf_init(&out, NULL, 20);
    struct rafthttp_message m = tl_app(1, 1, 3, 3, tl_e_some, 3);
    assert_int_equal(rh_msgappv2_encode(&e, NULL, &m, &out), RAFTHTTP_ETOOBIG);
    assert_int_equal(out.len, 0);
    assert_int_equal(e.term, 0);
    assert_int_equal(e.index, 0);
    rh_buf_close(&out);
}

/* Feeds hex to a fresh decoder; returns the first error (or 0). */
static int decode_hex(const char *hex, size_t limit, size_t *n_msgs)
{
    size_t n;
    uint8_t *bytes = tl_unhex(hex, &n);
    struct tl_alloc t;
    tl_alloc_init(&t, 0);
    struct rh_msgappv2_decoder d;
    rh_msgappv2_decoder_init(&d, &t.a, 2, 1, limit);
    struct tl_decoded got;
    int rv = tl_decode_all(TL_MSGAPPV2, &d, bytes, n, NULL, 0, &got);
    *n_msgs = got.n;
    tl_decoded_free(&got);
    rh_msgappv2_decoder_close(&d);
    assert_int_equal(t.live, 0);
    free(bytes);
    return rv;
}

static void test_hostile_records(void **state)
{
    (void)state;
    size_t n;
    /* Unknown record type. */
    assert_int_equal(decode_hex("0003", 1024, &n), RAFTHTTP_EPROTO);
    assert_int_equal(n, 1);
    /* A count of 2^64-1 entries: etcd panics in makeslice. */
    assert_int_equal(decode_hex("01ffffffffffffffff", 1024, &n),
                     RAFTHTTP_ETOOBIG);
    /* An entry size of 2^63. */
    assert_int_equal(decode_hex("0100000000000000018000000000000000", 1024, &n),
                     RAFTHTTP_ETOOBIG);
    /* A full message length over the limit. */
    assert_int_equal(decode_hex("020000000000000401", 1024, &n),
                     RAFTHTTP_ETOOBIG);
    /* A malformed entry: etcd's MustUnmarshal panics here. */
    assert_int_equal(
        decode_hex("01000000000000000100000000000000010c", 1024, &n),
        RAFTHTTP_EPROTO);
    /* A malformed full message. */
    assert_int_equal(decode_hex("0200000000000000020c00", 1024, &n),
                     RAFTHTTP_EPROTO);
    /* Zero-size entries are valid protobuf: two empty entries. */
    assert_int_equal(decode_hex("010000000000000002"
                                "0000000000000000"
                                "0000000000000000"
                                "0000000000000009",
                                1024, &n),
                     0);
    assert_int_equal(n, 1);
}

/* Many small entries add up: the record limit counts all of them. */
static void test_record_limit_counts_all_bytes(void **state)
{
    (void)state;
    struct rafthttp_entry es[64];
    for (size_t i = 0; i < 64; i++) {
        es[i] = e_hi;
        es[i].index = i + 1;
    }
    struct rafthttp_message m = tl_app(0, 0, 0, 0, es, 64);
    struct rh_buf wire;
    encode_seq(&m, 1, &wire);
    struct rh_msgappv2_decoder d;
    rh_msgappv2_decoder_init(&d, NULL, 2, 1, wire.len - 1);
    struct tl_decoded got;
    assert_int_equal(
        tl_decode_all(TL_MSGAPPV2, &d, wire.data, wire.len, NULL, 0, &got),
        RAFTHTTP_ETOOBIG);
    tl_decoded_free(&got);
    rh_msgappv2_decoder_close(&d);
    rh_msgappv2_decoder_init(&d, NULL, 2, 1, wire.len);
    assert_int_equal(
        tl_decode_all(TL_MSGAPPV2, &d, wire.data, wire.len, NULL, 0, &got), 0);
    assert_int_equal(got.n, 1);
    tl_decoded_free(&got);
    rh_msgappv2_decoder_close(&d);
    rh_buf_close(&wire);
}

static void test_allocation_failures(void **state)
{
    (void)state;
    struct rafthttp_message ms[16];
    size_t n = tl_etcd_msgappv2_sequence(ms);
    struct rh_buf wire;
    encode_seq(ms, n, &wire);
    size_t splits[] = {5};
    for (long k = 1;; k++) {
        struct tl_alloc t;
        tl_alloc_init(&t, k);
        struct rh_msgappv2_decoder d;
        rh_msgappv2_decoder_init(&d, &t.a, 2, 1, 1 << 20);
        struct tl_decoded got;
        int rv = tl_decode_all(TL_MSGAPPV2, &d, wire.data, wire.len, splits, 1,
                               &got);
        assert_true(rv == 0 || rv == RAFTHTTP_ENOMEM);
        tl_decoded_free(&got);
        rh_msgappv2_decoder_close(&d);
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
        cmocka_unit_test(test_etcd_sequence),
        cmocka_unit_test(test_etcd_bytes),
        cmocka_unit_test(test_compact_first),
        cmocka_unit_test(test_encode_refuses_other_types),
        cmocka_unit_test(test_encode_failure_keeps_state),
        cmocka_unit_test(test_hostile_records),
        cmocka_unit_test(test_record_limit_counts_all_bytes),
        cmocka_unit_test(test_allocation_failures),
    };
    return cmocka_run_group_tests_name("msgappv2_codec", tests, NULL, NULL);
}
