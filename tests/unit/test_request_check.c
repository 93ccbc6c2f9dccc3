// SPDX-License-Identifier: Apache-2.0
/*
 * transport request checks: routing of /raft paths, the checks of the
 * pipeline and snapshot handlers (method, versions, cluster ID), of the
 * stream handler (the same plus stream type and sender in the path) and the
 * X-Raft-To recipient check, with etcd's statuses, bodies and order
 * (wire-protocol.md sections 2 and 3.5-3.6; etcd's http_test.go
 * TestServeRaftPrefix, TestServeRaftStreamPrefix(Bad) and util_test.go
 * TestCheckVersionCompatibility).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "http/http.h"
#include "testlib.h"

#define LOCAL_ID 0x1d022bfa869d1d4u
#define LOCAL_ID_STR "1d022bfa869d1d4"
#define CLUSTER_ID 0x8f96cf29dba10d9u
#define CLUSTER_ID_STR "8f96cf29dba10d9"

/* This member as every test sees it: 3.4.23, min cluster 3.0.0. */
static struct rh_local_identity make_local(uint64_t id, uint64_t cluster)
{
    struct rafthttp_config cfg;
    rafthttp_config_init(&cfg);
    cfg.local_id = id;
    cfg.cluster_id = cluster;
    struct rh_local_identity local;
    assert_int_equal(rh_local_identity_init(&local, &cfg), 0);
    return local;
}

static struct rh_local_identity default_local(void)
{
    return make_local(LOCAL_ID, CLUSTER_ID);
}

/* A pipeline request as etcd 3.4.23 sends it. */
static struct rh_request post_request(void)
{
    struct rh_request req = {.method = "POST",
                             .path = "/raft",
                             .server_version = "3.4.23",
                             .min_cluster_version = "3.0.0",
                             .cluster_id = CLUSTER_ID_STR,
                             .raft_to = NULL};
    return req;
}

/* A stream dial as etcd 3.4.23 sends it. */
static struct rh_request stream_request(const char *path)
{
    struct rh_request req = post_request();
    req.method = "GET";
    req.path = path;
    req.raft_to = LOCAL_ID_STR;
    return req;
}

/* A verdict full of junk, so that a check must set every field. */
static struct rh_verdict junk_verdict(void)
{
    struct rh_verdict v = {999, "junk", "junk", true, true};
    return v;
}

static void assert_str_or_null(const char *got, const char *want)
{
    if (want == NULL) {
        assert_null(got);
    } else {
        assert_non_null(got);
        assert_string_equal(got, want);
    }
}

/* status 0 means the check must pass. */
static void assert_verdict(bool ok, const struct rh_verdict *v, int status,
                           const char *body, const char *allow)
{
    assert_int_equal(ok, status == 0);
    assert_int_equal(v->status, status);
    assert_str_or_null(v->body, body);
    assert_str_or_null(v->allow, allow);
}

static void expect_post(const struct rh_request *req, int status,
                        const char *body, const char *allow)
{
    struct rh_local_identity local = default_local();
    struct rh_verdict v = junk_verdict();
    bool ok = rh_check_post_request(&local, req, &v);
    assert_verdict(ok, &v, status, body, allow);
}

static void expect_cluster(const struct rh_local_identity *local,
                           const struct rh_request *req, int status,
                           const char *body)
{
    struct rh_verdict v = junk_verdict();
    bool ok = rh_check_cluster(local, req, &v);
    assert_verdict(ok, &v, status, body, NULL);
}

/* Runs the stream checks; on success also checks the type and sender. */
static void expect_stream(const struct rh_request *req, int status,
                          const char *body, const char *allow,
                          enum rh_stream_type want_type, uint64_t want_from)
{
    struct rh_local_identity local = default_local();
    struct rh_verdict v = junk_verdict();
    enum rh_stream_type type = (enum rh_stream_type)77;
    uint64_t from = 0xdeadbeef;
    bool ok = rh_check_stream_request(&local, req, &type, &from, &v);
    assert_verdict(ok, &v, status, body, allow);
    if (ok) {
        assert_int_equal(type, want_type);
        assert_int_equal(from, want_from);
    }
}

static void expect_stream_fails(const char *path, int status, const char *body)
{
    struct rh_request req = stream_request(path);
    expect_stream(&req, status, body, NULL, RH_STREAM_MESSAGE, 0);
}

/* ------------------------------------------------------------- identity */

