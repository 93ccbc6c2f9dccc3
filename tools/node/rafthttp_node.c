// SPDX-License-Identifier: Apache-2.0
/*
 * rafthttp-node: an example cluster member. It runs one rafthttp transport
 * with a built-in follower beneath it (responder.c), so that other members,
 * C or etcd, have somebody to talk to, and reports what went on.
 *
 * usage: rafthttp-node --id HEX --cluster-id HEX --listen URL
 *                      [--advertise URL] [--peer HEX=URL[,URL...]]
 *                      [--data-dir DIR] [--send-snapshot HEX=FILE]
 *                      [--metrics-listen URL] [--log-level LEVEL]
 *                      [--status-interval SECONDS] [--duration SECONDS]
 * (options.c has the details, and etcd's names for the flags; bad
 * arguments, and a --send-snapshot FILE that cannot be opened, exit with
 * status 2).
 *
 * Snapshots: --data-dir is the transport's snapshot directory, made if
 * missing and checked writable at start (data_dir.c); a snapshot
 * from a peer is saved there as <index as 16 hex digits>.snap.db, handed
 * to the responder (process_snapshot) and printed. --send-snapshot sends
 * FILE once to a peer as a snapshot database (snap_sender.c), as soon as
 * the main thread sees that peer active: MsgSnap from us at the
 * responder's term (or 1), metadata index its last index (or 1), and all
 * members as voters. --metrics-listen serves /metrics and /v2/stats/leader
 * from a daemon of its own (metrics_http.c).
 *
 * Threads:
 *   main       parses the arguments, adds the peers, starts the transport,
 *              then sleeps in poll() on a self-pipe. It wakes every
 *              NODE_SAMPLE_MS to note which peers are active, at each
 *              --status-interval to print one status line per peer, and on
 *              a signal, at the end of --duration or when the member is
 *              removed. On those wakeups it also starts the snapshot
 *              upload once its peer is active. At the end it stops the
 *              metrics daemon, captures the peers' status, stops and frees
 *              the transport and prints the summary.
 *   transport  the library's I/O and delivery threads. They call the
 *              responder's ops, which send replies from inside process().
 *              critical_error (we were removed) writes to the self-pipe.
 *              A received snapshot is printed from a delivery thread, as
 *              are the upload's result; its progress lines come from the
 *              upload's sender thread.
 *   metrics    libmicrohttpd's polling thread of the --metrics-listen
 *              daemon; it only reads the transport's metrics.
 *   signals    SIGINT and SIGTERM only set a flag and write to the
 *              self-pipe. The handler is one-shot: a second signal of the
 *              same kind ends the process at once.
 *
 * Output, on stdout, one record a line as space-separated key=value pairs
 * (the library's log goes to stderr):
 *   start member=1 cluster=1000 peers=1 data_dir=-
 *   listen url=http://127.0.0.1:23801 port=23801
 *   metrics url=http://127.0.0.1:41793         (with --metrics-listen)
 *   snapshot progress to=2 sent=1048576 total=3145728 pct=33
 *          (at most every 500 ms while sending)
 *   snapshot sent to=2 result=ok bytes=3145728 seconds=0.042 mbps=74.90
 *          (result: ok, or the error text in double quotes)
 *   snapshot unsent to=2 reason="peer never became active"
 *   snapshot received from=1 index=1
 *          path=/data/0000000000000001.snap.db bytes=3145728
 *   status peer=2 active=true active_for_ms=996 writers=msgapp,message
 *          readers=msgapp,message sent=0 received=2 dropped=0
 *          queued_bytes=0 reason=""                  (each interval)
 *   summary member=1 cluster=1000 ran_ms=5000 stopped_by=duration
 *   summary raft term=.. vote=.. lead=.. last_index=.. commit=..
 *          replies=.. send_errors=.. removed=false
 *   summary peer=2 was_active=true active=... (as status, taken just
 *          before the transport stops)
 *   summary peer=2 processed total=12 MsgApp=2 MsgHeartbeat=10
 *          unreachable=0 snapshots_ok=0 snapshots_failed=0
 *   summary transport sent=.. received=.. queued_bytes=.. dropped=..
 *          and the drops by reason (queue_bytes= ... recv_full=)
 * Lines printed by other threads never split a line of the main thread's.
 * IDs are hex as etcd prints them; "processed" counts process() calls by
 * message type (non-zero ones only); a "summary peer=other processed" line
 * appears if a member that is not a --peer sent anything.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../common/cli.h"
#include "data_dir.h"
#include "metrics_http.h"
#include "membership.h"
#include "node_log.h"
#include "options.h"
#include "rafthttp.h"
#include "responder.h"
#include "snap_sender.h"

#define NODE_SAMPLE_MS 200 /* how often peer activity is noted */

