// SPDX-License-Identifier: Apache-2.0
/*
 * snapshot: member 1 sends member 2 a snapshot, and who owns what.
 *
 * A raft snapshot travels as a MsgSnap message followed by the state
 * machine's database, which may be gigabytes: rafthttp_transport_send_snapshot
 * streams it from a file descriptor (or a read callback) and never holds
 * it in memory. The receiver needs cfg.snapshot_dir: the database is
 * written there, synced, and handed to the process_snapshot op.
 *
 * Ownership, the point of this example:
 *   - Sender: the source fd stays the application's. The transport reads
 *     it but never closes it; from a successful send_snapshot until the
 *     source's done() callback (called exactly once, from a delivery
 *     thread) the application must leave it alone, and done() is where it
 *     closes it. If send_snapshot fails, nothing is called and the fd is
 *     still the caller's to close. raft hears the outcome through exactly
 *     one report_snapshot (FINISH or FAILURE).
 *   - Receiver: <snapshot_dir>/<index as 16 hex digits>.snap.db, complete
 *     and synced, belongs to the application once process_snapshot is
 *     called: the transport never deletes a complete one (it only removes
 *     its own temporary files when an upload fails). A real member would
 *     move it into place as its new database; this example checks its
 *     bytes and deletes it.
 *
 * Everything lives in a fresh directory under $TMPDIR (or /tmp), removed
 * at the end; the program exits 0 only when the snapshot arrived intact,
 * with one report and one done(), and nothing was left behind.
 *
 * Build and run against an installed rafthttp (see README.md here):
 *   cc -pthread snapshot.c $(pkg-config --cflags --libs rafthttp) -o snapshot
 *   ./snapshot
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <rafthttp.h>

#define CLUSTER_ID 0x1000
#define SNAP_INDEX 0x2a  /* the raft index the snapshot was taken at */
#define DB_BYTES 1048583 /* a made-up database of about 1 MiB */
#define WAIT_SECONDS 10

/* What the callbacks tell main, under one lock. */
struct demo {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int source_fd;        /* the sender's database, until done() */
    int done_calls;       /* source done() calls */
    int done_result;      /* the last one's result */
    int reports;          /* report_snapshot calls on the sender */
    int report_status;    /* the last one's status */
    int snapshots;        /* process_snapshot calls on the receiver */
    char db_path[1024];   /* the file it was given: ours now */
    char snap_dir[1024];  /* member 2's cfg.snapshot_dir */
    char source_db[1024]; /* member 1's database */
};

static int fail(const char *what, int rv)
{
    fprintf(stderr, "snapshot: %s: %s: %s\n", what, rafthttp_strerror(rv),
            rafthttp_transport_errmsg(NULL));
    return rv;
}

/* Byte i of the made-up database. */
static uint8_t db_byte(uint64_t i)
{
    return (uint8_t)((i * 31 + 7) & 0xff);
}

/* Ends a callback's update: main may look. */
static void wake_and_unlock(struct demo *d)
{
    pthread_cond_broadcast(&d->cv);
    pthread_mutex_unlock(&d->mu);
}

/* Sender, delivery thread: the upload is over; the fd is ours again. */
static void on_source_done(int result, void *user_data)
{
    struct demo *d = user_data;
    pthread_mutex_lock(&d->mu);
    close(d->source_fd);
    d->source_fd = -1;
    d->done_calls++;
    d->done_result = result;
    wake_and_unlock(d);
}

/* Sender's raft op: what raft's ReportSnapshot gets. */
static void on_report_snapshot(struct rafthttp_transport *t, uint64_t to,
                               enum rafthttp_snapshot_status status,
                               void *user_data)
{
    (void)t;
    struct demo *d = user_data;
    printf("member 1: snapshot to %" PRIx64 ": %s\n", to,
           status == RAFTHTTP_SNAPSHOT_FINISH ? "FINISH" : "FAILURE");
    pthread_mutex_lock(&d->mu);
    d->reports++;
    d->report_status = (int)status;
    wake_and_unlock(d);
}

/* Receiver's raft op: db_path is complete and synced, and the
 * application's from now on. 0 answers the sender "applied". */