static void test_identity_init(void **state)
{
    (void)state;
    struct rh_local_identity local = default_local();
    assert_int_equal(local.id, LOCAL_ID);
    assert_string_equal(local.id_str, LOCAL_ID_STR);
    assert_string_equal(local.cluster_id_str, CLUSTER_ID_STR);
    assert_int_equal(local.server_version.major, 3);
    assert_int_equal(local.server_version.minor, 4);
    assert_int_equal(local.server_version.patch, 23);
    assert_int_equal(local.min_cluster_version.major, 3);
    assert_int_equal(local.min_cluster_version.minor, 0);
    assert_int_equal(local.min_cluster_version.patch, 0);

    struct rafthttp_config cfg;
    rafthttp_config_init(&cfg);
    cfg.local_id = 0xabc;
    cfg.cluster_id = 0x0def;
    cfg.server_version = "3.5.0-rc.1+git";
    cfg.min_cluster_version = "3.4.0";
    assert_int_equal(rh_local_identity_init(&local, &cfg), 0);
    assert_string_equal(local.id_str, "abc");
    assert_string_equal(local.cluster_id_str, "def");
    assert_int_equal(local.server_version.major, 3);
    assert_int_equal(local.server_version.minor, 5);
    assert_int_equal(local.server_version.patch, 0);
    assert_int_equal(local.min_cluster_version.minor, 4);

    /* An invalid config gives no identity. */
    rafthttp_config_init(&cfg);
    assert_int_equal(rh_local_identity_init(&local, &cfg), RAFTHTTP_EINVAL);
    cfg.local_id = 1;
    cfg.cluster_id = 1;
    cfg.server_version = "3.4";
    assert_int_equal(rh_local_identity_init(&local, &cfg), RAFTHTTP_EINVAL);
}

/* -------------------------------------------------------------- routing */

static void test_route_path(void **state)
{
    (void)state;
    assert_int_equal(rh_route_path("/raft"), RH_ROUTE_PIPELINE);
    assert_int_equal(rh_route_path("/raft/snapshot"), RH_ROUTE_SNAPSHOT);
    assert_int_equal(rh_route_path("/raft/probing"), RH_ROUTE_PROBING);
    assert_int_equal(rh_route_path("/raft/stream/"), RH_ROUTE_STREAM);
    assert_int_equal(rh_route_path("/raft/stream/message/1"), RH_ROUTE_STREAM);
    assert_int_equal(rh_route_path("/raft/stream/msgapp/1"), RH_ROUTE_STREAM);
    /* The subtree takes anything below it; the stream check sorts it out. */
    assert_int_equal(rh_route_path("/raft/stream/msgappv2/1"), RH_ROUTE_STREAM);
    assert_int_equal(rh_route_path("/raft/stream/strange"), RH_ROUTE_STREAM);

    /*
     * Go's mux redirects "/raft/stream" to "/raft/stream/" (301), where the
     * stream handler answers 404 "invalid path": not found either way.
     */
    const char *not_found[] = {"",
                               "/",
                               "/raft/",
                               "/raftx",
                               "/Raft",
                               "/RAFT",
                               "raft",
                               "/raft/x",
                               "/raft/snapshot/",
                               "/raft/snapshotx",
                               "/raft/probing/",
                               "/raft/probing/x",
                               "/raft/streams/message/1",
                               "/raft/Stream/",
                               "/version/",
                               "/members/",
                               "/raft/stream"};
    for (size_t i = 0; i < sizeof(not_found) / sizeof(not_found[0]); i++) {
        enum rh_route r = rh_route_path(not_found[i]);
        if (r != RH_ROUTE_NOT_FOUND) {
            fail_msg("\"%s\": route %d, want not found", not_found[i], (int)r);
        }
    }
    assert_int_equal(rh_route_path(NULL), RH_ROUTE_NOT_FOUND);
    /* etcd's other peer paths, served beside /raft. */
    assert_int_equal(rh_route_path("/version"), RH_ROUTE_VERSION);
    assert_int_equal(rh_route_path("/members"), RH_ROUTE_MEMBERS);
}

/* ------------------------------------------------- pipeline and snapshot */

static void test_post_accepts_etcd_request(void **state)
{
    (void)state;
    struct rh_request req = post_request();
    expect_post(&req, 0, NULL, NULL);
    req.path = "/raft/snapshot";
    expect_post(&req, 0, NULL, NULL);
}

