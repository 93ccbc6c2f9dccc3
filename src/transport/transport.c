/*
 * The transport object: lifecycle, configuration copies, the peer table and
 * the status queries. Sending lives in send.c, delivery in deliver.c, the
 * network in io_loop.c, http_server.c and http_client.c.
 *
 * Lifecycle: new -> start -> stop -> free. stop is synchronous: it joins
 * the delivery threads (after the callback in progress returns), then the
 * I/O thread (which ends every connection), then frees what is queued.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "snapshot.h"
#include "transport.h"

_Thread_local struct rafthttp_transport *rh_in_callback;

void rh_set_errmsg(struct rafthttp_transport *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(t->errmsg, sizeof(t->errmsg), fmt, ap);
    va_end(ap);
}

static bool valid(const struct rafthttp_transport *t)
{
    return t != NULL && t->magic == RH_TRANSPORT_MAGIC;
}

/* ------------------------------------------------------ configuration */

static void free_strings(const struct rafthttp_allocator *a, char **v,
                         size_t n)
{
    for (size_t i = 0; v != NULL && i < n; i++) {
        rh_free(a, v[i]);
    }
    rh_free(a, v);
}

static char **copy_strings(const struct rafthttp_allocator *a,
                           const char *const *v, size_t n)
{
    char **out = rh_calloc(a, n, sizeof(*out));
    for (size_t i = 0; out != NULL && i < n; i++) {
        size_t len = strlen(v[i]) + 1;
        out[i] = rh_malloc(a, len);
        if (out[i] == NULL) {
            free_strings(a, out, n);
            return NULL;
        }
        memcpy(out[i], v[i], len);
    }
    return out;
}

/* "u1,u2" for X-PeerURLs, as etcd joins url.String() values. */
static char *join_urls(const struct rafthttp_allocator *a,
                       const char *const *v, size_t n)
{
    size_t len = 1;
    for (size_t i = 0; i < n; i++) {
        len += strlen(v[i]) + 1;
    }
    char *out = rh_malloc(a, len);
    if (out == NULL) {
        return NULL;
    }
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        at += (size_t)snprintf(out + at, len - at, "%s%s", i > 0 ? "," : "",
                               v[i]);
    }
    out[at] = '\0';
    return out;
}

/* etcd's /version body: {"etcdserver":"..","etcdcluster":".."}. */
static void set_version_json(struct rafthttp_transport *t,
                             const struct rafthttp_config *cfg)
{
    char cluster[32];
    struct rh_semver v;
    if (cfg->cluster_version != NULL) {
        snprintf(cluster, sizeof(cluster), "%s", cfg->cluster_version);
    } else if (rh_semver_parse(cfg->server_version, &v) == 0) {
        snprintf(cluster, sizeof(cluster), "%lld.%lld.0", (long long)v.major,
                 (long long)v.minor);
    }
    snprintf(t->version_json, sizeof(t->version_json),
             "{\"etcdserver\":\"%s\",\"etcdcluster\":\"%s\"}",
             cfg->server_version, cluster);
}

static int copy_config(struct rafthttp_transport *t,
                       const struct rafthttp_config *cfg)
{
    const struct rafthttp_allocator *a = cfg->allocator;
    t->cfg = *cfg;
    t->cfg.tls = NULL; /* borrowed: its copy is t->tls (transport_init) */
    t->peer_urls = copy_strings(a, cfg->peer_urls, cfg->n_peer_urls);
    t->listen_urls = copy_strings(a, cfg->listen_urls, cfg->n_listen_urls);
    t->peer_urls_header = join_urls(a, cfg->peer_urls, cfg->n_peer_urls);
    if (cfg->snapshot_dir != NULL) {
        char **dir = copy_strings(a, &cfg->snapshot_dir, 1);
        t->snapshot_dir = dir != NULL ? dir[0] : NULL;
        rh_free(a, dir);
        if (t->snapshot_dir == NULL) {
            return RAFTHTTP_ENOMEM;
        }
    }
    if (cfg->members_json != NULL) {
        char **json = copy_strings(a, &cfg->members_json, 1);
        t->members_json = json != NULL ? json[0] : NULL;
        rh_free(a, json);
        if (t->members_json == NULL) {
            return RAFTHTTP_ENOMEM;
        }
    }
    if (t->peer_urls == NULL || t->listen_urls == NULL ||
        t->peer_urls_header == NULL) {
        return RAFTHTTP_ENOMEM;
    }
    t->cfg.snapshot_dir = t->snapshot_dir;
    t->cfg.members_json = t->members_json;
    set_version_json(t, cfg);
    t->cfg.peer_urls = (const char *const *)t->peer_urls;
    t->cfg.listen_urls = (const char *const *)t->listen_urls;
    t->cfg.server_version = NULL; /* kept parsed in t->local */
    t->cfg.min_cluster_version = NULL;
    return 0;
}

