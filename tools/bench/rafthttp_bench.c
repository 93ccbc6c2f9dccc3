/*
 * rafthttp-bench: stream throughput between two transports in one process
 * over loopback, as etcd's BenchmarkSendingMsgApp but closed-loop: at most
 * --window messages are in flight (sent and not yet processed), so a slow
 * receiver shows up as lower throughput, never as drops or a hang.
 *
 * usage: rafthttp-bench [--size BYTES] [--count N] [--window N]
 *        rafthttp-bench --snapshot BYTES [--no-fsync]
 *
 * The second form sends one snapshot of BYTES (made up on the fly) and
 * reports its rate, fsync included unless --no-fsync, with a progress line.
 *
 * Threads: main sends; the receiving transport's delivery thread counts in
 * process() and wakes the sender when the window opens.
 */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sys/resource.h>

#include "rafthttp.h"

struct counter {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    uint64_t processed;
    uint64_t bad;        /* out of order or wrong size */
    size_t size;         /* expected entry size */
};

static int on_process(struct rafthttp_transport *t,
                      const struct rafthttp_message *m, void *ud)
{
    (void)t;
    struct counter *c = ud;
    pthread_mutex_lock(&c->mu);
    if (m->type == RAFTHTTP_MSG_APP) {
        if (m->index != c->processed || m->n_entries != 1 ||
            m->entries[0].data.len != c->size) {
            c->bad++;
        }
        c->processed++;
        pthread_cond_signal(&c->cv);
    }
    pthread_mutex_unlock(&c->mu);
    return 0;
}

static const struct rafthttp_raft_ops ops = {.process = on_process};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *snapshot_dir; /* the receiver's, in --snapshot mode */
static bool snapshot_fsync = true;

static struct rafthttp_transport *start(uint64_t id, struct counter *c)
{
    static const char *listen[] = {"http://127.0.0.1:0"};
    struct rafthttp_config cfg;
    rafthttp_config_init(&cfg);
    cfg.snapshot_dir = snapshot_dir;
    cfg.snapshot_fsync = snapshot_fsync;
    cfg.local_id = id;
    cfg.cluster_id = 0x1000;
    cfg.listen_urls = listen;
    cfg.n_listen_urls = 1;
    cfg.raft_ops = &ops;
    cfg.raft_user_data = c;
    cfg.log_level = RAFTHTTP_LOG_WARN;
    struct rafthttp_transport *t = NULL;
    if (rafthttp_transport_new(&t, &cfg) != 0 ||
        rafthttp_transport_start(t) != 0) {
        fprintf(stderr, "rafthttp-bench: cannot start a transport\n");
        exit(1);
    }
    return t;
}

static void peer(struct rafthttp_transport *a, struct rafthttp_transport *b,
                 uint64_t b_id)
{
    char url[64];
    snprintf(url, sizeof(url), "http://127.0.0.1:%u",
             rafthttp_transport_listen_port(b, 0));
    const char *u = url;
    rafthttp_transport_add_peer(a, b_id, &u, 1);
}

static bool streams_up(struct rafthttp_transport *t, uint64_t id)
{
    struct rafthttp_peer_status st;
    return rafthttp_transport_peer_status(t, id, &st) == 0 &&
           st.msgapp_writer && st.message_writer;
}

static unsigned long arg_num(int argc, char **argv, const char *name,
                             unsigned long def)
{
    for (int i = 1; i + 1 < argc; i++) {
        if (strcmp(argv[i], name) == 0) {
            char *end;
            unsigned long v = strtoul(argv[i + 1], &end, 10);
            if (*end != '\0' || v == 0) {
                fprintf(stderr, "rafthttp-bench: bad %s\n", name);
                exit(2);
            }
            return v;
        }
    }
    return def;
}

/* --------------------------------------------------------- snapshot */

struct snap_run {
    uint64_t size;
    uint64_t made;          /* bytes generated so far */
    atomic_ullong sent;     /* from the progress callback */
    atomic_int result;
    atomic_int done;
};

static int64_t snap_read(uint8_t *buf, size_t len, void *ud)
{
    struct snap_run *r = ud;
    uint64_t left = r->size - r->made;
    size_t n = left < len ? (size_t)left : len;
    memset(buf, (int)(r->made & 0xff), n);
    r->made += n;
    return (int64_t)n;
}

static void snap_progress(uint64_t sent, uint64_t total, void *ud)
{
    (void)total;
    atomic_store(&((struct snap_run *)ud)->sent, sent);
}

static void snap_done(int result, void *ud)
{
    struct snap_run *r = ud;
    atomic_store(&r->result, result);
    atomic_store(&r->done, 1);
}

static void print_progress(struct snap_run *r, double t0)
{
    double secs = now_s() - t0;
    uint64_t sent = atomic_load(&r->sent);
    fprintf(stderr, "\rsnapshot %llu/%llu MiB (%3.0f%%) %.0f MB/s   ",
            (unsigned long long)(sent >> 20),
            (unsigned long long)(r->size >> 20),
            r->size > 0 ? 100.0 * (double)sent / (double)r->size : 100.0,
            secs > 0 ? (double)sent / secs / 1e6 : 0.0);
}

