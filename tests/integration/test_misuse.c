// SPDX-License-Identifier: Apache-2.0
/*
 * API misuse: every refused call returns its code and a text that names the
 * call and the argument, on the transport and on the calling thread; what
 * the application asked of an unknown peer is counted, never lost quietly.
 * Also the listen socket's exclusivity and the peer_status_changed
 * callback, which an application uses instead of polling.
 */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "cluster.h"

static struct rafthttp_config config(uint64_t id, const char *const *listen,
                                     size_t n_listen)
{
    struct rafthttp_config cfg;
    rafthttp_config_init(&cfg);
    cfg.local_id = id;
    cfg.cluster_id = 0x1000;
    cfg.listen_urls = listen;
    cfg.n_listen_urls = n_listen;
    cfg.log_level = RAFTHTTP_LOG_ERROR;
    return cfg;
}

/* rv is want, and both error texts are exactly text. */
static void assert_said(struct rafthttp_transport *t, int rv, int want,
                        const char *text)
{
    assert_int_equal(rv, want);
    assert_string_equal(rafthttp_transport_errmsg(NULL), text);
    if (t != NULL) {
        assert_string_equal(rafthttp_transport_errmsg(t), text);
    }
}

static void test_new_says_why(void **state)
{
    (void)state;
    struct rafthttp_config cfg = config(1, NULL, 0);
    struct rafthttp_transport *t = NULL;
    assert_said(NULL, rafthttp_transport_new(NULL, &cfg), RAFTHTTP_EINVAL,
                "t: NULL (where the new transport goes)");
    cfg.cluster_id = 0;
    assert_said(NULL, rafthttp_transport_new(&t, &cfg), RAFTHTTP_EINVAL,
                "cluster_id: must not be 0");
    assert_null(t);
    assert_said(NULL, rafthttp_transport_new(&t, NULL), RAFTHTTP_EINVAL,
                "cfg: NULL");
    /* A NULL transport: the thread's text names the call. */
    struct rafthttp_message m = {.type = RAFTHTTP_MSG_HEARTBEAT, .to = 2};
    assert_said(NULL, rafthttp_transport_send(NULL, &m, 1), RAFTHTTP_EINVAL,
                "send: t is NULL");
    assert_said(NULL, rafthttp_transport_start(NULL), RAFTHTTP_EINVAL,
                "start: t is NULL");
    const char *url = "http://127.0.0.1:1";
    assert_said(NULL, rafthttp_transport_add_peer(NULL, 2, &url, 1),
                RAFTHTTP_EINVAL, "add_peer: t is NULL");
    assert_string_equal(rafthttp_transport_errmsg((void *)&cfg),
                        "invalid transport");
}

static void test_calls_before_start_and_after_stop(void **state)
{
    (void)state;
    static const char *const listen[] = {"http://127.0.0.1:0"};
    struct rafthttp_config cfg = config(1, listen, 1);
    struct rafthttp_transport *t = NULL;
    assert_int_equal(rafthttp_transport_new(&t, &cfg), 0);
    const char *url = "http://127.0.0.1:1";
    /* Peers may be added before start (their streams wait for it). */
    assert_int_equal(rafthttp_transport_add_peer(t, 2, &url, 1), 0);
    struct rafthttp_message m = {.type = RAFTHTTP_MSG_HEARTBEAT, .to = 2};
    assert_said(t, rafthttp_transport_send(t, &m, 1), RAFTHTTP_ENOTSTARTED,
                "send: transport not started yet");
    assert_int_equal(rafthttp_transport_start(t), 0);
    assert_said(t, rafthttp_transport_start(t), RAFTHTTP_EINVAL,
                "start: already started");
    assert_int_equal(rafthttp_transport_send(t, &m, 1), 0);
    assert_int_equal(rafthttp_transport_stop(t), 0);
    assert_int_equal(rafthttp_transport_stop(t), 0); /* twice is fine */
    assert_said(t, rafthttp_transport_send(t, &m, 1), RAFTHTTP_ESTOPPED,
                "send: transport stopped");
    assert_said(t, rafthttp_transport_start(t), RAFTHTTP_EINVAL,
                "start: stopped (a transport starts once)");
    assert_said(t, rafthttp_transport_add_peer(t, 3, &url, 1),
                RAFTHTTP_ESTOPPED, "add_peer 3: transport stopped");
    rafthttp_transport_free(t);
}