static void free_config(struct rafthttp_transport *t)
{
    free_strings(t->alloc, t->peer_urls, t->cfg.n_peer_urls);
    free_strings(t->alloc, t->listen_urls, t->cfg.n_listen_urls);
    rh_free(t->alloc, t->peer_urls_header);
    rh_free(t->alloc, t->snapshot_dir);
    rh_free(t->alloc, t->members_json);
}

/* ------------------------------------------------------------ lifecycle */

static int transport_init(struct rafthttp_transport *t,
                          const struct rafthttp_config *cfg)
{
    t->magic = RH_TRANSPORT_MAGIC;
    t->alloc = cfg->allocator;
    t->rng = (uint64_t)rh_now_ms() ^ (cfg->local_id * 0x9e3779b97f4a7c15u);
    t->next_gen = 1;
    if (cfg->n_listen_urls > RH_MAX_LISTEN ||
        rh_local_identity_init(&t->local, cfg) != 0) {
        return RAFTHTTP_EINVAL;
    }
    int rv = copy_config(t, cfg);
    if (rv == 0) {
        rv = rh_logger_init(&t->log, t->alloc, cfg->log, cfg->log_user_data,
                            cfg->log_level);
    }
    if (rv == 0 && cfg->tls != NULL) {
        char err[200];
        rv = rh_tls_new(t->alloc, cfg->tls, &t->log, &t->tls, err,
                        sizeof(err));
        if (rv != 0) {
            rh_log(&t->log, RAFTHTTP_LOG_ERROR, "invalid TLS configuration",
                   "error=\"%s\"", err);
        }
    }
    if (rv != 0) {
        return rv;
    }
    pthread_mutex_init(&t->mu, NULL);
    for (int i = 0; i < RH_POOLS; i++) {
        pthread_cond_init(&t->work_cv[i], NULL);
    }
    pthread_cond_init(&t->snap_cv, NULL);
    rh_mailbox_init(&t->control, RH_POOL_RECV, SIZE_MAX, NULL);
    rh_mailbox_init(&t->pipe_recv, RH_POOL_RECV, cfg->recv_queue_bytes, NULL);
    rh_mailbox_init(&t->pipe_prop, RH_POOL_PROP, cfg->recv_queue_bytes, NULL);
    return 0;
}

int rafthttp_transport_new(struct rafthttp_transport **out,
                           const struct rafthttp_config *cfg)
{
    if (out == NULL || rafthttp_config_validate(cfg) != 0) {
        return RAFTHTTP_EINVAL;
    }
    struct rafthttp_transport *t = rh_calloc(cfg->allocator, 1, sizeof(*t));
    if (t == NULL) {
        return RAFTHTTP_ENOMEM;
    }
    int rv = transport_init(t, cfg);
    if (rv != 0) {
        free_config(t);
        rh_tls_free(t->tls);
        rh_logger_close(&t->log, t->alloc);
        rh_free(cfg->allocator, t);
        return rv;
    }
    *out = t;
    return 0;
}

int rafthttp_transport_start(struct rafthttp_transport *t)
{
    if (!valid(t)) {
        return RAFTHTTP_EINVAL;
    }
    pthread_mutex_lock(&t->mu);
    bool fresh = t->state == RH_NEW;
    if (fresh) {
        t->state = RH_STARTED;
    }
    pthread_mutex_unlock(&t->mu);
    if (!fresh) {
        return RAFTHTTP_EINVAL;
    }
    int rv = rh_io_start(t);
    if (rv == 0) {
        rv = rh_deliver_start(t);
    }
    if (rv != 0) {
        rafthttp_transport_stop(t);
        return rv;
    }
    rh_log(&t->log, RAFTHTTP_LOG_INFO, "transport started",
           "local=%s cluster=%s", t->local.id_str, t->local.cluster_id_str);
    return 0;
}

