// SPDX-License-Identifier: Apache-2.0
/*
 * The transport object: lifecycle, the copies of its configuration, and
 * the public entry points that act (observe.c has those that read). Each entry
 * point checks its arguments, takes the lock, hands the work to the peer layer
 * (src/peer/) or to an adapter, and rings the I/O thread when there is network
 * work to do; none of them waits on the network.
 *
 * Lifecycle: new -> start -> stop -> free. stop is synchronous: snapshot
 * senders end and report (while the delivery threads still run, so every
 * snapshot gets its one report); the delivery threads drain the reports
 * and end; the I/O thread ends every connection; the receivers' writers
 * see their connections gone and end; then the peers go.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "transport.h"

_Thread_local struct rafthttp_transport *rh_in_callback;

/*
 * The text goes to the transport (rafthttp_transport_errmsg(t)) and to the
 * calling thread (rafthttp_transport_errmsg(NULL)), which no other thread
 * can overwrite between the failed call and the read.
 */
void rh_set_errmsg(struct rafthttp_transport *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(t->errmsg, sizeof(t->errmsg), fmt, ap);
    va_end(ap);
    rh_thread_errmsg_set("%s", t->errmsg);
}

bool rh_transport_valid(const struct rafthttp_transport *t)
{
    return t != NULL && t->magic == RH_TRANSPORT_MAGIC;
}

static bool valid(const struct rafthttp_transport *t)
{
    return rh_transport_valid(t);
}

bool rh_transport_usable(const struct rafthttp_transport *t, const char *call)
{
    if (valid(t)) {
        return true;
    }
    rh_thread_errmsg_set("%s: t is %s", call,
                         t == NULL ? "NULL" : "not a live transport (freed?)");
    return false;
}

/* ------------------------------------------------------ configuration */

static void free_strings(const struct rafthttp_allocator *a, char **v, size_t n)
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
        out[i] = rh_strdup(a, v[i]);
        if (out[i] == NULL) {
            free_strings(a, out, n);
            return NULL;
        }
    }
    return out;
}

/* "u1,u2" for X-PeerURLs, as etcd joins url.String() values. */
static char *join_urls(const struct rafthttp_allocator *a, const char *const *v,
                       size_t n)
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
    char cluster[32] = "";
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

/* A copy of an optional string: 0 (NULL copies as NULL) or ENOMEM. */
static int copy_optional(const struct rafthttp_allocator *a, const char *s,
                         char **out)
{
    *out = s != NULL ? rh_strdup(a, s) : NULL;
    return s != NULL && *out == NULL ? RAFTHTTP_ENOMEM : 0;
}

