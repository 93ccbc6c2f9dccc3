// SPDX-License-Identifier: Apache-2.0
/*
 * Snapshots between loopback transports: round trips of several sizes with
 * the file checked byte for byte, and every way one can fail (short and
 * long sources, a receiver that cannot write, a database over the limit, no
 * progress, no answer, cancel by remove_peer and by stop), each ending in
 * exactly one report and one done(), with nothing left on disk.
 *
 * RH_SNAPSHOT_BYTES in the environment adds one round trip of that size
 * (the "large" tests run 100 MiB and 2 GiB this way) and prints the rate
 * and the peak RSS.
 */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <curl/curl.h>

#include "cluster.h"
#include "stream/stream.h"

/* A database made up on the fly: byte i is (i * 31 + 7) & 0xff. */
struct source {
    uint64_t size; /* declared */
    uint64_t real; /* what it really has */
    uint64_t pos;
    int64_t fail_at; /* the source fails at this offset (-1: never) */
    pthread_mutex_t mu;
    int done_calls;
    int done_result;
    uint64_t progress;
};

static uint8_t pattern(uint64_t i)
{
    return (uint8_t)((i * 31 + 7) & 0xff);
}

static int64_t source_read(uint8_t *buf, size_t len, void *ud)
{
    struct source *s = ud;
    if (s->fail_at >= 0 && s->pos >= (uint64_t)s->fail_at) {
        return -1;
    }
    uint64_t left = s->real - s->pos;
    size_t n = left < len ? (size_t)left : len;
    for (size_t i = 0; i < n; i++) {
        buf[i] = pattern(s->pos + i);
    }
    s->pos += n;
    return (int64_t)n;
}

static void source_done(int result, void *ud)
{
    struct source *s = ud;
    pthread_mutex_lock(&s->mu);
    s->done_calls++;
    s->done_result = result;
    pthread_mutex_unlock(&s->mu);
}

static void source_progress(uint64_t sent, uint64_t total, void *ud)
{
    struct source *s = ud;
    assert_true(sent <= total);
    s->progress = sent;
}

static void source_init(struct source *s, uint64_t size, uint64_t real)
{
    memset(s, 0, sizeof(*s));
    s->size = size;
    s->real = real;
    s->fail_at = -1;
    pthread_mutex_init(&s->mu, NULL);
}

static int send_snap(struct tc_node *from, uint64_t to, struct source *s,
                     uint64_t index)
{
    struct rafthttp_message m = {
        .type = RAFTHTTP_MSG_SNAP, .from = from->id, .to = to, .term = 3};
    m.snapshot.metadata.index = index;
    m.snapshot.metadata.term = 3;
    struct rafthttp_snapshot_source src = {.read = source_read,
                                           .fd = -1,
                                           .size = s->size,
                                           .done = source_done,
                                           .progress = source_progress,
                                           .user_data = s};
    return rafthttp_transport_send_snapshot(from->t, &m, &src);
}

/* Waits (bounded) for done() and returns its result. */
static int wait_done(struct source *s)
{
    for (int i = 0; i < 60000; i++) {
        pthread_mutex_lock(&s->mu);
        int calls = s->done_calls;
        int result = s->done_result;
        pthread_mutex_unlock(&s->mu);
        if (calls > 0) {
            tc_sleep_ms(50); /* a second call would show up by now */
            pthread_mutex_lock(&s->mu);
            assert_int_equal(s->done_calls, 1);
            pthread_mutex_unlock(&s->mu);
            return result;
        }
        tc_sleep_ms(5);
    }
    fail_msg("done() was never called");
    return 0;
}

static unsigned reports(struct tc_node *n, int status)
{
    pthread_mutex_lock(&n->mu);
    unsigned k = n->snapshot_reports[status];
    pthread_mutex_unlock(&n->mu);
    return k;
}

/* Files in dir: only final .snap.db files, never a temporary. */
static size_t count_files(const char *dir, bool *has_tmp)
{
    DIR *d = opendir(dir);
    size_t n = 0;
    *has_tmp = false;
    struct dirent *e;
    while (d != NULL && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') {
            continue;
        }
        n++;
        *has_tmp |= strncmp(e->d_name, "tmp", 3) == 0;
        if (getenv("TC_VERBOSE") != NULL) {
            fprintf(stderr, "file in %s: %s\n", dir, e->d_name);
        }
    }
    if (d != NULL) {
        closedir(d);
    }
    return n;
}

