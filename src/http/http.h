/* SPDX-License-Identifier: Apache-2.0 */
/*
 * http: etcd's rules for the requests its peer handlers accept (etcd's
 * http.go and util.go), as plain functions over a request's method, path
 * and headers: the route a path takes, the version and cluster checks, the
 * stream path, the recipient. A refusal is a verdict: the status and the
 * body etcd answers with. Nothing here touches libmicrohttpd; the server
 * adapter (src/transport/server*.c) reads the request into struct
 * rh_request and writes the verdict out.
 *
 * Header values compare byte for byte, as in etcd: a cluster ID in upper
 * case or zero-padded is a mismatch. Path IDs parse as numbers.
 */
#ifndef RH_HTTP_H
#define RH_HTTP_H

#include "../common/common.h"
#include "../stream/stream.h"

/* Who this member is, in the forms the checks compare against. */
struct rh_local_identity {
    uint64_t id;
    char id_str[RAFTHTTP_ID_STRLEN];         /* canonical hex */
    char cluster_id_str[RAFTHTTP_ID_STRLEN]; /* canonical hex */
    struct rh_semver server_version;
    struct rh_semver min_cluster_version;
};

/* From a validated config. Returns 0 or RAFTHTTP_EINVAL. */
int rh_local_identity_init(struct rh_local_identity *local,
                           const struct rafthttp_config *cfg);

/* The parts of a request the checks look at; NULL for a missing header. */
struct rh_request {
    const char *method;
    const char *path;
    const char *server_version;      /* X-Server-Version */
    const char *min_cluster_version; /* X-Min-Cluster-Version */
    const char *cluster_id;          /* X-Etcd-Cluster-ID */
    const char *raft_to;             /* X-Raft-To */
};

enum rh_route {
    RH_ROUTE_NOT_FOUND, /* 404 "404 page not found" */
    RH_ROUTE_PIPELINE,  /* /raft */
    RH_ROUTE_STREAM,    /* /raft/stream/ and below */
    RH_ROUTE_SNAPSHOT,  /* /raft/snapshot */
    RH_ROUTE_PROBING,   /* /raft/probing */
    RH_ROUTE_VERSION,   /* /version (etcd's peer endpoint, not rafthttp's) */
    RH_ROUTE_MEMBERS    /* /members (likewise) */
};

/* Routes a path as etcd's mux does (exact paths, one subtree). */
enum rh_route rh_route_path(const char *path);

/*
 * The checks /raft and /raft/snapshot run in etcd's order: method POST
 * (405), versions (412 "incompatible version"), cluster ID (412 "cluster ID
 * mismatch"). Returns true if all pass; else fills *v.
 */
bool rh_check_post_request(const struct rh_local_identity *local,
                           const struct rh_request *req, struct rh_verdict *v);

/*
 * The checks of /raft/stream/ that need no peer table, in etcd's order:
 * method GET (405), versions and cluster ID (412), stream type in the path
 * (404 "invalid path"), sender ID in the path (404 "invalid from"). On
 * success sets *type and *from. The caller then checks removed (410) and
 * unknown (404) senders, then rh_check_recipient.
 */
bool rh_check_stream_request(const struct rh_local_identity *local,
                             const struct rh_request *req,
                             enum rh_stream_type *type, uint64_t *from,
                             struct rh_verdict *v);

/* X-Raft-To must be this member's ID string: else 412 "to field mismatch". */
bool rh_check_recipient(const struct rh_local_identity *local,
                        const struct rh_request *req, struct rh_verdict *v);

/*
 * The version and cluster checks alone. A missing or empty version header
 * counts as "2.0.0" (etcd 2.0). A header that is present but not semver
 * makes etcd's handler panic and drop the connection; we answer 400
 * "malformed version header" instead.
 */
bool rh_check_cluster(const struct rh_local_identity *local,
                      const struct rh_request *req, struct rh_verdict *v);

/* The member a stream path speaks for (/raft/stream/<type>/<id>), or 0. */
uint64_t rh_stream_path_sender(const char *path);

#endif /* RH_HTTP_H */