static int copy_config(struct rafthttp_transport *t,
                       const struct rafthttp_config *cfg)
{
    const struct rafthttp_allocator *a = cfg->allocator;
    rh_config_copy(&t->cfg, cfg); /* a smaller (older) one keeps defaults */
    t->cfg.tls = NULL; /* borrowed: its copy is t->tls (transport_init) */
    t->peer_urls = copy_strings(a, cfg->peer_urls, cfg->n_peer_urls);
    t->listen_urls = copy_strings(a, cfg->listen_urls, cfg->n_listen_urls);
    t->peer_urls_header = join_urls(a, cfg->peer_urls, cfg->n_peer_urls);
    if (t->peer_urls == NULL || t->listen_urls == NULL ||
        t->peer_urls_header == NULL ||
        copy_optional(a, cfg->snapshot_dir, &t->snapshot_dir) != 0 ||
        copy_optional(a, cfg->members_json, &t->members_json) != 0) {
        return RAFTHTTP_ENOMEM;
    }
    set_version_json(t, cfg);
    t->cfg.snapshot_dir = t->snapshot_dir;
    t->cfg.members_json = t->members_json;
    t->cfg.peer_urls = (const char *const *)t->peer_urls;
    t->cfg.listen_urls = (const char *const *)t->listen_urls;
    t->cfg.server_version = NULL; /* kept parsed in t->local */
    t->cfg.min_cluster_version = NULL;
    t->cfg.cluster_version = NULL; /* kept in version_json */
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
    if (cfg->n_listen_urls > RH_MAX_LISTEN) {
        rh_thread_errmsg_set("n_listen_urls: %zu, at most %d",
                             cfg->n_listen_urls, RH_MAX_LISTEN);
        return RAFTHTTP_EINVAL;
    }
    if (rh_local_identity_init(&t->local, cfg) != 0) {
        return RAFTHTTP_EINVAL; /* the check said why */
    }
    int rv = copy_config(t, cfg); /* t->cfg is whole even if this fails */
    rh_logger_init(&t->log, cfg->log, cfg->log_user_data, cfg->log_level,
                   t->cfg.log_format, cfg->local_id);
    if (rv == 0 && cfg->tls != NULL) {
        char err[200];
        rv = rh_tls_new(t->alloc, cfg->tls, &t->log, &t->tls, err, sizeof(err));
        if (rv != 0) {
            rh_thread_errmsg_set("tls: %s", err);
            rh_log(&t->log, RAFTHTTP_LOG_ERROR, "invalid TLS configuration",
                   RH_F("error", err));
        }
    } else if (rv != 0) {
        rh_thread_errmsg_set("out of memory copying the config");
    }
    if (rv != 0) {
        return rv;
    }
    rh_mutex_init(&t->mu, RH_LOCK_TRANSPORT);
    pthread_cond_init(&t->snap_cv, NULL);
    rh_inbox_init(&t->inbox, &t->mu, t->alloc, cfg->recv_queue_bytes,
                  rh_io_answer, t);
    rh_peer_table_init(&t->peers, t->alloc, &t->cfg, &t->log, &t->mu,
                       &t->inbox);
    return 0;
}

int rafthttp_transport_new(struct rafthttp_transport **out,
                           const struct rafthttp_config *cfg)
{
    if (out == NULL) {
        rh_thread_errmsg_set("t: NULL (where the new transport goes)");
        return RAFTHTTP_EINVAL;
    }
    if (rafthttp_config_check(cfg, NULL, 0) != 0) {
        return RAFTHTTP_EINVAL; /* the check said why */
    }
    struct rafthttp_transport *t = rh_calloc(cfg->allocator, 1, sizeof(*t));
    if (t == NULL) {
        rh_thread_errmsg_set("out of memory for the transport");
        return RAFTHTTP_ENOMEM;
    }
    int rv = transport_init(t, cfg);
    if (rv != 0) {
        free_config(t);
        rh_tls_free(t->tls);
        rh_logger_close(&t->log);
        rh_free(cfg->allocator, t);
        return rv;
    }
    *out = t;
    return 0;
}

int rafthttp_transport_start(struct rafthttp_transport *t)
{
    if (!rh_transport_usable(t, "start")) {
        return RAFTHTTP_EINVAL;
    }
    rh_mutex_lock(&t->mu);
    bool fresh = t->state == RH_NEW;
    if (fresh) {
        t->state = RH_STARTED;
        t->peers.open = true;
    } else {
        rh_set_errmsg(t, "start: %s",
                      t->state == RH_STARTED ? "already started"
                                             : "stopped (a transport starts "
                                               "once)");
    }
    rh_mutex_unlock(&t->mu);
    if (!fresh) {
        return RAFTHTTP_EINVAL;
    }
    int rv = rh_io_start(t); /* it says why it failed */
    if (rv == 0) {
        rv = rh_deliver_start(t);
        if (rv != 0) {
            rh_set_errmsg(t, "start: cannot create a delivery thread");
        }
    }
    if (rv != 0) {
        rafthttp_transport_stop(t);
        return rv;
    }
    rh_log(&t->log, RAFTHTTP_LOG_INFO, "started rafthttp transport",
           RH_F("cluster-id", t->local.cluster_id_str));
    return 0;
}

