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
}

int rafthttp_config_validate(const struct rafthttp_config *cfg)
{
    struct rh_semver v;
    if (cfg == NULL || cfg->local_id == 0 || cfg->cluster_id == 0) {
        return RAFTHTTP_EINVAL;
    }
    if (rh_semver_parse(cfg->server_version, &v) != 0 ||
        rh_semver_parse(cfg->min_cluster_version, &v) != 0) {
        return RAFTHTTP_EINVAL;
    }
    if (cfg->max_msg_bytes == 0 || cfg->max_snapshot_head_bytes == 0) {
        return RAFTHTTP_EINVAL;
    }
    const struct rafthttp_allocator *a = cfg->allocator;
    if (a != NULL && (a->malloc == NULL || a->realloc == NULL ||
                      a->free == NULL)) {
        return RAFTHTTP_EINVAL;
    }
    return 0;
}
