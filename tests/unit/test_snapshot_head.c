// SPDX-License-Identifier: Apache-2.0
/*
 * snapshot head: the BE64 length + MsgSnap that opens a /raft/snapshot
 * body. Encoding refuses other message types. Decoding is fed whole, byte
 * by byte and cut at every point, with database bytes after the head, and
 * must stop exactly at the end of the head. Failures give etcd's 400
 * bodies: a declared length over the limit, a body that is not a Message,
 * a Message that is not a MsgSnap. No leaks, and allocation failure at
 * every step is a clean RAFTHTTP_ENOMEM.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "snapshot/snapshot.h"
#include "testlib.h"

static const char limit_reason[] =
    "failed to decode raft message (rafthttp: error limit exceeded)";
static const char decode_prefix[] = "failed to decode raft message (";

static const uint64_t voters[] = {1, 2, 3};
static const uint64_t learners[] = {4};
static uint8_t snap_data[600]; /* larger than a buffer's first growth */

/* What follows the head in a snapshot body: the database file. */
static const uint8_t database[] = "database bytes, not part of the head";
#define DATABASE_LEN (sizeof(database) - 1)

/* A MsgSnap as etcd sends it, with a state machine snapshot of 600 bytes. */
static struct rafthttp_message snap_message(void)
{
    for (size_t i = 0; i < sizeof(snap_data); i++) {
        snap_data[i] = (uint8_t)(i * 31 + 7);
    }
    struct rafthttp_message m = {
        .type = RAFTHTTP_MSG_SNAP, .to = 2, .from = 1, .term = 5};
    m.snapshot.data.base = snap_data;
    m.snapshot.data.len = sizeof(snap_data);
    m.snapshot.metadata.index = 1000;
    m.snapshot.metadata.term = 4;
    m.snapshot.metadata.conf_state.voters = voters;
    m.snapshot.metadata.conf_state.n_voters = 3;
    m.snapshot.metadata.conf_state.learners = learners;
    m.snapshot.metadata.conf_state.n_learners = 1;
    return m;
}

/* The head of m followed by the database; head_len set to the head's. */
static struct rh_buf snapshot_body(const struct rafthttp_message *m,
                                   size_t *head_len)
{
    struct rh_buf body;
    rh_buf_init(&body, NULL, 1 << 20);
    assert_int_equal(rh_snap_head_encode(NULL, m, &body), 0);
    *head_len = body.len;
    assert_int_equal(rh_buf_append(&body, database, DATABASE_LEN), 0);
    return body;
}

/* Checks a decoded head and frees it. */
static void assert_snap_equal(struct rh_msg *msg,
                              const struct rafthttp_message *m)
{
    assert_non_null(msg);
    assert_int_equal(msg->m.type, RAFTHTTP_MSG_SNAP);
    assert_true(tl_msg_equal(&msg->m, m));
    rh_msg_free(msg);
}

/*
 * Feeds p[0..n) in pieces of at most piece bytes until the head is out.
 * Returns the offset where the head ended (n + 1 if it never did), or
 * stops at the first error, returned in *rv with the offset reached.
 */
static size_t feed_in_pieces(struct rh_snap_head_decoder *d, const uint8_t *p,
                             size_t n, size_t piece, struct rh_msg **out,
                             int *rv)
{
    size_t off = 0;
    *out = NULL;
    *rv = 0;
    while (off < n) {
        size_t chunk = piece < n - off ? piece : n - off;
        size_t used = 0;
        *rv = rh_snap_head_decoder_feed(d, p + off, chunk, &used, out);
        if (*rv != 0) {
            assert_null(*out);
            return off;
        }
        assert_true(used <= chunk);
        off += used;
        if (*out != NULL) {
            return off;
        }
        /* Until the head is complete, every byte offered is taken. */
        assert_int_equal(used, chunk);
    }
    return n + 1;
}