/* TestServeRaftPrefix: GET, PUT and DELETE give 405 with Allow: POST. */
static void test_post_method(void **state)
{
    (void)state;
    const char *methods[] = {"GET",   "PUT",  "DELETE", "HEAD",
                             "PATCH", "post", "POST ",  ""};
    for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
        struct rh_request req = post_request();
        req.method = methods[i];
        expect_post(&req, 405, "Method Not Allowed", "POST");
        req.path = "/raft/snapshot";
        expect_post(&req, 405, "Method Not Allowed", "POST");
    }
    struct rh_request req = post_request();
    req.method = NULL;
    expect_post(&req, 405, "Method Not Allowed", "POST");
}

/* No X-Server-Version means etcd 2.0, below the minimum 3.0. */
static void test_post_version_missing(void **state)
{
    (void)state;
    struct rh_request req = post_request();
    req.server_version = NULL;
    expect_post(&req, 412, "incompatible version", NULL);
    req.min_cluster_version = NULL;
    expect_post(&req, 412, "incompatible version", NULL);
    /* A missing min-cluster version alone is 2.0.0: below ours, fine. */
    req = post_request();
    req.min_cluster_version = NULL;
    expect_post(&req, 0, NULL, NULL);
}

static void test_post_version_newer_accepted(void **state)
{
    (void)state;
    const char *servers[] = {"3.0.0",         "3.0.0-alpha.0", "3.4.0",
                             "3.5.17",        "3.6.0",         "4.0.0",
                             "3.6.0-rc.0+git"};
    for (size_t i = 0; i < sizeof(servers) / sizeof(servers[0]); i++) {
        struct rh_request req = post_request();
        req.server_version = servers[i];
        expect_post(&req, 0, NULL, NULL);
    }
    struct rh_request req = post_request();
    req.server_version = "4.0.0";
    req.min_cluster_version = "3.4.0";
    expect_post(&req, 0, NULL, NULL);
    /* Only major.minor count: 3.4.99 is not above 3.4.23. */
    req.min_cluster_version = "3.4.99";
    expect_post(&req, 0, NULL, NULL);
}

static void test_post_version_rejected(void **state)
{
    (void)state;
    const char *servers[] = {"2.0.0", "2.3.7", "2.99.99", "0.0.0"};
    for (size_t i = 0; i < sizeof(servers) / sizeof(servers[0]); i++) {
        struct rh_request req = post_request();
        req.server_version = servers[i];
        expect_post(&req, 412, "incompatible version", NULL);
    }
    /* The peer needs a cluster newer than this member. */
    const char *mins[] = {"3.5.0", "3.5.0-alpha.0", "4.0.0"};
    for (size_t i = 0; i < sizeof(mins) / sizeof(mins[0]); i++) {
        struct rh_request req = post_request();
        req.server_version = "4.1.0";
        req.min_cluster_version = mins[i];
        expect_post(&req, 412, "incompatible version", NULL);
    }
}

/* Where etcd's handler panics and drops the connection, we answer 400. */
static void test_post_version_malformed(void **state)
{
    (void)state;
    const char *bad[] = {"3.4", "v3.4.23", "3.4.23.1", "three", "3.4.x"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct rh_request req = post_request();
        req.server_version = bad[i];
        expect_post(&req, 400, "malformed version header", NULL);
        req = post_request();
        req.min_cluster_version = bad[i];
        expect_post(&req, 400, "malformed version header", NULL);
    }
}

/*
 * etcd reads the version headers with http.Header.Get, which gives "" for
 * a header that is absent and for one that is present but empty, and then
 * turns "" into "2.0.0" (util.go serverVersion and minClusterVersion); it
 * does not panic on either. So an empty X-Server-Version is 412
 * "incompatible version" and an empty X-Min-Cluster-Version is accepted.
 */
static void test_post_server_version_empty(void **state)
{
    (void)state;
    struct rh_request req = post_request();
    req.server_version = "";
    expect_post(&req, 412, "incompatible version", NULL);
}

static void test_post_min_cluster_version_empty(void **state)
{
    (void)state;
    struct rh_request req = post_request();
    req.min_cluster_version = "";
    expect_post(&req, 0, NULL, NULL);
}