/* Unlinks and releases every peer (t->mu held, threads already gone). */
static void drop_all_peers(struct rafthttp_transport *t)
{
    struct rh_peer *lists[2] = {t->peers, t->removed};
    t->peers = NULL;
    t->removed = NULL;
    for (int i = 0; i < 2; i++) {
        while (lists[i] != NULL) {
            struct rh_peer *p = lists[i];
            lists[i] = p->next;
            p->removed = true;
            rh_mailbox_clear(t, &p->recvq);
            rh_mailbox_clear(t, &p->propq);
            rh_peer_unref(t, p);
        }
    }
    rh_mailbox_clear(t, &t->control);
    rh_mailbox_clear(t, &t->pipe_recv);
    rh_mailbox_clear(t, &t->pipe_prop);
    rh_deliver_free_spares(t);
}

/* Cancels every snapshot sender and waits for its report (t->mu held). */
static void end_snapshot_senders(struct rafthttp_transport *t)
{
    struct rh_peer *lists[2] = {t->peers, t->removed};
    for (int i = 0; i < 2; i++) {
        for (struct rh_peer *p = lists[i]; p != NULL; p = p->next) {
            if (p->snap_send != NULL) {
                rh_snap_send_cancel(p->snap_send);
            }
        }
    }
    while (t->snap_send_threads > 0) {
        pthread_cond_wait(&t->snap_cv, &t->mu);
    }
}

/*
 * Stop, in order: senders end and report (while delivery threads still
 * run, so every snapshot gets its one report); delivery threads drain the
 * reports and end; the I/O thread ends every connection; receivers' writers
 * see their connections gone and end; then the peers go.
 */
int rafthttp_transport_stop(struct rafthttp_transport *t)
{
    if (!valid(t) || rh_in_callback == t) {
        return RAFTHTTP_EINVAL;
    }
    pthread_mutex_lock(&t->mu);
    bool running = t->state == RH_STARTED;
    if (t->state != RH_STOPPED) {
        t->state = RH_STOPPING;
    }
    end_snapshot_senders(t);
    pthread_mutex_unlock(&t->mu);
    if (running || t->io_running || t->n_workers > 0) {
        rh_deliver_stop(t);
        rh_io_stop(t);
    }
    pthread_mutex_lock(&t->mu);
    while (t->snap_recv_threads > 0) {
        pthread_cond_wait(&t->snap_cv, &t->mu);
    }
    drop_all_peers(t);
    t->state = RH_STOPPED;
    pthread_mutex_unlock(&t->mu);
    if (running) {
        rh_log(&t->log, RAFTHTTP_LOG_INFO, "transport stopped", "local=%s",
               t->local.id_str);
    }
    return 0;
}

void rafthttp_transport_free(struct rafthttp_transport *t)
{
    if (!valid(t)) {
        return;
    }
    rafthttp_transport_stop(t);
    pthread_mutex_destroy(&t->mu);
    for (int i = 0; i < RH_POOLS; i++) {
        pthread_cond_destroy(&t->work_cv[i]);
    }
    pthread_cond_destroy(&t->snap_cv);
    free_config(t);
    rh_tls_free(t->tls);
    rh_logger_close(&t->log, t->alloc);
    t->magic = 0;
    rh_free(t->alloc, t);
}

const char *rafthttp_transport_errmsg(struct rafthttp_transport *t)
{
    return valid(t) ? t->errmsg : "invalid transport";
}

/* ---------------------------------------------------------------- peers */

struct rh_peer *rh_find_peer(struct rafthttp_transport *t, uint64_t id)
{
    for (struct rh_peer *p = t->peers; p != NULL; p = p->next) {
        if (p->id == id) {
            return p;
        }
    }
    return NULL;
}

void rh_peer_ref(struct rh_peer *p)
{
    p->refs++;
}

void rh_peer_unref(struct rafthttp_transport *t, struct rh_peer *p)
{
    if (--p->refs == 0) {
        rh_peer_free(p, t->alloc);
    }
}

/*
 * A member we only knew as a remote (it reached us first, with X-PeerURLs)
 * becomes a full peer: etcd keeps peers and remotes apart and prefers the
 * peer, which is what turning the remote into one does (t->mu held).
 */