/* What the main thread learns about a peer while it runs. */
struct node_peer_run {
    bool was_active; /* seen active at least once */
    bool have_final; /* final was captured before stop */
    struct rafthttp_peer_status final;
};

struct node {
    struct node_opts opt;
    struct node_peer_run run[NODE_MAX_PEERS]; /* as opt.peers */
    struct responder resp;
    struct snap_sender snap;     /* --send-snapshot */
    struct metrics_http metrics; /* --metrics-listen */
    struct node_log log;         /* --logger, --log-outputs */
    struct rafthttp_transport *t;
    int64_t started_ms; /* monotonic */
};

/* The self-pipe and the signal seen; shared with the signal handler. */
static int wake_fds[2] = {-1, -1};
static volatile sig_atomic_t got_signal;

/* ------------------------------------------------------- setup, signals */

/* Async-signal-safe: only a flag and one write. */
static void on_signal(int sig)
{
    int saved = errno;
    got_signal = sig;
    ssize_t w = write(wake_fds[1], "s", 1);
    (void)w; /* a full pipe already wakes main */
    errno = saved;
}

/* Called on a transport thread when a peer says we were removed. */
static void on_removed(void *ud)
{
    (void)ud;
    ssize_t w = write(wake_fds[1], "r", 1);
    (void)w;
}

/* A delivery thread: the responder took a snapshot saved at path. */
static void on_snapshot(uint64_t from, uint64_t index, const char *path,
                        void *ud)
{
    char id[RAFTHTTP_ID_STRLEN];
    struct stat sb;
    intmax_t bytes = stat(path, &sb) == 0 ? (intmax_t)sb.st_size : -1;
    (void)ud;
    printf("snapshot received from=%s index=%" PRIu64 " path=%s bytes=%jd\n",
           rafthttp_id_format(from, id), index, path, bytes);
    fflush(stdout);
}

/* Talks to an added or updated member as a peer, as etcd's apply does. */
static void peer_with(struct node *n, const struct rafthttp_member *m)
{
    if (m->id == n->opt.id || m->n_peer_urls == 0) {
        return;
    }
    int rv =
        rafthttp_transport_add_peer(n->t, m->id, m->peer_urls, m->n_peer_urls);
    if (rv == RAFTHTTP_EEXIST) { /* known, with other URLs: an update */
        rv = rafthttp_transport_update_peer(n->t, m->id, m->peer_urls,
                                            m->n_peer_urls);
    }
    if (rv != 0) {
        fprintf(stderr, "rafthttp-node: member %llx: %s\n",
                (unsigned long long)m->id, rafthttp_transport_errmsg(NULL));
    }
}

/*
 * A membership change went by (from a transport thread): keep /members
 * current and the peers with it. An add or update carries etcd's member
 * JSON; a promotion (isPromote) names the member alone.
 */
static void on_conf_change(const struct rafthttp_conf_change *cc, void *ud)
{
    struct node *n = ud;
    static char json[8192];
    char scratch[4096];
    struct rafthttp_member m;
    bool promote = false;
    if (cc->type == RAFTHTTP_CONF_REMOVE_NODE) {
        node_membership_remove(cc->node_id);
        if (cc->node_id != n->opt.id) {
            rafthttp_transport_remove_peer(n->t, cc->node_id);
        }
    } else if (rafthttp_member_parse((const char *)cc->context.base,
                                     cc->context.len, &m, &promote, scratch,
                                     sizeof(scratch)) != 0) {
        fprintf(stderr, "rafthttp-node: ConfChange for %llx: %s\n",
                (unsigned long long)cc->node_id,
                rafthttp_transport_errmsg(NULL));
    } else if (promote) {
        node_membership_promote(m.id);
    } else if (node_membership_set(&m) == 0) {
        peer_with(n, &m);
    }
    if (node_membership_json(json, sizeof(json)) > 0) {
        rafthttp_transport_set_members_json(n->t, json);
    }
}