static int on_process_snapshot(struct rafthttp_transport *t,
                               const struct rafthttp_message *m,
                               const char *db_path, void *user_data)
{
    (void)t;
    struct demo *d = user_data;
    printf("member 2: snapshot at index %" PRIu64 " from %" PRIx64 ": %s\n",
           m->snapshot.metadata.index, m->from, db_path);
    pthread_mutex_lock(&d->mu);
    snprintf(d->db_path, sizeof(d->db_path), "%s", db_path);
    d->snapshots++;
    wake_and_unlock(d);
    return 0;
}

static const struct rafthttp_raft_ops ops = {
    .report_snapshot = on_report_snapshot,
    .process_snapshot = on_process_snapshot,
};

/* The sender's side is over (the receiver processed it first, if at all:
 * its answer to the upload comes after process_snapshot returns). */
static bool sender_done(const struct demo *d)
{
    return d->done_calls > 0 && d->reports > 0;
}

static bool wait_until_over(struct demo *d)
{
    struct timespec deadline;
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_sec += WAIT_SECONDS;
    pthread_mutex_lock(&d->mu);
    int rv = 0;
    while (!sender_done(d) && rv != ETIMEDOUT) {
        rv = pthread_cond_timedwait(&d->cv, &d->mu, &deadline);
    }
    bool over = sender_done(d);
    pthread_mutex_unlock(&d->mu);
    return over;
}

static int start_member(struct rafthttp_transport **t, uint64_t id,
                        const char *snapshot_dir, struct demo *d)
{
    static const char *const listen[] = {"http://127.0.0.1:0"};
    struct rafthttp_config cfg;
    rafthttp_config_init(&cfg);
    cfg.local_id = id;
    cfg.cluster_id = CLUSTER_ID;
    cfg.listen_urls = listen;
    cfg.n_listen_urls = 1;
    cfg.raft_ops = &ops;
    cfg.raft_user_data = d;
    cfg.snapshot_dir = snapshot_dir; /* NULL: this member refuses them */
    cfg.log_level = RAFTHTTP_LOG_ERROR;
    int rv = rafthttp_transport_new(t, &cfg);
    if (rv != 0) {
        return fail("transport_new", rv);
    }
    rv = rafthttp_transport_start(*t);
    return rv != 0 ? fail("transport_start", rv) : 0;
}

static int add_peer(struct rafthttp_transport *t, uint64_t id,
                    struct rafthttp_transport *peer)
{
    char url[64];
    snprintf(url, sizeof(url), "http://127.0.0.1:%u",
             rafthttp_transport_listen_port(peer, 0));
    const char *urls[] = {url};
    int rv = rafthttp_transport_add_peer(t, id, urls, 1);
    return rv != 0 ? fail("add_peer", rv) : 0;
}

static int write_database(const char *path)
{
    FILE *f = fopen(path, "wb");
    if (f == NULL) {
        fprintf(stderr, "snapshot: %s: %s\n", path, strerror(errno));
        return -1;
    }
    for (uint64_t i = 0; i < DB_BYTES; i++) {
        putc(db_byte(i), f);
    }
    bool failed = ferror(f) != 0;
    if (fclose(f) != 0 || failed) {
        fprintf(stderr, "snapshot: writing %s failed\n", path);
        return -1;
    }
    return 0;
}

/* Member 1 streams its database to member 2. */
static int send_snapshot(struct rafthttp_transport *t, struct demo *d)
{
    int fd = open(d->source_db, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        fprintf(stderr, "snapshot: %s: %s\n", d->source_db, strerror(errno));
        if (fd >= 0) {
            close(fd);
        }
        return -1;
    }
    static const uint64_t voters[] = {1, 2};
    struct rafthttp_message m = {
        .type = RAFTHTTP_MSG_SNAP, .from = 1, .to = 2, .term = 1};
    m.snapshot.metadata.index = SNAP_INDEX;
    m.snapshot.metadata.term = 1;
    m.snapshot.metadata.conf_state.voters = voters;
    m.snapshot.metadata.conf_state.n_voters = 2;
    struct rafthttp_snapshot_source src = {.read = NULL, /* read fd */
                                           .fd = fd,
                                           .size = (uint64_t)st.st_size,
                                           .done = on_source_done,
                                           .user_data = d};
    /* done() closes source_fd and may run before send returns. */
    pthread_mutex_lock(&d->mu);
    d->source_fd = fd;
    int rv = rafthttp_transport_send_snapshot(t, &m, &src);
    pthread_mutex_unlock(&d->mu);
    if (rv != 0) { /* nothing will be called: the fd is still ours */
        close(fd);
        return fail("send_snapshot", rv);
    }
    return 0;
}

