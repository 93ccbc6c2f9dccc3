// SPDX-License-Identifier: Apache-2.0
/*
 * The pipeline send queue: each job holds the message's exact encoding,
 * jobs come out in FIFO order, the count limit (etcd: 64 queued) and the
 * byte budget refuse without side effects, take() respects the in-flight
 * limit (etcd: 4), the byte count is exact through push, take, done and
 * clear, clear drops only queued jobs, and allocation failures leak
 * nothing.
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

#define MAX_QUEUED 64
#define MAX_INFLIGHT 4

static const struct rafthttp_entry entries[] = {
    {.term = 3, .index = 10, .data = {(const uint8_t *)"some data", 9}},
    {.term = 3,
     .index = 11,
     .type = RAFTHTTP_ENTRY_CONF_CHANGE,
     .data = {(const uint8_t *)"\x08\x01", 2}},
};

/* Message number i: the shapes vary with i, the index identifies it. */
static struct rafthttp_message msg(uint64_t i)
{
    struct rafthttp_message m = {.type = RAFTHTTP_MSG_APP,
                                 .to = 2,
                                 .from = 1,
                                 .term = 3,
                                 .index = i,
                                 .commit = i / 2};
    switch (i % 4) {
    case 0:
        m.entries = entries;
        m.n_entries = 2;
        break;
    case 1:
        m.type = RAFTHTTP_MSG_HEARTBEAT;
        m.context = (struct rafthttp_bytes){(const uint8_t *)"ctx", 3};
        break;
    case 2:
        m.type = RAFTHTTP_MSG_SNAP;
        m.to = 3;
        m.snapshot.data = (struct rafthttp_bytes){(const uint8_t *)"snap", 4};
        m.snapshot.metadata.index = i;
        m.snapshot.metadata.term = 3;
        break;
    default:
        m.type = RAFTHTTP_MSG_APP_RESP;
        m.reject = true;
        m.reject_hint = i + 100;
        break;
    }
    return m;
}

/* Decodes j's body and checks it is m; checks the job's header fields. */
static void check_job(struct rh_pipe_job *j, const struct rafthttp_message *m)
{
    assert_non_null(j);
    assert_null(j->next);
    assert_int_equal(j->type, m->type);
    assert_int_equal(j->to, m->to);
    assert_int_equal(j->len, rh_raftpb_message_size(m));
    struct rh_msg *got = NULL;
    assert_int_equal(
        rh_raftpb_message_decode(NULL, rh_pipe_job_body(j), j->len, &got), 0);
    assert_true(tl_msg_equal(&got->m, m));
    rh_msg_free(got);

    /* The body is byte for byte the message's encoding. */
    struct rh_buf want;
    rh_buf_init(&want, NULL, 1u << 24);
    assert_int_equal(rh_raftpb_message_append(NULL, m, &want), 0);
    assert_int_equal(want.len, j->len);
    assert_memory_equal(rh_pipe_job_body(j), want.data, want.len);
    rh_buf_close(&want);
}

static size_t push_ok(struct rh_pipeline *p, const struct rafthttp_message *m)
{
    size_t added = 0;
    assert_int_equal(rh_pipeline_push(p, NULL, m, MAX_QUEUED, SIZE_MAX, &added),
                     0);
    assert_int_equal(added, rh_raftpb_message_size(m));
    return added;
}

/* The queue's links agree with its counters. */
static void check_links(const struct rh_pipeline *p)
{
    unsigned n = 0;
    const struct rh_pipe_job *last = NULL;
    for (const struct rh_pipe_job *j = p->head; j != NULL; j = j->next) {
        last = j;
        n++;
    }
    assert_int_equal(n, p->queued);
    assert_ptr_equal(last, p->tail);
}