static int set_fd_flags(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) != 0) {
        return -1;
    }
    return fcntl(fd, F_SETFD, FD_CLOEXEC);
}

static int setup_signals(void)
{
    struct sigaction sa;
    if (pipe(wake_fds) != 0 || set_fd_flags(wake_fds[0]) != 0 ||
        set_fd_flags(wake_fds[1]) != 0) {
        fprintf(stderr, PROG ": self-pipe: %s\n", strerror(errno));
        return -1;
    }
    memset(&sa, 0, sizeof(sa));
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = on_signal;
    sa.sa_flags = (int)(SA_RESTART | SA_RESETHAND);
    if (sigaction(SIGINT, &sa, NULL) != 0 ||
        sigaction(SIGTERM, &sa, NULL) != 0) {
        fprintf(stderr, PROG ": sigaction: %s\n", strerror(errno));
        return -1;
    }
    sa.sa_handler = SIG_IGN; /* a peer closing a socket must not kill us */
    sa.sa_flags = 0;
    return sigaction(SIGPIPE, &sa, NULL);
}

static void close_wake_pipe(void)
{
    for (int i = 0; i < 2; i++) {
        if (wake_fds[i] >= 0) {
            close(wake_fds[i]);
        }
    }
}

/* --------------------------------------------------------------- output */

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *yes_no(bool b)
{
    return b ? "true" : "false";
}

/* "msgapp,message", "msgapp", "message" or "-". */
static const char *streams(bool msgapp, bool message)
{
    if (msgapp && message) {
        return "msgapp,message";
    }
    if (msgapp || message) {
        return msgapp ? "msgapp" : "message";
    }
    return "-";
}

/* Everything after "peer=ID " on a status or summary line. */
static void print_peer_fields(const struct rafthttp_peer_status *st)
{
    int64_t active_for = 0;
    if (st->active && st->active_since_ms > 0) {
        active_for = wall_ms() - st->active_since_ms;
    }
    printf("active=%s active_for_ms=%" PRId64 " writers=%s readers=%s"
           " sent=%" PRIu64 " received=%" PRIu64 " dropped=%" PRIu64
           " queued_bytes=%zu reason=\"%s\"\n",
           yes_no(st->active), active_for,
           streams(st->msgapp_writer, st->message_writer),
           streams(st->msgapp_reader, st->message_reader), st->sent_msgs,
           st->received_msgs, st->dropped_msgs, st->queued_bytes, st->reason);
}

static void print_status(struct node *n)
{
    char id[RAFTHTTP_ID_STRLEN];
    for (size_t i = 0; i < n->opt.n_peers; i++) {
        struct node_peer *p = &n->opt.peers[i];
        struct rafthttp_peer_status st;
        int rv = rafthttp_transport_peer_status(n->t, p->id, &st);
        flockfile(stdout); /* one line, whatever other threads print */
        printf("status peer=%s ", rafthttp_id_format(p->id, id));
        if (rv != 0) {
            printf("unknown\n");
        } else {
            print_peer_fields(&st);
        }
        funlockfile(stdout);
    }
    fflush(stdout);
}

/* Notes which peers are active; with final, keeps their status too. */
static void sample_peers(struct node *n, bool final)
{
    for (size_t i = 0; i < n->opt.n_peers; i++) {
        struct node_peer_run *run = &n->run[i];
        struct rafthttp_peer_status st;
        if (rafthttp_transport_peer_status(n->t, n->opt.peers[i].id, &st) !=
            0) {
            continue;
        }
        run->was_active = run->was_active || st.active;
        if (final) {
            run->final = st;
            run->have_final = true;
        }
    }
}

_Static_assert(sizeof(((struct rafthttp_stats *)0)->dropped_by_type) ==
                   RESPONDER_TYPES * sizeof(uint64_t),
               "dropped_by_type has one slot per responder type");

/* " total=13 MsgApp=3 MsgHeartbeat=10": the total, then non-zero counts. */
static void print_counts(const uint64_t counts[RESPONDER_TYPES])
{
    uint64_t total = 0;
    for (int32_t i = 0; i < RESPONDER_TYPES; i++) {
        total += counts[i];
    }
    printf(" total=%" PRIu64, total);
    for (int32_t i = 0; i < RESPONDER_TYPES; i++) {
        if (counts[i] > 0) {
            printf(" %s=%" PRIu64, node_responder_type_name(i), counts[i]);
        }
    }
}