static void check_file(const char *path, uint64_t size)
{
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    static uint8_t buf[1 << 16];
    uint64_t at = 0;
    ssize_t n;
    while ((n = read(fd, buf, sizeof(buf))) > 0) {
        for (ssize_t i = 0; i < n; i++) {
            if (buf[i] != pattern(at + (uint64_t)i)) {
                fail_msg("byte %llu differs", (unsigned long long)at);
            }
        }
        at += (uint64_t)n;
    }
    close(fd);
    assert_int_equal(at, size);
}

static struct tc_cluster *pair(struct tc_cluster *c,
                               void (*tune)(struct rafthttp_config *))
{
    tc_start(c, 2, tune);
    tc_connect_all(c);
    assert_true(tc_wait_streams(c, 0, 1));
    return c;
}

static void no_fsync(struct rafthttp_config *cfg)
{
    cfg->snapshot_fsync = false;
}

static void round_trip(uint64_t size, uint64_t index)
{
    struct tc_cluster c;
    pair(&c, getenv("RH_SNAPSHOT_NOSYNC") != NULL ? no_fsync : NULL);
    struct source s;
    source_init(&s, size, size);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(send_snap(&c.nodes[0], 2, &s, index), 0);
    assert_int_equal(wait_done(&s), 0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    assert_int_equal(reports(&c.nodes[0], RAFTHTTP_SNAPSHOT_FINISH), 1);
    assert_int_equal(reports(&c.nodes[0], RAFTHTTP_SNAPSHOT_FAILURE), 0);
    assert_int_equal(c.nodes[1].snapshots, 1);
    char want[1200];
    snprintf(want, sizeof(want), "%s/%016llx.snap.db", c.nodes[1].snap_dir,
             (unsigned long long)index);
    assert_string_equal(c.nodes[1].snap_path, want);
    check_file(want, size);
    bool tmp;
    assert_int_equal(count_files(c.nodes[1].snap_dir, &tmp), 1);
    assert_false(tmp);
    double secs = (double)(t1.tv_sec - t0.tv_sec) +
                  (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    if (size >= (1u << 20)) {
        printf("snapshot %llu bytes: %.2f s, %.0f MB/s, peak RSS %ld KiB\n",
               (unsigned long long)size, secs, (double)size / secs / 1e6,
               ru.ru_maxrss);
    }
    tc_stop(&c);
}

static void test_round_trips(void **state)
{
    (void)state;
    round_trip(0, 1);
    round_trip(1, 2);
    round_trip(3u * 1024 * 1024 + 5, 1000);
}

static void test_large_round_trip(void **state)
{
    (void)state;
    const char *env = getenv("RH_SNAPSHOT_BYTES");
    if (env == NULL) {
        skip();
    }
    round_trip(strtoull(env, NULL, 10), 0xabcdef);
}

/*
 * While node 1 sends node 2 a large snapshot, node 3's heartbeats to node
 * 2 keep arriving: they are all processed before the snapshot is done.
 */
static void test_large_heartbeats_keep_flowing(void **state)
{
    (void)state;
    const char *env = getenv("RH_SNAPSHOT_BYTES");
    if (env == NULL) {
        skip();
    }
    struct tc_cluster c;
    tc_start(&c, 3, NULL);
    tc_connect_all(&c);
    assert_true(tc_wait_streams(&c, 0, 1));
    assert_true(tc_wait_streams(&c, 2, 1));
    struct source s;
    uint64_t size = strtoull(env, NULL, 10);
    source_init(&s, size, size);
    assert_int_equal(send_snap(&c.nodes[0], 2, &s, 99), 0);
    size_t beats = 0;
    for (int i = 0; i < 50; i++) {
        struct rafthttp_message hb = {
            .type = RAFTHTTP_MSG_HEARTBEAT, .from = 3, .to = 2, .term = 3};
        rafthttp_transport_send(c.nodes[2].t, &hb, 1);
        tc_sleep_ms(2);
    }
    for (int i = 0; i < 1000 && beats < 50; i++) {
        pthread_mutex_lock(&c.nodes[1].mu);
        beats = c.nodes[1].n_records;
        pthread_mutex_unlock(&c.nodes[1].mu);
        tc_sleep_ms(1);
    }
    pthread_mutex_lock(&s.mu);
    int done_before = s.done_calls;
    pthread_mutex_unlock(&s.mu);
    assert_int_equal(beats, 50);
    if (size >= (512u << 20)) {
        assert_int_equal(done_before, 0); /* the snapshot was still going */
    }
    assert_int_equal(wait_done(&s), 0);
    tc_stop(&c);
}

/* A failed snapshot: FAILURE once, done() once with an error, no file. */
static void expect_failure(struct tc_cluster *c, struct source *s)
{
    assert_true(wait_done(s) != 0);
    assert_int_equal(reports(&c->nodes[0], RAFTHTTP_SNAPSHOT_FAILURE), 1);
    assert_int_equal(reports(&c->nodes[0], RAFTHTTP_SNAPSHOT_FINISH), 0);
    bool tmp;
    int waited = 0; /* the receiver notices the cut and cleans up */
    while (count_files(c->nodes[1].snap_dir, &tmp) != 0 && waited < 10000) {
        tc_sleep_ms(10);
        waited += 10;
    }
    if (getenv("TC_VERBOSE") != NULL) {
        fprintf(stderr, "cleaned up after %d ms\n", waited);
    }
    assert_int_equal(count_files(c->nodes[1].snap_dir, &tmp), 0);
    assert_int_equal(c->nodes[1].snapshots, 0);
}

static void test_short_and_long_sources(void **state)
{
    (void)state;
    struct tc_cluster c;
    pair(&c, NULL);
    struct source s;
    source_init(&s, 100000, 50000); /* declares more than it has */
    assert_int_equal(send_snap(&c.nodes[0], 2, &s, 7), 0);
    expect_failure(&c, &s);
    tc_stop(&c);
    pair(&c, NULL);
    source_init(&s, 50000, 100000); /* has more than it declares */
    assert_int_equal(send_snap(&c.nodes[0], 2, &s, 7), 0);
    expect_failure(&c, &s);
    tc_stop(&c);
}

static void limit_db(struct rafthttp_config *cfg)
{
    cfg->max_snapshot_bytes = 10000;
}

static void test_over_limit(void **state)
{
    (void)state;
    struct tc_cluster c;
    pair(&c, limit_db);
    struct source s;
    source_init(&s, 200000, 200000);
    assert_int_equal(send_snap(&c.nodes[0], 2, &s, 9), 0);
    expect_failure(&c, &s);
    tc_stop(&c);
}

/* The receiver cannot write: a file-size limit stands in for a full disk. */
static void test_receiver_cannot_write(void **state)
{
    (void)state;
    struct tc_cluster c;
    pair(&c, NULL);
    struct rlimit old, small = {1 << 20, 1 << 20};
    getrlimit(RLIMIT_FSIZE, &old);
    signal(SIGXFSZ, SIG_IGN);
    small.rlim_max = old.rlim_max;
    setrlimit(RLIMIT_FSIZE, &small);
    struct source s;
    source_init(&s, 8u << 20, 8u << 20);
    assert_int_equal(send_snap(&c.nodes[0], 2, &s, 11), 0);
    expect_failure(&c, &s);
    setrlimit(RLIMIT_FSIZE, &old);
    tc_stop(&c);
}

static void no_snapshot_dir(struct rafthttp_config *cfg)
{
    cfg->snapshot_dir = NULL;
}

static void test_no_snapshot_dir(void **state)
{
    (void)state;
    struct tc_cluster c;
    pair(&c, no_snapshot_dir);
    struct source s;
    source_init(&s, 1000, 1000);
    assert_int_equal(send_snap(&c.nodes[0], 2, &s, 12), 0);
    expect_failure(&c, &s);
    tc_stop(&c);
}

/* A source that fails midway: the upload is cut before its end. */
static void test_source_fails_midway(void **state)
{
    (void)state;
    struct tc_cluster c;
    pair(&c, NULL);
    struct source s;
    source_init(&s, 4u << 20, 4u << 20);
    s.fail_at = 1 << 20;
    assert_int_equal(send_snap(&c.nodes[0], 2, &s, 14), 0);
    assert_int_equal(wait_done(&s), RAFTHTTP_EIO);
    expect_failure(&c, &s);
    tc_stop(&c);
}

/* A peer that accepts connections and never reads from them. */
struct deaf_peer {
    int listen_fd;
    unsigned port;
    pthread_t thread;
    int conns[16];
    int n;
    atomic_int stop;
};

static void *deaf_main(void *arg)
{
    struct deaf_peer *d = arg;
    while (!d->stop && d->n < 16) {
        int fd = accept(d->listen_fd, NULL, NULL);
        if (fd < 0) {
            break;
        }
        d->conns[d->n++] = fd;
    }
    return NULL;
}

static void deaf_start(struct deaf_peer *d)
{
    memset(d, 0, sizeof(*d));
    d->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    assert_int_equal(bind(d->listen_fd, (struct sockaddr *)&a, len), 0);
    assert_int_equal(listen(d->listen_fd, 16), 0);
    getsockname(d->listen_fd, (struct sockaddr *)&a, &len);
    d->port = ntohs(a.sin_port);
    pthread_create(&d->thread, NULL, deaf_main, d);
}

static void deaf_stop(struct deaf_peer *d)
{
    d->stop = 1;
    shutdown(d->listen_fd, SHUT_RDWR);
    close(d->listen_fd);
    pthread_join(d->thread, NULL);
    for (int i = 0; i < d->n; i++) {
        close(d->conns[i]);
    }
}

static void short_timeouts(struct rafthttp_config *cfg)
{
    cfg->snapshot_progress_timeout_ms = 1000;
    cfg->snapshot_response_timeout_ms = 1000;
}

/* Sends to a deaf peer 9 from node 1 of a one-node cluster. */
static void start_deaf(struct tc_cluster *c, struct deaf_peer *d,
                       struct source *s, void (*tune)(struct rafthttp_config *))
{
    tc_start(c, 1, tune);
    deaf_start(d);
    char url[64];
    snprintf(url, sizeof(url), "http://127.0.0.1:%u", d->port);
    const char *u = url;
    assert_int_equal(rafthttp_transport_add_peer(c->nodes[0].t, 9, &u, 1), 0);
    source_init(s, 256u << 20, 256u << 20);
    assert_int_equal(send_snap(&c->nodes[0], 9, s, 15), 0);
}

static void test_no_progress_times_out(void **state)
{
    (void)state;
    struct tc_cluster c;
    struct deaf_peer d;
    struct source s;
    start_deaf(&c, &d, &s, short_timeouts);
    assert_int_equal(wait_done(&s), RAFTHTTP_ETIMEDOUT);
    assert_int_equal(reports(&c.nodes[0], RAFTHTTP_SNAPSHOT_FAILURE), 1);
    assert_true(s.progress > 0 && s.progress < s.size);
    tc_stop(&c);
    deaf_stop(&d);
}

static void test_cancelled_by_remove_peer(void **state)
{
    (void)state;
    struct tc_cluster c;
    struct deaf_peer d;
    struct source s;
    start_deaf(&c, &d, &s, NULL);
    /* One snapshot at a time per peer. */
    struct source second;
    source_init(&second, 10, 10);
    assert_int_equal(send_snap(&c.nodes[0], 9, &second, 16), RAFTHTTP_EBUSY);
    tc_sleep_ms(200);
    assert_int_equal(rafthttp_transport_remove_peer(c.nodes[0].t, 9), 0);
    assert_int_equal(wait_done(&s), RAFTHTTP_ECANCELED);
    assert_int_equal(reports(&c.nodes[0], RAFTHTTP_SNAPSHOT_FAILURE), 1);
    assert_int_equal(second.done_calls, 0);
    tc_stop(&c);
    deaf_stop(&d);
}

/* stop returns only after the snapshot's one report and done(). */
static void test_stop_during_transfer(void **state)
{
    (void)state;
    struct tc_cluster c;
    struct deaf_peer d;
    struct source s;
    start_deaf(&c, &d, &s, NULL);
    tc_sleep_ms(200);
    assert_int_equal(rafthttp_transport_stop(c.nodes[0].t), 0);
    assert_int_equal(s.done_calls, 1);
    assert_int_equal(s.done_result, RAFTHTTP_ECANCELED);
    assert_int_equal(c.nodes[0].snapshot_reports[RAFTHTTP_SNAPSHOT_FAILURE], 1);
    tc_stop(&c);
    deaf_stop(&d);
}

/* The receiver takes longer to apply than the sender waits for. */
static void test_no_answer_times_out(void **state)
{
    (void)state;
    struct tc_cluster c;
    pair(&c, short_timeouts);
    c.nodes[1].snapshot_delay_ms = 3000;
    struct source s;
    source_init(&s, 1000, 1000);
    assert_int_equal(send_snap(&c.nodes[0], 2, &s, 17), 0);
    assert_int_equal(wait_done(&s), RAFTHTTP_ETIMEDOUT);
    tc_stop(&c);
}

static void test_bad_arguments(void **state)
{
    (void)state;
    struct tc_cluster c;
    tc_start(&c, 1, NULL);
    struct source s;
    source_init(&s, 10, 10);
    assert_int_equal(send_snap(&c.nodes[0], 5, &s, 1),
                     RAFTHTTP_EPEER_NOT_FOUND);
    struct rafthttp_message vote = {.type = RAFTHTTP_MSG_VOTE, .to = 5};
    struct rafthttp_snapshot_source src = {.read = source_read, .fd = -1};
    assert_int_equal(
        rafthttp_transport_send_snapshot(c.nodes[0].t, &vote, &src),
        RAFTHTTP_EINVAL);
    assert_int_equal(s.done_calls, 0);
    tc_stop(&c);
}

struct answer {
    long status;
    char body[256];
    size_t len;
};

static size_t keep_body(char *p, size_t size, size_t n, void *ud)
{
    struct answer *a = ud;
    size_t len = size * n;
    size_t take =
        len < sizeof(a->body) - 1 - a->len ? len : sizeof(a->body) - 1 - a->len;
    memcpy(a->body + a->len, p, take);
    a->len += take;
    a->body[a->len] = '\0';
    return len;
}

/* POSTs body to node's /raft/snapshot with etcd's headers. */
static struct answer post_snapshot(struct tc_node *node, const char *method,
                                   const char *cluster, const uint8_t *body,
                                   size_t len)
{
    char url[128], cid[64];
    snprintf(url, sizeof(url), "%s/raft/snapshot", node->url);
    snprintf(cid, sizeof(cid), "X-Etcd-Cluster-ID: %s", cluster);
    struct curl_slist *h = curl_slist_append(NULL, "X-Server-Version: 3.4.23");
    h = curl_slist_append(h, "X-Min-Cluster-Version: 3.0.0");
    h = curl_slist_append(h, cid);
    h = curl_slist_append(h, "X-Server-From: 9");
    struct answer a = {0};
    CURL *e = curl_easy_init();
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, (const char *)body);
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)len);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, keep_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, &a);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, 5000L);
    CURLcode rc = curl_easy_perform(e);
    if (rc == CURLE_OK) {
        curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &a.status);
    } else {
        fprintf(stderr, "post_snapshot: %s\n", curl_easy_strerror(rc));
    }
    curl_easy_cleanup(e);
    curl_slist_free_all(h);
    return a;
}