static void test_push_encodes(void **state)
{
    (void)state;
    struct rh_pipeline p;
    rh_pipeline_init(&p);
    assert_null(p.head);
    assert_null(p.tail);
    assert_int_equal(p.queued, 0);
    assert_int_equal(p.inflight, 0);
    assert_int_equal(p.bytes, 0);
    size_t total = 0;
    for (uint64_t i = 0; i < 4; i++) {
        struct rafthttp_message m = msg(i);
        size_t added = push_ok(&p, &m);
        total += added;
        assert_int_equal(p.queued, i + 1);
        assert_int_equal(p.bytes, total);
        assert_int_equal(p.tail->len, added);
        check_links(&p);
    }
    for (uint64_t i = 0; i < 4; i++) {
        struct rafthttp_message m = msg(i);
        struct rh_pipe_job *j = rh_pipeline_take(&p, MAX_INFLIGHT);
        check_job(j, &m);
        assert_int_equal(rh_pipeline_done(&p, NULL, j),
                         rh_raftpb_message_size(&m));
    }
    assert_int_equal(p.bytes, 0);
    assert_int_equal(p.inflight, 0);
    assert_null(p.head);
    assert_null(p.tail);
}

/* A large entry: the body is not cut or padded. */
static void test_push_large(void **state)
{
    (void)state;
    size_t size = 1u << 20;
    uint8_t *data = malloc(size);
    for (size_t i = 0; i < size; i++) {
        data[i] = (uint8_t)(i * 7 + 1);
    }
    struct rafthttp_entry e = {.term = 1, .index = 1, .data = {data, size}};
    struct rafthttp_message m = {
        .type = RAFTHTTP_MSG_APP, .to = 9, .entries = &e, .n_entries = 1};
    struct rh_pipeline p;
    rh_pipeline_init(&p);
    size_t added = push_ok(&p, &m);
    assert_true(added > size);
    struct rh_pipe_job *j = rh_pipeline_take(&p, 1);
    check_job(j, &m);
    assert_int_equal(rh_pipeline_done(&p, NULL, j), added);
    free(data);
}

static void test_fifo(void **state)
{
    (void)state;
    struct rh_pipeline p;
    rh_pipeline_init(&p);
    /* Interleave pushes and takes; order is kept throughout. */
    uint64_t next_push = 0;
    uint64_t next_take = 0;
    for (int round = 0; round < 10; round++) {
        for (int k = 0; k < 3; k++) {
            struct rafthttp_message m = msg(next_push++);
            push_ok(&p, &m);
        }
        for (int k = 0; k < 2; k++) {
            struct rafthttp_message m = msg(next_take++);
            struct rh_pipe_job *j = rh_pipeline_take(&p, 1);
            check_job(j, &m);
            rh_pipeline_done(&p, NULL, j);
        }
        check_links(&p);
    }
    while (next_take < next_push) {
        struct rafthttp_message m = msg(next_take++);
        struct rh_pipe_job *j = rh_pipeline_take(&p, 1);
        check_job(j, &m);
        rh_pipeline_done(&p, NULL, j);
    }
    assert_null(rh_pipeline_take(&p, 1));
    assert_int_equal(p.bytes, 0);
}

/* The 65th message waits for none: EFULL, nothing changes. */
static void test_max_queued(void **state)
{
    (void)state;
    struct rh_pipeline p;
    rh_pipeline_init(&p);
    size_t total = 0;
    for (uint64_t i = 0; i < MAX_QUEUED; i++) {
        struct rafthttp_message m = msg(i);
        total += push_ok(&p, &m);
    }
    assert_int_equal(p.queued, MAX_QUEUED);
    struct rafthttp_message extra = msg(MAX_QUEUED);
    size_t added = 777;
    assert_int_equal(
        rh_pipeline_push(&p, NULL, &extra, MAX_QUEUED, SIZE_MAX, &added),
        RAFTHTTP_EFULL);
    assert_int_equal(added, 777);
    assert_int_equal(p.queued, MAX_QUEUED);
    assert_int_equal(p.bytes, total);
    check_links(&p);

    /* A job taken for a POST no longer counts as queued. */
    struct rh_pipe_job *j = rh_pipeline_take(&p, MAX_INFLIGHT);
    struct rafthttp_message first = msg(0);
    check_job(j, &first);
    assert_int_equal(
        rh_pipeline_push(&p, NULL, &extra, MAX_QUEUED, SIZE_MAX, &added), 0);
    assert_int_equal(added, rh_raftpb_message_size(&extra));
    total += added;
    assert_int_equal(p.queued, MAX_QUEUED);
    assert_int_equal(p.bytes, total);
    assert_int_equal(
        rh_pipeline_push(&p, NULL, &first, MAX_QUEUED, SIZE_MAX, &added),
        RAFTHTTP_EFULL);
    total -= rh_pipeline_done(&p, NULL, j);
    assert_int_equal(p.bytes, total);
    assert_int_equal(rh_pipeline_clear(&p, NULL, NULL, NULL), total);
    assert_int_equal(p.bytes, 0);

    /* A limit of 0 refuses everything. */
    assert_int_equal(rh_pipeline_push(&p, NULL, &first, 0, SIZE_MAX, &added),
                     RAFTHTTP_EFULL);
    assert_null(p.head);
}