static int promote_remote(struct rafthttp_transport *t, struct rh_peer *p,
                          const char *const *urls, size_t n)
{
    int rv = rh_urlpick_update(&p->picker, t->alloc, urls, n);
    if (rv == 0) {
        p->remote = false;
        rh_log(&t->log, RAFTHTTP_LOG_INFO, "remote became a peer", "peer=%s",
               p->id_str);
        rh_io_kick(t);
    }
    return rv;
}

static int add_member(struct rafthttp_transport *t, uint64_t id,
                      const char *const *urls, size_t n, bool remote)
{
    if (!valid(t) || id == 0 || n == 0 || !rh_urls_valid(urls, n)) {
        return RAFTHTTP_EINVAL;
    }
    struct rh_peer *p = rh_peer_new(t->alloc, id, urls, n, &t->cfg);
    if (p == NULL) {
        return RAFTHTTP_ENOMEM;
    }
    p->remote = remote;
    pthread_mutex_lock(&t->mu);
    int rv = 0;
    struct rh_peer *old = rh_find_peer(t, id);
    if (t->state == RH_STOPPING || t->state == RH_STOPPED) {
        rv = RAFTHTTP_ESTOPPED;
    } else if (old != NULL && old->remote && !remote) {
        rv = promote_remote(t, old, urls, n);
    } else if (old != NULL || id == t->local.id) {
        rv = 1; /* duplicate: ignored, as etcd does */
    } else {
        p->next = t->peers;
        t->peers = p;
        p = NULL;
        rh_io_kick(t);
    }
    pthread_mutex_unlock(&t->mu);
    if (p != NULL) {
        rh_peer_free(p, t->alloc);
    }
    return rv < 0 ? rv : 0;
}

int rafthttp_transport_add_peer(struct rafthttp_transport *t, uint64_t id,
                                const char *const *urls, size_t n_urls)
{
    return add_member(t, id, urls, n_urls, false);
}

int rafthttp_transport_add_remote(struct rafthttp_transport *t, uint64_t id,
                                  const char *const *urls, size_t n_urls)
{
    return add_member(t, id, urls, n_urls, true);
}

/*
 * Unlinks p and hands it to the I/O thread, which closes its connections
 * and drops the table's reference (t->mu held).
 */
static void unlink_peer(struct rafthttp_transport *t, struct rh_peer *p)
{
    struct rh_peer **pp = &t->peers;
    while (*pp != p) {
        pp = &(*pp)->next;
    }
    *pp = p->next;
    p->removed = true;
    p->next = t->removed;
    t->removed = p;
    if (p->snap_send != NULL) {
        rh_snap_send_cancel(p->snap_send);
    }
    rh_mailbox_clear(t, &p->recvq);
    rh_mailbox_clear(t, &p->propq);
    rh_io_kick(t);
}

int rafthttp_transport_remove_peer(struct rafthttp_transport *t, uint64_t id)
{
    if (!valid(t)) {
        return RAFTHTTP_EINVAL;
    }
    pthread_mutex_lock(&t->mu);
    struct rh_peer *p = rh_find_peer(t, id);
    if (p != NULL) {
        rh_log(&t->log, RAFTHTTP_LOG_INFO, "removed peer", "peer=%s",
               p->id_str);
        unlink_peer(t, p);
    }
    pthread_mutex_unlock(&t->mu);
    return p != NULL ? 0 : RAFTHTTP_EPEER_NOT_FOUND;
}

void rafthttp_transport_remove_all_peers(struct rafthttp_transport *t)
{
    if (!valid(t)) {
        return;
    }
    pthread_mutex_lock(&t->mu);
    struct rh_peer *p = t->peers;
    while (p != NULL) {
        struct rh_peer *next = p->next;
        if (!p->remote) { /* remotes stay, as in etcd */
            unlink_peer(t, p);
        }
        p = next;
    }
    pthread_mutex_unlock(&t->mu);
}

int rafthttp_transport_update_peer(struct rafthttp_transport *t, uint64_t id,
                                   const char *const *urls, size_t n_urls)
{
    if (!valid(t) || n_urls == 0 || !rh_urls_valid(urls, n_urls)) {
        return RAFTHTTP_EINVAL;
    }
    pthread_mutex_lock(&t->mu);
    struct rh_peer *p = rh_find_peer(t, id);
    int rv = p != NULL ? rh_urlpick_update(&p->picker, t->alloc, urls, n_urls)
                       : RAFTHTTP_EPEER_NOT_FOUND;
    pthread_mutex_unlock(&t->mu);
    return rv;
}

