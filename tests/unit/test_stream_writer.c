// SPDX-License-Identifier: Apache-2.0
/*
 * The stream writer: attach and detach (gen 0 means no connection), which
 * queue a message goes to, urgent frames overtaking bulk ones only at bulk
 * frame boundaries, coalescing in pull, the msgappv2 writer and its
 * encoder state, the byte budget (ETOOBIG changes nothing), link
 * heartbeats with etcd's bytes, last_write_ms, memory given back after a
 * large queue drains, and allocation failures.
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

#define LIMIT (64u * 1024 * 1024)
#define BIG_ENTRY (10u * 1024)

/* etcd's link heartbeat on the message stream, from the wire. */
static const char heartbeat_hex[] =
    "000000000000001e08081000180020002800300040004a0a12080a022800100018"
    "0050005800";

/* A 10 KiB payload shared by the large entries; filled once. */
static uint8_t big_data[BIG_ENTRY];

static struct rafthttp_entry big_entry(uint64_t index)
{
    struct rafthttp_entry e = {
        .term = 2, .index = index, .data = {big_data, sizeof(big_data)}};
    return e;
}

static struct rafthttp_message simple(int32_t type, uint64_t term)
{
    struct rafthttp_message m = {
        .type = type, .from = 1, .to = 2, .term = term};
    return m;
}

static size_t frame_size(const struct rafthttp_message *m)
{
    return 8 + rh_raftpb_message_size(m);
}

/* Appends m's message-stream frame to out. */
static void add_frame(struct rh_buf *out, const struct rafthttp_message *m)
{
    assert_int_equal(rh_msg_frame_encode(NULL, m, out), 0);
}

static void push_ok(struct rh_stream_writer *w,
                    const struct rafthttp_message *m, size_t want_added)
{
    size_t added = 0;
    size_t before = rh_stream_writer_queued(w);
    assert_int_equal(rh_stream_writer_push(w, NULL, m, SIZE_MAX, &added), 0);
    assert_int_equal(added, want_added);
    assert_int_equal(rh_stream_writer_queued(w), before + want_added);
}

/*
 * Pulls until the writer is empty with maxima cycled from sizes, appending
 * to out. Each pull returns exactly min(max, queued).
 */
static void pull_all(struct rh_stream_writer *w, const size_t *sizes,
                     size_t n_sizes, int64_t now_ms, struct rh_buf *out)
{
    for (size_t k = 0;; k++) {
        size_t max = sizes[k % n_sizes];
        size_t queued = rh_stream_writer_queued(w);
        uint8_t *dst = rh_buf_extend(out, max);
        assert_non_null(dst);
        size_t n = rh_stream_writer_pull(w, dst, max, now_ms);
        out->len -= max - n;
        assert_int_equal(n, queued < max ? queued : max);
        assert_int_equal(rh_stream_writer_queued(w), queued - n);
        if (n == 0) {
            break;
        }
    }
}

static void assert_bytes_equal(const struct rh_buf *got,
                               const struct rh_buf *want)
{
    assert_int_equal(got->len, want->len);
    assert_memory_equal(got->data, want->data, want->len);
}

/* Decodes a message stream and checks it holds exactly ms[0..n). */
static void check_messages(const struct rh_buf *wire,
                           const struct rafthttp_message *ms, size_t n)
{
    struct rh_msg_decoder d;
    rh_msg_decoder_init(&d, NULL, LIMIT);
    struct tl_decoded got;
    assert_int_equal(
        tl_decode_all(TL_MSG_STREAM, &d, wire->data, wire->len, NULL, 0, &got),
        0);
    assert_int_equal(got.n, n);
    for (size_t i = 0; i < n; i++) {
        assert_true(tl_msg_equal(&got.msgs[i]->m, &ms[i]));
    }
    assert_true(rh_msg_decoder_idle(&d));
    tl_decoded_free(&got);
    rh_msg_decoder_close(&d);
}

/* As check_messages for a msgapp stream read by member 2 from member 1. */
static void check_msgappv2(const struct rh_buf *wire,
                           const struct rafthttp_message *ms, size_t n)
{
    struct rh_msgappv2_decoder d;
    rh_msgappv2_decoder_init(&d, NULL, 2, 1, LIMIT);
    struct tl_decoded got;
    assert_int_equal(
        tl_decode_all(TL_MSGAPPV2, &d, wire->data, wire->len, NULL, 0, &got),
        0);
    assert_int_equal(got.n, n);
    for (size_t i = 0; i < n; i++) {
        assert_true(tl_msg_equal(&got.msgs[i]->m, &ms[i]));
    }
    assert_true(rh_msgappv2_decoder_idle(&d));
    tl_decoded_free(&got);
    rh_msgappv2_decoder_close(&d);
}

/*
 * Stand-ins for the server's connections: the writer only stores and
 * compares the pointer, so suitably aligned storage does.
 */
static _Alignas(max_align_t) unsigned char conn_slots[2][64];

static struct rh_stream_resp *fake_conn(size_t i)
{
    return (struct rh_stream_resp *)(void *)conn_slots[i];
}

static int setup(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(big_data); i++) {
        big_data[i] = (uint8_t)(i * 131 + 17);
    }
    return 0;
}

