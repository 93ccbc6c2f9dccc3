// SPDX-License-Identifier: Apache-2.0
/*
 * Snapshot outcomes without sockets or threads.
 *
 * The sender's rules (snapshot/snapshot_driver.c): the body is the head
 * then exactly the declared database; a short, long or failing source, a
 * cancel, a stall and a silent receiver each abort with their reason; the
 * end maps to 0, EREMOVED (403), EIO or ETIMEDOUT. The receiver's rules:
 * the head split anywhere, bounded buffering with back-pressure, 400 / 413
 * / 500 refusals, a cut body kept by nobody, and the answer.
 *
 * The reports (peer/peer_driver.c): every accepted snapshot ends in
 * exactly one report_snapshot and one done, whatever its result, even when
 * memory runs out after it was accepted (the two are reserved up front);
 * a snapshot that cannot be accepted reports nothing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "peer/peer.h"
#include "testlib.h"

/* ----------------------------------------------------------- a source */

struct source {
    const uint8_t *data;
    size_t len; /* bytes it really has */
    size_t at;
    bool fail; /* read() fails */
    uint64_t progress_sent;
    int progress_calls;
};

static int64_t source_read(uint8_t *buf, size_t len, void *ud)
{
    struct source *s = ud;
    if (s->fail) {
        return -1;
    }
    size_t n = s->len - s->at < len ? s->len - s->at : len;
    memcpy(buf, s->data + s->at, n);
    s->at += n;
    return (int64_t)n;
}

static void source_progress(uint64_t sent, uint64_t total, void *ud)
{
    struct source *s = ud;
    (void)total;
    s->progress_sent = sent;
    s->progress_calls++;
}

static const struct rafthttp_message snap_msg = {
    .type = RAFTHTTP_MSG_SNAP,
    .to = 2,
    .from = 1,
    .term = 3,
    .snapshot = {.metadata = {.index = 42, .term = 3}},
};

static struct rafthttp_config config(void)
{
    struct rafthttp_config cfg;
    rafthttp_config_init(&cfg);
    cfg.local_id = 1;
    cfg.cluster_id = 0x1000;
    return cfg;
}

/* An upload of a source that declares declared bytes. */
static void upload_init(struct rh_snap_upload *u, struct source *s,
                        uint64_t declared)
{
    struct rafthttp_config cfg = config();
    struct rafthttp_snapshot_source src = {.read = source_read,
                                           .fd = -1,
                                           .size = declared,
                                           .progress = source_progress,
                                           .user_data = s};
    assert_int_equal(rh_snap_upload_init(u, NULL, &cfg, &snap_msg, &src, 0), 0);
}

/* Reads the whole body in pieces of step; returns the last read's value. */
static size_t read_all(struct rh_snap_upload *u, struct rh_buf *out,
                       size_t step)
{
    uint8_t buf[4096];
    for (;;) {
        size_t n = rh_snap_upload_read(u, buf, step, 0);
        if (n == 0 || n == RH_SNAP_UPLOAD_ABORT) {
            return n;
        }
        assert_int_equal(rh_buf_append(out, buf, n), 0);
    }
}

static void test_upload_body_is_head_then_database(void **state)
{
    (void)state;
    uint8_t db[1000];
    for (size_t i = 0; i < sizeof(db); i++) {
        db[i] = (uint8_t)(i * 7);
    }
    struct source s = {.data = db, .len = sizeof(db)};
    struct rh_snap_upload u;
    upload_init(&u, &s, sizeof(db));
    struct rh_buf body;
    rh_buf_init(&body, NULL, SIZE_MAX);
    assert_int_equal(read_all(&u, &body, 7), 0);
    assert_true(u.db_done);
    /* The head decodes to the MsgSnap; the rest is the database. */
    struct rh_snap_head_decoder d;
    rh_snap_head_decoder_init(&d, NULL, 1 << 20);
    size_t used;
    struct rh_msg *m = NULL;
    assert_int_equal(
        rh_snap_head_decoder_feed(&d, body.data, body.len, &used, &m), 0);
    assert_non_null(m);
    assert_int_equal(m->m.snapshot.metadata.index, 42);
    assert_int_equal(body.len - used, sizeof(db));
    assert_memory_equal(body.data + used, db, sizeof(db));
    rh_msg_free(m);
    rh_snap_head_decoder_close(&d);
    rh_buf_close(&body);
    rh_snap_upload_close(&u);
}

