// SPDX-License-Identifier: Apache-2.0
/* The loopback cluster harness; see cluster.h. */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cluster.h"

#define WAIT_LIMIT_MS 15000

void tc_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

static struct tc_node *node_of(void *ud)
{
    return ud;
}

static int on_process(struct rafthttp_transport *t,
                      const struct rafthttp_message *m, void *ud)
{
    (void)t;
    struct tc_node *n = node_of(ud);
    if (n->process_delay_ms > 0 &&
        (n->slow_from == 0 || n->slow_from == m->from)) {
        tc_sleep_ms(n->process_delay_ms);
    }
    pthread_mutex_lock(&n->mu);
    while (n->hold) {
        n->held = true;
        pthread_cond_broadcast(&n->cv);
        pthread_cond_wait(&n->cv, &n->mu);
    }
    pthread_mutex_unlock(&n->mu);
    if (m->type == RAFTHTTP_MSG_PROP) {
        pthread_mutex_lock(&n->mu);
        while (n->block_props) {
            pthread_cond_wait(&n->cv, &n->mu);
        }
        pthread_mutex_unlock(&n->mu);
    }
    size_t data = 0;
    for (size_t i = 0; i < m->n_entries; i++) {
        data += m->entries[i].data.len;
    }
    pthread_mutex_lock(&n->mu);
    if (n->n_records < TC_MAX_RECORDS) {
        n->records[n->n_records++] =
            (struct tc_record){m->type,  m->from,   m->to,        m->term,
                               m->index, m->commit, m->n_entries, data};
    }
    int rv = n->process_result;
    pthread_cond_broadcast(&n->cv);
    pthread_mutex_unlock(&n->mu);
    return rv;
}

static void on_unreachable(struct rafthttp_transport *t, uint64_t id, void *ud)
{
    (void)t;
    struct tc_node *n = node_of(ud);
    pthread_mutex_lock(&n->mu);
    if (id <= TC_MAX_NODES) {
        n->unreachable[id]++;
    }
    pthread_cond_broadcast(&n->cv);
    pthread_mutex_unlock(&n->mu);
}

static void on_snapshot(struct rafthttp_transport *t, uint64_t id,
                        enum rafthttp_snapshot_status st, void *ud)
{
    (void)t;
    (void)id;
    struct tc_node *n = node_of(ud);
    pthread_mutex_lock(&n->mu);
    n->snapshot_reports[st <= 2 ? st : 0]++;
    pthread_cond_broadcast(&n->cv);
    pthread_mutex_unlock(&n->mu);
}

static void on_critical(struct rafthttp_transport *t, int err,
                        const char *detail, void *ud)
{
    (void)t;
    (void)err;
    (void)detail;
    struct tc_node *n = node_of(ud);
    pthread_mutex_lock(&n->mu);
    n->critical++;
    pthread_cond_broadcast(&n->cv);
    pthread_mutex_unlock(&n->mu);
}

static bool on_is_removed(struct rafthttp_transport *t, uint64_t id, void *ud)
{
    (void)t;
    struct tc_node *n = node_of(ud);
    pthread_mutex_lock(&n->mu);
    bool removed = n->removed_id != 0 && n->removed_id == id;
    pthread_mutex_unlock(&n->mu);
    return removed;
}

static int on_process_snapshot(struct rafthttp_transport *t,
                               const struct rafthttp_message *m,
                               const char *path, void *ud)
{
    struct tc_node *n = node_of(ud);
    if (n->snapshot_delay_ms > 0) {
        tc_sleep_ms(n->snapshot_delay_ms);
    }
    pthread_mutex_lock(&n->mu);
    snprintf(n->snap_path, sizeof(n->snap_path), "%s", path);
    n->snapshots++;
    pthread_mutex_unlock(&n->mu);
    return on_process(t, m, ud);
}

static void on_peer_status(struct rafthttp_transport *t, uint64_t id,
                           bool active, const char *reason, void *ud)
{
    (void)t;
    struct tc_node *n = node_of(ud);
    pthread_mutex_lock(&n->mu);
    if (id <= TC_MAX_NODES) {
        (active ? n->became_active : n->became_inactive)[id]++;
    }
    if (!active) {
        snprintf(n->inactive_reason, sizeof(n->inactive_reason), "%s",
                 reason != NULL ? reason : "(null)");
    }
    pthread_cond_broadcast(&n->cv);
    pthread_mutex_unlock(&n->mu);
}

static const struct rafthttp_raft_ops ops = {
    .process = on_process,
    .process_snapshot = on_process_snapshot,
    .is_id_removed = on_is_removed,
    .report_unreachable = on_unreachable,
    .report_snapshot = on_snapshot,
    .critical_error = on_critical,
    .peer_status_changed = on_peer_status,
};

static void quiet_log(enum rafthttp_log_level level, const char *msg,
                      const struct rafthttp_log_field *fields, size_t n_fields,
                      void *ud)
{
    struct tc_node *n = ud;
    if (strcmp(msg, "prober detected unhealthy status") == 0) {
        pthread_mutex_lock(&n->mu);
        n->unhealthy_warnings++;
        pthread_mutex_unlock(&n->mu);
    }
    if (getenv("TC_VERBOSE") != NULL) {
        char line[1024];
        rafthttp_log_format(RAFTHTTP_LOG_TEXT, level, msg, fields, n_fields,
                            line, sizeof(line));
        fprintf(stderr, "node %llu: %s\n", (unsigned long long)n->id, line);
    }
}