int rafthttp_transport_set_members_json(struct rafthttp_transport *t,
                                        const char *json)
{
    if (!valid(t)) {
        return RAFTHTTP_EINVAL;
    }
    char *copy = NULL;
    if (json != NULL) {
        char **v = copy_strings(t->alloc, &json, 1);
        copy = v != NULL ? v[0] : NULL;
        rh_free(t->alloc, v);
        if (copy == NULL) {
            return RAFTHTTP_ENOMEM;
        }
    }
    pthread_mutex_lock(&t->mu);
    char *old = t->members_json;
    t->members_json = copy;
    t->cfg.members_json = copy;
    pthread_mutex_unlock(&t->mu);
    rh_free(t->alloc, old);
    return 0;
}

/* --------------------------------------------------------------- status */

void rh_mark_active(struct rafthttp_transport *t, struct rh_peer *p,
                    const char *source)
{
    if (rh_peer_activate(p)) {
        p->metrics.active = true;
        rh_log(&t->log, RAFTHTTP_LOG_INFO, "peer became active",
               "peer=%s source=%s", p->id_str, source);
    }
}

void rh_mark_inactive(struct rafthttp_transport *t, struct rh_peer *p,
                      const char *source, const char *reason)
{
    char why[128];
    snprintf(why, sizeof(why), "%s: %s", source, reason);
    if (rh_peer_deactivate(p, why)) {
        p->metrics.active = false;
        p->metrics.disconnects++;
        rh_log(&t->log, RAFTHTTP_LOG_WARN, "peer became inactive",
               "peer=%s source=%s reason=\"%s\"", p->id_str, source, reason);
    }
}

static void fill_status(const struct rh_peer *p,
                        struct rafthttp_peer_status *st)
{
    memset(st, 0, sizeof(*st));
    st->active = p->active;
    st->active_since_ms = p->active_since_ms;
    snprintf(st->reason, sizeof(st->reason), "%s", p->reason);
    st->msgapp_writer = p->writers[RH_STREAM_MSGAPPV2].gen != 0;
    st->message_writer = p->writers[RH_STREAM_MESSAGE].gen != 0;
    st->msgapp_reader = p->readers[RH_STREAM_MSGAPPV2].up;
    st->message_reader = p->readers[RH_STREAM_MESSAGE].up;
    st->queued_bytes = p->queued_bytes;
    st->sent_msgs = p->sent_msgs;
    st->received_msgs = p->received_msgs;
    st->dropped_msgs = p->dropped_msgs;
    st->msgapp_queued_bytes =
        rh_stream_writer_queued(&p->writers[RH_STREAM_MSGAPPV2]);
    st->message_queued_bytes =
        rh_stream_writer_queued(&p->writers[RH_STREAM_MESSAGE]);
    st->pipeline_queued = p->pipeline.queued;
    st->probe_healthy = p->probe.healthy;
    st->rtt_s = p->probe.srtt_s;
    st->clock_diff_s = p->probe.clock_diff_s;
    st->probes = p->probe.total;
    st->probe_failures = p->probe.loss;
}

/* ------------------------------------------------------------- metrics */

/* Copies every peer's metrics (t->mu held); *n set. */
static struct rh_peer_metrics *copy_metrics(struct rafthttp_transport *t,
                                            size_t *n)
{
    size_t count = 0;
    for (struct rh_peer *p = t->peers; p != NULL; p = p->next) {
        count++;
    }
    struct rh_peer_metrics *m = rh_calloc(t->alloc, count, sizeof(*m));
    if (m == NULL) {
        return NULL;
    }
    size_t i = 0;
    for (struct rh_peer *p = t->peers; p != NULL; p = p->next, i++) {
        m[i] = p->metrics;
        m[i].active = p->active;
        m[i].queued_bytes = p->queued_bytes;
        m[i].queued_msgs = p->pipeline.queued;
        m[i].dropped = p->dropped_msgs;
        for (int k = 0; k < 2; k++) {
            m[i].stream_queued[k] = rh_stream_writer_queued(&p->writers[k]);
        }
    }
    *n = count;
    return m;
}