static void test_encode(void **state)
{
    (void)state;
    struct rafthttp_message m = snap_message();
    struct rh_buf head;
    rh_buf_init(&head, NULL, 1 << 20);
    assert_int_equal(rh_snap_head_encode(NULL, &m, &head), 0);

    /* BE64 length, then exactly the Message encoding. */
    struct rh_buf plain;
    rh_buf_init(&plain, NULL, 1 << 20);
    assert_int_equal(rh_raftpb_message_append(NULL, &m, &plain), 0);
    assert_int_equal(head.len, 8 + plain.len);
    assert_int_equal(rh_get_be64(head.data), plain.len);
    assert_int_equal(rh_raftpb_message_size(&m), plain.len);
    assert_memory_equal(head.data + 8, plain.data, plain.len);

    /* Appends: what was in the buffer stays in front. */
    rh_buf_reset(&head);
    assert_int_equal(rh_buf_append(&head, "abc", 3), 0);
    assert_int_equal(rh_snap_head_encode(NULL, &m, &head), 0);
    assert_int_equal(head.len, 3 + 8 + plain.len);
    assert_memory_equal(head.data, "abc", 3);
    assert_int_equal(rh_get_be64(head.data + 3), plain.len);
    rh_buf_close(&plain);
    rh_buf_close(&head);
}

/* The minimal MsgSnap etcd's own encoding test uses (wire-protocol 1.4). */
static void test_encode_reference(void **state)
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
    struct rh_buf head;
    rh_buf_init(&head, NULL, 4096);
    assert_int_equal(rh_snap_head_encode(NULL, &m, &head), 0);
    char *hex = tl_hex(head.data, head.len);
    assert_string_equal(hex, "000000000000002b"
                             "08071002180120022800300040004a170a02763212110a"
                             "0a0801080208031004280010e807180250005800");
    free(hex);
    rh_buf_close(&head);
}

static void test_encode_refuses_other_types(void **state)
{
    (void)state;
    const int32_t types[] = {
        RAFTHTTP_MSG_HUP,           RAFTHTTP_MSG_APP,
        RAFTHTTP_MSG_HEARTBEAT,     RAFTHTTP_MSG_SNAP_STATUS,
        RAFTHTTP_MSG_PRE_VOTE_RESP, 99};
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        struct rafthttp_message m = snap_message();
        m.type = types[i];
        struct tl_alloc t;
        tl_alloc_init(&t, 0);
        struct rh_buf out;
        rh_buf_init(&out, &t.a, 1 << 20);
        assert_int_equal(rh_snap_head_encode(&t.a, &m, &out), RAFTHTTP_EINVAL);
        assert_int_equal(out.len, 0);
        assert_int_equal(t.calls, 0);
        rh_buf_close(&out);
    }
}

/* A head that does not fit the output buffer leaves it unchanged. */
static void test_encode_too_big(void **state)
{
    (void)state;
    struct rafthttp_message m = snap_message();
    const size_t limits[] = {0, 7, 8, 20, 8 + rh_raftpb_message_size(&m) - 1};
    for (size_t i = 0; i < sizeof(limits) / sizeof(limits[0]); i++) {
        struct rh_buf out;
        rh_buf_init(&out, NULL, limits[i]);
        assert_int_equal(rh_snap_head_encode(NULL, &m, &out), RAFTHTTP_ETOOBIG);
        assert_int_equal(out.len, 0);
        rh_buf_close(&out);
    }
    struct rh_buf out;
    rh_buf_init(&out, NULL, 8 + rh_raftpb_message_size(&m));
    assert_int_equal(rh_snap_head_encode(NULL, &m, &out), 0);
    rh_buf_close(&out);
}

static void test_decode_whole(void **state)
{
    (void)state;
    struct rafthttp_message m = snap_message();
    size_t head_len;
    struct rh_buf body = snapshot_body(&m, &head_len);
    struct rh_snap_head_decoder d;
    rh_snap_head_decoder_init(&d, NULL, 1 << 20);
    size_t used = 0;
    struct rh_msg *msg = NULL;
    assert_int_equal(
        rh_snap_head_decoder_feed(&d, body.data, body.len, &used, &msg), 0);
    assert_int_equal(used, head_len);
    assert_string_equal(d.reason, "");
    assert_snap_equal(msg, &m);
    rh_snap_head_decoder_close(&d);
    rh_buf_close(&body);
}