/* Cancels every snapshot sender and waits for its report (t->mu). */
static void end_snapshot_senders(struct rafthttp_transport *t)
{
    rh_peer_cancel_snapshots(&t->peers);
    while (t->snap_send_threads > 0) {
        rh_cond_wait(&t->snap_cv, &t->mu);
    }
}

int rafthttp_transport_stop(struct rafthttp_transport *t)
{
    if (!rh_transport_usable(t, "stop")) {
        return RAFTHTTP_EINVAL;
    }
    if (rh_in_callback == t) { /* it would wait for itself */
        rh_set_errmsg(t, "stop: called from one of the transport's callbacks");
        return RAFTHTTP_EINVAL;
    }
    rh_mutex_lock(&t->mu);
    while (t->stop_in_progress) { /* another thread stops it: wait for it */
        rh_cond_wait(&t->snap_cv, &t->mu);
    }
    if (t->state == RH_STOPPED) {
        rh_mutex_unlock(&t->mu);
        return 0;
    }
    t->stop_in_progress = true;
    bool running = t->state == RH_STARTED;
    t->state = RH_STOPPING;
    t->peers.open = false;
    end_snapshot_senders(t);
    rh_mutex_unlock(&t->mu);
    if (running || t->io_running || t->n_workers > 0) {
        rh_deliver_stop(t);
        rh_io_stop(t);
    }
    rh_mutex_lock(&t->mu);
    while (t->snap_recv_threads > 0) {
        rh_cond_wait(&t->snap_cv, &t->mu);
    }
    rh_peer_table_clear(&t->peers);
    rh_inbox_clear(&t->inbox);
    t->state = RH_STOPPED;
    t->stop_in_progress = false;
    pthread_cond_broadcast(&t->snap_cv);
    rh_mutex_unlock(&t->mu);
    if (running) {
        rh_log(&t->log, RAFTHTTP_LOG_INFO, "stopped rafthttp transport",
               RH_F("cluster-id", t->local.cluster_id_str));
    }
    return 0;
}

void rafthttp_transport_free(struct rafthttp_transport *t)
{
    if (!valid(t)) {
        return;
    }
    if (rh_in_callback == t) { /* the caller's own thread would be freed */
        rh_set_errmsg(t, "free: called from one of the transport's "
                         "callbacks; not freed");
        rh_log(&t->log, RAFTHTTP_LOG_ERROR, "refused to free the transport",
               RH_F("error", t->errmsg));
        return;
    }
    rafthttp_transport_stop(t);
    rh_inbox_close(&t->inbox);
    rh_mutex_destroy(&t->mu);
    pthread_cond_destroy(&t->snap_cv);
    free_config(t);
    rh_tls_free(t->tls);
    rh_logger_close(&t->log);
    t->magic = 0;
    rh_free(t->alloc, t);
}

const char *rafthttp_transport_errmsg(struct rafthttp_transport *t)
{
    if (t == NULL) {
        return rh_thread_errmsg();
    }
    return valid(t) ? t->errmsg : "invalid transport";
}

unsigned rafthttp_transport_listen_port(struct rafthttp_transport *t, size_t i)
{
    return valid(t) ? rh_io_listen_port(t, i) : 0;
}

/* ---------------------------------------------------------------- send */

/* The state's refusal of a call that needs a started transport (t->mu). */
static int not_running(struct rafthttp_transport *t, const char *call)
{
    if (t->state == RH_STARTED) {
        return 0;
    }
    bool early = t->state == RH_NEW;
    rh_set_errmsg(t, "%s: transport %s", call,
                  early ? "not started yet" : "stopped");
    return early ? RAFTHTTP_ENOTSTARTED : RAFTHTTP_ESTOPPED;
}