/* Room below the encoding: ETOOBIG, nothing changes; exactly enough: ok. */
static void test_too_big(void **state)
{
    (void)state;
    struct rh_pipeline p;
    rh_pipeline_init(&p);
    struct rafthttp_message queued = msg(1);
    size_t before = push_ok(&p, &queued);
    for (uint64_t i = 0; i < 4; i++) {
        struct rafthttp_message m = msg(i);
        size_t size = rh_raftpb_message_size(&m);
        size_t rooms[] = {0, 1, size - 1};
        for (size_t r = 0; r < 3; r++) {
            size_t added = 777;
            assert_int_equal(
                rh_pipeline_push(&p, NULL, &m, MAX_QUEUED, rooms[r], &added),
                RAFTHTTP_ETOOBIG);
            assert_int_equal(added, 777);
            assert_int_equal(p.queued, 1);
            assert_int_equal(p.bytes, before);
            assert_ptr_equal(p.head, p.tail);
            assert_null(p.head->next);
        }
    }
    struct rafthttp_message m = msg(0);
    size_t size = rh_raftpb_message_size(&m);
    size_t added = 0;
    assert_int_equal(rh_pipeline_push(&p, NULL, &m, MAX_QUEUED, size, &added),
                     0);
    assert_int_equal(added, size);
    assert_int_equal(p.bytes, before + size);
    assert_int_equal(rh_pipeline_clear(&p, NULL, NULL, NULL), before + size);
}

/* At most max_inflight jobs out at once; NULL when exhausted or empty. */
static void test_take_inflight(void **state)
{
    (void)state;
    struct rh_pipeline p;
    rh_pipeline_init(&p);
    assert_null(rh_pipeline_take(&p, MAX_INFLIGHT));
    assert_int_equal(p.inflight, 0);
    for (uint64_t i = 0; i < 6; i++) {
        struct rafthttp_message m = msg(i);
        push_ok(&p, &m);
    }
    struct rh_pipe_job *out[MAX_INFLIGHT];
    for (uint64_t i = 0; i < MAX_INFLIGHT; i++) {
        out[i] = rh_pipeline_take(&p, MAX_INFLIGHT);
        struct rafthttp_message m = msg(i);
        check_job(out[i], &m);
        assert_int_equal(p.inflight, i + 1);
        assert_int_equal(p.queued, 6 - i - 1);
    }
    assert_null(rh_pipeline_take(&p, MAX_INFLIGHT));
    assert_int_equal(p.inflight, MAX_INFLIGHT);
    assert_int_equal(p.queued, 2);
    check_links(&p);

    /* One POST ends: one more may start, in order. */
    rh_pipeline_done(&p, NULL, out[1]);
    assert_int_equal(p.inflight, MAX_INFLIGHT - 1);
    out[1] = rh_pipeline_take(&p, MAX_INFLIGHT);
    struct rafthttp_message m4 = msg(4);
    check_job(out[1], &m4);
    assert_null(rh_pipeline_take(&p, MAX_INFLIGHT));
    /* A larger limit lets the last one go; then the queue is empty. */
    struct rh_pipe_job *last = rh_pipeline_take(&p, MAX_INFLIGHT + 1);
    struct rafthttp_message m5 = msg(5);
    check_job(last, &m5);
    assert_null(p.head);
    assert_null(p.tail);
    assert_null(rh_pipeline_take(&p, 100));
    assert_int_equal(p.inflight, MAX_INFLIGHT + 1);
    rh_pipeline_done(&p, NULL, last);
    for (size_t i = 0; i < MAX_INFLIGHT; i++) {
        rh_pipeline_done(&p, NULL, out[i]);
    }
    assert_int_equal(p.inflight, 0);
    assert_int_equal(p.bytes, 0);
    /* A limit of 0 never gives a job out. */
    struct rafthttp_message m0 = msg(0);
    push_ok(&p, &m0);
    assert_null(rh_pipeline_take(&p, 0));
    assert_int_equal(p.queued, 1);
    rh_pipeline_clear(&p, NULL, NULL, NULL);
}