static void test_decode_byte_by_byte(void **state)
{
    (void)state;
    struct rafthttp_message m = snap_message();
    size_t head_len;
    struct rh_buf body = snapshot_body(&m, &head_len);
    struct rh_snap_head_decoder d;
    rh_snap_head_decoder_init(&d, NULL, 1 << 20);
    struct rh_msg *msg;
    int rv;
    size_t end = feed_in_pieces(&d, body.data, body.len, 1, &msg, &rv);
    assert_int_equal(rv, 0);
    assert_int_equal(end, head_len);
    assert_snap_equal(msg, &m);
    rh_snap_head_decoder_close(&d);
    rh_buf_close(&body);
}

/* Cut once at every offset, the cut falling in the head or the database. */
static void test_decode_every_split(void **state)
{
    (void)state;
    struct rafthttp_message m = snap_message();
    size_t head_len;
    struct rh_buf body = snapshot_body(&m, &head_len);
    for (size_t cut = 0; cut <= body.len; cut++) {
        struct rh_snap_head_decoder d;
        rh_snap_head_decoder_init(&d, NULL, 1 << 20);
        size_t used = 0;
        struct rh_msg *msg = NULL;
        assert_int_equal(
            rh_snap_head_decoder_feed(&d, body.data, cut, &used, &msg), 0);
        if (cut < head_len) {
            assert_null(msg);
            assert_int_equal(used, cut);
            assert_int_equal(rh_snap_head_decoder_feed(&d, body.data + cut,
                                                       body.len - cut, &used,
                                                       &msg),
                             0);
            assert_int_equal(cut + used, head_len);
        } else {
            assert_int_equal(used, head_len);
        }
        assert_snap_equal(msg, &m);
        rh_snap_head_decoder_close(&d);
    }
    rh_buf_close(&body);
}

/* A head of many kilobytes fed in pieces; nothing left after close. */
static void test_decode_large_head_no_leak(void **state)
{
    (void)state;
    static uint8_t big[200 * 1024];
    for (size_t i = 0; i < sizeof(big); i++) {
        big[i] = (uint8_t)(i % 251);
    }
    struct rafthttp_message m = snap_message();
    m.snapshot.data.base = big;
    m.snapshot.data.len = sizeof(big);
    size_t head_len;
    struct rh_buf body = snapshot_body(&m, &head_len);
    const size_t pieces[] = {1000, 4096, 65536, body.len};
    for (size_t i = 0; i < sizeof(pieces) / sizeof(pieces[0]); i++) {
        struct tl_alloc t;
        tl_alloc_init(&t, 0);
        struct rh_snap_head_decoder d;
        rh_snap_head_decoder_init(&d, &t.a, 1 << 20);
        struct rh_msg *msg;
        int rv;
        size_t end =
            feed_in_pieces(&d, body.data, body.len, pieces[i], &msg, &rv);
        assert_int_equal(rv, 0);
        assert_int_equal(end, head_len);
        assert_snap_equal(msg, &m);
        rh_snap_head_decoder_close(&d);
        assert_int_equal(t.live, 0);
    }
    rh_buf_close(&body);
}