int rafthttp_transport_send(struct rafthttp_transport *t,
                            const struct rafthttp_message *msgs, size_t n)
{
    if (!rh_transport_usable(t, "send")) {
        return RAFTHTTP_EINVAL;
    }
    rh_mutex_lock(&t->mu);
    int rv = msgs == NULL && n > 0 ? RAFTHTTP_EINVAL : not_running(t, "send");
    if (rv == RAFTHTTP_EINVAL) {
        rh_set_errmsg(t, "send: msgs NULL with n %zu", n);
    }
    if (rv != 0) {
        rh_mutex_unlock(&t->mu);
        return rv;
    }
    int64_t clock = rh_now_ns();
    bool kick = false;
    for (size_t i = 0; i < n; i++) {
        const struct rafthttp_message *m = &msgs[i];
        struct rh_peer *p = m->to != 0 ? rh_peer_find(&t->peers, m->to) : NULL;
        if (p != NULL && rh_peer_send(&t->peers, p, m, &clock)) {
            kick = true;
        } else if (p == NULL && m->to != 0) {
            rh_peer_send_unknown(&t->peers, m);
        }
    }
    if (kick) {
        rh_io_kick(t);
    }
    rh_mutex_unlock(&t->mu);
    return 0;
}

/* What is wrong with send_snapshot's arguments, or NULL. */
static const char *
snapshot_args_refused(const struct rafthttp_message *m,
                      const struct rafthttp_snapshot_source *src)
{
    if (m == NULL) {
        return "m: NULL";
    }
    if (m->type != RAFTHTTP_MSG_SNAP) {
        return "m->type: not RAFTHTTP_MSG_SNAP";
    }
    if (src == NULL) {
        return "src: NULL";
    }
    if (src->read == NULL && src->fd < 0) {
        return "src: neither a read function nor an fd";
    }
    return NULL;
}

int rafthttp_transport_send_snapshot(struct rafthttp_transport *t,
                                     const struct rafthttp_message *m,
                                     const struct rafthttp_snapshot_source *src)
{
    if (!rh_transport_usable(t, "send_snapshot")) {
        return RAFTHTTP_EINVAL;
    }
    const char *bad = snapshot_args_refused(m, src);
    if (bad != NULL) {
        rh_mutex_lock(&t->mu);
        rh_set_errmsg(t, "send_snapshot: %s", bad);
        rh_mutex_unlock(&t->mu);
        return RAFTHTTP_EINVAL;
    }
    rh_mutex_lock(&t->mu);
    struct rh_peer *p = rh_peer_find(&t->peers, m->to);
    int rv = not_running(t, "send_snapshot");
    if (rv == 0 && (p == NULL || p->remote)) {
        rv = RAFTHTTP_EPEER_NOT_FOUND;
        rh_set_errmsg(t, "send_snapshot to %llx: %s", (unsigned long long)m->to,
                      p == NULL ? "no such peer"
                                : "a remote takes no snapshot");
    } else if (rv == 0) {
        rv = rh_snap_client_start(t, p, m, src);
        if (rv != 0) {
            rh_set_errmsg(t, "send_snapshot to %s: %s", p->id_str,
                          rv == RAFTHTTP_EBUSY ? "one is in flight to that peer"
                                               : rafthttp_strerror(rv));
        }
    }
    rh_mutex_unlock(&t->mu);
    return rv;
}

/* ---------------------------------------------------------------- peers */

/* The URL checks of add_peer and update_peer (t->mu). */
static int check_urls(struct rafthttp_transport *t, const char *call,
                      uint64_t id, const char *const *urls, size_t n)
{
    if (urls == NULL || n == 0) {
        rh_set_errmsg(t, "%s %llx: no URLs", call, (unsigned long long)id);
        return RAFTHTTP_EINVAL;
    }
    for (size_t i = 0; i < n; i++) {
        struct rh_url u;
        if (urls[i] == NULL || rh_url_parse(urls[i], &u) != 0) {
            rh_set_errmsg(t,
                          "%s %llx: urls[%zu] \"%s\" is not "
                          "http(s)://host:port",
                          call, (unsigned long long)id, i,
                          urls[i] != NULL ? urls[i] : "(null)");
            return RAFTHTTP_EINVAL;
        }
        if (t->tls == NULL && strcmp(u.scheme, "https") == 0) {
            rh_set_errmsg(t, "%s %llx: https URL %s without TLS configured",
                          call, (unsigned long long)id, urls[i]);
            return RAFTHTTP_EINVAL;
        }
    }
    return 0;
}