/* Compared byte for byte with the canonical form, as etcd does. */
static void test_post_cluster_id(void **state)
{
    (void)state;
    const char *bad[] = {"",
                         "0",
                         "1",
                         "8F96CF29DBA10D9",
                         "08f96cf29dba10d9",
                         "0x8f96cf29dba10d9",
                         "8f96cf29dba10d9 ",
                         " 8f96cf29dba10d9",
                         "8f96cf29dba10d",
                         "8f96cf29dba10d90",
                         LOCAL_ID_STR};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct rh_request req = post_request();
        req.cluster_id = bad[i];
        expect_post(&req, 412, "cluster ID mismatch", NULL);
    }
    struct rh_request req = post_request();
    req.cluster_id = NULL;
    expect_post(&req, 412, "cluster ID mismatch", NULL);
}

/* Method first, then versions, then the cluster ID. */
static void test_post_check_order(void **state)
{
    (void)state;
    struct rh_request req = post_request();
    req.method = "GET";
    req.server_version = NULL;
    req.cluster_id = "1";
    expect_post(&req, 405, "Method Not Allowed", "POST");
    req.method = "POST";
    expect_post(&req, 412, "incompatible version", NULL);
    req.server_version = "v3.4.23";
    expect_post(&req, 400, "malformed version header", NULL);
    req.server_version = "3.4.23";
    req.min_cluster_version = "9.0.0";
    expect_post(&req, 412, "incompatible version", NULL);
    req.min_cluster_version = "3.0.0";
    expect_post(&req, 412, "cluster ID mismatch", NULL);
}

/*
 * etcd's TestCheckVersionCompatibility against local 3.4.23 / 3.0.0; Go's
 * zero semver.Version is 0.0.0.
 */
static void test_check_version_compatibility(void **state)
{
    (void)state;
    struct {
        const char *server;
        const char *min_cluster;
        bool ok;
    } rows[] = {
        {"3.4.23", "3.0.0", true}, /* the same version as local */
        {"3.0.0", "0.0.0", true},  /* one version lower */
        {"4.0.0", "3.4.23", true}, /* one version higher */
        {"2.0.0", "0.0.0", false}, /* too low version */
        {"4.1.0", "4.0.0", false}, /* too high version */
    };
    struct rh_local_identity local = default_local();
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct rh_request req = post_request();
        req.server_version = rows[i].server;
        req.min_cluster_version = rows[i].min_cluster;
        if (rows[i].ok) {
            expect_cluster(&local, &req, 0, NULL);
        } else {
            expect_cluster(&local, &req, 412, "incompatible version");
        }
    }
}

/* ---------------------------------------------------------------- stream */

/* TestServeRaftStreamPrefix: the two stream types, and their IDs. */
static void test_stream_accepts(void **state)
{
    (void)state;
    struct rh_request req = stream_request("/raft/stream/message/1");
    expect_stream(&req, 0, NULL, NULL, RH_STREAM_MESSAGE, 1);
    req = stream_request("/raft/stream/msgapp/1");
    expect_stream(&req, 0, NULL, NULL, RH_STREAM_MSGAPPV2, 1);
    req = stream_request("/raft/stream/msgapp/" CLUSTER_ID_STR);
    expect_stream(&req, 0, NULL, NULL, RH_STREAM_MSGAPPV2, CLUSTER_ID);
    /* Path IDs are numbers: any case, leading zeros. */
    req = stream_request("/raft/stream/message/8F96CF29DBA10D9");
    expect_stream(&req, 0, NULL, NULL, RH_STREAM_MESSAGE, CLUSTER_ID);
    req = stream_request("/raft/stream/message/08f96cf29dba10d9");
    expect_stream(&req, 0, NULL, NULL, RH_STREAM_MESSAGE, CLUSTER_ID);
    req = stream_request("/raft/stream/msgapp/0000000000000000000a");
    expect_stream(&req, 0, NULL, NULL, RH_STREAM_MSGAPPV2, 10);
    req = stream_request("/raft/stream/message/ffffffffffffffff");
    expect_stream(&req, 0, NULL, NULL, RH_STREAM_MESSAGE, UINT64_MAX);
    /* Sender 0 parses; the peer table (not these checks) refuses it. */
    req = stream_request("/raft/stream/message/0");
    expect_stream(&req, 0, NULL, NULL, RH_STREAM_MESSAGE, 0);
    /* Versions newer than ours are fine here too. */
    req = stream_request("/raft/stream/message/1");
    req.server_version = "3.6.0";
    expect_stream(&req, 0, NULL, NULL, RH_STREAM_MESSAGE, 1);
}

