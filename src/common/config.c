// SPDX-License-Identifier: Apache-2.0
/*
 * Defaults and checks of struct rafthttp_config. A check that fails says
 * which field is wrong and why ("read_timeout_ms: 200 is below 300"), into
 * the caller's buffer and into the calling thread's last-error text, which
 * rafthttp_transport_errmsg(NULL) returns when no transport exists yet.
 *
 * The config's size (the ABI policy in rafthttp.h): a program built
 * against an older header passes a smaller struct; rh_config_copy reads
 * only what it has and keeps the defaults for the rest. A size larger than
 * the library's struct comes from a newer header and is refused.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common.h"

/* The calling thread's last error, for calls that have no transport. */
static _Thread_local char thread_errmsg[256];

const char *rh_thread_errmsg(void)
{
    return thread_errmsg;
}

void rh_thread_errmsg_set(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(thread_errmsg, sizeof(thread_errmsg), fmt, ap);
    va_end(ap);
}

void rafthttp_config_init(struct rafthttp_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->size = sizeof(*cfg);
    cfg->server_version = RAFTHTTP_DEFAULT_SERVER_VERSION;
    cfg->min_cluster_version = RAFTHTTP_DEFAULT_MIN_CLUSTER_VERSION;
    cfg->max_msg_bytes = RAFTHTTP_DEFAULT_MAX_MSG_BYTES;
    cfg->max_snapshot_head_bytes = RAFTHTTP_DEFAULT_MAX_SNAPSHOT_HEAD_BYTES;
    cfg->dial_timeout_ms = RAFTHTTP_DEFAULT_DIAL_TIMEOUT_MS;
    cfg->read_timeout_ms = RAFTHTTP_DEFAULT_READ_TIMEOUT_MS;
    cfg->dial_retry_min_ms = RAFTHTTP_DEFAULT_DIAL_RETRY_MIN_MS;
    cfg->dial_retry_max_ms = RAFTHTTP_DEFAULT_DIAL_RETRY_MAX_MS;
    cfg->peer_queue_bytes = RAFTHTTP_DEFAULT_PEER_QUEUE_BYTES;
    cfg->total_queue_bytes = RAFTHTTP_DEFAULT_TOTAL_QUEUE_BYTES;
    cfg->recv_queue_bytes = RAFTHTTP_DEFAULT_RECV_QUEUE_BYTES;
    cfg->pipeline_queue_msgs = RAFTHTTP_DEFAULT_PIPELINE_QUEUE_MSGS;
    cfg->pipeline_conns = RAFTHTTP_DEFAULT_PIPELINE_CONNS;
    cfg->log_level = RAFTHTTP_LOG_INFO;
    cfg->log_format = RAFTHTTP_LOG_TEXT;
    cfg->snapshot_fsync = true;
    cfg->snapshot_progress_timeout_ms =
        RAFTHTTP_DEFAULT_SNAPSHOT_PROGRESS_TIMEOUT_MS;
    cfg->snapshot_response_timeout_ms =
        RAFTHTTP_DEFAULT_SNAPSHOT_RESPONSE_TIMEOUT_MS;
}

void rh_config_copy(struct rafthttp_config *out,
                    const struct rafthttp_config *cfg)
{
    rafthttp_config_init(out);
    memcpy(out, cfg, cfg->size < sizeof(*out) ? cfg->size : sizeof(*out));
    out->size = sizeof(*out);
}

/* Where a check writes its text: the caller's buffer, or none. */
struct why {
    char *buf;
    size_t len;
};