/* gen 0 until attached; attach and detach set and clear the connection. */
static void test_attach_state(void **state)
{
    (void)state;
    struct rh_stream_writer w;
    rh_stream_writer_init(&w, RH_STREAM_MESSAGE, NULL, LIMIT);
    assert_int_equal(w.type, RH_STREAM_MESSAGE);
    assert_int_equal(w.gen, 0);
    assert_null(w.conn);
    assert_false(w.suspended);
    assert_int_equal(w.last_write_ms, 0);
    assert_int_equal(rh_stream_writer_queued(&w), 0);
    uint8_t buf[64];
    assert_int_equal(rh_stream_writer_pull(&w, buf, sizeof(buf), 5), 0);
    assert_int_equal(w.last_write_ms, 0);

    assert_int_equal(rh_stream_writer_attach(&w, fake_conn(0), 3, 1000), 0);
    assert_int_equal(w.gen, 3);
    assert_ptr_equal(w.conn, fake_conn(0));
    assert_int_equal(w.last_write_ms, 1000);
    w.suspended = true;
    assert_int_equal(rh_stream_writer_detach(&w), 0);
    assert_int_equal(w.gen, 0);
    assert_null(w.conn);
    assert_false(w.suspended);

    /* A second attach replaces the first. */
    rh_stream_writer_attach(&w, fake_conn(0), 4, 1100);
    assert_int_equal(rh_stream_writer_attach(&w, fake_conn(1), 5, 1200), 0);
    assert_int_equal(w.gen, 5);
    assert_ptr_equal(w.conn, fake_conn(1));
    rh_stream_writer_close(&w);

    rh_stream_writer_init(&w, RH_STREAM_MSGAPPV2, NULL, LIMIT);
    assert_int_equal(w.type, RH_STREAM_MSGAPPV2);
    assert_int_equal(w.gen, 0);
    assert_int_equal(w.enc.term, 0);
    assert_int_equal(w.enc.index, 0);
    rh_stream_writer_close(&w);
}

/* MsgApp and MsgProp go to bulk, everything else to urgent. */
static void test_queue_choice(void **state)
{
    (void)state;
    struct rh_stream_writer w;
    rh_stream_writer_init(&w, RH_STREAM_MESSAGE, NULL, LIMIT);
    static const int32_t bulk[] = {RAFTHTTP_MSG_APP, RAFTHTTP_MSG_PROP};
    static const int32_t urgent[] = {
        RAFTHTTP_MSG_APP_RESP,        RAFTHTTP_MSG_VOTE,
        RAFTHTTP_MSG_VOTE_RESP,       RAFTHTTP_MSG_SNAP,
        RAFTHTTP_MSG_HEARTBEAT,       RAFTHTTP_MSG_HEARTBEAT_RESP,
        RAFTHTTP_MSG_TRANSFER_LEADER, RAFTHTTP_MSG_TIMEOUT_NOW,
        RAFTHTTP_MSG_READ_INDEX,      RAFTHTTP_MSG_READ_INDEX_RESP,
        RAFTHTTP_MSG_PRE_VOTE,        RAFTHTTP_MSG_PRE_VOTE_RESP,
    };
    size_t bulk_bytes = 0;
    size_t urgent_bytes = 0;
    for (size_t i = 0; i < sizeof(bulk) / sizeof(bulk[0]); i++) {
        struct rafthttp_message m = simple(bulk[i], 4);
        push_ok(&w, &m, frame_size(&m));
        bulk_bytes += frame_size(&m);
        assert_int_equal(w.bulk.len, bulk_bytes);
        assert_int_equal(w.urgent.len, 0);
    }
    for (size_t i = 0; i < sizeof(urgent) / sizeof(urgent[0]); i++) {
        struct rafthttp_message m = simple(urgent[i], 4);
        push_ok(&w, &m, frame_size(&m));
        urgent_bytes += frame_size(&m);
        assert_int_equal(w.urgent.len, urgent_bytes);
        assert_int_equal(w.bulk.len, bulk_bytes);
    }
    assert_int_equal(rh_stream_writer_queued(&w), bulk_bytes + urgent_bytes);
    rh_stream_writer_close(&w);
}

/*
 * Three large appends, a pull of `first` bytes, then a vote: the vote
 * comes at the first frame boundary at or after `first`, never inside a
 * started append, whatever the sizes of the later pulls.
 */
static void check_overtake(size_t first, const size_t *sizes, size_t n_sizes)
{
    struct rafthttp_entry es[3] = {big_entry(1), big_entry(2), big_entry(3)};
    struct rafthttp_message apps[3];
    for (size_t i = 0; i < 3; i++) {
        apps[i] = tl_app(2, 2, i, i, &es[i], 1);
    }
    struct rafthttp_message vote = simple(RAFTHTTP_MSG_VOTE, 3);
    vote.log_term = 2;
    vote.index = 3;

    struct rh_stream_writer w;
    rh_stream_writer_init(&w, RH_STREAM_MESSAGE, NULL, LIMIT);
    rh_stream_writer_attach(&w, fake_conn(0), 1, 0);
    for (size_t i = 0; i < 3; i++) {
        push_ok(&w, &apps[i], frame_size(&apps[i]));
    }
    struct rh_buf got;
    rh_buf_init(&got, NULL, LIMIT);
    if (first > 0) {
        uint8_t *dst = rh_buf_extend(&got, first);
        assert_int_equal(rh_stream_writer_pull(&w, dst, first, 1), first);
    }
    push_ok(&w, &vote, frame_size(&vote));
    pull_all(&w, sizes, n_sizes, 2, &got);

    /* The vote goes in at the first boundary at or after `first`. */
    struct rafthttp_message want_ms[4];
    struct rh_buf want;
    rh_buf_init(&want, NULL, LIMIT);
    size_t at = 0;
    size_t k = 0;
    bool placed = false;
    for (size_t i = 0; i < 3; i++) {
        if (!placed && at >= first) {
            add_frame(&want, &vote);
            want_ms[k++] = vote;
            placed = true;
        }
        add_frame(&want, &apps[i]);
        want_ms[k++] = apps[i];
        at += frame_size(&apps[i]);
    }
    if (!placed) {
        add_frame(&want, &vote);
        want_ms[k++] = vote;
    }
    assert_bytes_equal(&got, &want);
    check_messages(&got, want_ms, 4);
    assert_int_equal(w.bulk_frame_left, 0);
    rh_buf_close(&want);
    rh_buf_close(&got);
    rh_stream_writer_close(&w);
}

