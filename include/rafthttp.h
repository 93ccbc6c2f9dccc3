/*
 * rafthttp-c: etcd's raft peer transport (rafthttp) in C11.
 *
 * The library carries raftpb messages between the members of a raft cluster
 * over HTTP/1.1, byte for byte as etcd 3.4/3.5 does, so that a C member and
 * an etcd member can be peers.
 *
 * Threading model: nothing in this header keeps global state; every function
 * is safe to call from any thread on distinct objects. Plain data structs
 * (config, messages) belong to whoever allocated them.
 *
 * Ownership words used below: "borrowed" means valid during the call only;
 * "copied" means the library keeps its own copy.
 */
#ifndef RAFTHTTP_H
#define RAFTHTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rafthttp/version.h"

#ifdef __cplusplus
extern "C" {
#endif

#if defined(RAFTHTTP_BUILDING) && defined(__GNUC__)
#define RAFTHTTP_API __attribute__((visibility("default")))
#else
#define RAFTHTTP_API
#endif

/* ---------------------------------------------------------------- errors */

/*
 * Every function that can fail returns 0 or one of these negative codes.
 * The table is the single source of the enum and of rafthttp_strerror().
 */
#define RAFTHTTP_ERRNO_MAP(X)                                                \
    X(ENOMEM, -1, "out of memory")                                           \
    X(EINVAL, -2, "invalid argument")                                        \
    X(ETOOBIG, -3, "size limit exceeded")                                    \
    X(EPROTO, -4, "malformed data from a peer")                              \
    X(ECLUSTER_MISMATCH, -5, "cluster ID mismatch")                          \
    X(EVERSION, -6, "incompatible version")                                  \
    X(EPEER_NOT_FOUND, -7, "peer not found")                                 \
    X(EREMOVED, -8, "member removed from the cluster")                       \
    X(ESTOPPED, -9, "transport stopped")                                     \
    X(EIO, -10, "I/O error")                                                 \
    X(ETLS, -11, "TLS error")                                                \
    X(ECANCELED, -12, "operation canceled")                                  \
    X(ETIMEDOUT, -13, "timed out")                                           \
    X(EAGAIN, -14, "incomplete input, more bytes needed")

enum rafthttp_error {
#define RAFTHTTP_ERR_ENUM(name, value, text) RAFTHTTP_##name = (value),
    RAFTHTTP_ERRNO_MAP(RAFTHTTP_ERR_ENUM)
#undef RAFTHTTP_ERR_ENUM
};

/*
 * A static, human-readable text for an error code: "unknown error" for a
 * code outside the table, "success" for 0. Never NULL.
 */
RAFTHTTP_API const char *rafthttp_strerror(int err);

/* Version of the library, as (major << 16) | (minor << 8) | patch. */
RAFTHTTP_API unsigned rafthttp_version(void);
/* The same as "MAJOR.MINOR.PATCH". */
RAFTHTTP_API const char *rafthttp_version_string(void);

/* ------------------------------------------------------------- allocator */

/*
 * A per-instance allocator: give malloc, realloc and free together. A NULL
 * allocator means the C library's. The library calls these from its own
 * threads, so they must be thread-safe. realloc(NULL, n) must act as malloc.
 */
struct rafthttp_allocator {
    void *ud;                                   /* passed to every call */
    void *(*malloc)(size_t size, void *ud);
    void *(*realloc)(void *ptr, size_t size, void *ud);
    void (*free)(void *ptr, void *ud);
};

/* ---------------------------------------------------------- message model */

/*
 * The raftpb messages of etcd (raft/raftpb/raft.proto), as plain data.
 * Values and names follow etcd; field comments give the protobuf field.
 */
enum rafthttp_msg_type {
    RAFTHTTP_MSG_HUP = 0, /* local to a node, never sent */
    RAFTHTTP_MSG_BEAT = 1, /* local */
    RAFTHTTP_MSG_PROP = 2,
    RAFTHTTP_MSG_APP = 3,
    RAFTHTTP_MSG_APP_RESP = 4,
    RAFTHTTP_MSG_VOTE = 5,
    RAFTHTTP_MSG_VOTE_RESP = 6,
    RAFTHTTP_MSG_SNAP = 7,
    RAFTHTTP_MSG_HEARTBEAT = 8,
    RAFTHTTP_MSG_HEARTBEAT_RESP = 9,
    RAFTHTTP_MSG_UNREACHABLE = 10, /* local */
    RAFTHTTP_MSG_SNAP_STATUS = 11, /* local */
    RAFTHTTP_MSG_CHECK_QUORUM = 12, /* local */
    RAFTHTTP_MSG_TRANSFER_LEADER = 13,
    RAFTHTTP_MSG_TIMEOUT_NOW = 14,
    RAFTHTTP_MSG_READ_INDEX = 15,
    RAFTHTTP_MSG_READ_INDEX_RESP = 16,
    RAFTHTTP_MSG_PRE_VOTE = 17,
    RAFTHTTP_MSG_PRE_VOTE_RESP = 18
};

enum rafthttp_entry_type {
    RAFTHTTP_ENTRY_NORMAL = 0,
    RAFTHTTP_ENTRY_CONF_CHANGE = 1,    /* data holds a raftpb ConfChange */
    RAFTHTTP_ENTRY_CONF_CHANGE_V2 = 2  /* data holds a raftpb ConfChangeV2 */
};

/*
 * A bytes field. As in Go, "absent" and "present but empty" differ on the
 * wire: the field is written when len > 0 or base != NULL. Decoded empty
 * fields that were present point at a static empty buffer.
 */
struct rafthttp_bytes {
    const uint8_t *base;
    size_t len;
};

struct rafthttp_entry {
    uint64_t term;              /* 2 */
    uint64_t index;             /* 3 */
    int32_t type;               /* 1, enum rafthttp_entry_type */
    struct rafthttp_bytes data; /* 4 */
};

/* Each list is an array of n_<name> IDs; NULL when empty. */
struct rafthttp_conf_state {
    const uint64_t *voters;          /* 1 */
    size_t n_voters;
    const uint64_t *learners;        /* 2 */
    size_t n_learners;
    const uint64_t *voters_outgoing; /* 3 */
    size_t n_voters_outgoing;
    const uint64_t *learners_next;   /* 4 */
    size_t n_learners_next;
    bool auto_leave;                 /* 5 */
};

struct rafthttp_snapshot {
    struct rafthttp_bytes data; /* 1 */
    struct {
        struct rafthttp_conf_state conf_state; /* 1 */
        uint64_t index;                        /* 2 */
        uint64_t term;                         /* 3 */
    } metadata;                 /* 2 */
};

struct rafthttp_message {
    int32_t type;                          /* 1, enum rafthttp_msg_type */
    uint64_t to;                           /* 2 */
    uint64_t from;                         /* 3 */
    uint64_t term;                         /* 4 */
    uint64_t log_term;                     /* 5 */
    uint64_t index;                        /* 6 */
    const struct rafthttp_entry *entries;  /* 7, n_entries of them */
    size_t n_entries;
    uint64_t commit;                       /* 8 */
    struct rafthttp_snapshot snapshot;     /* 9 */
    bool reject;                           /* 10 */
    uint64_t reject_hint;                  /* 11 */
    struct rafthttp_bytes context;         /* 12 */
};

/* ------------------------------------------------------------ member IDs */

/* Room for a formatted ID: 16 hex digits and the terminating NUL. */
#define RAFTHTTP_ID_STRLEN 17

/*
 * Formats a member or cluster ID as etcd does in paths and headers: lower
 * case hex, no "0x", no zero padding (types.ID.String()). Returns buf.
 */
RAFTHTTP_API char *rafthttp_id_format(uint64_t id,
                                      char buf[RAFTHTTP_ID_STRLEN]);

/*
 * Parses an ID as etcd does (types.IDFromString): hex digits of either case,
 * leading zeros allowed, no prefix or sign, at most 64 bits.
 * Returns 0, or RAFTHTTP_EINVAL (and leaves *id alone).
 */
RAFTHTTP_API int rafthttp_id_parse(const char *s, uint64_t *id);

/* ---------------------------------------------------------------- config */

/* Defaults, etcd's where etcd has one. */
#define RAFTHTTP_DEFAULT_SERVER_VERSION "3.4.23"
#define RAFTHTTP_DEFAULT_MIN_CLUSTER_VERSION "3.0.0"
#define RAFTHTTP_DEFAULT_MAX_MSG_BYTES (512u * 1024 * 1024)
#define RAFTHTTP_DEFAULT_MAX_SNAPSHOT_HEAD_BYTES (64u * 1024 * 1024)

/*
 * Configuration of a transport. Fill it with rafthttp_config_init(), then
 * override fields. Strings are borrowed by the functions that take the
 * config and copied by whatever keeps them.
 */
struct rafthttp_config {
    uint64_t local_id;   /* this member's ID */
    uint64_t cluster_id; /* the cluster's ID */
    /* Announced in X-Server-Version; must be strict semver. */
    const char *server_version;
    /* Announced in X-Min-Cluster-Version; must be strict semver. */
    const char *min_cluster_version;
    /*
     * Largest raft message accepted from a peer, on the streams and the
     * pipeline (etcd: readBytesLimit, 512 MiB on the message stream and no
     * limit elsewhere).
     */
    size_t max_msg_bytes;
    /*
     * Largest MsgSnap message at the head of a snapshot upload, not counting
     * the database that follows (etcd 3.4: none; 3.5: 1 TiB; later: 64 MiB).
     */
    size_t max_snapshot_head_bytes;
    const struct rafthttp_allocator *allocator; /* NULL: libc; borrowed */
};

/* Fills cfg with the defaults above and zero IDs. */
RAFTHTTP_API void rafthttp_config_init(struct rafthttp_config *cfg);

/*
 * Checks a config: non-zero IDs, strict semver versions, non-zero limits.
 * Returns 0 or RAFTHTTP_EINVAL.
 */
RAFTHTTP_API int rafthttp_config_validate(const struct rafthttp_config *cfg);

#ifdef __cplusplus
}
#endif

#endif /* RAFTHTTP_H */