/* The limit counts the Message, not the length prefix; equal is fine. */
static void test_limit_boundary(void **state)
{
    (void)state;
    struct rafthttp_message m = snap_message();
    size_t head_len;
    struct rh_buf body = snapshot_body(&m, &head_len);
    size_t msg_len = head_len - 8;

    struct rh_snap_head_decoder d;
    rh_snap_head_decoder_init(&d, NULL, msg_len);
    struct rh_msg *msg;
    int rv;
    size_t end = feed_in_pieces(&d, body.data, body.len, 3, &msg, &rv);
    assert_int_equal(rv, 0);
    assert_int_equal(end, head_len);
    assert_snap_equal(msg, &m);
    rh_snap_head_decoder_close(&d);

    rh_snap_head_decoder_init(&d, NULL, msg_len - 1);
    size_t used = 0;
    msg = NULL;
    assert_int_equal(
        rh_snap_head_decoder_feed(&d, body.data, body.len, &used, &msg),
        RAFTHTTP_ETOOBIG);
    assert_null(msg);
    assert_string_equal(d.reason, limit_reason);
    rh_snap_head_decoder_close(&d);
    rh_buf_close(&body);
}

/* A hostile length is refused as soon as its eighth byte is in, for free. */
static void test_limit_before_body(void **state)
{
    (void)state;
    const uint64_t lengths[] = {1025, 1u << 30, UINT64_MAX};
    for (size_t i = 0; i < sizeof(lengths) / sizeof(lengths[0]); i++) {
        uint8_t in[8 + 16];
        rh_put_be64(in, lengths[i]);
        memset(in + 8, 0x08, 16);
        struct tl_alloc t;
        tl_alloc_init(&t, 0);
        struct rh_snap_head_decoder d;
        rh_snap_head_decoder_init(&d, &t.a, 1024);
        struct rh_msg *msg;
        int rv;
        size_t off = feed_in_pieces(&d, in, sizeof(in), 1, &msg, &rv);
        assert_int_equal(rv, RAFTHTTP_ETOOBIG);
        assert_int_equal(off, 7); /* the eighth byte was being fed */
        assert_string_equal(d.reason, limit_reason);
        assert_int_equal(t.calls, 0);
        rh_snap_head_decoder_close(&d);
    }
}

/* Feeds a whole head of hex; expects err and returns the reason. */
static void expect_head_error(const char *hex, int err, const char *reason)
{
    size_t n;
    uint8_t *in = tl_unhex(hex, &n);
    assert_non_null(in);
    const size_t pieces[] = {1, n};
    for (size_t i = 0; i < sizeof(pieces) / sizeof(pieces[0]); i++) {
        struct tl_alloc t;
        tl_alloc_init(&t, 0);
        struct rh_snap_head_decoder d;
        rh_snap_head_decoder_init(&d, &t.a, 1 << 20);
        struct rh_msg *msg;
        int rv;
        feed_in_pieces(&d, in, n, pieces[i], &msg, &rv);
        assert_int_equal(rv, err);
        if (reason != NULL) {
            assert_string_equal(d.reason, reason);
        } else {
            /* "failed to decode raft message (<cause>)" */
            size_t len = strlen(d.reason);
            assert_true(len > strlen(decode_prefix) + 1);
            assert_memory_equal(d.reason, decode_prefix, strlen(decode_prefix));
            assert_int_equal(d.reason[len - 1], ')');
        }
        rh_snap_head_decoder_close(&d);
        assert_int_equal(t.live, 0);
    }
    free(in);
}

static void test_garbage_body(void **state)
{
    (void)state;
    /* Field 1 as an end-group: not a Message. */
    expect_head_error("00000000000000010c", RAFTHTTP_EPROTO, NULL);
    /* A truncated varint. */
    expect_head_error("000000000000000108", RAFTHTTP_EPROTO, NULL);
    /* A snapshot field whose length runs past the frame. */
    expect_head_error("00000000000000044a0a1208", RAFTHTTP_EPROTO, NULL);
    /* etcd's TestServeRaftPrefix garbage. */
    expect_head_error("0000000000000011"
                      "6d616c666f726d65642067617262616765",
                      RAFTHTTP_EPROTO, NULL);
}

static void test_wrong_message_type(void **state)
{
    (void)state;
    /* A MsgHeartbeat (wire-protocol 1.4) framed as a snapshot head. */
    expect_head_error("000000000000001e"
                      "080810021801200528003000400a4a0a12080a02280010"
                      "00180050005800",
                      RAFTHTTP_EPROTO, "wrong raft message type");
    /* An empty Message is a valid MsgHup, still not a MsgSnap. */
    expect_head_error("0000000000000000", RAFTHTTP_EPROTO,
                      "wrong raft message type");
}

