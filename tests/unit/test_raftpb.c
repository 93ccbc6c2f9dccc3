// SPDX-License-Identifier: Apache-2.0
/*
 * raftpb bridge: etcd's reference encodings (wire-protocol.md 1.4, produced
 * by etcd's Go code), sizes, nil versus empty bytes, unknown values,
 * malformed input and allocation failure.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "raftpb/raftpb.h"
#include "testlib.h"

static const struct rafthttp_entry hi_entry = {
    .term = 1, .index = 4, .data = {(const uint8_t *)"hi", 2}};
static const uint64_t voters[] = {1, 2, 3};
static const uint64_t learners[] = {4};

/* Encodes m and compares with etcd's hex; also checks the size function. */
static void assert_encodes_to(const struct rafthttp_message *m, const char *hex)
{
    struct rh_buf out;
    rh_buf_init(&out, NULL, 1 << 20);
    assert_int_equal(rh_raftpb_message_append(NULL, m, &out), 0);
    char *got = tl_hex(out.data, out.len);
    assert_string_equal(got, hex);
    assert_int_equal(rh_raftpb_message_size(m), out.len);
    free(got);
    rh_buf_close(&out);
}

/* Decodes etcd's hex, re-encodes, and expects the same bytes back. */
static struct rh_msg *assert_round_trip(const char *hex)
{
    size_t n;
    uint8_t *bytes = tl_unhex(hex, &n);
    struct rh_msg *msg = NULL;
    assert_int_equal(rh_raftpb_message_decode(NULL, bytes, n, &msg), 0);
    assert_encodes_to(&msg->m, hex);
    free(bytes);
    return msg;
}

static void test_empty_message(void **state)
{
    (void)state;
    struct rafthttp_message m = {0};
    assert_encodes_to(&m, "08001000180020002800300040004a0a12080a02280010"
                          "00180050005800");
}

static void test_heartbeat(void **state)
{
    (void)state;
    struct rafthttp_message m = {.type = RAFTHTTP_MSG_HEARTBEAT,
                                 .to = 2,
                                 .from = 1,
                                 .term = 5,
                                 .commit = 10};
    assert_encodes_to(&m, "080810021801200528003000400a4a0a12080a02280010"
                          "00180050005800");
}

static void test_msg_app(void **state)
{
    (void)state;
    struct rafthttp_message m = {.type = RAFTHTTP_MSG_APP,
                                 .to = 2,
                                 .from = 1,
                                 .term = 1,
                                 .log_term = 1,
                                 .index = 3,
                                 .commit = 3,
                                 .entries = &hi_entry,
                                 .n_entries = 1};
    const char *hex = "0803100218012001280130033a0a08001001180422026869400"
                      "34a0a12080a0228001000180050005800";
    assert_encodes_to(&m, hex);
    struct rh_msg *msg = assert_round_trip(hex);
    assert_true(tl_msg_equal(&msg->m, &m));
    rh_msg_free(msg);
}

static void test_msg_snap(void **state)
{
    (void)state;
    struct rafthttp_message m = {
        .type = RAFTHTTP_MSG_SNAP, .to = 2, .from = 1, .term = 2};
    m.snapshot.data = (struct rafthttp_bytes){(const uint8_t *)"v2", 2};
    m.snapshot.metadata.index = 1000;
    m.snapshot.metadata.term = 2;
    m.snapshot.metadata.conf_state.voters = voters;
    m.snapshot.metadata.conf_state.n_voters = 3;
    m.snapshot.metadata.conf_state.learners = learners;
    m.snapshot.metadata.conf_state.n_learners = 1;
    const char *hex = "08071002180120022800300040004a170a02763212110a0a080"
                      "1080208031004280010e807180250005800";
    assert_encodes_to(&m, hex);
    struct rh_msg *msg = assert_round_trip(hex);
    assert_true(tl_msg_equal(&msg->m, &m));
    assert_int_equal(msg->m.snapshot.metadata.conf_state.n_voters, 3);
    rh_msg_free(msg);
}