static void test_stream_method(void **state)
{
    (void)state;
    const char *methods[] = {"PUT", "POST", "DELETE", "HEAD", "get", ""};
    for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
        struct rh_request req = stream_request("/raft/stream/message/1");
        req.method = methods[i];
        expect_stream(&req, 405, "Method Not Allowed", "GET", 0, 0);
    }
    struct rh_request req = stream_request("/raft/stream/message/1");
    req.method = NULL;
    expect_stream(&req, 405, "Method Not Allowed", "GET", 0, 0);
}

static void test_stream_version_and_cluster(void **state)
{
    (void)state;
    struct rh_request req = stream_request("/raft/stream/message/1");
    req.server_version = NULL;
    expect_stream(&req, 412, "incompatible version", NULL, 0, 0);
    req = stream_request("/raft/stream/msgapp/1");
    req.min_cluster_version = "3.5.0";
    expect_stream(&req, 412, "incompatible version", NULL, 0, 0);
    req = stream_request("/raft/stream/message/1");
    req.server_version = "3.4";
    expect_stream(&req, 400, "malformed version header", NULL, 0, 0);
    req = stream_request("/raft/stream/message/1");
    req.cluster_id = "8F96CF29DBA10D9";
    expect_stream(&req, 412, "cluster ID mismatch", NULL, 0, 0);
    req.cluster_id = NULL;
    expect_stream(&req, 412, "cluster ID mismatch", NULL, 0, 0);
}

/* Method, then versions and cluster, then the path; X-Raft-To not here. */
static void test_stream_check_order(void **state)
{
    (void)state;
    struct rh_request req = stream_request("/raft/stream/msgappv2/zz");
    req.method = "POST";
    req.server_version = "2.0.0";
    req.cluster_id = "1";
    expect_stream(&req, 405, "Method Not Allowed", "GET", 0, 0);
    req.method = "GET";
    expect_stream(&req, 412, "incompatible version", NULL, 0, 0);
    req.server_version = "v3.4.23";
    expect_stream(&req, 400, "malformed version header", NULL, 0, 0);
    req.server_version = "3.4.23";
    expect_stream(&req, 412, "cluster ID mismatch", NULL, 0, 0);
    req.cluster_id = CLUSTER_ID_STR;
    expect_stream(&req, 404, "invalid path", NULL, 0, 0);
    req.path = "/raft/stream/message/zz";
    expect_stream(&req, 404, "invalid from", NULL, 0, 0);
    req.path = "/raft/stream/message/1";
    req.raft_to = "2"; /* the caller checks the recipient later */
    expect_stream(&req, 0, NULL, NULL, RH_STREAM_MESSAGE, 1);
}

/* etcd takes path.Dir as the type: it must be message or msgapp exactly. */
static void test_stream_invalid_path(void **state)
{
    (void)state;
    const char *paths[] = {"/raft/stream/msgappv2/1",
                           "/raft/stream/message",
                           "/raft/stream/msgapp",
                           "/raft/stream/message/1/",
                           "/raft/stream/msgapp/1/",
                           "/raft/stream/message/1/2",
                           "/raft/stream/strange/1",
                           "/raft/stream/strange",
                           "/raft/stream/",
                           "/raft/stream/MESSAGE/1",
                           "/raft/stream/Msgapp/1",
                           "/raft/stream/messages/1",
                           "/raft/stream/x/message/1",
                           "/raft/stream/message1",
                           "/raft",
                           "/raft/snapshot"};
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        expect_stream_fails(paths[i], 404, "invalid path");
    }
    struct rh_request req = stream_request(NULL);
    expect_stream(&req, 404, "invalid path", NULL, 0, 0);
}

/* The type is right but path.Base is not a hex uint64. */
static void test_stream_invalid_from(void **state)
{
    (void)state;
    const char *paths[] = {
        "/raft/stream/message/zz",  "/raft/stream/msgapp/zz",
        "/raft/stream/message/",    "/raft/stream/msgapp/",
        "/raft/stream/message/0x1", "/raft/stream/message/+1",
        "/raft/stream/message/-1",  "/raft/stream/message/ 1",
        "/raft/stream/message/1 ",  "/raft/stream/message/10000000000000000",
        "/raft/stream/message/1g"};
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        expect_stream_fails(paths[i], 404, "invalid from");
    }
}