/* Reads until the upload aborts; returns its fail code and why. */
static int read_until_abort(struct rh_snap_upload *u, const char **why)
{
    struct rh_buf body;
    rh_buf_init(&body, NULL, SIZE_MAX);
    size_t last = read_all(u, &body, 64);
    rh_buf_close(&body);
    assert_int_equal(last, RH_SNAP_UPLOAD_ABORT);
    struct rh_snap_end end = {.transfer_ok = false, .error = "aborted"};
    return rh_snap_upload_result(u, &end, why);
}

static void test_upload_bad_sources_abort(void **state)
{
    (void)state;
    uint8_t db[200] = {0};
    const char *why;
    struct rh_snap_upload u;
    struct source shorter = {.data = db, .len = 100};
    upload_init(&u, &shorter, 200);
    assert_int_equal(read_until_abort(&u, &why), RAFTHTTP_EPROTO);
    assert_string_equal(why, "source shorter than its declared size");
    rh_snap_upload_close(&u);

    struct source longer = {.data = db, .len = 200};
    upload_init(&u, &longer, 100);
    assert_int_equal(read_until_abort(&u, &why), RAFTHTTP_EPROTO);
    assert_string_equal(why, "source longer than its declared size");
    rh_snap_upload_close(&u);

    struct source failing = {.data = db, .len = 200, .fail = true};
    upload_init(&u, &failing, 200);
    assert_int_equal(read_until_abort(&u, &why), RAFTHTTP_EIO);
    assert_string_equal(why, "source read failed");
    rh_snap_upload_close(&u);
}

static void test_upload_cancel(void **state)
{
    (void)state;
    uint8_t db[100] = {0};
    struct source s = {.data = db, .len = sizeof(db)};
    struct rh_snap_upload u;
    upload_init(&u, &s, sizeof(db));
    rh_snap_upload_cancel(&u);
    assert_false(rh_snap_upload_progress(&u, 0, 1));
    const char *why;
    assert_int_equal(read_until_abort(&u, &why), RAFTHTTP_ECANCELED);
    assert_string_equal(why, "cancelled");
    rh_snap_upload_close(&u);
}

static void test_upload_stall_and_silence(void **state)
{
    (void)state;
    uint8_t db[100] = {0};
    struct source s = {.data = db, .len = sizeof(db)};
    struct rafthttp_config cfg = config();
    struct rh_snap_upload u;
    const char *why;
    struct rh_snap_end end = {.transfer_ok = false, .error = "aborted"};
    /* Bytes moving keep it alive; none for the progress timeout: stalled. */
    upload_init(&u, &s, sizeof(db));
    int64_t t = cfg.snapshot_progress_timeout_ms;
    assert_true(rh_snap_upload_progress(&u, 10, t));
    assert_true(rh_snap_upload_progress(&u, 20, 2 * t));
    assert_false(rh_snap_upload_progress(&u, 20, 3 * t + 1));
    assert_int_equal(rh_snap_upload_result(&u, &end, &why), RAFTHTTP_ETIMEDOUT);
    assert_string_equal(why, "no progress");
    rh_snap_upload_close(&u);
    /* All sent: the receiver has the response timeout to answer. */
    s.at = 0;
    upload_init(&u, &s, sizeof(db));
    struct rh_buf body;
    rh_buf_init(&body, NULL, SIZE_MAX);
    assert_int_equal(read_all(&u, &body, 4096), 0); /* sent_all at 0 */
    rh_buf_close(&body);
    int64_t r = cfg.snapshot_response_timeout_ms;
    assert_true(rh_snap_upload_progress(&u, 1, r));
    assert_true(s.progress_calls > 0);
    assert_int_equal(s.progress_sent, sizeof(db));
    assert_false(rh_snap_upload_progress(&u, 1, r + 1));
    assert_int_equal(rh_snap_upload_result(&u, &end, &why), RAFTHTTP_ETIMEDOUT);
    assert_string_equal(why, "no answer after the upload");
    rh_snap_upload_close(&u);
}