/* p->bytes is the sum of the bodies queued and in flight, always. */
static void test_bytes_accounting(void **state)
{
    (void)state;
    struct tl_alloc t;
    tl_alloc_init(&t, 0);
    struct rh_pipeline p;
    rh_pipeline_init(&p);
    size_t sizes[40];
    size_t queued_bytes = 0;
    size_t inflight_bytes = 0;
    struct rh_pipe_job *out[MAX_INFLIGHT];
    size_t n_out = 0;
    uint64_t pushed = 0;
    uint64_t taken = 0;
    for (int step = 0; step < 120; step++) {
        int op = (step * 7 + step / 5) % 4;
        if (op <= 1 && pushed < 40) {
            struct rafthttp_message m = msg(pushed);
            size_t added = 0;
            assert_int_equal(
                rh_pipeline_push(&p, &t.a, &m, MAX_QUEUED, SIZE_MAX, &added),
                0);
            sizes[pushed++] = added;
            queued_bytes += added;
        } else if (op == 2 && n_out < MAX_INFLIGHT && taken < pushed) {
            out[n_out] = rh_pipeline_take(&p, MAX_INFLIGHT);
            assert_non_null(out[n_out]);
            assert_int_equal(out[n_out]->len, sizes[taken]);
            queued_bytes -= sizes[taken];
            inflight_bytes += sizes[taken];
            taken++;
            n_out++;
        } else if (n_out > 0) {
            /* A POST ends: the oldest under way. */
            size_t len = out[0]->len;
            assert_int_equal(rh_pipeline_done(&p, &t.a, out[0]), len);
            inflight_bytes -= len;
            memmove(out, out + 1, (n_out - 1) * sizeof(out[0]));
            n_out--;
        }
        assert_int_equal(p.bytes, queued_bytes + inflight_bytes);
        assert_int_equal(p.inflight, n_out);
        assert_int_equal(p.queued, pushed - taken);
        assert_int_equal(t.live, p.queued + p.inflight);
        check_links(&p);
    }
    assert_true(pushed > 20);
    assert_true(taken > 10);
    assert_int_equal(rh_pipeline_clear(&p, &t.a, NULL, NULL), queued_bytes);
    assert_int_equal(p.bytes, inflight_bytes);
    while (n_out > 0) {
        inflight_bytes -= rh_pipeline_done(&p, &t.a, out[--n_out]);
        assert_int_equal(p.bytes, inflight_bytes);
    }
    assert_int_equal(p.bytes, 0);
    assert_int_equal(t.live, 0);
}

struct dropped {
    uint64_t index[16];
    int32_t type[16];
    size_t bytes;
    size_t n;
};

static void record_drop(const struct rh_pipe_job *j, void *ud)
{
    struct dropped *d = ud;
    struct rh_msg *m = NULL;
    assert_int_equal(
        rh_raftpb_message_decode(
            NULL, rh_pipe_job_body((struct rh_pipe_job *)j), j->len, &m),
        0);
    assert_true(d->n < 16);
    d->index[d->n] = m->m.index;
    d->type[d->n] = j->type;
    d->bytes += j->len;
    d->n++;
    rh_msg_free(m);
}