/* Starts node's transport listening on listen_url. */
static void start_node(struct tc_node *node, const char *listen_url)
{
    const char *listen[] = {listen_url};
    struct rafthttp_config cfg;
    rafthttp_config_init(&cfg);
    cfg.local_id = node->id;
    cfg.cluster_id = 0x1000;
    cfg.listen_urls = listen;
    cfg.n_listen_urls = 1;
    cfg.raft_ops = &ops;
    cfg.raft_user_data = node;
    cfg.log = quiet_log;
    cfg.log_user_data = node;
    cfg.log_level = RAFTHTTP_LOG_DEBUG;
    cfg.snapshot_dir = node->snap_dir;
    if (node->tune != NULL) {
        node->tune(&cfg);
    }
    if (rafthttp_transport_new(&node->t, &cfg) != 0 ||
        rafthttp_transport_start(node->t) != 0) {
        fprintf(stderr, "tc: node %llu failed to start on %s\n",
                (unsigned long long)node->id, listen_url);
        abort();
    }
    node->port = rafthttp_transport_listen_port(node->t, 0);
    snprintf(node->url, sizeof(node->url), "http://127.0.0.1:%u", node->port);
}

void tc_start(struct tc_cluster *c, size_t n,
              void (*tune)(struct rafthttp_config *cfg))
{
    memset(c, 0, sizeof(*c));
    c->n = n;
    for (size_t i = 0; i < n; i++) {
        struct tc_node *node = &c->nodes[i];
        node->id = i + 1;
        node->tune = tune;
        node->records = calloc(TC_MAX_RECORDS, sizeof(*node->records));
        pthread_mutex_init(&node->mu, NULL);
        pthread_cond_init(&node->cv, NULL);
        snprintf(node->snap_dir, sizeof(node->snap_dir), "%s",
                 "/tmp/rh-snap-XXXXXX");
        if (mkdtemp(node->snap_dir) == NULL) {
            abort();
        }
        start_node(node, "http://127.0.0.1:0");
    }
}

void tc_kill(struct tc_cluster *c, size_t i)
{
    rafthttp_transport_free(c->nodes[i].t);
    c->nodes[i].t = NULL;
}

void tc_restart(struct tc_cluster *c, size_t i)
{
    struct tc_node *node = &c->nodes[i];
    if (node->t != NULL) {
        tc_kill(c, i);
    }
    char listen[64];
    snprintf(listen, sizeof(listen), "http://127.0.0.1:%u", node->port);
    start_node(node, listen);
    for (size_t j = 0; j < c->n; j++) {
        if (j != i) {
            const char *url = c->nodes[j].url;
            rafthttp_transport_add_peer(node->t, c->nodes[j].id, &url, 1);
        }
    }
}

void tc_release_props(struct tc_node *node)
{
    pthread_mutex_lock(&node->mu);
    node->block_props = false;
    pthread_cond_broadcast(&node->cv);
    pthread_mutex_unlock(&node->mu);
}

void tc_connect_all(struct tc_cluster *c)
{
    for (size_t i = 0; i < c->n; i++) {
        for (size_t j = 0; j < c->n; j++) {
            if (i != j) {
                const char *url = c->nodes[j].url;
                rafthttp_transport_add_peer(c->nodes[i].t, c->nodes[j].id, &url,
                                            1);
            }
        }
    }
}

void tc_stop(struct tc_cluster *c)
{
    for (size_t i = 0; i < c->n; i++) {
        tc_release_props(&c->nodes[i]);
        rafthttp_transport_free(c->nodes[i].t);
        c->nodes[i].t = NULL;
    }
    for (size_t i = 0; i < c->n; i++) {
        char cmd[128];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", c->nodes[i].snap_dir);
        if (system(cmd) != 0) {
            fprintf(stderr, "tc: could not remove %s\n", c->nodes[i].snap_dir);
        }
        free(c->nodes[i].records);
        pthread_mutex_destroy(&c->nodes[i].mu);
        pthread_cond_destroy(&c->nodes[i].cv);
    }
}

static bool streams_up(struct tc_cluster *c, size_t a, size_t b)
{
    struct rafthttp_peer_status s;
    if (rafthttp_transport_peer_status(c->nodes[a].t, c->nodes[b].id, &s) !=
            0 ||
        !s.msgapp_writer || !s.message_writer || !s.msgapp_reader ||
        !s.message_reader) {
        return false;
    }
    return true;
}

bool tc_wait_streams(struct tc_cluster *c, size_t a, size_t b)
{
    for (int waited = 0; waited < WAIT_LIMIT_MS; waited += 10) {
        if (streams_up(c, a, b) && streams_up(c, b, a)) {
            return true;
        }
        tc_sleep_ms(10);
    }
    return false;
}

bool tc_wait_until(struct tc_node *node, bool (*cond)(struct tc_node *))
{
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += WAIT_LIMIT_MS / 1000;
    pthread_mutex_lock(&node->mu);
    bool ok = cond(node);
    while (!ok) {
        if (pthread_cond_timedwait(&node->cv, &node->mu, &deadline) != 0) {
            ok = cond(node);
            break;
        }
        ok = cond(node);
    }
    pthread_mutex_unlock(&node->mu);
    return ok;
}

static size_t want_records;

static bool have_records(struct tc_node *node)
{
    return node->n_records >= want_records;
}

bool tc_wait_records(struct tc_node *node, size_t n)
{
    want_records = n;
    return tc_wait_until(node, have_records);
}

unsigned tc_unreachable(struct tc_node *node, uint64_t id)
{
    pthread_mutex_lock(&node->mu);
    unsigned n = id <= TC_MAX_NODES ? node->unreachable[id] : 0;
    pthread_mutex_unlock(&node->mu);
    return n;
}