/* Everything add_member refuses before the table is asked (t->mu). */
static int check_member(struct rafthttp_transport *t, const char *call,
                        uint64_t id, const char *const *urls, size_t n)
{
    if (id == 0 || id == t->local.id) {
        rh_set_errmsg(t, "%s %llx: %s", call, (unsigned long long)id,
                      id == 0 ? "ID 0" : "that is this member's own ID");
        return RAFTHTTP_EINVAL;
    }
    if (t->state == RH_STOPPING || t->state == RH_STOPPED) {
        rh_set_errmsg(t, "%s %llx: transport stopped", call,
                      (unsigned long long)id);
        return RAFTHTTP_ESTOPPED;
    }
    return check_urls(t, call, id, urls, n);
}

/* etcd's line for a new peer or remote, its URLs joined by commas. */
static void log_added(struct rafthttp_transport *t, uint64_t id,
                      const char *const *urls, size_t n, bool remote)
{
    char id_str[RAFTHTTP_ID_STRLEN];
    char joined[512] = "";
    for (size_t i = 0, at = 0; i < n && at < sizeof(joined); i++) {
        at += (size_t)snprintf(joined + at, sizeof(joined) - at, "%s%s",
                               i > 0 ? "," : "", urls[i]);
    }
    rh_log(&t->log, RAFTHTTP_LOG_INFO,
           remote ? "added new remote peer" : "added remote peer",
           RH_F("remote-peer-id", rafthttp_id_format(id, id_str)),
           RH_F("remote-peer-urls", joined));
}