static void test_entry_sizes(void **state)
{
    (void)state;
    struct rh_buf out;
    rh_buf_init(&out, NULL, 1 << 20);
    struct rafthttp_entry empty = {0};
    assert_int_equal(rh_raftpb_entry_append(&empty, &out), 0);
    char *hex = tl_hex(out.data, out.len);
    assert_string_equal(hex, "080010001800");
    assert_int_equal(rh_raftpb_entry_size(&empty), 6);
    free(hex);
    rh_buf_reset(&out);
    /* Present but empty data: Go's []byte{} writes "22 00". */
    struct rafthttp_entry present = {.data = {(const uint8_t *)"", 0}};
    assert_int_equal(rh_raftpb_entry_append(&present, &out), 0);
    hex = tl_hex(out.data, out.len);
    assert_string_equal(hex, "0800100018002200");
    assert_int_equal(rh_raftpb_entry_size(&present), 8);
    free(hex);
    rh_buf_reset(&out);
    assert_int_equal(rh_raftpb_entry_append(&hi_entry, &out), 0);
    hex = tl_hex(out.data, out.len);
    assert_string_equal(hex, "08001001180422026869");
    free(hex);
    rh_buf_close(&out);
}

/* Present-empty bytes survive a decode (base set, len 0). */
static void test_present_empty_context(void **state)
{
    (void)state;
    struct rafthttp_message m = {.type = RAFTHTTP_MSG_PROP};
    m.context = (struct rafthttp_bytes){(const uint8_t *)"", 0};
    struct rh_buf out;
    rh_buf_init(&out, NULL, 4096);
    assert_int_equal(rh_raftpb_message_append(NULL, &m, &out), 0);
    char *hex = tl_hex(out.data, out.len);
    struct rh_msg *msg = assert_round_trip(hex);
    assert_non_null(msg->m.context.base);
    assert_int_equal(msg->m.context.len, 0);
    rh_msg_free(msg);
    free(hex);
    rh_buf_close(&out);
}

/* Extremes: every varint at its longest, an enum etcd does not know. */
static void test_extremes_and_unknown_type(void **state)
{
    (void)state;
    struct rafthttp_entry e = {
        .term = UINT64_MAX, .index = UINT64_MAX, .type = 7};
    struct rafthttp_message m = {.type = 99,
                                 .to = UINT64_MAX,
                                 .from = UINT64_MAX,
                                 .term = UINT64_MAX,
                                 .log_term = UINT64_MAX,
                                 .index = UINT64_MAX,
                                 .commit = UINT64_MAX,
                                 .reject = true,
                                 .reject_hint = UINT64_MAX,
                                 .entries = &e,
                                 .n_entries = 1};
    struct rh_buf out;
    rh_buf_init(&out, NULL, 4096);
    assert_int_equal(rh_raftpb_message_append(NULL, &m, &out), 0);
    assert_int_equal(rh_raftpb_message_size(&m), out.len);
    char *hex = tl_hex(out.data, out.len);
    struct rh_msg *msg = assert_round_trip(hex);
    assert_true(tl_msg_equal(&msg->m, &m));
    rh_msg_free(msg);
    free(hex);
    rh_buf_close(&out);
}

/* A sender may omit what gogoproto always writes: fields default to 0. */
static void test_minimal_encoding(void **state)
{
    (void)state;
    size_t n;
    uint8_t *bytes = tl_unhex("080910021801200a", &n);
    struct rh_msg *msg = NULL;
    assert_int_equal(rh_raftpb_message_decode(NULL, bytes, n, &msg), 0);
    assert_int_equal(msg->m.type, RAFTHTTP_MSG_HEARTBEAT_RESP);
    assert_int_equal(msg->m.term, 10);
    assert_null(msg->m.snapshot.data.base);
    assert_int_equal(msg->m.snapshot.metadata.conf_state.n_voters, 0);
    rh_msg_free(msg);
    free(bytes);
}

static void test_malformed(void **state)
{
    (void)state;
    const char *bad[] = {
        "08",                       /* truncated varint */
        "3a05080010",               /* entry length past the end */
        "0c",                       /* field 1, wire type 4 (end group) */
        "4a0a1208",                 /* snapshot length past the end */
        "08ffffffffffffffffffff01", /* varint longer than 10 bytes */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        size_t n;
        uint8_t *bytes = tl_unhex(bad[i], &n);
        struct rh_msg *msg = NULL;
        assert_int_equal(rh_raftpb_message_decode(NULL, bytes, n, &msg),
                         RAFTHTTP_EPROTO);
        assert_null(msg);
        free(bytes);
    }
}