/* Every message type other than MsgSnap, from our own frame encoder. */
static void test_wrong_type_every_kind(void **state)
{
    (void)state;
    for (int32_t type = 0; type <= RAFTHTTP_MSG_PRE_VOTE_RESP; type++) {
        if (type == RAFTHTTP_MSG_SNAP) {
            continue;
        }
        struct rafthttp_message m = snap_message();
        m.type = type;
        struct rh_buf in;
        rh_buf_init(&in, NULL, 1 << 20);
        assert_int_equal(rh_msg_frame_encode(NULL, &m, &in), 0);
        struct tl_alloc t;
        tl_alloc_init(&t, 0);
        struct rh_snap_head_decoder d;
        rh_snap_head_decoder_init(&d, &t.a, 1 << 20);
        size_t used = 0;
        struct rh_msg *msg = NULL;
        assert_int_equal(
            rh_snap_head_decoder_feed(&d, in.data, in.len, &used, &msg),
            RAFTHTTP_EPROTO);
        assert_null(msg);
        assert_string_equal(d.reason, "wrong raft message type");
        rh_snap_head_decoder_close(&d);
        assert_int_equal(t.live, 0);
        rh_buf_close(&in);
    }
}

/*
 * Runs encode and decode with the k-th allocation failing, for k = 1 until
 * a run has no k-th allocation. Each run ends in 0 or RAFTHTTP_ENOMEM,
 * with nothing left allocated.
 */
static void run_allocation_failures(size_t piece)
{
    struct rafthttp_message m = snap_message();
    size_t head_len;
    struct rh_buf body = snapshot_body(&m, &head_len);
    long failures = 0;
    for (long k = 1;; k++) {
        struct tl_alloc t;
        tl_alloc_init(&t, k);
        struct rh_buf out;
        rh_buf_init(&out, &t.a, 1 << 20);
        int enc = rh_snap_head_encode(&t.a, &m, &out);
        assert_true(enc == 0 || enc == RAFTHTTP_ENOMEM);
        if (enc == 0) {
            assert_int_equal(out.len, head_len);
            assert_memory_equal(out.data, body.data, head_len);
        } else {
            assert_int_equal(out.len, 0);
        }
        rh_buf_close(&out);

        struct rh_snap_head_decoder d;
        rh_snap_head_decoder_init(&d, &t.a, 1 << 20);
        struct rh_msg *msg;
        int rv;
        size_t end = feed_in_pieces(&d, body.data, body.len, piece, &msg, &rv);
        assert_true(rv == 0 || rv == RAFTHTTP_ENOMEM);
        if (rv == 0) {
            assert_int_equal(end, head_len);
            assert_snap_equal(msg, &m);
        } else {
            failures++;
            assert_string_equal(d.reason, "failed to decode raft message "
                                          "(out of memory)");
        }
        rh_snap_head_decoder_close(&d);
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
        cmocka_unit_test(test_encode_reference),
        cmocka_unit_test(test_encode_refuses_other_types),
        cmocka_unit_test(test_encode_too_big),
        cmocka_unit_test(test_decode_whole),
        cmocka_unit_test(test_decode_byte_by_byte),
        cmocka_unit_test(test_decode_every_split),
        cmocka_unit_test(test_decode_large_head_no_leak),
        cmocka_unit_test(test_limit_boundary),
        cmocka_unit_test(test_limit_before_body),
        cmocka_unit_test(test_garbage_body),
        cmocka_unit_test(test_wrong_message_type),
        cmocka_unit_test(test_wrong_type_every_kind),
        cmocka_unit_test(test_allocation_failures_whole),
        cmocka_unit_test(test_allocation_failures_byte_by_byte),
    };
    return cmocka_run_group_tests_name("snapshot_head", tests, NULL, NULL);
}
