// SPDX-License-Identifier: Apache-2.0
/*
 * The pipeline driver (pipeline_driver.c): what an ended POST /raft means
 * to the sender (only 204 delivers, 403 says we were removed, and the
 * peer's inactive reason for everything else), and the receiver's answers
 * with etcd's statuses and bodies (after process(), and for bodies that
 * cannot be handed over).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "pipeline/pipeline.h"

/* etcd's body for a message from a removed member (http.go). */
static const char removed_json[] =
    "{\"message\":\"cannot process message from removed member\"}";

/* The outcome of end, from an out that held garbage before. */
static void outcome(const struct rh_post_end *end, struct rh_post_outcome *out)
{
    memset(out, 0x5a, sizeof(*out));
    out->why[sizeof(out->why) - 1] = '\0';
    rh_pipeline_outcome(end, out);
}

static struct rh_post_end answered(long status, const char *body)
{
    struct rh_post_end end = {.transfer_ok = true,
                              .error = "No error",
                              .status = status,
                              .body = body};
    return end;
}

/* A verdict full of garbage, so every field set is seen to be set. */
static void scribble(struct rh_verdict *v)
{
    *v = (struct rh_verdict){.status = 999,
                             .body = "garbage",
                             .allow = "GET",
                             .json = true,
                             .close = true};
}

static void check_verdict(const struct rh_verdict *v, int status,
                          const char *body, bool json, bool close)
{
    assert_int_equal(v->status, status);
    assert_non_null(v->body);
    assert_string_equal(v->body, body);
    assert_null(v->allow);
    assert_int_equal(v->json, json);
    assert_int_equal(v->close, close);
}

/* ------------------------------------------------------------ sender */

/* 204: delivered, nothing to report. */
static void test_outcome_delivered(void **state)
{
    (void)state;
    struct rh_post_end end = answered(204, "");
    struct rh_post_outcome out;
    outcome(&end, &out);
    assert_true(out.delivered);
    assert_false(out.removed);
    assert_string_equal(out.why, "");
}

/* Every other status, and a 204 whose transfer failed, is not delivered. */
static void test_outcome_not_delivered(void **state)
{
    (void)state;
    static const long statuses[] = {200, 201, 202, 301, 400, 404,
                                    410, 412, 413, 500, 503};
    for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
        struct rh_post_end end = answered(statuses[i], "refused\n");
        struct rh_post_outcome out;
        outcome(&end, &out);
        assert_false(out.delivered);
        assert_false(out.removed);
        char want[64];
        snprintf(want, sizeof(want), "post: status %ld refused", statuses[i]);
        assert_string_equal(out.why, want);
    }
    struct rh_post_end cut = {.transfer_ok = false,
                              .error = "Failure when receiving data",
                              .status = 204,
                              .body = ""};
    struct rh_post_outcome out;
    outcome(&cut, &out);
    assert_false(out.delivered);
    assert_false(out.removed);
    assert_string_equal(out.why, "post: Failure when receiving data");
}

/* 403: removed (only when the answer came whole). */
static void test_outcome_removed(void **state)
{
    (void)state;
    struct rh_post_end end = answered(403, removed_json);
    struct rh_post_outcome out;
    outcome(&end, &out);
    assert_false(out.delivered);
    assert_true(out.removed);
    assert_string_equal(out.why, "post: status 403 {\"message\":\"cannot "
                                 "process message from removed member\"}");

    end.transfer_ok = false;
    end.error = "Failure when receiving data";
    outcome(&end, &out);
    assert_false(out.delivered);
    assert_false(out.removed);
    assert_string_equal(out.why, "post: Failure when receiving data");
}

/* No answer at all: the client's error text. */
static void test_outcome_transport_error(void **state)
{
    (void)state;
    struct rh_post_end end = {.transfer_ok = false,
                              .error = "Couldn't connect to server",
                              .status = 0,
                              .body = ""};
    struct rh_post_outcome out;
    outcome(&end, &out);
    assert_false(out.delivered);
    assert_false(out.removed);
    assert_string_equal(out.why, "post: Couldn't connect to server");
}

/* The body's first line goes into why; a long one is cut to fit. */
static void test_outcome_status_body(void **state)
{
    (void)state;
    struct rh_post_end end = answered(500, "boom\nmore");
    struct rh_post_outcome out;
    outcome(&end, &out);
    assert_false(out.delivered);
    assert_false(out.removed);
    assert_string_equal(out.why, "post: status 500 boom");

    char body[1000];
    memset(body, 'y', sizeof(body) - 1);
    body[sizeof(body) - 1] = '\0';
    end = answered(503, body);
    outcome(&end, &out);
    assert_int_equal(strlen(out.why), sizeof(out.why) - 1);
    assert_int_equal(strncmp(out.why, "post: status 503 yyy", 20), 0);
}

/* ---------------------------------------------------------- receiver */

static void test_answer(void **state)
{
    (void)state;
    struct rh_verdict v;
    scribble(&v);
    rh_pipeline_answer(0, &v);
    check_verdict(&v, 204, "", false, false);

    scribble(&v);
    rh_pipeline_answer(RAFTHTTP_EREMOVED, &v);
    check_verdict(&v, 403, removed_json, true, false);

    scribble(&v);
    rh_pipeline_answer(RAFTHTTP_ESTOPPED, &v);
    check_verdict(&v, 503, "transport stopped", false, true);

    static const int others[] = {
        RAFTHTTP_ENOMEM,
        RAFTHTTP_EINVAL,
        RAFTHTTP_ETOOBIG,
        RAFTHTTP_EPROTO,
        RAFTHTTP_EIO,
        RAFTHTTP_EPEER_NOT_FOUND,
        RAFTHTTP_EAGAIN,
        RAFTHTTP_ETIMEDOUT,
        -1000,
        1,
    };
    for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
        scribble(&v);
        rh_pipeline_answer(others[i], &v);
        check_verdict(&v, 500, "error processing raft message", false, true);
    }
}

static void test_refuse(void **state)
{
    (void)state;
    struct rh_verdict v;
    scribble(&v);
    assert_false(rh_pipeline_refuse(RAFTHTTP_ETOOBIG, &v));
    check_verdict(&v, 413, "raft message too large", false, false);

    scribble(&v);
    assert_false(rh_pipeline_refuse(RAFTHTTP_EPROTO, &v));
    check_verdict(&v, 400, "error unmarshalling raft message", false, false);

    scribble(&v);
    assert_false(rh_pipeline_refuse(RAFTHTTP_EFULL, &v));
    check_verdict(&v, 503, "raft message queue full", false, false);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_outcome_delivered),
        cmocka_unit_test(test_outcome_not_delivered),
        cmocka_unit_test(test_outcome_removed),
        cmocka_unit_test(test_outcome_transport_error),
        cmocka_unit_test(test_outcome_status_body),
        cmocka_unit_test(test_answer),
        cmocka_unit_test(test_refuse),
    };
    return cmocka_run_group_tests_name("pipeline_driver", tests, NULL, NULL);
}