/* clear drops each queued job in order, leaves in-flight ones alone. */
static void test_clear(void **state)
{
    (void)state;
    struct tl_alloc t;
    tl_alloc_init(&t, 0);
    struct rh_pipeline p;
    rh_pipeline_init(&p);
    size_t sizes[7];
    for (uint64_t i = 0; i < 7; i++) {
        struct rafthttp_message m = msg(i);
        assert_int_equal(
            rh_pipeline_push(&p, &t.a, &m, MAX_QUEUED, SIZE_MAX, &sizes[i]), 0);
    }
    struct rh_pipe_job *a = rh_pipeline_take(&p, MAX_INFLIGHT);
    struct rh_pipe_job *b = rh_pipeline_take(&p, MAX_INFLIGHT);
    size_t queued = 0;
    for (size_t i = 2; i < 7; i++) {
        queued += sizes[i];
    }
    struct dropped d = {.n = 0};
    assert_int_equal(rh_pipeline_clear(&p, &t.a, record_drop, &d), queued);
    assert_int_equal(d.n, 5);
    assert_int_equal(d.bytes, queued);
    for (size_t i = 0; i < 5; i++) {
        struct rafthttp_message m = msg(i + 2);
        assert_int_equal(d.index[i], i + 2);
        assert_int_equal(d.type[i], m.type);
    }
    assert_null(p.head);
    assert_null(p.tail);
    assert_int_equal(p.queued, 0);
    assert_int_equal(p.inflight, 2);
    assert_int_equal(p.bytes, sizes[0] + sizes[1]);
    assert_int_equal(t.live, 2);

    /* Clearing an empty queue drops nothing. */
    d.n = 0;
    assert_int_equal(rh_pipeline_clear(&p, &t.a, record_drop, &d), 0);
    assert_int_equal(d.n, 0);

    /* The queue works again after a clear. */
    struct rafthttp_message m = msg(9);
    size_t added = 0;
    assert_int_equal(
        rh_pipeline_push(&p, &t.a, &m, MAX_QUEUED, SIZE_MAX, &added), 0);
    assert_ptr_equal(p.head, p.tail);
    struct rh_pipe_job *c = rh_pipeline_take(&p, MAX_INFLIGHT);
    check_job(c, &m);
    assert_int_equal(rh_pipeline_done(&p, &t.a, a), sizes[0]);
    assert_int_equal(rh_pipeline_done(&p, &t.a, b), sizes[1]);
    assert_int_equal(rh_pipeline_done(&p, &t.a, c), added);
    assert_int_equal(p.bytes, 0);
    assert_int_equal(p.inflight, 0);
    assert_int_equal(t.live, 0);
}

/* Failing each allocation in turn: ENOMEM changes nothing, no leak. */
static void test_allocation_failures(void **state)
{
    (void)state;
    long k;
    for (k = 1;; k++) {
        struct tl_alloc t;
        tl_alloc_init(&t, k);
        struct rh_pipeline p;
        rh_pipeline_init(&p);
        uint64_t ok[8];
        size_t n_ok = 0;
        size_t total = 0;
        for (uint64_t i = 0; i < 8; i++) {
            struct rafthttp_message m = msg(i);
            unsigned queued = p.queued;
            size_t bytes = p.bytes;
            size_t added = 777;
            int rv =
                rh_pipeline_push(&p, &t.a, &m, MAX_QUEUED, SIZE_MAX, &added);
            assert_true(rv == 0 || rv == RAFTHTTP_ENOMEM);
            if (rv != 0) {
                assert_int_equal(added, 777);
                assert_int_equal(p.queued, queued);
                assert_int_equal(p.bytes, bytes);
                continue;
            }
            ok[n_ok++] = i;
            total += added;
        }
        assert_int_equal(p.bytes, total);
        check_links(&p);
        /* What made it is intact and in order. */
        struct rh_pipe_job *j = rh_pipeline_take(&p, MAX_INFLIGHT);
        if (n_ok > 0) {
            struct rafthttp_message m = msg(ok[0]);
            check_job(j, &m);
            total -= rh_pipeline_done(&p, &t.a, j);
        } else {
            assert_null(j);
        }
        struct dropped d = {.n = 0};
        assert_int_equal(rh_pipeline_clear(&p, &t.a, record_drop, &d), total);
        assert_int_equal(d.n, n_ok > 0 ? n_ok - 1 : 0);
        for (size_t i = 0; i < d.n; i++) {
            assert_int_equal(d.index[i], ok[i + 1]);
        }
        assert_int_equal(p.bytes, 0);
        assert_int_equal(t.live, 0);
        if (t.calls < k) {
            break;
        }
    }
    assert_true(k > 8); /* every push allocated at least once */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_push_encodes),
        cmocka_unit_test(test_push_large),
        cmocka_unit_test(test_fifo),
        cmocka_unit_test(test_max_queued),
        cmocka_unit_test(test_too_big),
        cmocka_unit_test(test_take_inflight),
        cmocka_unit_test(test_bytes_accounting),
        cmocka_unit_test(test_clear),
        cmocka_unit_test(test_allocation_failures),
    };
    return cmocka_run_group_tests_name("pipeline_queue", tests, NULL, NULL);
}