static void print_processed(const char *who, const struct responder_peer *rp)
{
    printf("summary peer=%s processed", who);
    print_counts(rp->recv);
    printf(" unreachable=%" PRIu64 " snapshots_ok=%" PRIu64
           " snapshots_failed=%" PRIu64 "\n",
           rp->unreachable, rp->snap_finish, rp->snap_failure);
}

/* The two summary lines of peer i. */
static void print_summary_peer(struct node *n, size_t i)
{
    char id[RAFTHTTP_ID_STRLEN];
    struct responder_peer rp;
    const struct node_peer_run *run = &n->run[i];
    uint64_t peer = n->opt.peers[i].id;
    rafthttp_id_format(peer, id);
    printf("summary peer=%s was_active=%s ", id, yes_no(run->was_active));
    if (run->have_final) {
        print_peer_fields(&run->final);
    } else {
        printf("unknown\n");
    }
    node_responder_get_peer(&n->resp, peer, &rp);
    print_processed(id, &rp);
}

static void print_summary_raft(struct node *n)
{
    char vote[RAFTHTTP_ID_STRLEN];
    char lead[RAFTHTTP_ID_STRLEN];
    struct responder_state st;
    node_responder_get_state(&n->resp, &st);
    printf("summary raft term=%" PRIu64 " vote=%s lead=%s last_index=%" PRIu64
           " commit=%" PRIu64 " replies=%" PRIu64 " send_errors=%" PRIu64
           " removed=%s\n",
           st.term, rafthttp_id_format(st.vote, vote),
           rafthttp_id_format(st.lead, lead), st.last_index, st.commit,
           st.replies, st.send_errors, yes_no(st.removed));
    struct responder_peer other;
    node_responder_get_peer(&n->resp, 0, &other);
    uint64_t any = other.unreachable + other.snap_finish + other.snap_failure;
    for (size_t i = 0; i < RESPONDER_TYPES; i++) {
        any += other.recv[i];
    }
    if (any > 0) {
        print_processed("other", &other);
    }
}

static void print_summary_transport(const struct rafthttp_stats *s)
{
    uint64_t dropped = 0;
    for (size_t i = 0; i < RAFTHTTP_DROP_REASONS; i++) {
        dropped += s->dropped[i];
    }
    printf("summary transport sent=%" PRIu64 " received=%" PRIu64
           " received_pipeline=%" PRIu64 " queued_bytes=%zu dropped=%" PRIu64
           " queue_bytes=%" PRIu64 " queue_msgs=%" PRIu64
           " no_connection=%" PRIu64 " paused=%" PRIu64 " removed=%" PRIu64
           " recv_full=%" PRIu64 "\n",
           s->sent_msgs, s->received_msgs, s->received_pipeline,
           s->queued_bytes, dropped, s->dropped[RAFTHTTP_DROP_QUEUE_BYTES],
           s->dropped[RAFTHTTP_DROP_QUEUE_MSGS],
           s->dropped[RAFTHTTP_DROP_NO_CONNECTION],
           s->dropped[RAFTHTTP_DROP_PAUSED], s->dropped[RAFTHTTP_DROP_REMOVED],
           s->dropped[RAFTHTTP_DROP_RECV_FULL]);
    if (dropped > 0) {
        printf("summary transport dropped_by_type");
        print_counts(s->dropped_by_type);
        printf("\n");
    }
}

/* ------------------------------------------------------------- lifetime */

static int start_peers(struct node *n)
{
    char id[RAFTHTTP_ID_STRLEN];
    for (size_t i = 0; i < n->opt.n_peers; i++) {
        struct node_peer *p = &n->opt.peers[i];
        int rv = rafthttp_transport_add_peer(n->t, p->id, p->urls, p->n_urls);
        if (rv != 0) {
            fprintf(stderr, PROG ": add peer %s: %s\n",
                    rafthttp_id_format(p->id, id), rafthttp_strerror(rv));
            return -1;
        }
    }
    return 0;
}

static void print_start(struct node *n)
{
    char id[RAFTHTTP_ID_STRLEN];
    char cid[RAFTHTTP_ID_STRLEN];
    printf("start member=%s cluster=%s peers=%zu data_dir=%s\n",
           rafthttp_id_format(n->opt.id, id),
           rafthttp_id_format(n->opt.cluster_id, cid), n->opt.n_peers,
           n->opt.data_dir != NULL ? n->opt.data_dir : "-");
    for (size_t i = 0; i < n->opt.n_listen; i++) {
        printf("listen url=%s port=%u\n", n->opt.listen[i],
               rafthttp_transport_listen_port(n->t, i));
    }
    fflush(stdout);
}