static int add_member(struct rafthttp_transport *t, uint64_t id,
                      const char *const *urls, size_t n, bool remote)
{
    const char *call = remote ? "add_remote" : "add_peer";
    if (!rh_transport_usable(t, call)) {
        return RAFTHTTP_EINVAL;
    }
    rh_mutex_lock(&t->mu);
    int rv = check_member(t, call, id, urls, n);
    enum rh_peer_added what = RH_PEER_KNOWN;
    if (rv == 0) {
        rv = rh_peer_add(&t->peers, id, urls, n, remote, &what);
    }
    if (rv == RAFTHTTP_ENOMEM) {
        rh_set_errmsg(t, "%s %llx: out of memory", call,
                      (unsigned long long)id);
    } else if (what == RH_PEER_CONFLICT) {
        rv = RAFTHTTP_EEXIST;
        rh_set_errmsg(t,
                      "%s %llx: already a peer with other URLs (use "
                      "rafthttp_transport_update_peer)",
                      call, (unsigned long long)id);
    } else if (rv == 0 && what != RH_PEER_KNOWN) {
        log_added(t, id, urls, n, remote);
        rh_io_kick(t);
    }
    rh_mutex_unlock(&t->mu);
    return rv;
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

int rafthttp_transport_remove_peer(struct rafthttp_transport *t, uint64_t id)
{
    if (!rh_transport_usable(t, "remove_peer")) {
        return RAFTHTTP_EINVAL;
    }
    rh_mutex_lock(&t->mu);
    struct rh_peer *p = rh_peer_find(&t->peers, id);
    if (p != NULL) {
        rh_log(&t->log, RAFTHTTP_LOG_INFO, "removed remote peer",
               RH_F("removed-remote-peer-id", p->id_str));
        rh_peer_remove(&t->peers, p);
        rh_io_kick(t);
    } else {
        rh_set_errmsg(t, "remove_peer %llx: no such peer",
                      (unsigned long long)id);
    }
    rh_mutex_unlock(&t->mu);
    return p != NULL ? 0 : RAFTHTTP_EPEER_NOT_FOUND;
}

void rafthttp_transport_remove_all_peers(struct rafthttp_transport *t)
{
    if (!valid(t)) {
        return;
    }
    rh_mutex_lock(&t->mu);
    struct rh_peer *p = t->peers.list;
    while (p != NULL) {
        struct rh_peer *next = p->next;
        if (!p->remote) { /* remotes stay, as in etcd */
            rh_peer_remove(&t->peers, p);
        }
        p = next;
    }
    rh_io_kick(t);
    rh_mutex_unlock(&t->mu);
}

int rafthttp_transport_update_peer(struct rafthttp_transport *t, uint64_t id,
                                   const char *const *urls, size_t n_urls)
{
    if (!rh_transport_usable(t, "update_peer")) {
        return RAFTHTTP_EINVAL;
    }
    rh_mutex_lock(&t->mu);
    struct rh_peer *p = rh_peer_find(&t->peers, id);
    int rv = check_urls(t, "update_peer", id, urls, n_urls);
    if (rv == 0 && p == NULL) {
        rv = RAFTHTTP_EPEER_NOT_FOUND;
        rh_set_errmsg(t, "update_peer %llx: no such peer",
                      (unsigned long long)id);
    } else if (rv == 0) {
        rv = rh_urlpick_update(&p->picker, t->alloc, urls, n_urls);
        if (rv != 0) {
            rh_set_errmsg(t, "update_peer %s: out of memory", p->id_str);
        } else {
            rh_log(&t->log, RAFTHTTP_LOG_INFO, "updated remote peer",
                   RH_F("remote-peer-id", p->id_str));
        }
    }
    rh_mutex_unlock(&t->mu);
    return rv;
}

int rafthttp_transport_set_members_json(struct rafthttp_transport *t,
                                        const char *json)
{
    if (!rh_transport_usable(t, "set_members_json")) {
        return RAFTHTTP_EINVAL;
    }
    char *copy = NULL;
    if (copy_optional(t->alloc, json, &copy) != 0) {
        rh_thread_errmsg_set("set_members_json: out of memory");
        return RAFTHTTP_ENOMEM;
    }
    rh_mutex_lock(&t->mu);
    char *old = t->members_json;
    t->members_json = copy;
    t->cfg.members_json = copy;
    rh_mutex_unlock(&t->mu);
    rh_free(t->alloc, old);
    return 0;
}

/* ------------------------------------------------------------ test hooks */

static void set_paused(struct rafthttp_transport *t, bool paused)
{
    if (valid(t)) {
        rh_mutex_lock(&t->mu);
        t->peers.paused = paused;
        rh_mutex_unlock(&t->mu);
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

static int set_cut(struct rafthttp_transport *t, uint64_t id, bool cut,
                   const char *call)
{
    if (!rh_transport_usable(t, call)) {
        return RAFTHTTP_EINVAL;
    }
    rh_mutex_lock(&t->mu);
    struct rh_peer *p = rh_peer_find(&t->peers, id);
    if (p != NULL) {
        p->cut = cut;
    } else {
        rh_set_errmsg(t, "%s %llx: no such peer", call, (unsigned long long)id);
    }
    rh_mutex_unlock(&t->mu);
    return p != NULL ? 0 : RAFTHTTP_EPEER_NOT_FOUND;
}

int rafthttp_transport_cut_peer(struct rafthttp_transport *t, uint64_t id)
{
    return set_cut(t, id, true, "cut_peer");
}

int rafthttp_transport_mend_peer(struct rafthttp_transport *t, uint64_t id)
{
    return set_cut(t, id, false, "mend_peer");
}

/* ------------------------------------------- an application's daemon */

int rafthttp_transport_mhd_access(struct rafthttp_transport *t,
                                  void *connection, const char *url,
                                  const char *method, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    if (!valid(t) || connection == NULL || url == NULL || method == NULL ||
        upload_data_size == NULL || con_cls == NULL) {
        return 0; /* MHD_NO */
    }
    return rh_server_access(t, connection, url, method, upload_data,
                            upload_data_size, con_cls);
}

void rafthttp_transport_mhd_completed(struct rafthttp_transport *t,
                                      void **con_cls)
{
    if (valid(t) && con_cls != NULL) {
        rh_server_completed(t, con_cls);
    }
}