static void test_urgent_overtakes_at_boundaries(void **state)
{
    (void)state;
    struct rafthttp_entry e = big_entry(1);
    struct rafthttp_message a = tl_app(2, 2, 0, 0, &e, 1);
    size_t f = frame_size(&a); /* the three apps differ only in index */
    static const size_t sz_1[] = {1};
    static const size_t sz_7[] = {7};
    static const size_t sz_100[] = {100};
    static const size_t sz_4k[] = {4096};
    static const size_t sz_mix[] = {13, 5000, 1, 8, 65536};
    static const size_t sz_all[] = {1u << 20};
    const size_t *sizes[] = {sz_1, sz_7, sz_100, sz_4k, sz_mix, sz_all};
    const size_t n_sizes[] = {1, 1, 1, 1, 5, 1};

    /* The case of the brief: 100 bytes of the first append are out. */
    for (size_t s = 0; s < 6; s++) {
        check_overtake(100, sizes[s], n_sizes[s]);
    }
    /* Other cut points, at and around the frame boundaries. */
    const size_t firsts[] = {0,     1,         7,         8,     9,
                             f - 1, f,         f + 1,     f + 8, 2 * f - 1,
                             2 * f, 2 * f + 1, 3 * f - 1, 3 * f};
    for (size_t i = 0; i < sizeof(firsts) / sizeof(firsts[0]); i++) {
        check_overtake(firsts[i], sz_4k, 1);
        check_overtake(firsts[i], sz_mix, 5);
    }
}

/* An urgent frame cut by max is finished before any bulk frame starts. */
static void test_urgent_cut_then_bulk(void **state)
{
    (void)state;
    struct rafthttp_message vote = simple(RAFTHTTP_MSG_VOTE, 3);
    struct rafthttp_message resp = simple(RAFTHTTP_MSG_HEARTBEAT_RESP, 3);
    struct rafthttp_message a = tl_app(3, 3, 1, 1, tl_e_some, 3);
    struct rh_stream_writer w;
    rh_stream_writer_init(&w, RH_STREAM_MESSAGE, NULL, LIMIT);
    push_ok(&w, &vote, frame_size(&vote));
    struct rh_buf got;
    rh_buf_init(&got, NULL, LIMIT);
    uint8_t *dst = rh_buf_extend(&got, 10);
    assert_int_equal(rh_stream_writer_pull(&w, dst, 10, 1), 10);
    push_ok(&w, &a, frame_size(&a));
    push_ok(&w, &resp, frame_size(&resp));
    static const size_t sizes[] = {3};
    pull_all(&w, sizes, 1, 2, &got);
    struct rh_buf want;
    rh_buf_init(&want, NULL, LIMIT);
    add_frame(&want, &vote);
    add_frame(&want, &resp);
    add_frame(&want, &a);
    assert_bytes_equal(&got, &want);
    struct rafthttp_message ms[] = {vote, resp, a};
    check_messages(&got, ms, 3);
    rh_buf_close(&want);
    rh_buf_close(&got);
    rh_stream_writer_close(&w);
}

/* A push behind a mostly written-out bulk frame keeps the frame whole. */
static void test_bulk_push_mid_frame(void **state)
{
    (void)state;
    struct rafthttp_entry e1 = big_entry(1);
    struct rafthttp_entry e2 = big_entry(2);
    struct rafthttp_message a1 = tl_app(2, 2, 0, 0, &e1, 1);
    struct rafthttp_message a2 = tl_app(2, 2, 1, 1, &e2, 1);
    struct rafthttp_message hb = simple(RAFTHTTP_MSG_HEARTBEAT, 2);
    struct rh_stream_writer w;
    rh_stream_writer_init(&w, RH_STREAM_MESSAGE, NULL, LIMIT);
    push_ok(&w, &a1, frame_size(&a1));
    struct rh_buf got;
    rh_buf_init(&got, NULL, LIMIT);
    size_t first = frame_size(&a1) - 10;
    uint8_t *dst = rh_buf_extend(&got, first);
    assert_int_equal(rh_stream_writer_pull(&w, dst, first, 1), first);
    assert_int_equal(w.bulk_frame_left, 10);
    push_ok(&w, &a2, frame_size(&a2));
    push_ok(&w, &hb, frame_size(&hb));
    static const size_t sizes[] = {6, 4096};
    pull_all(&w, sizes, 2, 2, &got);
    struct rh_buf want;
    rh_buf_init(&want, NULL, LIMIT);
    add_frame(&want, &a1);
    add_frame(&want, &hb);
    add_frame(&want, &a2);
    assert_bytes_equal(&got, &want);
    struct rafthttp_message ms[] = {a1, hb, a2};
    check_messages(&got, ms, 3);
    rh_buf_close(&want);
    rh_buf_close(&got);
    rh_stream_writer_close(&w);
}

/* One pull takes as many frames as max allows, urgent ones first. */
static void test_pull_coalesces(void **state)
{
    (void)state;
    struct rafthttp_message ms[] = {
        simple(RAFTHTTP_MSG_VOTE, 5),
        tl_app(5, 5, 1, 1, tl_e_some, 3),
        simple(RAFTHTTP_MSG_HEARTBEAT_RESP, 5),
        simple(RAFTHTTP_MSG_PROP, 5),
        simple(RAFTHTTP_MSG_APP_RESP, 5),
    };
    struct rafthttp_message order[] = {ms[0], ms[2], ms[4], ms[1], ms[3]};
    struct rh_buf want;
    rh_buf_init(&want, NULL, LIMIT);
    for (size_t i = 0; i < 5; i++) {
        add_frame(&want, &order[i]);
    }

    struct rh_stream_writer w;
    rh_stream_writer_init(&w, RH_STREAM_MESSAGE, NULL, LIMIT);
    for (size_t i = 0; i < 5; i++) {
        push_ok(&w, &ms[i], frame_size(&ms[i]));
    }
    assert_int_equal(rh_stream_writer_queued(&w), want.len);
    uint8_t *buf = malloc(1 << 16);
    assert_int_equal(rh_stream_writer_pull(&w, buf, 1 << 16, 7), want.len);
    assert_memory_equal(buf, want.data, want.len);
    assert_int_equal(rh_stream_writer_queued(&w), 0);
    assert_int_equal(rh_stream_writer_pull(&w, buf, 1 << 16, 8), 0);

    /* Exactly two urgent frames and part of the third. */
    for (size_t i = 0; i < 5; i++) {
        push_ok(&w, &ms[i], frame_size(&ms[i]));
    }
    size_t two = frame_size(&ms[0]) + frame_size(&ms[2]) + 3;
    assert_int_equal(rh_stream_writer_pull(&w, buf, two, 9), two);
    assert_memory_equal(buf, want.data, two);
    /* The rest, across the urgent-to-bulk change, in one pull. */
    size_t rest = want.len - two;
    assert_int_equal(rh_stream_writer_pull(&w, buf, 1 << 16, 10), rest);
    assert_memory_equal(buf, want.data + two, rest);
    free(buf);
    rh_buf_close(&want);
    rh_stream_writer_close(&w);
}

