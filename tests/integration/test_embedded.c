// SPDX-License-Identifier: Apache-2.0
/*
 * The transport served from an application's own libmicrohttpd daemon
 * (rafthttp_transport_mhd_access): the application answers its own paths,
 * the transport answers /raft, and a peer talks to it as to any member.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <microhttpd.h>

#include "cluster.h"

struct app {
    struct rafthttp_transport *t; /* node 1, no listener of its own */
    struct MHD_Daemon *daemon;
    unsigned port;
    unsigned own_started; /* the application's own request states */
    unsigned own_freed;
};

/* What the application keeps per request of its own (in con_cls). */
struct app_request {
    uint32_t magic;
};
#define APP_REQUEST_MAGIC 0x61707021u

static enum MHD_Result app_access(void *cls, struct MHD_Connection *c,
                                  const char *url, const char *method,
                                  const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    (void)version;
    struct app *app = cls;
    if (strncmp(url, "/raft", 5) == 0) {
        return (enum MHD_Result)rafthttp_transport_mhd_access(
            app->t, c, url, method, upload_data, upload_data_size, con_cls);
    }
    if (*con_cls == NULL) { /* first call: state of its own, as apps do */
        struct app_request *req = malloc(sizeof(*req));
        if (req == NULL) {
            return MHD_NO;
        }
        req->magic = APP_REQUEST_MAGIC;
        *con_cls = req;
        app->own_started++;
    }
    static const char hello[] = "hello from the application\n";
    struct MHD_Response *r = MHD_create_response_from_buffer(
        sizeof(hello) - 1, (void *)hello, MHD_RESPMEM_PERSISTENT);
    enum MHD_Result rv = MHD_queue_response(c, 200, r);
    MHD_destroy_response(r);
    return rv;
}

static void app_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                          enum MHD_RequestTerminationCode why)
{
    (void)c;
    (void)why;
    struct app *app = cls;
    /* Every completion goes to the transport, which ends its own requests
     * and leaves the application's: what is still set is ours. */
    rafthttp_transport_mhd_completed(app->t, con_cls);
    struct app_request *req = *con_cls;
    if (req != NULL) {
        assert_int_equal(req->magic, APP_REQUEST_MAGIC);
        free(req);
        *con_cls = NULL;
        app->own_freed++;
    }
}

/* Node 1 of the cluster is replaced by a transport behind the app. */
static void start_app(struct app *app, struct tc_node *node)
{
    struct rafthttp_config cfg;
    rafthttp_config_init(&cfg);
    cfg.local_id = 1;
    cfg.cluster_id = 0x1000;
    cfg.log_level = RAFTHTTP_LOG_ERROR;
    (void)node;
    assert_int_equal(rafthttp_transport_new(&app->t, &cfg), 0);
    assert_int_equal(rafthttp_transport_start(app->t), 0);
    app->daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD |
                                       MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME,
                                   0, NULL, NULL, app_access, app,
                                   MHD_OPTION_NOTIFY_COMPLETED, app_completed,
                                   app, MHD_OPTION_END);
    assert_non_null(app->daemon);
    app->port =
        MHD_get_daemon_info(app->daemon, MHD_DAEMON_INFO_BIND_PORT)->port;
}

static bool both_ways(struct rafthttp_transport *a, uint64_t b_id)
{
    struct rafthttp_peer_status s;
    return rafthttp_transport_peer_status(a, b_id, &s) == 0 &&
           s.msgapp_writer && s.message_writer && s.msgapp_reader &&
           s.message_reader;
}

static size_t discard(char *p, size_t size, size_t n, void *ud)
{
    (void)p;
    (void)ud;
    return size * n;
}

static long app_get(unsigned port, const char *path)
{
    char url[128];
    snprintf(url, sizeof(url), "http://127.0.0.1:%u%s", port, path);
    CURL *e = curl_easy_init();
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, 5000L);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard);
    long status = 0;
    if (curl_easy_perform(e) == CURLE_OK) {
        curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
    }
    curl_easy_cleanup(e);
    return status;
}

static void test_served_by_application(void **state)
{
    (void)state;
    struct tc_cluster c;
    tc_start(&c, 2, NULL); /* node 2 is the peer; node 1 stays idle */
    struct app app = {0};
    start_app(&app, &c.nodes[0]);
    char url[64];
    snprintf(url, sizeof(url), "http://127.0.0.1:%u", app.port);
    const char *u1 = url;
    const char *u2 = c.nodes[1].url;
    assert_int_equal(rafthttp_transport_add_peer(c.nodes[1].t, 1, &u1, 1), 0);
    assert_int_equal(rafthttp_transport_add_peer(app.t, 2, &u2, 1), 0);
    bool up = false;
    for (int i = 0; i < 1500 && !up; i++) {
        up = both_ways(app.t, 2) && both_ways(c.nodes[1].t, 1);
        tc_sleep_ms(10);
    }
    assert_true(up);
    assert_int_equal(app_get(app.port, "/hello"), 200);
    assert_int_equal(app_get(app.port, "/raft/probing"), 200);
    assert_int_equal(app_get(app.port, "/hello"), 200);
    struct rafthttp_message m = {
        .type = RAFTHTTP_MSG_HEARTBEAT, .from = 1, .to = 2, .term = 1};
    assert_int_equal(rafthttp_transport_send(app.t, &m, 1), 0);
    assert_true(tc_wait_records(&c.nodes[1], 1));
    /* The documented order: transport, then daemon, then free. */
    assert_int_equal(rafthttp_transport_stop(app.t), 0);
    MHD_stop_daemon(app.daemon);
    rafthttp_transport_free(app.t);
    /* The application's own request states were left to it, each once. */
    assert_int_equal(app.own_started, 2);
    assert_int_equal(app.own_freed, 2);
    tc_stop(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_served_by_application),
    };
    return cmocka_run_group_tests_name("embedded", tests, NULL, NULL);
}