/* Sets up the responder and the transport with its peers; starts it. */
static int node_start(struct node *n)
{
    struct rafthttp_config cfg;
    n->resp.on_removed = on_removed;
    n->resp.on_snapshot = on_snapshot;
    n->resp.on_conf_change = on_conf_change;
    n->resp.on_conf_change_ud = n;
    for (size_t i = 0; i < n->opt.n_peers; i++) {
        node_responder_add_peer(&n->resp, n->opt.peers[i].id);
    }
    node_options_fill_config(&n->opt, node_responder_ops(), &n->resp, &cfg);
    cfg.log = node_log_write;
    cfg.log_user_data = &n->log;
    int rv = rafthttp_transport_new(&n->t, &cfg);
    if (rv != 0) {
        fprintf(stderr, PROG ": transport: %s\n", rafthttp_strerror(rv));
        return -1;
    }
    rv = rafthttp_transport_start(n->t);
    if (rv != 0) {
        fprintf(stderr, PROG ": start: %s: %s\n", rafthttp_strerror(rv),
                rafthttp_transport_errmsg(n->t));
        return -1;
    }
    /*
     * A peer that dialled us before this point is a remote by now; adding
     * it makes it a full peer.
     */
    if (n->opt.peer_delay_s > 0) {
        /*
         * --peer-delay: no peer yet, so no stream is up; what peers send
         * meanwhile comes by POST /raft (the pipeline).
         */
        struct timespec ts = {(time_t)n->opt.peer_delay_s, 0};
        nanosleep(&ts, NULL);
    }
    if (start_peers(n) != 0) {
        return -1;
    }
    n->started_ms = mono_ms();
    print_start(n);
    if (n->opt.metrics_listen != NULL &&
        node_metrics_http_start(&n->metrics, n->opt.metrics_listen, n->t) !=
            0) {
        return -1;
    }
    return 0;
}

/* Starts the --send-snapshot upload once its peer is active. */
static void maybe_send_snapshot(struct node *n)
{
    struct rafthttp_peer_status ps;
    struct responder_state rs;
    uint64_t voters[NODE_MAX_PEERS + 1];
    struct rafthttp_message m;
    if (!node_snap_sender_ready(&n->snap) ||
        rafthttp_transport_peer_status(n->t, n->opt.snap_to, &ps) != 0 ||
        !ps.active) {
        return;
    }
    node_responder_get_state(&n->resp, &rs);
    voters[0] = n->opt.id;
    for (size_t i = 0; i < n->opt.n_peers; i++) {
        voters[i + 1] = n->opt.peers[i].id;
    }
    memset(&m, 0, sizeof(m));
    m.type = RAFTHTTP_MSG_SNAP;
    m.from = n->opt.id;
    m.to = n->opt.snap_to;
    m.term = rs.term > 0 ? rs.term : 1;
    m.snapshot.metadata.index = rs.last_index > 0 ? rs.last_index : 1;
    m.snapshot.metadata.term = m.term;
    m.snapshot.metadata.conf_state.voters = voters;
    m.snapshot.metadata.conf_state.n_voters = n->opt.n_peers + 1;
    node_snap_sender_start(&n->snap, n->t, &m); /* it reports a refusal */
}

/* Why to stop now, or NULL to go on. */
static const char *stop_reason(struct node *n)
{
    struct responder_state st;
    if (got_signal != 0) {
        return got_signal == SIGINT ? "SIGINT" : "SIGTERM";
    }
    node_responder_get_state(&n->resp, &st);
    return st.removed ? "removed" : NULL;
}

/* Sleeps up to ms, or until the self-pipe is written; then drains it. */
static void wait_wakeup(int64_t ms)
{
    struct pollfd pfd = {.fd = wake_fds[0], .events = POLLIN};
    char buf[64];
    if (ms <= 0) {
        return;
    }
    if (poll(&pfd, 1, (int)ms) > 0) {
        while (read(wake_fds[0], buf, sizeof(buf)) > 0) {
        }
    }
}

static int64_t min_i64(int64_t a, int64_t b)
{
    return a < b ? a : b;
}