/* The msgapp stream writes etcd's msgappv2 records, in order. */
static void test_msgappv2_sequence(void **state)
{
    (void)state;
    struct rafthttp_message ms[16];
    size_t n = tl_etcd_msgappv2_sequence(ms);
    struct rh_buf want;
    rh_buf_init(&want, NULL, LIMIT);
    struct rh_msgappv2_encoder enc;
    rh_msgappv2_encoder_init(&enc);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(rh_msgappv2_encode(&enc, NULL, &ms[i], &want), 0);
    }
    static const size_t sz_3[] = {3};
    static const size_t sz_all[] = {1u << 16};
    static const size_t sz_mix[] = {1, 17, 2};
    const size_t *sizes[] = {sz_3, sz_all, sz_mix};
    const size_t n_sizes[] = {1, 1, 3};
    for (size_t s = 0; s < 3; s++) {
        struct rh_stream_writer w;
        rh_stream_writer_init(&w, RH_STREAM_MSGAPPV2, NULL, LIMIT);
        rh_stream_writer_attach(&w, fake_conn(0), 9, 0);
        size_t total = 0;
        for (size_t i = 0; i < n; i++) {
            size_t added = 0;
            assert_int_equal(
                rh_stream_writer_push(&w, NULL, &ms[i], SIZE_MAX, &added), 0);
            total += added;
            assert_int_equal(rh_stream_writer_queued(&w), total);
        }
        assert_int_equal(total, want.len);
        assert_int_equal(w.enc.term, enc.term);
        assert_int_equal(w.enc.index, enc.index);
        struct rh_buf got;
        rh_buf_init(&got, NULL, LIMIT);
        pull_all(&w, sizes[s], n_sizes[s], 1, &got);
        assert_bytes_equal(&got, &want);
        check_msgappv2(&got, ms, n);
        rh_buf_close(&got);
        rh_stream_writer_close(&w);
    }
    rh_buf_close(&want);
}

/* Only MsgApp and link heartbeats go on the msgapp stream. */
static void test_msgappv2_refuses_others(void **state)
{
    (void)state;
    struct rh_stream_writer w;
    rh_stream_writer_init(&w, RH_STREAM_MSGAPPV2, NULL, LIMIT);
    static const int32_t others[] = {
        RAFTHTTP_MSG_PROP,      RAFTHTTP_MSG_APP_RESP,
        RAFTHTTP_MSG_VOTE,      RAFTHTTP_MSG_SNAP,
        RAFTHTTP_MSG_HEARTBEAT, RAFTHTTP_MSG_HEARTBEAT_RESP,
        RAFTHTTP_MSG_PRE_VOTE,  RAFTHTTP_MSG_TIMEOUT_NOW,
    };
    for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
        /* From/To set: even MsgHeartbeat is then not a link heartbeat. */
        struct rafthttp_message m = simple(others[i], 1);
        size_t added = 12345;
        assert_int_equal(rh_stream_writer_push(&w, NULL, &m, SIZE_MAX, &added),
                         RAFTHTTP_EINVAL);
        assert_int_equal(added, 12345);
        assert_int_equal(rh_stream_writer_queued(&w), 0);
        assert_int_equal(w.enc.term, 0);
        assert_int_equal(w.enc.index, 0);
    }
    struct rafthttp_message hb = {.type = RAFTHTTP_MSG_HEARTBEAT};
    push_ok(&w, &hb, 1);
    uint8_t buf[8];
    assert_int_equal(rh_stream_writer_pull(&w, buf, sizeof(buf), 1), 1);
    assert_int_equal(buf[0], RH_MSGAPPV2_LINK_HEARTBEAT);
    rh_stream_writer_close(&w);
}

/* No room: ETOOBIG, nothing queued, *added untouched. */
static void test_too_big_message_stream(void **state)
{
    (void)state;
    struct rh_stream_writer w;
    rh_stream_writer_init(&w, RH_STREAM_MESSAGE, NULL, LIMIT);
    struct rafthttp_message vote = simple(RAFTHTTP_MSG_VOTE, 3);
    struct rafthttp_message a = tl_app(3, 3, 1, 1, tl_e_some, 3);
    const struct rafthttp_message *ms[] = {&vote, &a};
    for (size_t i = 0; i < 2; i++) {
        size_t size = frame_size(ms[i]);
        size_t rooms[] = {0, 1, 8, size - 1};
        size_t queued = rh_stream_writer_queued(&w);
        for (size_t r = 0; r < 4; r++) {
            size_t added = 777;
            assert_int_equal(
                rh_stream_writer_push(&w, NULL, ms[i], rooms[r], &added),
                RAFTHTTP_ETOOBIG);
            assert_int_equal(added, 777);
            assert_int_equal(rh_stream_writer_queued(&w), queued);
        }
        size_t added = 0;
        assert_int_equal(rh_stream_writer_push(&w, NULL, ms[i], size, &added),
                         0);
        assert_int_equal(added, size);
    }
    /* What made it is intact. */
    struct rh_buf got;
    rh_buf_init(&got, NULL, LIMIT);
    static const size_t sizes[] = {4096};
    pull_all(&w, sizes, 1, 1, &got);
    struct rafthttp_message want[] = {vote, a};
    check_messages(&got, want, 2);
    rh_buf_close(&got);

    /* A writer whose limit is below the frame: ETOOBIG too. */
    struct rh_stream_writer small;
    rh_stream_writer_init(&small, RH_STREAM_MESSAGE, NULL, 16);
    size_t added = 777;
    assert_int_equal(rh_stream_writer_push(&small, NULL, &a, SIZE_MAX, &added),
                     RAFTHTTP_ETOOBIG);
    assert_int_equal(added, 777);
    assert_int_equal(rh_stream_writer_queued(&small), 0);
    rh_stream_writer_close(&small);
    rh_stream_writer_close(&w);
}