static void test_peer_arguments(void **state)
{
    (void)state;
    struct tc_cluster c;
    tc_start(&c, 1, NULL);
    struct rafthttp_transport *t = c.nodes[0].t;
    static const char *const one[] = {"http://127.0.0.1:7001"};
    static const char *const other[] = {"http://127.0.0.1:7002"};
    static const char *const bad[] = {"http://127.0.0.1:7001", "127.0.0.1"};
    static const char *const tls[] = {"https://127.0.0.1:7001"};
    static const char *const null_url[] = {NULL};
    assert_said(t, rafthttp_transport_add_peer(t, 1, one, 1), RAFTHTTP_EINVAL,
                "add_peer 1: that is this member's own ID");
    assert_said(t, rafthttp_transport_add_peer(t, 0, one, 1), RAFTHTTP_EINVAL,
                "add_peer 0: ID 0");
    assert_said(t, rafthttp_transport_add_remote(t, 2, NULL, 1),
                RAFTHTTP_EINVAL, "add_remote 2: no URLs");
    assert_said(t, rafthttp_transport_add_peer(t, 2, one, 0), RAFTHTTP_EINVAL,
                "add_peer 2: no URLs");
    assert_said(t, rafthttp_transport_add_peer(t, 2, bad, 2), RAFTHTTP_EINVAL,
                "add_peer 2: urls[1] \"127.0.0.1\" is not http(s)://host:port");
    assert_said(t, rafthttp_transport_add_peer(t, 2, null_url, 1),
                RAFTHTTP_EINVAL,
                "add_peer 2: urls[0] \"(null)\" is not http(s)://host:port");
    assert_said(t, rafthttp_transport_add_peer(t, 0xab, tls, 1),
                RAFTHTTP_EINVAL,
                "add_peer ab: https URL https://127.0.0.1:7001 without TLS "
                "configured");
    /* The same peer again is a no-op; other URLs must go by update. */
    assert_int_equal(rafthttp_transport_add_peer(t, 2, one, 1), 0);
    assert_int_equal(rafthttp_transport_add_peer(t, 2, one, 1), 0);
    assert_said(t, rafthttp_transport_add_peer(t, 2, other, 1), RAFTHTTP_EEXIST,
                "add_peer 2: already a peer with other URLs (use "
                "rafthttp_transport_update_peer)");
    assert_int_equal(rafthttp_transport_update_peer(t, 2, other, 1), 0);
    assert_int_equal(rafthttp_transport_add_peer(t, 2, other, 1), 0);
    assert_said(t, rafthttp_transport_update_peer(t, 9, other, 1),
                RAFTHTTP_EPEER_NOT_FOUND, "update_peer 9: no such peer");
    assert_said(t, rafthttp_transport_update_peer(t, 2, bad, 2),
                RAFTHTTP_EINVAL,
                "update_peer 2: urls[1] \"127.0.0.1\" is not "
                "http(s)://host:port");
    assert_said(t, rafthttp_transport_remove_peer(t, 9),
                RAFTHTTP_EPEER_NOT_FOUND, "remove_peer 9: no such peer");
    struct rafthttp_peer_status ps;
    assert_said(t, rafthttp_transport_peer_status(t, 9, &ps),
                RAFTHTTP_EPEER_NOT_FOUND, "peer_status 9: no such peer");
    assert_said(NULL, rafthttp_transport_peer_status(t, 2, NULL),
                RAFTHTTP_EINVAL, "peer_status: st NULL");
    assert_int_equal(rafthttp_transport_remove_peer(t, 2), 0);
    tc_stop(&c);
}

static void test_send_arguments(void **state)
{
    (void)state;
    struct tc_cluster c;
    tc_start(&c, 1, NULL);
    struct rafthttp_transport *t = c.nodes[0].t;
    assert_said(t, rafthttp_transport_send(t, NULL, 3), RAFTHTTP_EINVAL,
                "send: msgs NULL with n 3");
    assert_int_equal(rafthttp_transport_send(t, NULL, 0), 0);
    /* To nobody known: skipped as etcd does, and counted. */
    struct rafthttp_message ms[3] = {
        {.type = RAFTHTTP_MSG_APP, .from = 1, .to = 7},
        {.type = RAFTHTTP_MSG_HEARTBEAT, .from = 1, .to = 7},
        {.type = RAFTHTTP_MSG_HEARTBEAT, .from = 1, .to = 0},
    };
    assert_int_equal(rafthttp_transport_send(t, ms, 3), 0);
    struct rafthttp_stats st;
    rafthttp_transport_stats(t, &st);
    assert_int_equal(st.dropped[RAFTHTTP_DROP_UNKNOWN_PEER], 2);
    for (size_t r = 0; r < RAFTHTTP_DROP_SLOTS; r++) {
        if (r != RAFTHTTP_DROP_UNKNOWN_PEER) {
            assert_int_equal(st.dropped[r], 0);
        }
    }
    size_t len = 0;
    char text[64 * 1024];
    assert_int_equal(rafthttp_transport_metrics(t, text, sizeof(text), &len),
                     0);
    assert_non_null(strstr(text, "reason=\"unknown_peer\""));
    size_t need = len;
    assert_int_equal(rafthttp_transport_metrics(t, text, 4, &len),
                     RAFTHTTP_ETOOBIG);
    assert_int_equal(len, need); /* what a second call should offer */
    char want[96];
    snprintf(want, sizeof(want), "metrics: cap 4, the text needs %zu and a NUL",
             need);
    assert_string_equal(rafthttp_transport_errmsg(NULL), want);
    assert_said(NULL, rafthttp_transport_metrics(t, text, 1, NULL),
                RAFTHTTP_EINVAL, "metrics: len NULL");
    tc_stop(&c);
}