static void test_upload_result_mapping(void **state)
{
    (void)state;
    struct source s = {.data = (const uint8_t *)"", .len = 0};
    struct rh_snap_upload u;
    const char *why;
    upload_init(&u, &s, 0);
    struct rh_snap_end ok = {.transfer_ok = true, .status = 204};
    assert_int_equal(rh_snap_upload_result(&u, &ok, &why), 0);
    struct rh_snap_end bare = {.transfer_ok = true, .status = 500};
    assert_int_equal(rh_snap_upload_result(&u, &bare, &why), RAFTHTTP_EIO);
    assert_string_equal(why, "unexpected status");
    rh_snap_upload_answer(&u, "member removed", 14);
    struct rh_snap_end removed = {.transfer_ok = true, .status = 403};
    assert_int_equal(rh_snap_upload_result(&u, &removed, &why),
                     RAFTHTTP_EREMOVED);
    assert_string_equal(why, "member removed");
    struct rh_snap_end timeout = {.timed_out = true, .error = "Timeout"};
    assert_int_equal(rh_snap_upload_result(&u, &timeout, &why),
                     RAFTHTTP_ETIMEDOUT);
    struct rh_snap_end refused = {.error = "Couldn't connect to server"};
    assert_int_equal(rh_snap_upload_result(&u, &refused, &why), RAFTHTTP_EIO);
    assert_string_equal(why, "Couldn't connect to server");
    rh_snap_upload_close(&u);
}

/* -------------------------------------------------------- the receiver */

/* The upload body for m with db_len bytes of database (a pattern). */
static void upload_body(const struct rafthttp_message *m, size_t db_len,
                        struct rh_buf *out)
{
    rh_buf_init(out, NULL, SIZE_MAX);
    assert_int_equal(rh_snap_head_encode(NULL, m, out), 0);
    uint8_t *p = rh_buf_extend(out, db_len);
    for (size_t i = 0; i < db_len; i++) {
        p[i] = (uint8_t)i;
    }
}

static void test_receiver_head_split_and_room(void **state)
{
    (void)state;
    struct rafthttp_config cfg = config();
    struct rh_snap_receiver r;
    rh_snap_receiver_init(&r, NULL, &cfg);
    size_t db = RH_SNAP_RECV_BUFFER_BYTES + 1000;
    struct rh_buf body;
    upload_body(&snap_msg, db, &body);
    size_t at = 0, used;
    bool head_done;
    int heads = 0;
    struct rh_verdict v;
    while (r.msg == NULL) { /* the head one byte at a time */
        assert_true(rh_snap_receiver_feed(&r, body.data + at, 1, &used,
                                          &head_done, &v));
        at += used;
        heads += head_done;
    }
    assert_int_equal(heads, 1);
    /* More than the buffer holds: the rest waits in the connection. */
    assert_true(rh_snap_receiver_feed(&r, body.data + at, body.len - at, &used,
                                      &head_done, &v));
    assert_false(head_done);
    assert_int_equal(used, RH_SNAP_RECV_BUFFER_BYTES);
    assert_true(r.want_room);
    bool resume;
    assert_int_equal(rh_snap_receiver_next(&r, &resume), RH_SNAP_STEP_WRITE);
    assert_true(resume); /* the writer made room: unpark */
    assert_int_equal(r.writing.len, RH_SNAP_RECV_BUFFER_BYTES);
    rh_buf_reset(&r.writing);
    at += used;
    assert_true(rh_snap_receiver_feed(&r, body.data + at, body.len - at, &used,
                                      &head_done, &v));
    assert_int_equal(used, body.len - at);
    assert_int_equal(rh_snap_receiver_next(&r, &resume), RH_SNAP_STEP_WRITE);
    assert_false(resume);
    rh_buf_reset(&r.writing);
    assert_int_equal(rh_snap_receiver_next(&r, &resume), RH_SNAP_STEP_WAIT);
    assert_true(rh_snap_receiver_finish(&r, &v));
    assert_int_equal(rh_snap_receiver_next(&r, &resume), RH_SNAP_STEP_END);
    assert_true(rh_snap_receiver_complete(&r));
    assert_int_equal(r.db_bytes, db);
    rh_buf_close(&body);
    rh_snap_receiver_close(&r);
}