/* No room on the msgapp stream: the encoder state does not move either. */
static void test_too_big_keeps_msgappv2_state(void **state)
{
    (void)state;
    struct rafthttp_message full = tl_app(1, 1, 3, 3, tl_e_some, 3);
    struct rafthttp_message compact = tl_app(1, 1, 6, 7, tl_e_one, 1);
    struct rafthttp_message after = tl_app(1, 1, 7, 8, NULL, 0);
    struct rh_buf want;
    rh_buf_init(&want, NULL, LIMIT);
    struct rh_msgappv2_encoder enc;
    rh_msgappv2_encoder_init(&enc);
    assert_int_equal(rh_msgappv2_encode(&enc, NULL, &full, &want), 0);
    size_t full_len = want.len;
    assert_int_equal(rh_msgappv2_encode(&enc, NULL, &compact, &want), 0);
    size_t compact_len = want.len - full_len;
    assert_int_equal(want.data[full_len], RH_MSGAPPV2_APP_ENTRIES);
    assert_int_equal(rh_msgappv2_encode(&enc, NULL, &after, &want), 0);
    size_t after_len = want.len - full_len - compact_len;
    assert_int_equal(want.data[full_len + compact_len],
                     RH_MSGAPPV2_APP_ENTRIES);

    struct rh_stream_writer w;
    rh_stream_writer_init(&w, RH_STREAM_MSGAPPV2, NULL, LIMIT);
    size_t added = 777;
    /* A full record refused leaves the fresh state. */
    assert_int_equal(
        rh_stream_writer_push(&w, NULL, &full, full_len - 1, &added),
        RAFTHTTP_ETOOBIG);
    assert_int_equal(added, 777);
    assert_int_equal(w.enc.term, 0);
    assert_int_equal(w.enc.index, 0);
    assert_int_equal(rh_stream_writer_queued(&w), 0);
    assert_int_equal(rh_stream_writer_push(&w, NULL, &full, full_len, &added),
                     0);
    assert_int_equal(added, full_len);
    assert_int_equal(w.enc.term, 1);
    assert_int_equal(w.enc.index, 6);
    /* A compact record refused leaves term 1, index 6. */
    assert_int_equal(
        rh_stream_writer_push(&w, NULL, &compact, compact_len - 1, &added),
        RAFTHTTP_ETOOBIG);
    assert_int_equal(added, full_len);
    assert_int_equal(w.enc.term, 1);
    assert_int_equal(w.enc.index, 6);
    assert_int_equal(rh_stream_writer_queued(&w), full_len);
    /* So the retry still goes compact, and the next one too. */
    assert_int_equal(
        rh_stream_writer_push(&w, NULL, &compact, compact_len, &added), 0);
    assert_int_equal(added, compact_len);
    assert_int_equal(w.enc.index, 7);
    assert_int_equal(rh_stream_writer_push(&w, NULL, &after, 1000, &added), 0);
    assert_int_equal(added, after_len);

    struct rh_buf got;
    rh_buf_init(&got, NULL, LIMIT);
    static const size_t sizes[] = {5};
    pull_all(&w, sizes, 1, 1, &got);
    assert_bytes_equal(&got, &want);
    struct rafthttp_message ms[] = {full, compact, after};
    check_msgappv2(&got, ms, 3);
    rh_buf_close(&got);
    rh_buf_close(&want);
    rh_stream_writer_close(&w);
}

/*
 * A refused push costs no memory either: the byte budget is what bounds a
 * peer's queue, so a message over it must not grow the queue's buffer.
 */
static void test_too_big_costs_no_memory(void **state)
{
    (void)state;
    size_t size = 1u << 20;
    uint8_t *data = calloc(size, 1);
    struct rafthttp_entry e = {.term = 1, .index = 1, .data = {data, size}};
    struct rafthttp_message m = tl_app(1, 1, 0, 0, &e, 1);
    enum rh_stream_type types[] = {RH_STREAM_MESSAGE, RH_STREAM_MSGAPPV2};
    bool allocated[2];
    for (size_t t = 0; t < 2; t++) {
        struct rh_stream_writer w;
        rh_stream_writer_init(&w, types[t], NULL, LIMIT);
        size_t added = 777;
        assert_int_equal(rh_stream_writer_push(&w, NULL, &m, 1000, &added),
                         RAFTHTTP_ETOOBIG);
        assert_int_equal(rh_stream_writer_queued(&w), 0);
        allocated[t] = w.bulk.first != NULL || w.bulk.spares != NULL;
        rh_stream_writer_close(&w);
    }
    free(data);
    /* Checked after the cleanup, so a failure here leaks nothing. */
    assert_false(allocated[0]);
    assert_false(allocated[1]);
}

/* attach forgets the old connection's queue, mid-frame included. */
static void test_attach_discards(void **state)
{
    (void)state;
    struct rafthttp_entry e = big_entry(1);
    struct rafthttp_message vote = simple(RAFTHTTP_MSG_VOTE, 3);
    struct rafthttp_message a1 = tl_app(3, 3, 0, 0, &e, 1);
    struct rafthttp_message a2 = tl_app(3, 3, 1, 1, tl_e_some, 3);
    struct rh_stream_writer w;
    rh_stream_writer_init(&w, RH_STREAM_MESSAGE, NULL, LIMIT);
    assert_int_equal(rh_stream_writer_attach(&w, fake_conn(0), 1, 10), 0);
    push_ok(&w, &vote, frame_size(&vote));
    push_ok(&w, &a1, frame_size(&a1));
    push_ok(&w, &a2, frame_size(&a2));
    size_t total = frame_size(&vote) + frame_size(&a1) + frame_size(&a2);
    uint8_t buf[100];
    assert_int_equal(rh_stream_writer_pull(&w, buf, 100, 20), 100);
    assert_true(w.bulk_frame_left > 0); /* inside a1 */
    assert_int_equal(rh_stream_writer_attach(&w, fake_conn(1), 2, 30),
                     total - 100);
    assert_int_equal(rh_stream_writer_queued(&w), 0);
    assert_int_equal(w.bulk_frame_left, 0);
    assert_int_equal(w.gen, 2);
    assert_ptr_equal(w.conn, fake_conn(1));
    assert_int_equal(w.last_write_ms, 30);
    assert_int_equal(rh_stream_writer_pull(&w, buf, 100, 40), 0);

    /* The new connection starts at a frame boundary. */
    push_ok(&w, &a2, frame_size(&a2));
    push_ok(&w, &vote, frame_size(&vote));
    struct rh_buf got;
    rh_buf_init(&got, NULL, LIMIT);
    static const size_t sizes[] = {11};
    pull_all(&w, sizes, 1, 50, &got);
    struct rafthttp_message ms[] = {vote, a2};
    check_messages(&got, ms, 2);
    rh_buf_close(&got);

    /* detach likewise. */
    push_ok(&w, &a1, frame_size(&a1));
    push_ok(&w, &vote, frame_size(&vote));
    assert_int_equal(rh_stream_writer_pull(&w, buf, 50, 60), 50);
    assert_int_equal(rh_stream_writer_detach(&w),
                     frame_size(&a1) + frame_size(&vote) - 50);
    assert_int_equal(rh_stream_writer_queued(&w), 0);
    assert_int_equal(w.bulk_frame_left, 0);
    assert_int_equal(w.gen, 0);
    assert_null(w.conn);
    assert_int_equal(rh_stream_writer_detach(&w), 0);
    rh_stream_writer_close(&w);
}

