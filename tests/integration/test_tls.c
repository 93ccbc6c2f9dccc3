// SPDX-License-Identifier: Apache-2.0
/*
 * Peer TLS over loopback: a mutual-TLS pair of transports carries messages
 * and a snapshot; our server refuses clients without a certificate, with a
 * certificate from another CA, expired, with a disallowed CN, or speaking
 * for another member than their certificate names, and logs which check
 * failed; our client hangs up on a server whose certificate names another
 * member; plain HTTP to a TLS port and TLS to a plain port fail cleanly; a
 * certificate replaced on disk is served to the next connection.
 *
 * The PKI is made at test time by tests/tls/make_certs.sh (RH_MAKE_CERTS).
 */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <curl/curl.h>

#include "cluster.h"

static char pki[64];

/* What a transport logged: the lines are kept for the checks. */
struct logbook {
    pthread_mutex_t mu;
    char text[16384];
    size_t len;
};

static void on_log(enum rafthttp_log_level level, const char *msg,
                   const struct rafthttp_log_field *fields, size_t n_fields,
                   void *ud)
{
    struct logbook *lb = ud;
    char line[1024];
    size_t len = rafthttp_log_format(RAFTHTTP_LOG_TEXT, level, msg, fields,
                                     n_fields, line, sizeof(line) - 1);
    int n = (int)(len < sizeof(line) - 2 ? len : sizeof(line) - 2);
    line[n++] = '\n';
    line[n] = '\0';
    pthread_mutex_lock(&lb->mu);
    if (n > 0 && lb->len + (size_t)n + 1 < sizeof(lb->text)) {
        memcpy(lb->text + lb->len, line, (size_t)n + 1);
        lb->len += (size_t)n;
    }
    pthread_mutex_unlock(&lb->mu);
}

static bool logged(struct logbook *lb, const char *what)
{
    for (int i = 0; i < 300; i++) {
        pthread_mutex_lock(&lb->mu);
        bool found = strstr(lb->text, what) != NULL;
        pthread_mutex_unlock(&lb->mu);
        if (found) {
            return true;
        }
        tc_sleep_ms(10);
    }
    return false;
}

static void path(char *out, size_t n, const char *file)
{
    snprintf(out, n, "%s/%s", pki, file);
}

struct member {
    struct rafthttp_transport *t;
    struct rafthttp_tls tls;
    char cert[128], key[128], ca[128];
    char url[64];
    struct logbook log;
    struct tc_node node; /* what process() saw */
};

static int on_process(struct rafthttp_transport *t,
                      const struct rafthttp_message *m, void *ud)
{
    (void)t;
    struct member *mb = ud;
    pthread_mutex_lock(&mb->node.mu);
    mb->node.n_records++;
    (void)m;
    pthread_cond_broadcast(&mb->node.cv);
    pthread_mutex_unlock(&mb->node.mu);
    return 0;
}

static const struct rafthttp_raft_ops ops = {.process = on_process};

/* Starts member id on https://127.0.0.1:0 presenting cert_name. */
static void start(struct member *mb, uint64_t id, const char *cert_name,
                  void (*tune)(struct rafthttp_tls *))
{
    memset(mb, 0, sizeof(*mb));
    pthread_mutex_init(&mb->log.mu, NULL);
    pthread_mutex_init(&mb->node.mu, NULL);
    pthread_cond_init(&mb->node.cv, NULL);
    char name[32];
    snprintf(name, sizeof(name), "%s.pem", cert_name);
    path(mb->cert, sizeof(mb->cert), name);
    snprintf(name, sizeof(name), "%s.key", cert_name);
    path(mb->key, sizeof(mb->key), name);
    path(mb->ca, sizeof(mb->ca), "ca.pem");
    mb->tls = (struct rafthttp_tls){.cert_file = mb->cert,
                                    .key_file = mb->key,
                                    .trusted_ca_file = mb->ca,
                                    .client_cert_auth = true,
                                    .bind_member_id = true};
    if (tune != NULL) {
        tune(&mb->tls);
    }
    static const char *listen[] = {"https://127.0.0.1:0"};
    struct rafthttp_config cfg;
    rafthttp_config_init(&cfg);
    cfg.local_id = id;
    cfg.cluster_id = 0x1000;
    cfg.listen_urls = listen;
    cfg.n_listen_urls = 1;
    cfg.tls = &mb->tls;
    cfg.raft_ops = &ops;
    cfg.raft_user_data = mb;
    cfg.log = on_log;
    cfg.log_user_data = &mb->log;
    cfg.log_level = RAFTHTTP_LOG_INFO;
    cfg.snapshot_dir = pki;
    cfg.snapshot_fsync = false;
    assert_int_equal(rafthttp_transport_new(&mb->t, &cfg), 0);
    assert_int_equal(rafthttp_transport_start(mb->t), 0);
    snprintf(mb->url, sizeof(mb->url), "https://127.0.0.1:%u",
             rafthttp_transport_listen_port(mb->t, 0));
}