static void test_encode_limit(void **state)
{
    (void)state;
    struct rafthttp_message m = {
        .type = RAFTHTTP_MSG_APP, .entries = &hi_entry, .n_entries = 1};
    struct rh_buf out;
    rh_buf_init(&out, NULL, 10);
    assert_int_equal(rh_raftpb_message_append(NULL, &m, &out),
                     RAFTHTTP_ETOOBIG);
    assert_int_equal(out.len, 0);
    rh_buf_close(&out);
}

/* Builds a message of n entries that needs heap space to encode. */
static struct rafthttp_message many_entries(struct rafthttp_entry *es, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        es[i] = hi_entry;
        es[i].index = i + 1;
    }
    struct rafthttp_message m = {
        .type = RAFTHTTP_MSG_APP, .entries = es, .n_entries = n};
    m.snapshot.metadata.conf_state.voters = voters;
    m.snapshot.metadata.conf_state.n_voters = 3;
    return m;
}

/*
 * Fails each allocation of an encode and a decode in turn: every failure
 * is a clean RAFTHTTP_ENOMEM and leaves nothing allocated.
 */
static void test_allocation_failures(void **state)
{
    (void)state;
    struct rafthttp_entry es[20];
    struct rafthttp_message m = many_entries(es, 20);
    struct rh_buf wire;
    rh_buf_init(&wire, NULL, 1 << 20);
    assert_int_equal(rh_raftpb_message_append(NULL, &m, &wire), 0);
    for (long k = 1;; k++) {
        struct tl_alloc t;
        tl_alloc_init(&t, k);
        struct rh_buf out;
        rh_buf_init(&out, &t.a, 1 << 20);
        int enc = rh_raftpb_message_append(&t.a, &m, &out);
        rh_buf_close(&out);
        struct rh_msg *msg = NULL;
        int dec = rh_raftpb_message_decode(&t.a, wire.data, wire.len, &msg);
        if (dec == 0) {
            assert_true(tl_msg_equal(&msg->m, &m));
            rh_msg_free(msg);
        }
        assert_int_equal(t.live, 0);
        assert_true(enc == 0 || enc == RAFTHTTP_ENOMEM);
        assert_true(dec == 0 || dec == RAFTHTTP_ENOMEM);
        if (t.calls < k) {
            break; /* no allocation left to fail */
        }
    }
    rh_buf_close(&wire);
}

/* Any raftpb object re-encodes to gogoproto's bytes once filled in. */
static void test_fill_nonnullable(void **state)
{
    (void)state;
    size_t n;
    uint8_t *bytes = tl_unhex("1001", &n); /* ConfChange{Type: Remove} */
    Raftpb__ConfChange *cc = raftpb__conf_change__unpack(NULL, n, bytes);
    assert_non_null(cc);
    assert_int_equal(rh_raftpb_fill_nonnullable(NULL, &cc->base), 0);
    uint8_t out[64];
    size_t len = raftpb__conf_change__pack(cc, out);
    char *hex = tl_hex(out, len);
    assert_string_equal(hex, "080010011800");
    free(hex);
    raftpb__conf_change__free_unpacked(cc, NULL);
    free(bytes);

    Raftpb__Message *pm = raftpb__message__unpack(NULL, 0, out);
    assert_non_null(pm);
    assert_int_equal(rh_raftpb_fill_nonnullable(NULL, &pm->base), 0);
    len = raftpb__message__pack(pm, out);
    hex = tl_hex(out, len);
    assert_string_equal(hex, "08001000180020002800300040004a0a12080a022800"
                             "10001800500058"
                             "00");
    free(hex);
    raftpb__message__free_unpacked(pm, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty_message),
        cmocka_unit_test(test_heartbeat),
        cmocka_unit_test(test_msg_app),
        cmocka_unit_test(test_msg_snap),
        cmocka_unit_test(test_entry_sizes),
        cmocka_unit_test(test_present_empty_context),
        cmocka_unit_test(test_extremes_and_unknown_type),
        cmocka_unit_test(test_minimal_encoding),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_encode_limit),
        cmocka_unit_test(test_allocation_failures),
        cmocka_unit_test(test_fill_nonnullable),
    };
    return cmocka_run_group_tests_name("raftpb", tests, NULL, NULL);
}