/* attach and detach start the msgappv2 state over: a full record first. */
static void test_attach_resets_msgappv2(void **state)
{
    (void)state;
    struct rafthttp_message full = tl_app(1, 1, 3, 3, tl_e_some, 3);
    struct rafthttp_message compact = tl_app(1, 1, 6, 7, tl_e_one, 1);
    struct rh_stream_writer w;
    rh_stream_writer_init(&w, RH_STREAM_MSGAPPV2, NULL, LIMIT);
    rh_stream_writer_attach(&w, fake_conn(0), 1, 0);
    size_t a_full = 0;
    size_t a_compact = 0;
    assert_int_equal(rh_stream_writer_push(&w, NULL, &full, SIZE_MAX, &a_full),
                     0);
    assert_int_equal(
        rh_stream_writer_push(&w, NULL, &compact, SIZE_MAX, &a_compact), 0);
    assert_int_equal(w.enc.term, 1);
    assert_int_equal(w.enc.index, 7);
    uint8_t buf[4];
    assert_int_equal(rh_stream_writer_pull(&w, buf, 4, 1), 4);
    assert_int_equal(buf[0], RH_MSGAPPV2_APP);

    for (int round = 0; round < 2; round++) {
        size_t dropped = round == 0
                             ? rh_stream_writer_attach(&w, fake_conn(1), 2, 5)
                             : rh_stream_writer_detach(&w);
        assert_int_equal(dropped,
                         round == 0 ? a_full + a_compact - 4 : a_compact);
        assert_int_equal(rh_stream_writer_queued(&w), 0);
        assert_int_equal(w.enc.term, 0);
        assert_int_equal(w.enc.index, 0);
        /* What would have been compact goes full on the new connection. */
        size_t added = 0;
        assert_int_equal(
            rh_stream_writer_push(&w, NULL, &compact, SIZE_MAX, &added), 0);
        assert_int_equal(added, 1 + frame_size(&compact));
        assert_true(added > a_compact);
        struct rh_buf got;
        rh_buf_init(&got, NULL, LIMIT);
        static const size_t sizes[] = {4096};
        pull_all(&w, sizes, 1, 1, &got);
        assert_int_equal(got.data[0], RH_MSGAPPV2_APP);
        check_msgappv2(&got, &compact, 1);
        rh_buf_close(&got);
        /* Leave a compact record queued for the detach round. */
        struct rafthttp_message next = tl_app(1, 1, 7, 8, NULL, 0);
        assert_int_equal(
            rh_stream_writer_push(&w, NULL, &next, SIZE_MAX, &a_compact), 0);
        assert_int_equal(a_compact, 1 + 8 + 8);
    }
    rh_stream_writer_close(&w);
}

/* Heartbeats only on an idle writer, with etcd's bytes. */
static void test_heartbeat(void **state)
{
    (void)state;
    size_t hb_len;
    uint8_t *hb = tl_unhex(heartbeat_hex, &hb_len);
    assert_non_null(hb);
    assert_int_equal(hb_len, 38);

    struct rh_stream_writer w;
    rh_stream_writer_init(&w, RH_STREAM_MESSAGE, NULL, LIMIT);
    assert_int_equal(rh_stream_writer_heartbeat(&w, NULL), hb_len);
    assert_int_equal(rh_stream_writer_queued(&w), hb_len);
    assert_int_equal(w.urgent.len, hb_len);
    assert_int_equal(rh_stream_writer_heartbeat(&w, NULL), 0);
    assert_int_equal(rh_stream_writer_queued(&w), hb_len);
    uint8_t buf[128];
    assert_int_equal(rh_stream_writer_pull(&w, buf, sizeof(buf), 1), hb_len);
    char *hex = tl_hex(buf, hb_len);
    assert_string_equal(hex, heartbeat_hex);
    free(hex);
    /* A queued bulk frame, or a part of one, also means no heartbeat. */
    struct rafthttp_message a = tl_app(1, 1, 3, 3, tl_e_some, 3);
    push_ok(&w, &a, frame_size(&a));
    assert_int_equal(rh_stream_writer_heartbeat(&w, NULL), 0);
    assert_int_equal(rh_stream_writer_pull(&w, buf, 20, 2), 20);
    assert_int_equal(rh_stream_writer_heartbeat(&w, NULL), 0);
    assert_int_equal(rh_stream_writer_queued(&w), frame_size(&a) - 20);
    assert_int_equal(rh_stream_writer_pull(&w, buf, sizeof(buf), 3),
                     frame_size(&a) - 20);
    assert_int_equal(rh_stream_writer_heartbeat(&w, NULL), hb_len);
    rh_stream_writer_close(&w);

    rh_stream_writer_init(&w, RH_STREAM_MSGAPPV2, NULL, LIMIT);
    assert_int_equal(rh_stream_writer_heartbeat(&w, NULL), 1);
    assert_int_equal(rh_stream_writer_heartbeat(&w, NULL), 0);
    assert_int_equal(rh_stream_writer_pull(&w, buf, sizeof(buf), 1), 1);
    hex = tl_hex(buf, 1);
    assert_string_equal(hex, "00");
    free(hex);
    size_t added = 0;
    assert_int_equal(rh_stream_writer_push(&w, NULL, &a, SIZE_MAX, &added), 0);
    assert_int_equal(rh_stream_writer_heartbeat(&w, NULL), 0);
    assert_int_equal(rh_stream_writer_queued(&w), added);
    /* A heartbeat does not touch the msgappv2 state. */
    assert_int_equal(rh_stream_writer_pull(&w, buf, sizeof(buf), 2), added);
    assert_int_equal(rh_stream_writer_heartbeat(&w, NULL), 1);
    assert_int_equal(w.enc.term, 1);
    assert_int_equal(w.enc.index, 6);
    rh_stream_writer_close(&w);
    free(hb);
}