static void stop(struct member *mb)
{
    rafthttp_transport_free(mb->t);
}

static void peer(struct member *a, struct member *b, uint64_t b_id)
{
    const char *u = b->url;
    assert_int_equal(rafthttp_transport_add_peer(a->t, b_id, &u, 1), 0);
}

static bool streams_up(struct member *a, uint64_t id)
{
    for (int i = 0; i < 1500; i++) {
        struct rafthttp_peer_status st;
        if (rafthttp_transport_peer_status(a->t, id, &st) == 0 &&
            st.msgapp_writer && st.message_writer && st.msgapp_reader &&
            st.message_reader) {
            return true;
        }
        tc_sleep_ms(10);
    }
    return false;
}

/* ---------------------------------------------------------------- pair */

struct snap_state {
    uint64_t left;
    int done; /* 1 + the result once reported */
};

static int64_t snap_read(uint8_t *buf, size_t len, void *ud)
{
    struct snap_state *s = ud;
    size_t n = s->left < len ? (size_t)s->left : len;
    memset(buf, 0x5a, n);
    s->left -= n;
    return (int64_t)n;
}

static void snap_done(int result, void *ud)
{
    __atomic_store_n(&((struct snap_state *)ud)->done, 1 + result,
                     __ATOMIC_SEQ_CST);
}

/* A 3 MiB snapshot over TLS: its own connection, the same checks. */
static void send_snapshot_over_tls(struct member *a)
{
    struct snap_state st = {.left = 3u << 20};
    struct rafthttp_message m = {
        .type = RAFTHTTP_MSG_SNAP, .from = 1, .to = 2, .term = 1};
    m.snapshot.metadata.index = 7;
    struct rafthttp_snapshot_source src = {.read = snap_read,
                                           .fd = -1,
                                           .size = 3u << 20,
                                           .done = snap_done,
                                           .user_data = &st};
    assert_int_equal(rafthttp_transport_send_snapshot(a->t, &m, &src), 0);
    for (int i = 0; i < 1500 && !__atomic_load_n(&st.done, __ATOMIC_SEQ_CST);
         i++) {
        tc_sleep_ms(10);
    }
    assert_int_equal(__atomic_load_n(&st.done, __ATOMIC_SEQ_CST), 1);
}

static void test_mutual_tls_pair(void **state)
{
    (void)state;
    struct member a, b;
    start(&a, 1, "m1", NULL);
    start(&b, 2, "m2", NULL);
    peer(&a, &b, 2);
    peer(&b, &a, 1);
    assert_true(streams_up(&a, 2));
    assert_true(streams_up(&b, 1));
    struct rafthttp_message ms[100];
    static uint8_t data[512];
    struct rafthttp_entry e = {.term = 1, .index = 1, .data = {data, 512}};
    for (size_t i = 0; i < 100; i++) {
        ms[i] = (struct rafthttp_message){
            .type = i % 2 ? RAFTHTTP_MSG_APP : RAFTHTTP_MSG_HEARTBEAT,
            .from = 1,
            .to = 2,
            .term = 1,
            .index = i};
        if (i % 2) {
            ms[i].entries = &e;
            ms[i].n_entries = 1;
        }
    }
    assert_int_equal(rafthttp_transport_send(a.t, ms, 100), 0);
    assert_true(tc_wait_records(&b.node, 100));
    send_snapshot_over_tls(&a);
    assert_true(tc_wait_records(&b.node, 101)); /* the MsgSnap itself */
    stop(&a);
    stop(&b);
}