static int64_t read_nothing(uint8_t *buf, size_t len, void *ud)
{
    (void)buf;
    (void)len;
    (void)ud;
    return 0;
}

static void test_snapshot_arguments(void **state)
{
    (void)state;
    struct tc_cluster c;
    tc_start(&c, 1, NULL);
    struct rafthttp_transport *t = c.nodes[0].t;
    static const char *const url[] = {"http://127.0.0.1:7001"};
    assert_int_equal(rafthttp_transport_add_remote(t, 3, url, 1), 0);
    struct rafthttp_message m = {.type = RAFTHTTP_MSG_SNAP, .from = 1, .to = 2};
    struct rafthttp_snapshot_source src = {.read = read_nothing, .fd = -1};
    assert_said(t, rafthttp_transport_send_snapshot(t, NULL, &src),
                RAFTHTTP_EINVAL, "send_snapshot: m: NULL");
    assert_said(t, rafthttp_transport_send_snapshot(t, &m, NULL),
                RAFTHTTP_EINVAL, "send_snapshot: src: NULL");
    m.type = RAFTHTTP_MSG_APP;
    assert_said(t, rafthttp_transport_send_snapshot(t, &m, &src),
                RAFTHTTP_EINVAL,
                "send_snapshot: m->type: not RAFTHTTP_MSG_SNAP");
    m.type = RAFTHTTP_MSG_SNAP;
    struct rafthttp_snapshot_source none = {.read = NULL, .fd = -1};
    assert_said(t, rafthttp_transport_send_snapshot(t, &m, &none),
                RAFTHTTP_EINVAL,
                "send_snapshot: src: neither a read function nor an fd");
    assert_said(t, rafthttp_transport_send_snapshot(t, &m, &src),
                RAFTHTTP_EPEER_NOT_FOUND, "send_snapshot to 2: no such peer");
    m.to = 3;
    assert_said(t, rafthttp_transport_send_snapshot(t, &m, &src),
                RAFTHTTP_EPEER_NOT_FOUND,
                "send_snapshot to 3: a remote takes no snapshot");
    tc_stop(&c);
}

/* ------------------------------------------------------ per-thread text */

static void *fail_elsewhere(void *arg)
{
    struct rafthttp_transport *t = arg;
    rafthttp_transport_remove_peer(t, 0x77);
    return NULL;
}

/* Another thread's failure leaves this thread's text alone. */
static void test_thread_text_is_own(void **state)
{
    (void)state;
    struct tc_cluster c;
    tc_start(&c, 1, NULL);
    struct rafthttp_transport *t = c.nodes[0].t;
    assert_int_equal(rafthttp_transport_remove_peer(t, 0x55),
                     RAFTHTTP_EPEER_NOT_FOUND);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, fail_elsewhere, t), 0);
    pthread_join(th, NULL);
    assert_string_equal(rafthttp_transport_errmsg(NULL),
                        "remove_peer 55: no such peer");
    assert_string_equal(rafthttp_transport_errmsg(t),
                        "remove_peer 77: no such peer");
    tc_stop(&c);
}

/* -------------------------------------------------------------- listen */

static void test_port_taken(void **state)
{
    (void)state;
    static const char *const any[] = {"http://127.0.0.1:0"};
    struct rafthttp_config cfg = config(1, any, 1);
    struct rafthttp_transport *a = NULL;
    assert_int_equal(rafthttp_transport_new(&a, &cfg), 0);
    assert_int_equal(rafthttp_transport_start(a), 0);
    char url[64];
    snprintf(url, sizeof(url), "http://127.0.0.1:%u",
             rafthttp_transport_listen_port(a, 0));
    const char *same[] = {url};
    cfg = config(2, same, 1);
    struct rafthttp_transport *b = NULL;
    assert_int_equal(rafthttp_transport_new(&b, &cfg), 0);
    assert_int_equal(rafthttp_transport_start(b), RAFTHTTP_EIO);
    const char *why = rafthttp_transport_errmsg(b);
    assert_non_null(strstr(why, url));
    assert_non_null(strstr(why, "Address already in use"));
    assert_string_equal(rafthttp_transport_errmsg(NULL), why);
    rafthttp_transport_free(b);
    rafthttp_transport_free(a);
}