/* last_write_ms moves only when pull hands out bytes. */
static void test_last_write(void **state)
{
    (void)state;
    struct rh_stream_writer w;
    rh_stream_writer_init(&w, RH_STREAM_MESSAGE, NULL, LIMIT);
    rh_stream_writer_attach(&w, fake_conn(0), 1, 100);
    assert_int_equal(w.last_write_ms, 100);
    uint8_t buf[256];
    assert_int_equal(rh_stream_writer_pull(&w, buf, sizeof(buf), 200), 0);
    assert_int_equal(w.last_write_ms, 100);
    struct rafthttp_message vote = simple(RAFTHTTP_MSG_VOTE, 3);
    push_ok(&w, &vote, frame_size(&vote));
    assert_int_equal(w.last_write_ms, 100);
    assert_int_equal(rh_stream_writer_pull(&w, buf, 0, 300), 0);
    assert_int_equal(w.last_write_ms, 100);
    assert_int_equal(rh_stream_writer_pull(&w, buf, 5, 400), 5);
    assert_int_equal(w.last_write_ms, 400);
    assert_int_equal(rh_stream_writer_pull(&w, buf, sizeof(buf), 500),
                     frame_size(&vote) - 5);
    assert_int_equal(w.last_write_ms, 500);
    assert_int_equal(rh_stream_writer_pull(&w, buf, sizeof(buf), 600), 0);
    assert_int_equal(w.last_write_ms, 500);
    rh_stream_writer_close(&w);

    rh_stream_writer_init(&w, RH_STREAM_MSGAPPV2, NULL, LIMIT);
    rh_stream_writer_attach(&w, fake_conn(0), 1, 100);
    assert_int_equal(rh_stream_writer_pull(&w, buf, sizeof(buf), 200), 0);
    assert_int_equal(w.last_write_ms, 100);
    assert_int_equal(rh_stream_writer_heartbeat(&w, NULL), 1);
    assert_int_equal(rh_stream_writer_pull(&w, buf, sizeof(buf), 300), 1);
    assert_int_equal(w.last_write_ms, 300);
    rh_stream_writer_close(&w);
}

/* Pushes 40 appends of 10 KiB each: more than the 256 KiB kept. */
static size_t push_large_queue(struct rh_stream_writer *w,
                               struct rafthttp_entry *es)
{
    size_t total = 0;
    for (size_t i = 0; i < 40; i++) {
        es[i] = big_entry(i + 1);
        struct rafthttp_message m = tl_app(2, 2, i, i, &es[i], 1);
        size_t added = 0;
        assert_int_equal(rh_stream_writer_push(w, NULL, &m, SIZE_MAX, &added),
                         0);
        total += added;
    }
    return total;
}

/* Bytes held by a queue's segments and spares. */
static size_t queue_memory(const struct rh_byteq *q)
{
    size_t total = 0;
    for (const struct rh_byteq_seg *s = q->first; s != NULL; s = s->next) {
        total += s->buf.cap;
    }
    for (const struct rh_byteq_seg *s = q->spares; s != NULL; s = s->next) {
        total += s->buf.cap;
    }
    return total;
}

/* Pulls everything; returns the bytes pulled. */
static size_t drain(struct rh_stream_writer *w, uint8_t *buf)
{
    size_t got = 0;
    size_t n;
    while ((n = rh_stream_writer_pull(w, buf, 1 << 16, 1)) > 0) {
        got += n;
    }
    return got;
}

/*
 * A deep queue spreads over segments of at most 256 KiB; drained, they
 * stay as spares for the next burst until the writer is idle (trim), which
 * keeps one; detach does the same.
 */
static void test_memory_released(void **state)
{
    (void)state;
    struct rafthttp_entry es[40];
    uint8_t *buf = malloc(1 << 16);
    enum rh_stream_type types[] = {RH_STREAM_MESSAGE, RH_STREAM_MSGAPPV2};
    for (size_t t = 0; t < 2; t++) {
        struct rh_stream_writer w;
        rh_stream_writer_init(&w, types[t], NULL, LIMIT);
        size_t total = push_large_queue(&w, es);
        assert_true(total > 400u * 1024);
        assert_ptr_not_equal(w.bulk.first, w.bulk.last); /* segments */
        assert_true(w.bulk.first->buf.cap <= 256u * 1024);
        assert_int_equal(drain(&w, buf), total);
        assert_null(w.bulk.first);
        assert_true(w.bulk.n_spares >= 2);

        /* The next burst reuses them: no new memory. */
        size_t before = queue_memory(&w.bulk);
        assert_int_equal(push_large_queue(&w, es), total);
        assert_int_equal(queue_memory(&w.bulk), before);
        assert_int_equal(drain(&w, buf), total);

        /* Idle: one spare of at most a segment stays. */
        rh_stream_writer_trim(&w);
        assert_int_equal(w.bulk.n_spares, 1);
        assert_true(queue_memory(&w.bulk) <= 256u * 1024);

        /* detach gives a large queue back as well. */
        push_large_queue(&w, es);
        assert_int_equal(rh_stream_writer_detach(&w), total);
        assert_null(w.bulk.first);
        assert_true(queue_memory(&w.bulk) <= 256u * 1024);
        rh_stream_writer_close(&w);
    }

    /* A record larger than a segment: its own, never kept when idle. */
    uint8_t *ctx = calloc(300u * 1024, 1);
    struct rafthttp_message vote = simple(RAFTHTTP_MSG_VOTE, 3);
    vote.context.base = ctx;
    vote.context.len = 300u * 1024;
    struct rh_stream_writer w;
    rh_stream_writer_init(&w, RH_STREAM_MESSAGE, NULL, LIMIT);
    push_ok(&w, &vote, frame_size(&vote));
    assert_true(w.urgent.first->buf.cap > 256u * 1024);
    assert_int_equal(drain(&w, buf), frame_size(&vote));
    rh_stream_writer_trim(&w);
    assert_int_equal(queue_memory(&w.urgent), 0);

    /* An idle peer's heartbeat costs a small buffer, not a segment. */
    assert_true(rh_stream_writer_heartbeat(&w, NULL) > 0);
    assert_true(queue_memory(&w.urgent) <= 4096);
    rh_stream_writer_close(&w);
    free(ctx);
    free(buf);
}