/* The received file is the application's: check it, then delete it. */
static int check_and_delete(struct demo *d)
{
    char want[1100];
    snprintf(want, sizeof(want), "%s/%016" PRIx64 ".snap.db", d->snap_dir,
             (uint64_t)SNAP_INDEX);
    if (strcmp(d->db_path, want) != 0) {
        fprintf(stderr, "snapshot: got %s, not %s\n", d->db_path, want);
        return -1;
    }
    FILE *f = fopen(d->db_path, "rb");
    if (f == NULL) {
        fprintf(stderr, "snapshot: %s: %s\n", d->db_path, strerror(errno));
        return -1;
    }
    uint64_t n = 0;
    for (int c; (c = getc(f)) != EOF && c == db_byte(n);) {
        n++;
    }
    fclose(f);
    if (n != DB_BYTES) {
        fprintf(stderr, "snapshot: %s differs at byte %" PRIu64 "\n",
                d->db_path, n);
        return -1;
    }
    if (unlink(d->db_path) != 0) {
        fprintf(stderr, "snapshot: %s: %s\n", d->db_path, strerror(errno));
        return -1;
    }
    printf("member 2's copy has the %d bytes member 1 sent; deleted\n",
           DB_BYTES);
    return 0;
}

/* Removes a file or directory, unless it is already gone. */
static bool removed(const char *path, int (*remove_fn)(const char *))
{
    if (remove_fn(path) == 0 || errno == ENOENT) {
        return true;
    }
    fprintf(stderr, "snapshot: cannot remove %s: %s\n", path, strerror(errno));
    return false;
}

static bool run(struct rafthttp_transport *t[2], struct demo *d)
{
    if (write_database(d->source_db) != 0 ||
        start_member(&t[0], 1, NULL, d) != 0 ||
        start_member(&t[1], 2, d->snap_dir, d) != 0 ||
        add_peer(t[0], 2, t[1]) != 0 || add_peer(t[1], 1, t[0]) != 0 ||
        send_snapshot(t[0], d) != 0) {
        return false;
    }
    if (!wait_until_over(d)) {
        fprintf(stderr, "snapshot: not over after %d s\n", WAIT_SECONDS);
        return false;
    }
    /* After stop no callback runs: the counts below are final. */
    for (int i = 0; i < 2; i++) {
        int rv = rafthttp_transport_stop(t[i]);
        if (rv != 0) {
            fail("transport_stop", rv);
            return false;
        }
    }
    if (d->reports != 1 || d->report_status != RAFTHTTP_SNAPSHOT_FINISH ||
        d->done_calls != 1 || d->done_result != 0 || d->snapshots != 1) {
        fprintf(stderr, "snapshot: %d report(s), %d done() (%s), %d received\n",
                d->reports, d->done_calls, rafthttp_strerror(d->done_result),
                d->snapshots);
        return false;
    }
    return check_and_delete(d) == 0;
}

int main(void)
{
    struct demo d = {.mu = PTHREAD_MUTEX_INITIALIZER, .source_fd = -1};
    pthread_condattr_t attr;
    if (pthread_condattr_init(&attr) != 0 ||
        pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) != 0 ||
        pthread_cond_init(&d.cv, &attr) != 0) {
        fprintf(stderr, "snapshot: cannot make a condition variable\n");
        return 1;
    }
    pthread_condattr_destroy(&attr);
    const char *tmp = getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp";
    char work[900];
    snprintf(work, sizeof(work), "%s/rafthttp-snapshot-XXXXXX", tmp);
    if (mkdtemp(work) == NULL) {
        fprintf(stderr, "snapshot: mkdtemp %s: %s\n", work, strerror(errno));
        return 1;
    }
    snprintf(d.source_db, sizeof(d.source_db), "%s/member1.db", work);
    snprintf(d.snap_dir, sizeof(d.snap_dir), "%s/member2-snap", work);

    struct rafthttp_transport *t[2] = {NULL, NULL};
    bool ok = run(t, &d);
    rafthttp_transport_free(t[0]); /* stops first if still running */
    rafthttp_transport_free(t[1]);
    pthread_cond_destroy(&d.cv);
    /* rmdir fails if anything is left: a temporary file would show here. */
    ok = removed(d.source_db, unlink) && removed(d.snap_dir, rmdir) &&
         removed(work, rmdir) && ok;
    return ok ? 0 : 1;
}