/* Formats with fmt into the caller's buffer. */
static int format_out(struct rafthttp_transport *t, bool leader, char *buf,
                      size_t cap, size_t *len)
{
    if (!valid(t) || len == NULL || (buf == NULL && cap > 0)) {
        return RAFTHTTP_EINVAL;
    }
    struct rafthttp_stats stats;
    size_t n = 0;
    pthread_mutex_lock(&t->mu);
    struct rh_peer_metrics *m = copy_metrics(t, &n);
    stats = t->stats;
    stats.queued_bytes = t->queued_bytes;
    pthread_mutex_unlock(&t->mu);
    if (m == NULL) {
        return RAFTHTTP_ENOMEM;
    }
    struct rh_buf out;
    rh_buf_init(&out, t->alloc, SIZE_MAX);
    int rv = leader ? rh_leader_stats_format(t->local.id, m, n, &out)
                    : rh_metrics_format(m, n, t->local.id, &stats, &out);
    rh_free(t->alloc, m);
    if (rv == 0) {
        *len = out.len;
        if (out.len >= cap) {
            rv = RAFTHTTP_ETOOBIG;
        } else {
            memcpy(buf, out.data, out.len);
            buf[out.len] = '\0';
        }
    }
    rh_buf_close(&out);
    return rv;
}

int rafthttp_transport_metrics(struct rafthttp_transport *t, char *buf,
                               size_t cap, size_t *len)
{
    return format_out(t, false, buf, cap, len);
}

int rafthttp_transport_leader_stats(struct rafthttp_transport *t, char *buf,
                                    size_t cap, size_t *len)
{
    return format_out(t, true, buf, cap, len);
}

int rafthttp_transport_peer_status(struct rafthttp_transport *t, uint64_t id,
                                   struct rafthttp_peer_status *st)
{
    if (!valid(t) || st == NULL) {
        return RAFTHTTP_EINVAL;
    }
    pthread_mutex_lock(&t->mu);
    struct rh_peer *p = rh_find_peer(t, id);
    if (p != NULL) {
        fill_status(p, st);
    }
    pthread_mutex_unlock(&t->mu);
    return p != NULL ? 0 : RAFTHTTP_EPEER_NOT_FOUND;
}

int64_t rafthttp_transport_active_since(struct rafthttp_transport *t,
                                        uint64_t id)
{
    struct rafthttp_peer_status st;
    if (rafthttp_transport_peer_status(t, id, &st) != 0) {
        return 0;
    }
    return st.active_since_ms;
}

size_t rafthttp_transport_active_peers(struct rafthttp_transport *t)
{
    size_t n = 0;
    if (!valid(t)) {
        return 0;
    }
    pthread_mutex_lock(&t->mu);
    for (struct rh_peer *p = t->peers; p != NULL; p = p->next) {
        n += !p->remote && p->active;
    }
    pthread_mutex_unlock(&t->mu);
    return n;
}

void rafthttp_transport_stats(struct rafthttp_transport *t,
                              struct rafthttp_stats *st)
{
    if (!valid(t) || st == NULL) {
        return;
    }
    pthread_mutex_lock(&t->mu);
    *st = t->stats;
    st->queued_bytes = t->queued_bytes;
    pthread_mutex_unlock(&t->mu);
}

/* ------------------------------------------------------------ test hooks */

static void set_paused(struct rafthttp_transport *t, bool paused)
{
    if (valid(t)) {
        pthread_mutex_lock(&t->mu);
        t->paused = paused;
        pthread_mutex_unlock(&t->mu);
    }
}

void rafthttp_transport_pause(struct rafthttp_transport *t)
{
    set_paused(t, true);
}

void rafthttp_transport_resume(struct rafthttp_transport *t)
{
    set_paused(t, false);
}

static int set_cut(struct rafthttp_transport *t, uint64_t id, bool cut)
{
    if (!valid(t)) {
        return RAFTHTTP_EINVAL;
    }
    pthread_mutex_lock(&t->mu);
    struct rh_peer *p = rh_find_peer(t, id);
    if (p != NULL) {
        p->cut = cut;
    }
    pthread_mutex_unlock(&t->mu);
    return p != NULL ? 0 : RAFTHTTP_EPEER_NOT_FOUND;
}

int rafthttp_transport_cut_peer(struct rafthttp_transport *t, uint64_t id)
{
    return set_cut(t, id, true);
}

int rafthttp_transport_mend_peer(struct rafthttp_transport *t, uint64_t id)
{
    return set_cut(t, id, false);
}