static void reuse_port(struct rafthttp_config *cfg)
{
    cfg->listen_reuse_port = true;
}

/* Both ask for SO_REUSEPORT: both listen (the kernel shares the port). */
static void test_port_shared_when_asked(void **state)
{
    (void)state;
    static const char *const any[] = {"http://127.0.0.1:0"};
    struct rafthttp_config cfg = config(1, any, 1);
    reuse_port(&cfg);
    struct rafthttp_transport *a = NULL;
    assert_int_equal(rafthttp_transport_new(&a, &cfg), 0);
    assert_int_equal(rafthttp_transport_start(a), 0);
    char url[64];
    snprintf(url, sizeof(url), "http://127.0.0.1:%u",
             rafthttp_transport_listen_port(a, 0));
    const char *same[] = {url};
    cfg = config(2, same, 1);
    reuse_port(&cfg);
    struct rafthttp_transport *b = NULL;
    assert_int_equal(rafthttp_transport_new(&b, &cfg), 0);
    assert_int_equal(rafthttp_transport_start(b), 0);
    assert_int_equal(rafthttp_transport_listen_port(b, 0),
                     rafthttp_transport_listen_port(a, 0));
    rafthttp_transport_free(b);
    rafthttp_transport_free(a);
}

/* A member stopped and started on its port at once rebinds (TIME_WAIT). */
static void test_restart_rebinds(void **state)
{
    (void)state;
    struct tc_cluster c;
    tc_start(&c, 2, NULL);
    tc_connect_all(&c);
    assert_true(tc_wait_streams(&c, 0, 1));
    for (int i = 0; i < 3; i++) {
        tc_restart(&c, 1);
        assert_true(tc_wait_streams(&c, 0, 1));
    }
    tc_stop(&c);
}

/* ------------------------------------------------- stop and free */

static void *stop_it(void *arg)
{
    return (void *)(intptr_t)rafthttp_transport_stop(arg);
}

/* Several threads stopping at once: one stops, the others wait for it. */
static void test_concurrent_stop(void **state)
{
    (void)state;
    struct tc_cluster c;
    tc_start(&c, 2, NULL);
    tc_connect_all(&c);
    assert_true(tc_wait_streams(&c, 0, 1));
    pthread_t th[4];
    for (int i = 0; i < 4; i++) {
        assert_int_equal(pthread_create(&th[i], NULL, stop_it, c.nodes[0].t),
                         0);
    }
    for (int i = 0; i < 4; i++) {
        void *rv;
        pthread_join(th[i], &rv);
        assert_int_equal((intptr_t)rv, 0);
    }
    struct rafthttp_message m = {.type = RAFTHTTP_MSG_HEARTBEAT, .to = 2};
    assert_int_equal(rafthttp_transport_send(c.nodes[0].t, &m, 1),
                     RAFTHTTP_ESTOPPED);
    tc_stop(&c);
}

/* What a process callback saw when it tried to stop and free its own t. */
struct suicidal {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool tried;
    int stop_rv;
    char stop_text[128];
    char free_text[128];
};

static int stop_and_free_self(struct rafthttp_transport *t,
                              const struct rafthttp_message *m, void *ud)
{
    (void)m;
    struct suicidal *s = ud;
    int rv = rafthttp_transport_stop(t);
    char stop_text[128];
    snprintf(stop_text, sizeof(stop_text), "%s",
             rafthttp_transport_errmsg(NULL));
    rafthttp_transport_free(t); /* refused: t must stay usable */
    pthread_mutex_lock(&s->mu);
    if (!s->tried) {
        s->tried = true;
        s->stop_rv = rv;
        snprintf(s->stop_text, sizeof(s->stop_text), "%s", stop_text);
        snprintf(s->free_text, sizeof(s->free_text), "%s",
                 rafthttp_transport_errmsg(NULL));
    }
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
    return 0;
}