/* Feeds all of body; returns false with *v as soon as it is refused. */
static bool feed_all(struct rh_snap_receiver *r, const struct rh_buf *body,
                     struct rh_verdict *v)
{
    size_t at = 0;
    while (at < body->len) {
        size_t used;
        bool head_done, resume;
        if (!rh_snap_receiver_feed(r, body->data + at, body->len - at, &used,
                                   &head_done, v)) {
            return false;
        }
        at += used;
        while (rh_snap_receiver_next(r, &resume) == RH_SNAP_STEP_WRITE) {
            rh_buf_reset(&r->writing);
        }
    }
    return true;
}

static void test_receiver_refusals(void **state)
{
    (void)state;
    struct rafthttp_config cfg = config();
    struct rh_snap_receiver r;
    struct rh_verdict v;
    struct rh_buf body;
    /* Not a MsgSnap: 400 with etcd's body. */
    struct rafthttp_message app = {.type = RAFTHTTP_MSG_APP, .to = 2};
    rh_buf_init(&body, NULL, SIZE_MAX);
    assert_int_equal(rh_msg_frame_encode(NULL, &app, &body), 0);
    rh_snap_receiver_init(&r, NULL, &cfg);
    assert_false(feed_all(&r, &body, &v));
    assert_int_equal(v.status, 400);
    assert_string_equal(v.body, "wrong raft message type");
    rh_snap_receiver_close(&r);
    rh_buf_close(&body);
    /* Over max_snapshot_bytes: 413. */
    cfg.max_snapshot_bytes = 100;
    upload_body(&snap_msg, 101, &body);
    rh_snap_receiver_init(&r, NULL, &cfg);
    assert_false(feed_all(&r, &body, &v));
    assert_int_equal(v.status, 413);
    rh_snap_receiver_close(&r);
    rh_buf_close(&body);
    /* The body ends inside the head: 400. */
    rh_snap_receiver_init(&r, NULL, &cfg);
    assert_false(rh_snap_receiver_finish(&r, &v));
    assert_int_equal(v.status, 400);
    assert_string_equal(v.body,
                        "failed to decode raft message (unexpected EOF)");
    rh_snap_receiver_close(&r);
}

static void test_receiver_failure_and_cut(void **state)
{
    (void)state;
    struct rafthttp_config cfg = config();
    struct rh_snap_receiver r;
    struct rh_verdict v;
    struct rh_buf body;
    upload_body(&snap_msg, 1000, &body);
    /* Saving fails: the next bytes are refused with the reason. */
    rh_snap_receiver_init(&r, NULL, &cfg);
    assert_true(feed_all(&r, &body, &v));
    rh_snap_receiver_failed(&r, "disk full");
    bool resume;
    assert_int_equal(rh_snap_receiver_next(&r, &resume), RH_SNAP_STEP_END);
    assert_false(feed_all(&r, &body, &v));
    assert_int_equal(v.status, 500);
    assert_string_equal(v.body, "failed to save KV snapshot (disk full)");
    assert_false(rh_snap_receiver_complete(&r));
    char text[200];
    rh_snap_receiver_answer(&r, RAFTHTTP_EIO, text, sizeof(text), &v);
    assert_int_equal(v.status, 500);
    assert_string_equal(v.body, "failed to save KV snapshot (disk full)");
    rh_snap_receiver_close(&r);
    /* Cut mid-body: the writer ends and nothing is complete. */
    rh_snap_receiver_init(&r, NULL, &cfg);
    assert_true(feed_all(&r, &body, &v));
    rh_snap_receiver_detach(&r);
    assert_int_equal(rh_snap_receiver_next(&r, &resume), RH_SNAP_STEP_END);
    assert_false(rh_snap_receiver_complete(&r));
    rh_snap_receiver_close(&r);
    rh_buf_close(&body);
}