/* --------------------------------------------------- refused clients */

/* One GET /raft/probing by curl; returns the HTTP status, 0 if none. */
static long probe(const char *url, const char *cert, const char *from,
                  bool https_client)
{
    char full[128], c[128], k[128], ca[128];
    snprintf(full, sizeof(full), "%s/raft/probing", url);
    if (!https_client) {
        memcpy(full, "http", 4);
        memmove(full + 4, full + 5, strlen(full + 5) + 1);
    }
    CURL *e = curl_easy_init();
    curl_easy_setopt(e, CURLOPT_URL, full);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, 5000L);
    path(ca, sizeof(ca), "ca.pem");
    curl_easy_setopt(e, CURLOPT_CAINFO, ca);
    if (cert != NULL) {
        snprintf(c, sizeof(c), "%s/%s.pem", pki, cert);
        snprintf(k, sizeof(k), "%s/%s.key", pki, cert);
        curl_easy_setopt(e, CURLOPT_SSLCERT, c);
        curl_easy_setopt(e, CURLOPT_SSLKEY, k);
    }
    struct curl_slist *h = NULL;
    char hdr[64];
    if (from != NULL) {
        snprintf(hdr, sizeof(hdr), "X-Server-From: %s", from);
        h = curl_slist_append(h, hdr);
        curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
    }
    FILE *sink = fopen("/dev/null", "w");
    curl_easy_setopt(e, CURLOPT_WRITEDATA, sink);
    long status = 0;
    if (curl_easy_perform(e) == CURLE_OK) {
        curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
    }
    fclose(sink);
    curl_slist_free_all(h);
    curl_easy_cleanup(e);
    return status;
}

static void allow_member_1(struct rafthttp_tls *tls)
{
    tls->allowed_cn = "member-1";
}

static void test_refused_clients(void **state)
{
    (void)state;
    struct member s;
    start(&s, 9, "m3", allow_member_1);
    assert_int_equal(probe(s.url, "m1", "1", true), 200); /* the good one */
    assert_int_equal(probe(s.url, NULL, NULL, true), 0);
    assert_true(logged(&s.log, "check=\"no client certificate\""));
    assert_int_equal(probe(s.url, "other", NULL, true), 0);
    assert_true(logged(&s.log, "not signed by a trusted CA"));
    assert_int_equal(probe(s.url, "expired", NULL, true), 0);
    assert_true(logged(&s.log, "client certificate expired"));
    assert_int_equal(probe(s.url, "m2", NULL, true), 0);
    assert_true(logged(&s.log, "client certificate CN not allowed"));
    /* member 1's certificate speaking for member 2 */
    assert_int_equal(probe(s.url, "m1", "2", true), 0);
    assert_true(logged(&s.log, "check=\"certificate member\""));
    /* plain HTTP to the TLS port: no answer, and the server goes on */
    assert_int_equal(probe(s.url, "m1", NULL, false), 0);
    assert_int_equal(probe(s.url, "m1", "1", true), 200);
    stop(&s);
}

/* No client checks at all: as etcd, a trusted CA alone requires them. */
static void no_binding(struct rafthttp_tls *tls)
{
    tls->bind_member_id = false;
    tls->client_cert_auth = false;
    tls->trusted_ca_file = NULL;
}

static void ca_only(struct rafthttp_tls *tls)
{
    tls->bind_member_id = false;
    tls->client_cert_auth = false;
}