static void test_stop_and_free_from_callback(void **state)
{
    (void)state;
    static const char *const any[] = {"http://127.0.0.1:0"};
    static const struct rafthttp_raft_ops ops = {.process = stop_and_free_self};
    struct suicidal s = {.mu = PTHREAD_MUTEX_INITIALIZER,
                         .cv = PTHREAD_COND_INITIALIZER};
    struct rafthttp_config cfg = config(2, any, 1);
    cfg.raft_ops = &ops;
    cfg.raft_user_data = &s;
    struct rafthttp_transport *b = NULL;
    assert_int_equal(rafthttp_transport_new(&b, &cfg), 0);
    assert_int_equal(rafthttp_transport_start(b), 0);
    char url_b[64];
    snprintf(url_b, sizeof(url_b), "http://127.0.0.1:%u",
             rafthttp_transport_listen_port(b, 0));
    cfg = config(1, any, 1);
    struct rafthttp_transport *a = NULL;
    assert_int_equal(rafthttp_transport_new(&a, &cfg), 0);
    assert_int_equal(rafthttp_transport_start(a), 0);
    const char *ub = url_b;
    assert_int_equal(rafthttp_transport_add_remote(a, 2, &ub, 1), 0);
    struct rafthttp_message m = {
        .type = RAFTHTTP_MSG_HEARTBEAT, .from = 1, .to = 2};
    assert_int_equal(rafthttp_transport_send(a, &m, 1), 0);
    pthread_mutex_lock(&s.mu);
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 15;
    while (!s.tried && pthread_cond_timedwait(&s.cv, &s.mu, &until) == 0) {
    }
    pthread_mutex_unlock(&s.mu);
    assert_true(s.tried);
    assert_int_equal(s.stop_rv, RAFTHTTP_EINVAL);
    assert_string_equal(s.stop_text,
                        "stop: called from one of the transport's callbacks");
    assert_string_equal(s.free_text, "free: called from one of the "
                                     "transport's callbacks; not freed");
    /* b is whole: the application's own thread stops and frees it. */
    assert_int_equal(rafthttp_transport_stop(b), 0);
    rafthttp_transport_free(b);
    rafthttp_transport_free(a);
}

/* ------------------------------------------------- peer_status_changed */

/* What node 1 was told of peer 2, read under its lock. */
struct told {
    unsigned active;
    unsigned inactive;
};

static struct told told_of_two(struct tc_node *n)
{
    pthread_mutex_lock(&n->mu);
    struct told t = {n->became_active[2], n->became_inactive[2]};
    pthread_mutex_unlock(&n->mu);
    return t;
}

static unsigned want_calls;

static bool active_calls(struct tc_node *n)
{
    return n->became_active[2] >= want_calls;
}

static bool inactive_calls(struct tc_node *n)
{
    return n->became_inactive[2] >= want_calls;
}

/*
 * Calls alternate, starting with active: a peer that is up has had one more
 * "active" than "inactive" (a dial refused while the other side had not
 * yet added us may flap it once at the start, as in etcd).
 */
static void test_peer_status_changed(void **state)
{
    (void)state;
    struct tc_cluster c;
    tc_start(&c, 2, NULL);
    tc_connect_all(&c);
    struct tc_node *n1 = &c.nodes[0];
    assert_true(tc_wait_streams(&c, 0, 1));
    struct told up = told_of_two(n1);
    assert_int_equal(up.active, up.inactive + 1);
    tc_kill(&c, 1);
    want_calls = up.inactive + 1;
    assert_true(tc_wait_until(n1, inactive_calls));
    struct told down = told_of_two(n1);
    assert_int_equal(down.active, up.active);
    assert_int_equal(down.inactive, up.inactive + 1);
    pthread_mutex_lock(&n1->mu);
    assert_true(strlen(n1->inactive_reason) > 0);
    pthread_mutex_unlock(&n1->mu);
    tc_restart(&c, 1);
    want_calls = up.active + 1;
    assert_true(tc_wait_until(n1, active_calls));
    assert_true(tc_wait_streams(&c, 0, 1));
    struct told again = told_of_two(n1);
    assert_int_equal(again.active, again.inactive + 1);
    tc_stop(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_new_says_why),
        cmocka_unit_test(test_calls_before_start_and_after_stop),
        cmocka_unit_test(test_peer_arguments),
        cmocka_unit_test(test_send_arguments),
        cmocka_unit_test(test_snapshot_arguments),
        cmocka_unit_test(test_thread_text_is_own),
        cmocka_unit_test(test_port_taken),
        cmocka_unit_test(test_port_shared_when_asked),
        cmocka_unit_test(test_restart_rebinds),
        cmocka_unit_test(test_peer_status_changed),
        cmocka_unit_test(test_concurrent_stop),
        cmocka_unit_test(test_stop_and_free_from_callback),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
