/* Defaults and validation of struct rafthttp_config. */
#include <string.h>

#include "common.h"

void rafthttp_config_init(struct rafthttp_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
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
    cfg->snapshot_fsync = true;
    cfg->snapshot_progress_timeout_ms =
        RAFTHTTP_DEFAULT_SNAPSHOT_PROGRESS_TIMEOUT_MS;
    cfg->snapshot_response_timeout_ms =
        RAFTHTTP_DEFAULT_SNAPSHOT_RESPONSE_TIMEOUT_MS;
}

/* URLs that parse; https only with TLS configured. */
static int check_urls(const char *const *urls, size_t n, bool tls)
{
    struct rh_url u;
    if (n > 0 && urls == NULL) {
        return RAFTHTTP_EINVAL;
    }
    for (size_t i = 0; i < n; i++) {
        if (rh_url_parse(urls[i], &u) != 0 ||
            (!tls && strcmp(u.scheme, "https") == 0)) {
            return RAFTHTTP_EINVAL;
        }
    }
    return 0;
}

static int check_limits(const struct rafthttp_config *cfg)
{
    if (cfg->max_msg_bytes == 0 || cfg->max_snapshot_head_bytes == 0 ||
        cfg->peer_queue_bytes == 0 || cfg->total_queue_bytes == 0 ||
        cfg->recv_queue_bytes == 0 || cfg->pipeline_queue_msgs == 0 ||
        cfg->pipeline_conns == 0 || cfg->dial_timeout_ms == 0 ||
        cfg->read_timeout_ms < 300 || cfg->dial_retry_min_ms == 0 ||
        cfg->snapshot_progress_timeout_ms == 0 ||
        cfg->snapshot_response_timeout_ms == 0 ||
        cfg->dial_retry_max_ms < cfg->dial_retry_min_ms) {
        return RAFTHTTP_EINVAL;
    }
    return 0;
}

int rafthttp_config_validate(const struct rafthttp_config *cfg)
{
    struct rh_semver v;
    if (cfg == NULL || cfg->local_id == 0 || cfg->cluster_id == 0) {
        return RAFTHTTP_EINVAL;
    }
    if (rh_semver_parse(cfg->server_version, &v) != 0 ||
        rh_semver_parse(cfg->min_cluster_version, &v) != 0 ||
        (cfg->cluster_version != NULL &&
         strcmp(cfg->cluster_version, "not_decided") != 0 &&
         rh_semver_parse(cfg->cluster_version, &v) != 0)) {
        return RAFTHTTP_EINVAL;
    }
    if (check_limits(cfg) != 0 ||
        check_urls(cfg->peer_urls, cfg->n_peer_urls, cfg->tls != NULL) != 0 ||
        check_urls(cfg->listen_urls, cfg->n_listen_urls, cfg->tls != NULL) !=
            0) {
        return RAFTHTTP_EINVAL;
    }
    if (cfg->log_level > RAFTHTTP_LOG_ERROR) {
        return RAFTHTTP_EINVAL;
    }
    const struct rafthttp_allocator *a = cfg->allocator;
    if (a != NULL &&
        (a->malloc == NULL || a->realloc == NULL || a->free == NULL)) {
        return RAFTHTTP_EINVAL;
    }
    return 0;
}