__attribute__((format(printf, 2, 3))) static int refuse(struct why *w,
                                                        const char *fmt, ...)
{
    char text[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    if (w->buf != NULL && w->len > 0) {
        snprintf(w->buf, w->len, "%s", text);
    }
    rh_thread_errmsg_set("%s", text);
    return RAFTHTTP_EINVAL;
}

/* URLs that parse; https only with TLS configured. */
static int check_urls(struct why *w, const char *field, const char *const *urls,
                      size_t n, bool tls)
{
    struct rh_url u;
    if (n > 0 && urls == NULL) {
        return refuse(w, "%s: NULL with n_%s %zu", field, field, n);
    }
    for (size_t i = 0; i < n; i++) {
        if (urls[i] == NULL || rh_url_parse(urls[i], &u) != 0) {
            return refuse(w, "%s[%zu]: \"%s\" is not http(s)://host:port",
                          field, i, urls[i] != NULL ? urls[i] : "(null)");
        }
        if (!tls && strcmp(u.scheme, "https") == 0) {
            return refuse(w, "%s[%zu]: \"%s\" is https, but tls is NULL", field,
                          i, urls[i]);
        }
    }
    return 0;
}

/* The limits that must not be zero, by name. */
static int check_nonzero(struct why *w, const struct rafthttp_config *cfg)
{
    const struct {
        const char *name;
        uint64_t value;
    } limits[] = {
        {"max_msg_bytes", cfg->max_msg_bytes},
        {"max_snapshot_head_bytes", cfg->max_snapshot_head_bytes},
        {"peer_queue_bytes", cfg->peer_queue_bytes},
        {"total_queue_bytes", cfg->total_queue_bytes},
        {"recv_queue_bytes", cfg->recv_queue_bytes},
        {"pipeline_queue_msgs", cfg->pipeline_queue_msgs},
        {"pipeline_conns", cfg->pipeline_conns},
        {"dial_timeout_ms", cfg->dial_timeout_ms},
        {"dial_retry_min_ms", cfg->dial_retry_min_ms},
        {"snapshot_progress_timeout_ms", cfg->snapshot_progress_timeout_ms},
        {"snapshot_response_timeout_ms", cfg->snapshot_response_timeout_ms},
    };
    for (size_t i = 0; i < sizeof(limits) / sizeof(limits[0]); i++) {
        if (limits[i].value == 0) {
            return refuse(w, "%s: must not be 0", limits[i].name);
        }
    }
    return 0;
}

static int check_limits(struct why *w, const struct rafthttp_config *cfg)
{
    int rv = check_nonzero(w, cfg);
    if (rv != 0) {
        return rv;
    }
    if (cfg->read_timeout_ms < 300) {
        return refuse(w, "read_timeout_ms: %u is below 300",
                      cfg->read_timeout_ms);
    }
    if (cfg->dial_retry_max_ms < cfg->dial_retry_min_ms) {
        return refuse(w, "dial_retry_max_ms: %u is below dial_retry_min_ms %u",
                      cfg->dial_retry_max_ms, cfg->dial_retry_min_ms);
    }
    return 0;
}

static int check_version(struct why *w, const char *field, const char *v,
                         bool may_be_undecided)
{
    struct rh_semver sv;
    if (v == NULL) {
        return refuse(w, "%s: NULL (want X.Y.Z)", field);
    }
    if (may_be_undecided && strcmp(v, "not_decided") == 0) {
        return 0;
    }
    if (rh_semver_parse(v, &sv) != 0) {
        return refuse(w, "%s: \"%s\" is not a version (want X.Y.Z)", field, v);
    }
    return 0;
}

static int check_identity(struct why *w, const struct rafthttp_config *cfg)
{
    if (cfg->local_id == 0) {
        return refuse(w, "local_id: must not be 0");
    }
    if (cfg->cluster_id == 0) {
        return refuse(w, "cluster_id: must not be 0");
    }
    int rv = check_version(w, "server_version", cfg->server_version, false);
    if (rv == 0) {
        rv = check_version(w, "min_cluster_version", cfg->min_cluster_version,
                           false);
    }
    if (rv == 0 && cfg->cluster_version != NULL) {
        rv = check_version(w, "cluster_version", cfg->cluster_version, true);
    }
    return rv;
}

static int check_rest(struct why *w, const struct rafthttp_config *cfg)
{
    if (cfg->log_level > RAFTHTTP_LOG_ERROR) {
        return refuse(w, "log_level: %d is not a rafthttp_log_level",
                      (int)cfg->log_level);
    }
    if (cfg->log_format > RAFTHTTP_LOG_JSON) {
        return refuse(w, "log_format: %d is not a rafthttp_log_format",
                      (int)cfg->log_format);
    }
    const struct rafthttp_allocator *a = cfg->allocator;
    if (a != NULL &&
        (a->malloc == NULL || a->realloc == NULL || a->free == NULL)) {
        return refuse(w, "allocator: malloc, realloc and free must all be "
                         "set");
    }
    return 0;
}

int rafthttp_config_check(const struct rafthttp_config *cfg, char *err,
                          size_t err_len)
{
    struct why w = {err, err_len};
    if (err != NULL && err_len > 0) {
        err[0] = '\0';
    }
    if (cfg == NULL) {
        return refuse(&w, "cfg: NULL");
    }
    if (cfg->size == 0 || cfg->size > sizeof(*cfg)) {
        return refuse(&w,
                      "size: %zu, this library's config has %zu (call "
                      "rafthttp_config_init, and build against this "
                      "library's header)",
                      cfg->size, sizeof(*cfg));
    }
    struct rafthttp_config c; /* the caller's, with defaults it lacks */
    rh_config_copy(&c, cfg);
    int rv = check_identity(&w, &c);
    if (rv == 0) {
        rv = check_limits(&w, &c);
    }
    if (rv == 0) {
        rv = check_urls(&w, "peer_urls", c.peer_urls, c.n_peer_urls,
                        c.tls != NULL);
    }
    if (rv == 0) {
        rv = check_urls(&w, "listen_urls", c.listen_urls, c.n_listen_urls,
                        c.tls != NULL);
    }
    return rv == 0 ? check_rest(&w, &c) : rv;
}

int rafthttp_config_validate(const struct rafthttp_config *cfg)
{
    return rafthttp_config_check(cfg, NULL, 0);
}
