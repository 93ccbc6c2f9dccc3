// SPDX-License-Identifier: Apache-2.0
/*
 * Request checks for the /raft handlers, in the order etcd's handlers run
 * them (http.go), with etcd's statuses and bodies (see http.h). Every
 * function here is pure: the same request gives the same verdict.
 */
#include <string.h>

#include "http.h"

#define STREAM_PREFIX "/raft/stream/"

static bool fail(struct rh_verdict *v, int status, const char *body,
                 const char *allow)
{
    rh_refuse(v, status, body);
    v->allow = allow;
    return false;
}

static bool pass(struct rh_verdict *v)
{
    *v = (struct rh_verdict){0};
    return true;
}

static bool streq(const char *a, const char *b)
{
    return a != NULL && b != NULL && strcmp(a, b) == 0;
}

int rh_local_identity_init(struct rh_local_identity *local,
                           const struct rafthttp_config *cfg)
{
    if (rafthttp_config_validate(cfg) != 0) {
        return RAFTHTTP_EINVAL;
    }
    local->id = cfg->local_id;
    rafthttp_id_format(cfg->local_id, local->id_str);
    rafthttp_id_format(cfg->cluster_id, local->cluster_id_str);
    rh_semver_parse(cfg->server_version, &local->server_version);
    rh_semver_parse(cfg->min_cluster_version, &local->min_cluster_version);
    return 0;
}

enum rh_route rh_route_path(const char *path)
{
    if (path == NULL) {
        return RH_ROUTE_NOT_FOUND;
    }
    if (strcmp(path, "/raft") == 0) {
        return RH_ROUTE_PIPELINE;
    }
    if (strcmp(path, "/raft/snapshot") == 0) {
        return RH_ROUTE_SNAPSHOT;
    }
    if (strcmp(path, "/raft/probing") == 0) {
        return RH_ROUTE_PROBING;
    }
    if (strcmp(path, "/version") == 0) {
        return RH_ROUTE_VERSION;
    }
    if (strcmp(path, "/members") == 0) {
        return RH_ROUTE_MEMBERS;
    }
    if (strncmp(path, STREAM_PREFIX, strlen(STREAM_PREFIX)) == 0) {
        return RH_ROUTE_STREAM;
    }
    return RH_ROUTE_NOT_FOUND;
}

/*
 * A missing or empty header means etcd 2.0, as etcd's serverVersion() has
 * it (Go's Header.Get gives "" for both).
 */
static int header_version(const char *value, struct rh_semver *out)
{
    bool missing = value == NULL || value[0] == '\0';
    return rh_semver_parse(missing ? "2.0.0" : value, out);
}

bool rh_check_cluster(const struct rh_local_identity *local,
                      const struct rh_request *req, struct rh_verdict *v)
{
    struct rh_semver server, min_cluster;
    if (header_version(req->server_version, &server) != 0 ||
        header_version(req->min_cluster_version, &min_cluster) != 0) {
        return fail(v, 400, "malformed version header", NULL);
    }
    if (rh_semver_cmp_major_minor(&server, &local->min_cluster_version) < 0 ||
        rh_semver_cmp_major_minor(&min_cluster, &local->server_version) > 0) {
        return fail(v, 412, "incompatible version", NULL);
    }
    if (!streq(req->cluster_id, local->cluster_id_str)) {
        return fail(v, 412, "cluster ID mismatch", NULL);
    }
    return pass(v);
}

bool rh_check_post_request(const struct rh_local_identity *local,
                           const struct rh_request *req, struct rh_verdict *v)
{
    if (!streq(req->method, "POST")) {
        return fail(v, 405, "Method Not Allowed", "POST");
    }
    return rh_check_cluster(local, req, v);
}

/*
 * etcd takes path.Dir(path) as the stream type and path.Base(path) as the
 * sender: so the type must be exactly message or msgapp with exactly one
 * more segment after it.
 */
static bool parse_stream_path(const char *path, enum rh_stream_type *type,
                              uint64_t *from, struct rh_verdict *v)
{
    const char *rest = path + strlen(STREAM_PREFIX);
    const char *slash = strrchr(rest, '/');
    if (slash == NULL) {
        return fail(v, 404, "invalid path", NULL);
    }
    *type = rh_stream_type_of_word(rest, (size_t)(slash - rest));
    if (*type == RH_STREAM_TYPES) {
        return fail(v, 404, "invalid path", NULL);
    }
    if (rafthttp_id_parse(slash + 1, from) != 0) {
        return fail(v, 404, "invalid from", NULL);
    }
    return pass(v);
}

bool rh_check_stream_request(const struct rh_local_identity *local,
                             const struct rh_request *req,
                             enum rh_stream_type *type, uint64_t *from,
                             struct rh_verdict *v)
{
    if (!streq(req->method, "GET")) {
        return fail(v, 405, "Method Not Allowed", "GET");
    }
    if (!rh_check_cluster(local, req, v)) {
        return false;
    }
    if (rh_route_path(req->path) != RH_ROUTE_STREAM) {
        return fail(v, 404, "invalid path", NULL);
    }
    return parse_stream_path(req->path, type, from, v);
}

bool rh_check_recipient(const struct rh_local_identity *local,
                        const struct rh_request *req, struct rh_verdict *v)
{
    if (!streq(req->raft_to, local->id_str)) {
        return fail(v, 412, "to field mismatch", NULL);
    }
    return pass(v);
}

uint64_t rh_stream_path_sender(const char *path)
{
    uint64_t id = 0;
    if (rh_route_path(path) != RH_ROUTE_STREAM) {
        return 0;
    }
    const char *slash = strrchr(path, '/');
    return rafthttp_id_parse(slash + 1, &id) == 0 ? id : 0;
}