static void expect(struct answer a, long status, const char *body)
{
    assert_int_equal(a.status, status);
    assert_string_equal(a.body, body);
}

/* etcd's answers to bad snapshot uploads; nothing is left on disk. */
static void test_bad_uploads(void **state)
{
    (void)state;
    struct tc_cluster c;
    tc_start(&c, 1, NULL);
    struct tc_node *n = &c.nodes[0];
    struct rh_buf b;
    rh_buf_init(&b, NULL, 1 << 20);
    struct rafthttp_message app = {.type = RAFTHTTP_MSG_APP, .to = 1};
    assert_int_equal(rh_msg_frame_encode(NULL, &app, &b), 0);
    expect(post_snapshot(n, "POST", "1000", b.data, b.len), 400,
           "wrong raft message type\n");
    uint8_t huge[16] = {0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    expect(post_snapshot(n, "POST", "1000", huge, sizeof(huge)), 400,
           "failed to decode raft message (rafthttp: error limit "
           "exceeded)\n");
    expect(post_snapshot(n, "POST", "1000", huge, 0), 400,
           "failed to decode raft message (unexpected EOF)\n");
    expect(post_snapshot(n, "PUT", "1000", huge, 0), 405,
           "Method Not Allowed\n");
    expect(post_snapshot(n, "POST", "2000", huge, 0), 412,
           "cluster ID mismatch\n");
    /* A head but a body cut short of nothing: an empty database is fine. */
    rh_buf_reset(&b);
    struct rafthttp_message snap = {
        .type = RAFTHTTP_MSG_SNAP, .from = 9, .to = 1};
    snap.snapshot.metadata.index = 5;
    assert_int_equal(rh_msg_frame_encode(NULL, &snap, &b), 0);
    expect(post_snapshot(n, "POST", "1000", b.data, b.len), 204, "");
    rh_buf_close(&b);
    bool tmp;
    assert_int_equal(count_files(n->snap_dir, &tmp), 1);
    assert_false(tmp);
    tc_stop(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trips),
        cmocka_unit_test(test_large_round_trip),
        cmocka_unit_test(test_large_heartbeats_keep_flowing),
        cmocka_unit_test(test_short_and_long_sources),
        cmocka_unit_test(test_over_limit),
        cmocka_unit_test(test_receiver_cannot_write),
        cmocka_unit_test(test_no_snapshot_dir),
        cmocka_unit_test(test_source_fails_midway),
        cmocka_unit_test(test_no_progress_times_out),
        cmocka_unit_test(test_cancelled_by_remove_peer),
        cmocka_unit_test(test_stop_during_transfer),
        cmocka_unit_test(test_no_answer_times_out),
        cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_bad_uploads),
    };
    if (getenv("RH_SNAPSHOT_BYTES") != NULL) {
        cmocka_set_test_filter("test_large_*");
    }
    return cmocka_run_group_tests_name("snapshot", tests, NULL, NULL);
}