/*
 * One round under an allocator failing its k-th allocation: pushes that
 * fail with ENOMEM change nothing, and what is pulled decodes to exactly
 * the messages whose push succeeded.
 */
static void alloc_round(enum rh_stream_type type, long k, long *calls)
{
    struct tl_alloc t;
    tl_alloc_init(&t, k);
    struct rafthttp_message ms[16];
    size_t n;
    if (type == RH_STREAM_MSGAPPV2) {
        n = tl_etcd_msgappv2_sequence(ms);
    } else {
        n = 0;
        ms[n++] = tl_app(1, 1, 3, 3, tl_e_some, 3);
        ms[n++] = simple(RAFTHTTP_MSG_VOTE, 2);
        ms[n++] = tl_app(1, 1, 6, 7, tl_e_one, 1);
        ms[n++] = simple(RAFTHTTP_MSG_HEARTBEAT_RESP, 2);
        ms[n++] = simple(RAFTHTTP_MSG_PROP, 2);
    }
    struct rh_stream_writer w;
    rh_stream_writer_init(&w, type, &t.a, LIMIT);
    rh_stream_writer_attach(&w, fake_conn(0), 1, 0);
    /* Expected order: urgent successes, then bulk successes. */
    struct rafthttp_message urgent[16];
    struct rafthttp_message bulk[16];
    size_t n_urgent = 0;
    size_t n_bulk = 0;
    for (size_t i = 0; i < n; i++) {
        size_t before = rh_stream_writer_queued(&w);
        struct rh_msgappv2_encoder enc = w.enc;
        size_t added = 0;
        int rv = rh_stream_writer_push(&w, &t.a, &ms[i], SIZE_MAX, &added);
        assert_true(rv == 0 || rv == RAFTHTTP_ENOMEM);
        if (rv != 0) {
            assert_int_equal(rh_stream_writer_queued(&w), before);
            assert_int_equal(w.enc.term, enc.term);
            assert_int_equal(w.enc.index, enc.index);
            continue;
        }
        assert_int_equal(rh_stream_writer_queued(&w), before + added);
        bool is_bulk = type == RH_STREAM_MSGAPPV2 ||
                       ms[i].type == RAFTHTTP_MSG_APP ||
                       ms[i].type == RAFTHTTP_MSG_PROP;
        if (is_bulk) {
            bulk[n_bulk++] = ms[i];
        } else {
            urgent[n_urgent++] = ms[i];
        }
    }
    struct rafthttp_message want[32];
    size_t n_want = 0;
    for (size_t i = 0; i < n_urgent; i++) {
        want[n_want++] = urgent[i];
    }
    for (size_t i = 0; i < n_bulk; i++) {
        want[n_want++] = bulk[i];
    }
    struct rh_buf got;
    rh_buf_init(&got, NULL, LIMIT);
    static const size_t sizes[] = {5, 40};
    pull_all(&w, sizes, 2, 1, &got);
    if (type == RH_STREAM_MSGAPPV2) {
        check_msgappv2(&got, want, n_want);
    } else {
        check_messages(&got, want, n_want);
    }
    rh_buf_close(&got);
    /* A heartbeat now either queues or fails and queues nothing. */
    size_t hb = rh_stream_writer_heartbeat(&w, &t.a);
    assert_true(hb == 0 || hb == (type == RH_STREAM_MSGAPPV2 ? 1 : 38));
    assert_int_equal(rh_stream_writer_queued(&w), hb);
    rh_stream_writer_detach(&w);
    rh_stream_writer_close(&w);
    assert_int_equal(t.live, 0);
    *calls = t.calls;
}

static void test_allocation_failures(void **state)
{
    (void)state;
    enum rh_stream_type types[] = {RH_STREAM_MESSAGE, RH_STREAM_MSGAPPV2};
    for (size_t i = 0; i < 2; i++) {
        long calls = 0;
        long k;
        for (k = 1;; k++) {
            alloc_round(types[i], k, &calls);
            if (calls < k) {
                break;
            }
        }
        assert_true(k > 2); /* some allocation was failed */
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_attach_state),
        cmocka_unit_test(test_queue_choice),
        cmocka_unit_test(test_urgent_overtakes_at_boundaries),
        cmocka_unit_test(test_urgent_cut_then_bulk),
        cmocka_unit_test(test_bulk_push_mid_frame),
        cmocka_unit_test(test_pull_coalesces),
        cmocka_unit_test(test_msgappv2_sequence),
        cmocka_unit_test(test_msgappv2_refuses_others),
        cmocka_unit_test(test_too_big_message_stream),
        cmocka_unit_test(test_too_big_keeps_msgappv2_state),
        cmocka_unit_test(test_too_big_costs_no_memory),
        cmocka_unit_test(test_attach_discards),
        cmocka_unit_test(test_attach_resets_msgappv2),
        cmocka_unit_test(test_heartbeat),
        cmocka_unit_test(test_last_write),
        cmocka_unit_test(test_memory_released),
        cmocka_unit_test(test_allocation_failures),
    };
    return cmocka_run_group_tests_name("stream_writer", tests, setup, NULL);
}