/* The main thread's loop; returns why it ended. */
static const char *node_run(struct node *n)
{
    int64_t now = mono_ms();
    int64_t deadline = INT64_MAX;
    int64_t every = (int64_t)n->opt.status_interval_s * 1000;
    int64_t next_status = every > 0 ? now + every : INT64_MAX;
    if (n->opt.duration_s > 0) {
        deadline = now + (int64_t)n->opt.duration_s * 1000;
    }
    for (;;) {
        const char *why = stop_reason(n);
        if (why != NULL) {
            return why;
        }
        now = mono_ms();
        if (now >= deadline) {
            return "duration";
        }
        sample_peers(n, false);
        maybe_send_snapshot(n);
        if (now >= next_status) {
            print_status(n);
            while (next_status <= now) {
                next_status += every;
            }
        }
        int64_t wake = min_i64(deadline, now + NODE_SAMPLE_MS);
        wait_wakeup(min_i64(wake, next_status) - now);
    }
}

/* Captures the peers, stops and frees the transport, prints the summary. */
static void node_finish(struct node *n, const char *why)
{
    char id[RAFTHTTP_ID_STRLEN];
    char cid[RAFTHTTP_ID_STRLEN];
    struct rafthttp_stats stats;
    int64_t ran_ms = mono_ms() - n->started_ms;
    node_metrics_http_stop(&n->metrics); /* it reads the transport */
    sample_peers(n, true);
    rafthttp_transport_stop(n->t);
    node_snap_sender_finish(&n->snap);
    rafthttp_transport_stats(n->t, &stats);
    rafthttp_transport_free(n->t);
    n->t = NULL;
    printf("summary member=%s cluster=%s ran_ms=%" PRId64 " stopped_by=%s\n",
           rafthttp_id_format(n->opt.id, id),
           rafthttp_id_format(n->opt.cluster_id, cid), ran_ms, why);
    print_summary_raft(n);
    for (size_t i = 0; i < n->opt.n_peers; i++) {
        print_summary_peer(n, i);
    }
    print_summary_transport(&stats);
    fflush(stdout);
}

/* Runs the member from start to summary; returns the exit status. */
static int node_main(struct node *n)
{
    if (node_start(n) != 0) {
        rafthttp_transport_free(n->t);
        return 1;
    }
    const char *why = node_run(n);
    node_finish(n, why);
    if (strcmp(why, "removed") == 0) {
        struct responder_state st;
        node_responder_get_state(&n->resp, &st);
        fprintf(stderr, PROG ": removed from the cluster: %s\n",
                st.removed_why);
        return 1;
    }
    return 0;
}

/* Sets up signals and the responder; runs the member. */
static int setup_and_run(struct node *n)
{
    int status = 1;
    if (setup_signals() == 0) {
        if (node_responder_init(&n->resp, n->opt.id) == 0) {
            status = node_main(n);
            node_responder_close(&n->resp);
        } else {
            fprintf(stderr, PROG ": cannot set up the responder\n");
        }
    }
    return status;
}

int main(int argc, char **argv)
{
    static struct node n; /* large (peer URL buffers): not on the stack */
    if (node_options_parse(&n.opt, argc, argv) != 0) {
        return EXIT_USAGE;
    }
    if (n.opt.help) {
        node_options_usage(stdout);
        return 0;
    }
    if (n.opt.version) {
        cli_print_version(stdout, PROG);
        return 0;
    }
    if (n.opt.data_dir != NULL && node_data_dir_prepare(n.opt.data_dir) != 0) {
        return EXIT_USAGE; /* not a directory we can write in */
    }
    if (node_log_open(&n.log, n.opt.log_outputs, n.opt.log_format) != 0) {
        return EXIT_USAGE; /* an output we cannot open */
    }
    if (node_snap_sender_init(&n.snap) != 0) {
        fprintf(stderr, PROG ": cannot set up the snapshot sender\n");
        node_log_close(&n.log);
        return 1;
    }
    int status = EXIT_USAGE; /* a --send-snapshot FILE we cannot open */
    if (n.opt.snap_file == NULL ||
        node_snap_sender_open(&n.snap, n.opt.snap_to, n.opt.snap_file) == 0) {
        status = setup_and_run(&n);
    }
    node_snap_sender_close(&n.snap);
    close_wake_pipe();
    node_log_close(&n.log);
    return status;
}
