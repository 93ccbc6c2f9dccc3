/*
 * transport: for now, the checks every /raft request passes before its
 * handler runs, as pure functions over the request's method, path and
 * headers. They return etcd's status and body so that a C member answers a
 * bad request exactly as an etcd member would, except where etcd crashes or
 * hangs up (noted below), where we answer 400 with a reason instead.
 *
 * Threads: none; no state. Strings are borrowed.
 */
#ifndef RH_TRANSPORT_H
#define RH_TRANSPORT_H

#include "../common/common.h"

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

/* What to answer: status 0 means the check passed. */
struct rh_verdict {
    int status;        /* HTTP status, or 0 */
    const char *body;  /* etcd's body without the trailing newline */
    const char *allow; /* the Allow header of a 405, else NULL */
};

enum rh_route {
    RH_ROUTE_NOT_FOUND, /* 404 "404 page not found" */
    RH_ROUTE_PIPELINE,  /* /raft */
    RH_ROUTE_STREAM,    /* /raft/stream/ and below */
    RH_ROUTE_SNAPSHOT,  /* /raft/snapshot */
    RH_ROUTE_PROBING    /* /raft/probing */
};

enum rh_stream_type {
    RH_STREAM_MSGAPPV2, /* path /raft/stream/msgapp/<id> */
    RH_STREAM_MESSAGE   /* path /raft/stream/message/<id> */
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
 * counts as "2.0.0" (etcd 2.0). A header that is present but not semver makes etcd's
 * handler panic and drop the connection; we answer 400 "malformed version
 * header" instead.
 */
bool rh_check_cluster(const struct rh_local_identity *local,
                      const struct rh_request *req, struct rh_verdict *v);

#endif /* RH_TRANSPORT_H */