/* A certificate without a member URI is refused only with binding. */
static void test_intruder_needs_binding(void **state)
{
    (void)state;
    struct member s;
    start(&s, 9, "m3", NULL);
    assert_int_equal(probe(s.url, "intruder", NULL, true), 0);
    assert_true(logged(&s.log, "check=\"client certificate names no member\""));
    stop(&s);
    start(&s, 9, "m3", no_binding);
    assert_int_equal(probe(s.url, "intruder", NULL, true), 200);
    assert_int_equal(probe(s.url, NULL, NULL, true), 200);
    stop(&s);
    start(&s, 9, "m3", ca_only); /* etcd: a trusted CA requires certs */
    assert_int_equal(probe(s.url, "intruder", NULL, true), 200);
    assert_int_equal(probe(s.url, NULL, NULL, true), 0);
    stop(&s);
}

static void skip_san(struct rafthttp_tls *tls)
{
    tls->skip_client_san_verify = true;
}

/* As etcd: a client certificate's SANs must name where it connects from. */
static void test_client_san_checked(void **state)
{
    (void)state;
    struct member s;
    start(&s, 9, "m3", NULL);
    assert_int_equal(probe(s.url, "farip", "1", true), 0);
    assert_true(logged(&s.log, "SANs do not match its address"));
    stop(&s);
    start(&s, 9, "m3", skip_san);
    assert_int_equal(probe(s.url, "farip", "1", true), 200);
    stop(&s);
}

/* ----------------------------------------------------- client binding */

/* Member 1 dials "member 2" at a server whose certificate is member 3's. */
static void test_client_hangs_up_on_wrong_member(void **state)
{
    (void)state;
    struct member a, b;
    start(&a, 1, "m1", NULL);
    start(&b, 2, "m3", NULL);
    peer(&a, &b, 2);
    assert_true(logged(&a.log, "server certificate names another member"));
    struct rafthttp_peer_status st;
    assert_int_equal(rafthttp_transport_peer_status(a.t, 2, &st), 0);
    assert_false(st.msgapp_reader || st.message_reader);
    stop(&a);
    stop(&b);
}

/* TLS to a plain listener fails cleanly (a dial error, logged). */
static void test_tls_to_plain_port(void **state)
{
    (void)state;
    struct tc_cluster c;
    tc_start(&c, 1, NULL);
    struct member a;
    start(&a, 2, "m2", no_binding);
    char url[64];
    snprintf(url, sizeof(url), "https://127.0.0.1:%u", c.nodes[0].port);
    const char *u = url;
    assert_int_equal(rafthttp_transport_add_peer(a.t, 1, &u, 1), 0);
    assert_true(logged(&a.log, "failed to dial stream local-member-id=2 "
                               "remote-peer-id=1"));
    struct rafthttp_peer_status st;
    assert_int_equal(rafthttp_transport_peer_status(a.t, 1, &st), 0);
    assert_false(st.msgapp_reader || st.message_reader);
    stop(&a);
    tc_stop(&c);
}

/* -------------------------------------------------------------- reload */

static char *serial_of(const char *url)
{
    CURL *e = curl_easy_init();
    char full[128], c[128], k[128], ca[128];
    snprintf(full, sizeof(full), "%s/raft/probing", url);
    path(ca, sizeof(ca), "ca.pem");
    snprintf(c, sizeof(c), "%s/m1.pem", pki);
    snprintf(k, sizeof(k), "%s/m1.key", pki);
    curl_easy_setopt(e, CURLOPT_URL, full);
    curl_easy_setopt(e, CURLOPT_CAINFO, ca);
    curl_easy_setopt(e, CURLOPT_SSLCERT, c);
    curl_easy_setopt(e, CURLOPT_SSLKEY, k);
    curl_easy_setopt(e, CURLOPT_CERTINFO, 1L);
    FILE *sink = fopen("/dev/null", "w");
    curl_easy_setopt(e, CURLOPT_WRITEDATA, sink);
    char *serial = NULL;
    struct curl_certinfo *ci = NULL;
    if (curl_easy_perform(e) == CURLE_OK &&
        curl_easy_getinfo(e, CURLINFO_CERTINFO, &ci) == CURLE_OK &&
        ci != NULL && ci->num_of_certs > 0) {
        for (struct curl_slist *s = ci->certinfo[0]; s; s = s->next) {
            if (strncmp(s->data, "Serial Number:", 14) == 0) {
                serial = strdup(s->data);
            }
        }
    }
    fclose(sink);
    curl_easy_cleanup(e);
    return serial;
}