static void test_receiver_answers(void **state)
{
    (void)state;
    struct rafthttp_config cfg = config();
    struct rh_snap_receiver r;
    rh_snap_receiver_init(&r, NULL, &cfg);
    char text[200];
    struct rh_verdict v;
    rh_snap_receiver_answer(&r, 0, text, sizeof(text), &v);
    assert_int_equal(v.status, 204);
    rh_snap_receiver_answer(&r, RAFTHTTP_EREMOVED, text, sizeof(text), &v);
    assert_int_equal(v.status, 403);
    assert_true(v.json);
    rh_snap_receiver_answer(&r, RAFTHTTP_ESTOPPED, text, sizeof(text), &v);
    assert_int_equal(v.status, 503);
    assert_true(v.close);
    rh_snap_receiver_answer(&r, RAFTHTTP_EIO, text, sizeof(text), &v);
    assert_int_equal(v.status, 500);
    assert_string_equal(v.body, "failed to process raft message (I/O error)");
    rh_snap_receiver_close(&r);
}

/* --------------------------------------------------------- the reports */

struct reports {
    struct tl_alloc ta;
    struct rafthttp_config cfg;
    struct rh_logger log;
    struct rh_mutex mu;
    struct rh_inbox in;
    struct rh_peer_table pt;
    struct rh_peer *p;
};

static void quiet(enum rafthttp_log_level level, const char *msg,
                  const struct rafthttp_log_field *fields, size_t n, void *ud)
{
    (void)level;
    (void)msg;
    (void)fields;
    (void)n;
    (void)ud;
}

static void no_answer(void *ud, struct rh_reply *r, int result)
{
    (void)ud;
    (void)r;
    (void)result;
    fail_msg("no request waits in these tests");
}

static void reports_init(struct reports *f)
{
    static const char *const urls[] = {"http://127.0.0.1:1"};
    tl_alloc_init(&f->ta, 0);
    f->cfg = config();
    f->cfg.allocator = &f->ta.a;
    rh_logger_init(&f->log, quiet, NULL, RAFTHTTP_LOG_DEBUG, RAFTHTTP_LOG_TEXT,
                   1);
    rh_mutex_init(&f->mu, RH_LOCK_TRANSPORT);
    rh_inbox_init(&f->in, &f->mu, &f->ta.a, 1 << 20, no_answer, NULL);
    rh_peer_table_init(&f->pt, &f->ta.a, &f->cfg, &f->log, &f->mu, &f->in);
    rh_mutex_lock(&f->mu);
    f->pt.open = true;
    enum rh_peer_added what;
    assert_int_equal(rh_peer_add(&f->pt, 2, urls, 1, false, &what), 0);
    f->p = rh_peer_find(&f->pt, 2);
    assert_non_null(f->p);
}

static void reports_close(struct reports *f)
{
    f->pt.open = false;
    rh_peer_table_clear(&f->pt);
    rh_inbox_clear(&f->in);
    rh_inbox_close(&f->in);
    rh_mutex_unlock(&f->mu);
    rh_mutex_destroy(&f->mu);
    rh_logger_close(&f->log);
    assert_int_equal(f->ta.live, 0);
}

static void on_done(int result, void *ud)
{
    (void)result;
    (void)ud;
}

/* How many events of kind the control mailbox holds; *status of the last. */
static int count_reports(struct reports *f, enum rh_event_kind kind,
                         int *status)
{
    int n = 0;
    for (struct rh_event *ev = f->in.control.head; ev != NULL; ev = ev->next) {
        if (ev->kind == kind) {
            n++;
            *status = ev->status;
        }
    }
    return n;
}

/*
 * One snapshot accepted with the k-th allocation failing, ended with
 * result (and status). Returns begin's result.
 */