/* ------------------------------------------------------------- recipient */

static void expect_recipient(const char *raft_to, int status, const char *body)
{
    struct rh_local_identity local = default_local();
    struct rh_request req = stream_request("/raft/stream/message/1");
    req.raft_to = raft_to;
    struct rh_verdict v = junk_verdict();
    bool ok = rh_check_recipient(&local, &req, &v);
    assert_verdict(ok, &v, status, body, NULL);
}

static void test_recipient(void **state)
{
    (void)state;
    expect_recipient(LOCAL_ID_STR, 0, NULL);
    const char *bad[] = {"1D022BFA869D1D4",
                         "01d022bfa869d1d4",
                         "",
                         "1",
                         "1d022bfa869d1d",
                         "1d022bfa869d1d40",
                         "1d022bfa869d1d4 ",
                         "0x1d022bfa869d1d4",
                         CLUSTER_ID_STR};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        expect_recipient(bad[i], 412, "to field mismatch");
    }
    expect_recipient(NULL, 412, "to field mismatch");
}

/*
 * TestServeRaftStreamPrefixBad with local member 1 in cluster 1. The
 * removed (410) and unknown (404) senders are the peer table's to refuse:
 * here they pass and their IDs come back for that lookup.
 */
static void test_etcd_stream_prefix_bad(void **state)
{
    (void)state;
    struct {
        const char *method;
        const char *path;
        const char *cluster_id;
        const char *remote;
        int status;
        uint64_t from; /* when the checks here pass */
    } rows[] = {
        {"PUT", "/raft/stream/message/1", "1", "1", 405, 0},
        {"POST", "/raft/stream/message/1", "1", "1", 405, 0},
        {"DELETE", "/raft/stream/message/1", "1", "1", 405, 0},
        {"GET", "/raft/stream/strange/1", "1", "1", 404, 0},
        {"GET", "/raft/stream/strange", "1", "1", 404, 0},
        {"GET", "/raft/stream/message/2", "1", "1", 0, 2},
        {"GET", "/raft/stream/message/5", "1", "1", 0, 5},
        {"GET", "/raft/stream/message/1", "2", "1", 412, 0},
        {"GET", "/raft/stream/message/1", "1", "2", 412, 0},
    };
    struct rh_local_identity local = make_local(1, 1);
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct rh_request req = {.method = rows[i].method,
                                 .path = rows[i].path,
                                 .server_version = "3.4.23",
                                 .cluster_id = rows[i].cluster_id,
                                 .raft_to = rows[i].remote};
        struct rh_verdict v = junk_verdict();
        enum rh_stream_type type = RH_STREAM_MSGAPPV2;
        uint64_t from = 0xdeadbeef;
        bool ok = rh_check_stream_request(&local, &req, &type, &from, &v) &&
                  rh_check_recipient(&local, &req, &v);
        if (v.status != rows[i].status) {
            fail_msg("row %zu: status %d, want %d", i, v.status,
                     rows[i].status);
        }
        assert_int_equal(ok, rows[i].status == 0);
        if (ok) {
            assert_int_equal(type, RH_STREAM_MESSAGE);
            assert_int_equal(from, rows[i].from);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_identity_init),
        cmocka_unit_test(test_route_path),
        cmocka_unit_test(test_post_accepts_etcd_request),
        cmocka_unit_test(test_post_method),
        cmocka_unit_test(test_post_version_missing),
        cmocka_unit_test(test_post_version_newer_accepted),
        cmocka_unit_test(test_post_version_rejected),
        cmocka_unit_test(test_post_version_malformed),
        cmocka_unit_test(test_post_server_version_empty),
        cmocka_unit_test(test_post_min_cluster_version_empty),
        cmocka_unit_test(test_post_cluster_id),
        cmocka_unit_test(test_post_check_order),
        cmocka_unit_test(test_check_version_compatibility),
        cmocka_unit_test(test_stream_accepts),
        cmocka_unit_test(test_stream_method),
        cmocka_unit_test(test_stream_version_and_cluster),
        cmocka_unit_test(test_stream_check_order),
        cmocka_unit_test(test_stream_invalid_path),
        cmocka_unit_test(test_stream_invalid_from),
        cmocka_unit_test(test_recipient),
        cmocka_unit_test(test_etcd_stream_prefix_bad),
    };
    return cmocka_run_group_tests_name("request_check", tests, NULL, NULL);
}