static void copy_file(const char *from, const char *to)
{
    char cmd[1024];
    snprintf(cmd, sizeof(cmd), "cp '%s' '%s.tmp' && mv '%s.tmp' '%s'", from, to,
             to, to);
    assert_int_equal(system(cmd), 0);
}

static void test_reload_certificate(void **state)
{
    (void)state;
    char cert[128], key[128], src[128];
    snprintf(cert, sizeof(cert), "%s/live.pem", pki);
    snprintf(key, sizeof(key), "%s/live.key", pki);
    path(src, sizeof(src), "m3.pem");
    copy_file(src, cert);
    path(src, sizeof(src), "m3.key");
    copy_file(src, key);
    struct member s;
    start(&s, 9, "live", no_binding);
    char *before = serial_of(s.url);
    assert_non_null(before);
    tc_sleep_ms(1100); /* files are looked at once a second at most */
    path(src, sizeof(src), "m1b.key");
    copy_file(src, key);
    path(src, sizeof(src), "m1b.pem");
    copy_file(src, cert);
    char *after = serial_of(s.url);
    assert_non_null(after);
    assert_string_not_equal(before, after);
    assert_true(logged(&s.log, "certificate reloaded"));
    free(before);
    free(after);
    stop(&s);
}

static void test_bad_config(void **state)
{
    (void)state;
    struct rafthttp_tls tls = {.cert_file = "/nonexistent.pem",
                               .key_file = "/nonexistent.key"};
    static const char *listen[] = {"https://127.0.0.1:0"};
    struct rafthttp_config cfg;
    rafthttp_config_init(&cfg);
    cfg.local_id = 1;
    cfg.cluster_id = 2;
    cfg.listen_urls = listen;
    cfg.n_listen_urls = 1;
    cfg.log_level = RAFTHTTP_LOG_ERROR + 0;
    struct rafthttp_transport *t = NULL;
    /* https without TLS configured */
    assert_int_equal(rafthttp_config_validate(&cfg), RAFTHTTP_EINVAL);
    cfg.tls = &tls;
    assert_int_equal(rafthttp_config_validate(&cfg), 0);
    assert_int_equal(rafthttp_transport_new(&t, &cfg), RAFTHTTP_EINVAL);
    tls.client_cert_auth = true; /* with no CA */
    char c[128], k[128];
    path(c, sizeof(c), "m1.pem");
    path(k, sizeof(k), "m1.key");
    tls.cert_file = c;
    tls.key_file = k;
    assert_int_equal(rafthttp_transport_new(&t, &cfg), RAFTHTTP_EINVAL);
    tls.client_cert_auth = false;
    tls.min_version = "1.1";
    assert_int_equal(rafthttp_transport_new(&t, &cfg), RAFTHTTP_EINVAL);
}

int main(void)
{
    const char *make = getenv("RH_MAKE_CERTS");
    if (make == NULL) {
        fprintf(stderr, "RH_MAKE_CERTS is not set\n");
        return 1;
    }
    snprintf(pki, sizeof(pki), "/tmp/rh-pki-XXXXXX");
    if (mkdtemp(pki) == NULL) {
        return 1;
    }
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "'%s' '%s' >/dev/null", make, pki);
    if (system(cmd) != 0) {
        fprintf(stderr, "cannot make the test PKI\n");
        return 1;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mutual_tls_pair),
        cmocka_unit_test(test_refused_clients),
        cmocka_unit_test(test_intruder_needs_binding),
        cmocka_unit_test(test_client_san_checked),
        cmocka_unit_test(test_client_hangs_up_on_wrong_member),
        cmocka_unit_test(test_tls_to_plain_port),
        cmocka_unit_test(test_reload_certificate),
        cmocka_unit_test(test_bad_config),
    };
    int rv = cmocka_run_group_tests(tests, NULL, NULL);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", pki);
    (void)system(cmd);
    curl_global_cleanup();
    return rv;
}