static int one_snapshot(long k, int result, long status)
{
    struct reports f;
    reports_init(&f);
    struct source s = {.data = (const uint8_t *)"", .len = 0};
    struct rafthttp_snapshot_source src = {
        .read = source_read, .fd = -1, .done = on_done, .user_data = &s};
    struct rh_snap_upload u;
    assert_int_equal(
        rh_snap_upload_init(&u, &f.ta.a, &f.cfg, &snap_msg, &src, 0), 0);
    int refs = f.p->refs;
    f.ta.fail_at = k > 0 ? f.ta.calls + k : 0;
    struct rh_snap_ticket ticket;
    int rv = rh_peer_snapshot_begin(&f.pt, f.p, &u, &ticket);
    int st = 0;
    if (rv != 0) {
        assert_int_equal(rv, RAFTHTTP_ENOMEM);
        assert_null(f.p->snap);
        assert_int_equal(f.p->refs, refs);
        assert_int_equal(f.p->metrics.snap_send_inflight, 0);
        assert_null(f.in.control.head); /* nothing will be reported */
    } else {
        assert_ptr_equal(f.p->snap, &u);
        /* Every allocation fails now: the two reports were reserved. */
        f.ta.fail_at = 0;
        f.ta.fail_all = true;
        rh_peer_snapshot_end(&f.pt, f.p, &u, &ticket, result, "why", status,
                             "http://127.0.0.1:1");
        f.ta.fail_all = false;
        assert_int_equal(count_reports(&f, RH_EV_SNAPSHOT, &st), 1);
        assert_int_equal(st, result == 0 ? RAFTHTTP_SNAPSHOT_FINISH
                                         : RAFTHTTP_SNAPSHOT_FAILURE);
        assert_int_equal(count_reports(&f, RH_EV_SNAP_DONE, &st), 1);
        assert_int_equal(st, result);
        assert_null(f.p->snap);
        assert_int_equal(f.p->refs, refs);
        assert_int_equal(f.p->metrics.snap_send_inflight, 0);
        assert_int_equal(f.p->active, result == 0);
    }
    rh_snap_upload_close(&u);
    reports_close(&f);
    return rv;
}

static void test_exactly_one_report_and_done(void **state)
{
    (void)state;
    const int results[] = {0,
                           RAFTHTTP_EIO,
                           RAFTHTTP_EREMOVED,
                           RAFTHTTP_ECANCELED,
                           RAFTHTTP_ETIMEDOUT,
                           RAFTHTTP_EPROTO};
    const long statuses[] = {204, 500, 403, 0, 0, 0};
    for (size_t i = 0; i < sizeof(results) / sizeof(results[0]); i++) {
        /* k: the allocation that fails (0: none); begin allocates two. */
        int accepted = 0;
        for (long k = 0; k <= 3; k++) {
            accepted += one_snapshot(k, results[i], statuses[i]) == 0;
        }
        assert_int_equal(accepted, 2); /* k = 0 and k = 3 */
    }
}

static void test_one_in_flight_and_abandon(void **state)
{
    (void)state;
    struct reports f;
    reports_init(&f);
    struct source s = {.data = (const uint8_t *)"", .len = 0};
    struct rafthttp_snapshot_source src = {
        .read = source_read, .fd = -1, .user_data = &s};
    struct rh_snap_upload u, other;
    rh_snap_upload_init(&u, &f.ta.a, &f.cfg, &snap_msg, &src, 0);
    rh_snap_upload_init(&other, &f.ta.a, &f.cfg, &snap_msg, &src, 0);
    struct rh_snap_ticket ticket, ticket2;
    assert_int_equal(rh_peer_snapshot_begin(&f.pt, f.p, &u, &ticket), 0);
    assert_int_equal(rh_peer_snapshot_begin(&f.pt, f.p, &other, &ticket2),
                     RAFTHTTP_EBUSY);
    /* Never started (no thread): nothing is reported, nothing leaks. */
    rh_peer_snapshot_abandon(&f.pt, f.p, &u, &ticket);
    assert_null(f.in.control.head);
    assert_null(f.p->snap);
    rh_snap_upload_close(&u);
    rh_snap_upload_close(&other);
    reports_close(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_upload_body_is_head_then_database),
        cmocka_unit_test(test_upload_bad_sources_abort),
        cmocka_unit_test(test_upload_cancel),
        cmocka_unit_test(test_upload_stall_and_silence),
        cmocka_unit_test(test_upload_result_mapping),
        cmocka_unit_test(test_receiver_head_split_and_room),
        cmocka_unit_test(test_receiver_refusals),
        cmocka_unit_test(test_receiver_failure_and_cut),
        cmocka_unit_test(test_receiver_answers),
        cmocka_unit_test(test_exactly_one_report_and_done),
        cmocka_unit_test(test_one_in_flight_and_abandon),
    };
    return cmocka_run_group_tests_name("snapshot_driver", tests, NULL, NULL);
}