static int run_snapshot(struct rafthttp_transport *a, uint64_t size)
{
    struct snap_run r = {.size = size};
    struct rafthttp_message m = {.type = RAFTHTTP_MSG_SNAP, .from = 1,
                                 .to = 2, .term = 1};
    m.snapshot.metadata.index = 1;
    struct rafthttp_snapshot_source src = {
        .read = snap_read, .fd = -1, .size = size, .done = snap_done,
        .progress = snap_progress, .user_data = &r};
    double t0 = now_s();
    if (rafthttp_transport_send_snapshot(a, &m, &src) != 0) {
        fprintf(stderr, "rafthttp-bench: cannot send the snapshot\n");
        return 1;
    }
    while (!atomic_load(&r.done)) {
        struct timespec ts = {0, 200000000};
        nanosleep(&ts, NULL);
        print_progress(&r, t0);
    }
    double secs = now_s() - t0;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    fprintf(stderr, "\n");
    printf("snapshot bytes=%llu fsync=%s: %.2f s, %.0f MB/s, result=%s, "
           "peak RSS %ld KiB\n",
           (unsigned long long)size, snapshot_fsync ? "yes" : "no", secs,
           (double)size / secs / 1e6, rafthttp_strerror(atomic_load(&r.result)),
           ru.ru_maxrss);
    return atomic_load(&r.result) == 0 ? 0 : 1;
}

static void remove_dir(const char *dir)
{
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0) {
        fprintf(stderr, "rafthttp-bench: could not remove %s\n", dir);
    }
}

static bool has_flag(int argc, char **argv, const char *name)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], name) == 0) {
            return true;
        }
    }
    return false;
}

int main(int argc, char **argv)
{
    uint64_t snap_bytes = arg_num(argc, argv, "--snapshot", 0);
    char dir[] = "/tmp/rafthttp-bench-XXXXXX";
    if (has_flag(argc, argv, "--snapshot")) {
        if (mkdtemp(dir) == NULL) {
            perror("rafthttp-bench: mkdtemp");
            return 1;
        }
        snapshot_dir = dir;
        snapshot_fsync = !has_flag(argc, argv, "--no-fsync");
    }
    size_t size = arg_num(argc, argv, "--size", 64);
    uint64_t count = arg_num(argc, argv, "--count", 1000000);
    uint64_t window = arg_num(argc, argv, "--window", 512);
    /* Keep the window inside the default per-peer budget (32 MiB). */
    uint64_t max_window = (16u << 20) / (size + 64);
    if (window > max_window) {
        window = max_window > 0 ? max_window : 1;
    }
    struct counter rx = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER,
                         0, 0, size};
    struct counter unused = rx;
    struct rafthttp_transport *a = start(1, &unused);
    struct rafthttp_transport *b = start(2, &rx);
    peer(a, b, 2);
    peer(b, a, 1);
    for (int i = 0; i < 1000 && !(streams_up(a, 2) && streams_up(b, 1)); i++) {
        struct timespec ts = {0, 10000000};
        nanosleep(&ts, NULL);
    }
    if (snapshot_dir != NULL) {
        int rv = run_snapshot(a, snap_bytes);
        rafthttp_transport_free(a);
        rafthttp_transport_free(b);
        remove_dir(dir);
        return rv;
    }
    uint8_t *data = calloc(1, size);
    double t0 = now_s();
    for (uint64_t i = 0; i < count; i++) {
        pthread_mutex_lock(&rx.mu);
        while (i - rx.processed >= window) {
            pthread_cond_wait(&rx.cv, &rx.mu);
        }
        pthread_mutex_unlock(&rx.mu);
        struct rafthttp_entry e = {.index = i + 1, .data = {data, size}};
        struct rafthttp_message m = {.type = RAFTHTTP_MSG_APP, .from = 1,
                                     .to = 2, .index = i, .entries = &e,
                                     .n_entries = 1};
        rafthttp_transport_send(a, &m, 1);
    }
    pthread_mutex_lock(&rx.mu);
    while (rx.processed < count) {
        pthread_cond_wait(&rx.cv, &rx.mu);
    }
    pthread_mutex_unlock(&rx.mu);
    double secs = now_s() - t0;
    struct rafthttp_stats st;
    rafthttp_transport_stats(a, &st);
    printf("size=%zu count=%llu window=%llu: %.0f msgs/s, %.1f MB/s, "
           "%.2f s, out-of-order=%llu dropped=%llu\n",
           size, (unsigned long long)count, (unsigned long long)window,
           (double)count / secs, (double)count * (double)size / secs / 1e6,
           secs, (unsigned long long)rx.bad,
           (unsigned long long)(st.dropped[0] + st.dropped[1]));
    rafthttp_transport_free(a);
    rafthttp_transport_free(b);
    free(data);
    return rx.bad == 0 ? 0 : 1;
}
