/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file rafthttp.h
 * rafthttp-c: etcd's raft peer transport (rafthttp) in C11.
 *
 * The library carries raftpb messages between the members of a raft cluster
 * over HTTP/1.1, byte for byte as etcd 3.4/3.5 does, so that a C member and
 * an etcd member can be peers.
 *
 * Threading model: nothing in this header keeps global state (but
 * libcurl's, which the first rafthttp_transport_start sets up); every
 * function is safe to call from any thread on distinct objects. Plain data
 * structs (config, messages) belong to whoever allocated them. The
 * rafthttp_transport_* functions may also be called from several threads on
 * one transport at once (each takes the transport's lock), except that one
 * thread stops it (rafthttp_transport_stop) and rafthttp_transport_free
 * must be the last call on it.
 *
 * A started transport runs threads of its own until rafthttp_transport_stop
 * returns: one I/O thread (every connection: our server, our stream dials
 * and pipeline POSTs), delivery threads that call the raft ops and the
 * report callbacks (MsgProp on a thread of its own, so a raft core that
 * blocks on a proposal does not stall votes and appends), and one thread
 * per snapshot being sent or received. Each callback says which thread
 * calls it. The raft ops and the snapshot source's functions are never
 * called from inside a rafthttp_* call the application makes (but
 * is_id_removed, from inside rafthttp_transport_mhd_access); the log
 * function and the allocator may be.
 *
 * Ownership words used below: "borrowed" means valid during the call only;
 * "copied" means the library keeps its own copy.
 *
 * @par ABI policy
 * For the structs a caller allocates: struct rafthttp_config starts with
 * its size, which rafthttp_config_init records. New fields are only ever
 * added at the end, so a program built against an older header (a smaller
 * size) gets the defaults for the fields it does not know, and one built
 * against a newer header than the library is refused ("size: ..."). struct
 * rafthttp_peer_status and struct rafthttp_stats, which the library fills,
 * end with reserved space that new fields take, so their size does not
 * change within a major version.
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

/**
 * Marks the functions the library exports. The library is compiled with
 * hidden visibility and RAFTHTTP_BUILDING, and this gives its public
 * functions default visibility; for an application it is empty.
 */
#if defined(RAFTHTTP_BUILDING) && defined(__GNUC__)
#define RAFTHTTP_API __attribute__((visibility("default")))
#else
#define RAFTHTTP_API
#endif

/**
 * @mainpage rafthttp-c API reference
 *
 * etcd's raft peer transport (rafthttp) in C11: the whole API is one
 * header, rafthttp.h, which starts with the threading model, the ownership
 * words and the ABI policy. Its parts:
 *
 * - @ref rafthttp_errors
 * - @ref rafthttp_versioning
 * - @ref rafthttp_memory
 * - @ref rafthttp_messages (the raftpb messages, as plain structs)
 * - @ref rafthttp_ids (etcd's)
 * - @ref rafthttp_membership (etcd's encodings of them)
 * - @ref rafthttp_callbacks (the raft core beneath the transport)
 * - @ref rafthttp_logging
 * - @ref rafthttp_configuration
 * - @ref rafthttp_transport (lifecycle, peers and their status)
 * - @ref rafthttp_snapshots
 * - @ref rafthttp_embedding
 * - @ref rafthttp_metrics
 *
 * The same text comes as man pages (section 3), which the docs target
 * builds and the library installs: rafthttp.h(3), a page per part
 * (rafthttp_transport(3), ...) and per struct, and a name per function
 * that leads to its part's page (rafthttp_transport_send(3)).
 */

/* ---------------------------------------------------------------- errors */

/**
 * @defgroup rafthttp_errors Errors
 * Every function that can fail returns 0 or one of these negative codes.
 *
 * Most also leave a text that names the call and the argument in
 * rafthttp_transport_errmsg(); each function's documentation lists the
 * codes it returns.
 * @{
 */

/**
 * The error table, X(name, value, text) for each code: the enum's name
 * without its RAFTHTTP_ prefix, its value, and rafthttp_strerror()'s text.
 * The table is the single source of the enum and of rafthttp_strerror().
 */
#define RAFTHTTP_ERRNO_MAP(X)                                                  \
    X(ENOMEM, -1, "out of memory")                                             \
    X(EINVAL, -2, "invalid argument")                                          \
    X(ETOOBIG, -3, "size limit exceeded")                                      \
    X(EPROTO, -4, "malformed data from a peer")                                \
    X(ECLUSTER_MISMATCH, -5, "cluster ID mismatch")                            \
    X(EVERSION, -6, "incompatible version")                                    \
    X(EPEER_NOT_FOUND, -7, "peer not found")                                   \
    X(EREMOVED, -8, "member removed from the cluster")                         \
    X(ESTOPPED, -9, "transport stopped")                                       \
    X(EIO, -10, "I/O error")                                                   \
    X(ETLS, -11, "TLS error")                                                  \
    X(ECANCELED, -12, "operation canceled")                                    \
    X(ETIMEDOUT, -13, "timed out")                                             \
    X(EAGAIN, -14, "incomplete input, more bytes needed")                      \
    X(ENOTSTARTED, -15, "transport not started")                               \
    X(EBUSY, -16, "a snapshot to this peer is already in flight")              \
    X(EEXIST, -17, "peer already added with other URLs")                       \
    X(EFULL, -18, "queue full")

/**
 * The error codes, from RAFTHTTP_ERRNO_MAP; each one's text is what
 * rafthttp_strerror() says of it.
 */
enum rafthttp_error {
#define RAFTHTTP_ERR_ENUM(name, value, text)                                   \
    RAFTHTTP_##name = (value), /**< rafthttp_strerror(): text */
    RAFTHTTP_ERRNO_MAP(RAFTHTTP_ERR_ENUM)
#undef RAFTHTTP_ERR_ENUM
};

/**
 * A static, human-readable text for an error code: "unknown error" for a
 * code outside the table, "success" for 0. Never NULL. Any thread.
 */
RAFTHTTP_API const char *rafthttp_strerror(int err);

/** @} */

/**
 * @defgroup rafthttp_versioning Version
 * The version a program was built against (rafthttp/version.h, which
 * rafthttp.h includes) and the version of the library it runs with.
 * @{
 */

/**
 * Version of the library, as (major << 16) | (minor << 8) | patch: the
 * library the program runs with, where RAFTHTTP_VERSION_HEX is the header
 * it was built against. Any thread.
 */
RAFTHTTP_API unsigned rafthttp_version(void);
/**
 * The same as "MAJOR.MINOR.PATCH": a static string, never NULL. Any
 * thread.
 */
RAFTHTTP_API const char *rafthttp_version_string(void);

/** @} */

/* ------------------------------------------------------------- allocator */

/**
 * @defgroup rafthttp_memory Allocator
 * Where a transport's memory comes from.
 * @{
 */

/**
 * A per-instance allocator: give malloc, realloc and free together. A NULL
 * allocator means the C library's. The library calls these from its own
 * threads, so they must be thread-safe. realloc(NULL, n) must act as malloc.
 *
 * The library never asks for 0 bytes and never frees NULL. A transport
 * keeps the pointer to this struct (rafthttp_config.allocator), so it must
 * stay valid until rafthttp_transport_free returns.
 */
struct rafthttp_allocator {
    void *ud; /**< passed to every call */
    /** As malloc(3): size bytes, or NULL when out of memory. */
    void *(*malloc)(size_t size, void *ud);
    /** As realloc(3), with realloc(NULL, size) as malloc. */
    void *(*realloc)(void *ptr, size_t size, void *ud);
    /** As free(3), for what malloc and realloc returned. */
    void (*free)(void *ptr, void *ud);
};

/** @} */

/* ---------------------------------------------------------- message model */

/**
 * @defgroup rafthttp_messages Message model
 * The raftpb messages of etcd (raft/raftpb/raft.proto), as plain data.
 *
 * Values and names follow etcd; field comments give the protobuf field.
 * The structs are the caller's: the library reads them during the call
 * that takes them (rafthttp_transport_send copies what it sends) and hands
 * the raft core ones that are borrowed for the callback.
 * @{
 */

/**
 * The message types, X(name, value, text) for each: the enum's name
 * without its RAFTHTTP_MSG_ prefix, its value, and etcd's name for it.
 */
#define RAFTHTTP_MSG_TYPE_MAP(X)                                               \
    X(HUP, 0, "MsgHup")   /**< local, never sent */                            \
    X(BEAT, 1, "MsgBeat") /**< local */                                        \
    X(PROP, 2, "MsgProp")                                                      \
    X(APP, 3, "MsgApp")                                                        \
    X(APP_RESP, 4, "MsgAppResp")                                               \
    X(VOTE, 5, "MsgVote")                                                      \
    X(VOTE_RESP, 6, "MsgVoteResp")                                             \
    X(SNAP, 7, "MsgSnap")                                                      \
    X(HEARTBEAT, 8, "MsgHeartbeat")                                            \
    X(HEARTBEAT_RESP, 9, "MsgHeartbeatResp")                                   \
    X(UNREACHABLE, 10, "MsgUnreachable")  /**< local */                        \
    X(SNAP_STATUS, 11, "MsgSnapStatus")   /**< local */                        \
    X(CHECK_QUORUM, 12, "MsgCheckQuorum") /**< local */                        \
    X(TRANSFER_LEADER, 13, "MsgTransferLeader")                                \
    X(TIMEOUT_NOW, 14, "MsgTimeoutNow")                                        \
    X(READ_INDEX, 15, "MsgReadIndex")                                          \
    X(READ_INDEX_RESP, 16, "MsgReadIndexResp")                                 \
    X(PRE_VOTE, 17, "MsgPreVote")                                              \
    X(PRE_VOTE_RESP, 18, "MsgPreVoteResp")

/**
 * raftpb.MessageType. The table above is the single source of the enum and
 * of the names.
 */
enum rafthttp_msg_type {
#define RAFTHTTP_MSG_ENUM(name, value, text)                                   \
    RAFTHTTP_MSG_##name = (value), /**< etcd's text */
    RAFTHTTP_MSG_TYPE_MAP(RAFTHTTP_MSG_ENUM)
#undef RAFTHTTP_MSG_ENUM
};

/** How many message types etcd defines (values 0 to count - 1). */
#define RAFTHTTP_MSG_TYPE_COUNT 19

/** raftpb.EntryType: what an entry's data holds. */
enum rafthttp_entry_type {
    RAFTHTTP_ENTRY_NORMAL = 0,        /**< the application's data */
    RAFTHTTP_ENTRY_CONF_CHANGE = 1,   /**< data holds a raftpb ConfChange */
    RAFTHTTP_ENTRY_CONF_CHANGE_V2 = 2 /**< data holds a raftpb ConfChangeV2 */
};

/**
 * A bytes field. As in Go, "absent" and "present but empty" differ on the
 * wire: the field is written when len > 0 or base != NULL. Decoded empty
 * fields that were present point at a static empty buffer.
 */
struct rafthttp_bytes {
    const uint8_t *base; /**< the bytes; NULL: absent (when len is 0) */
    size_t len;          /**< how many */
};

/** raftpb.Entry: one log entry. */
struct rafthttp_entry {
    uint64_t term;              /**< field 2 */
    uint64_t index;             /**< field 3 */
    int32_t type;               /**< field 1, enum rafthttp_entry_type */
    struct rafthttp_bytes data; /**< field 4 */
};

/**
 * raftpb.ConfState. Each list is an array of n_<name> IDs; NULL when empty.
 */
struct rafthttp_conf_state {
    const uint64_t *voters;          /**< field 1 */
    size_t n_voters;                 /**< how many voters */
    const uint64_t *learners;        /**< field 2 */
    size_t n_learners;               /**< how many learners */
    const uint64_t *voters_outgoing; /**< field 3 */
    size_t n_voters_outgoing;        /**< how many voters_outgoing */
    const uint64_t *learners_next;   /**< field 4 */
    size_t n_learners_next;          /**< how many learners_next */
    bool auto_leave;                 /**< field 5 */
};

/** raftpb.Snapshot: a MsgSnap's snapshot, without its database. */
struct rafthttp_snapshot {
    struct rafthttp_bytes data; /**< field 1 */
    /** raftpb.SnapshotMetadata. */
    struct {
        struct rafthttp_conf_state conf_state; /**< field 1 */
        uint64_t index;                        /**< field 2 */
        uint64_t term;                         /**< field 3 */
    } metadata;                                /**< field 2 */
};

/** raftpb.Message: what raft cores send each other. */
struct rafthttp_message {
    int32_t type;      /**< field 1, enum rafthttp_msg_type */
    uint64_t to;       /**< field 2 */
    uint64_t from;     /**< field 3 */
    uint64_t term;     /**< field 4 */
    uint64_t log_term; /**< field 5 */
    uint64_t index;    /**< field 6 */
    const struct rafthttp_entry *entries; /**< field 7, n_entries of them */
    size_t n_entries;                     /**< how many entries */
    uint64_t commit;                      /**< field 8 */
    struct rafthttp_snapshot snapshot;    /**< field 9 */
    bool reject;                          /**< field 10 */
    uint64_t reject_hint;                 /**< field 11 */
    struct rafthttp_bytes context;        /**< field 12 */
};

/** @} */

/* ------------------------------------------------------------ member IDs */

/**
 * @defgroup rafthttp_ids Member and cluster IDs
 * IDs as etcd writes, reads and derives them. Pure functions: no
 * transport, any thread.
 * @{
 */

/** Room for a formatted ID: 16 hex digits and the terminating NUL. */
#define RAFTHTTP_ID_STRLEN 17

/**
 * Formats a member or cluster ID as etcd does in paths and headers: lower
 * case hex, no "0x", no zero padding (types.ID.String()). Returns buf, the
 * caller's, NUL-terminated.
 */
RAFTHTTP_API char *rafthttp_id_format(uint64_t id,
                                      char buf[RAFTHTTP_ID_STRLEN]);

/**
 * Parses an ID as etcd does (types.IDFromString): hex digits of either case,
 * leading zeros allowed, no prefix or sign, at most 64 bits.
 *
 * @return 0, or RAFTHTTP_EINVAL (s or id NULL, s empty or not such an ID;
 *         `*id` is left alone).
 */
RAFTHTTP_API int rafthttp_id_parse(const char *s, uint64_t *id);

/** @} */

/* ------------------------------------------------------------ membership */

/**
 * @defgroup rafthttp_membership Membership changes
 * Helpers for the membership changes a raft core carries in its log, in
 * etcd's encodings, so that a C member and an etcd member agree on them:
 * raftpb's ConfChange and ConfChangeV2 (an entry's data when its type is
 * RAFTHTTP_ENTRY_CONF_CHANGE or _V2), and etcd's member JSON (a
 * ConfChange's context, and the body of GET /members). All of them are
 * pure functions: no transport, no allocation, any thread. A call that
 * fails says why in rafthttp_transport_errmsg(NULL), on the calling thread.
 *
 * Output convention (as rafthttp_transport_metrics): the encoding goes
 * into buf (cap bytes) with `*len` its length; RAFTHTTP_ETOOBIG when cap is
 * short, with `*len` the length needed, so buf NULL and cap 0 ask the size.
 * The JSON texts are NUL-terminated, so they fit when cap > `*len`; the
 * protobuf encodings are not, and fit when cap >= `*len`.
 * @{
 */

/** raftpb.ConfChangeType. */
enum rafthttp_conf_change_type {
    RAFTHTTP_CONF_ADD_NODE = 0,        /**< ConfChangeAddNode */
    RAFTHTTP_CONF_REMOVE_NODE = 1,     /**< ConfChangeRemoveNode */
    RAFTHTTP_CONF_UPDATE_NODE = 2,     /**< ConfChangeUpdateNode */
    RAFTHTTP_CONF_ADD_LEARNER_NODE = 3 /**< ConfChangeAddLearnerNode */
};

/** raftpb.ConfChange. etcd puts its member JSON in context. */
struct rafthttp_conf_change {
    uint64_t id;                   /**< field 1: etcd's request ID */
    int32_t type;                  /**< field 2: a rafthttp_conf_change_type */
    uint64_t node_id;              /**< field 3 */
    struct rafthttp_bytes context; /**< field 4 */
};

/** raftpb.ConfChangeTransition. */
enum rafthttp_conf_change_transition {
    /** ConfChangeTransitionAuto */
    RAFTHTTP_CONF_TRANSITION_AUTO = 0,
    /** ConfChangeTransitionJointImplicit */
    RAFTHTTP_CONF_TRANSITION_JOINT_IMPLICIT = 1,
    /** ConfChangeTransitionJointExplicit */
    RAFTHTTP_CONF_TRANSITION_JOINT_EXPLICIT = 2
};

/** raftpb.ConfChangeSingle. */
struct rafthttp_conf_change_single {
    int32_t type;     /**< field 1: a rafthttp_conf_change_type */
    uint64_t node_id; /**< field 2 */
};

/** raftpb.ConfChangeV2. */
struct rafthttp_conf_change_v2 {
    int32_t transition; /**< field 1: a rafthttp_conf_change_transition */
    const struct rafthttp_conf_change_single *changes; /**< field 2 */
    size_t n_changes;                                  /**< how many changes */
    struct rafthttp_bytes context;                     /**< field 3 */
};

/**
 * Encodes cc as etcd's ConfChange.Marshal() does, byte for byte (ID, Type
 * and NodeID always written, Context when present), into the caller's buf
 * (see the output convention). cc is borrowed.
 *
 * @return 0, RAFTHTTP_ETOOBIG (see the output convention) or
 *         RAFTHTTP_EINVAL (cc or len NULL, buf NULL with cap > 0, a context
 *         with base NULL and len > 0).
 */
RAFTHTTP_API int
rafthttp_conf_change_encode(const struct rafthttp_conf_change *cc, uint8_t *buf,
                            size_t cap, size_t *len);

/**
 * Decodes a ConfChange from exactly len bytes. cc->context points into
 * data (borrowed: valid while data is). Unknown fields are skipped; what
 * protobuf-c rejects is rejected.
 *
 * @return 0, RAFTHTTP_EPROTO (not a ConfChange) or RAFTHTTP_EINVAL (data
 *         NULL with len > 0, cc NULL).
 */
RAFTHTTP_API int rafthttp_conf_change_decode(const uint8_t *data, size_t len,
                                             struct rafthttp_conf_change *cc);

/**
 * Encodes cc as etcd's ConfChangeV2.Marshal(); as
 * rafthttp_conf_change_encode, and RAFTHTTP_EINVAL also for changes NULL
 * with n_changes > 0.
 */
RAFTHTTP_API int
rafthttp_conf_change_v2_encode(const struct rafthttp_conf_change_v2 *cc,
                               uint8_t *buf, size_t cap, size_t *len);

/**
 * Decodes a ConfChangeV2 from exactly len bytes: its changes go into the
 * caller's changes array (cap of them) and cc->changes points at it;
 * cc->context points into data (borrowed: valid while data is).
 *
 * @return 0, RAFTHTTP_ETOOBIG when there are more than cap changes
 *         (cc->n_changes says how many; call again with a larger array),
 *         RAFTHTTP_EPROTO or RAFTHTTP_EINVAL as rafthttp_conf_change_decode
 *         (and changes NULL with cap > 0).
 */
RAFTHTTP_API int rafthttp_conf_change_v2_decode(
    const uint8_t *data, size_t len, struct rafthttp_conf_change_v2 *cc,
    struct rafthttp_conf_change_single *changes, size_t cap);

/**
 * An etcd member (membership.Member): what a ConfChange's context and the
 * /members list say of it. A list that is NULL is absent and one that is
 * not NULL with n 0 is empty, which etcd writes differently (peerURLs null
 * or []).
 */
struct rafthttp_member {
    uint64_t id;                    /**< id, written in decimal */
    const char *name;               /**< name; NULL or "": not written */
    const char *const *peer_urls;   /**< peerURLs */
    size_t n_peer_urls;             /**< how many peer_urls */
    const char *const *client_urls; /**< clientURLs; none: not written */
    size_t n_client_urls;           /**< how many client_urls */
    bool is_learner;                /**< isLearner; false: not written */
};

/**
 * Writes m as etcd's json.Marshal(member) does, byte for byte. The text is
 * {"id":\<decimal>,"peerURLs":[...],"isLearner":true,"name":"...",
 * "clientURLs":[...]}, strings escaped as Go escapes them (<, > and & as
 * \\u003c..., invalid UTF-8 as \\ufffd). With promote, etcd's
 * ConfigChangeContext for a learner's promotion: the same with
 * "isPromote":true at the end. Output convention above; NUL-terminated
 * when it fits. m is borrowed.
 *
 * @return 0, RAFTHTTP_ETOOBIG, or RAFTHTTP_EINVAL for m or len NULL, buf
 *         NULL with cap > 0, or a list with a NULL string or NULL with
 *         n > 0.
 */
RAFTHTTP_API int rafthttp_member_json(const struct rafthttp_member *m,
                                      bool promote, char *buf, size_t cap,
                                      size_t *len);

/**
 * The body etcd's GET /members answers: the n members sorted by ID, as a
 * JSON array followed by a newline (json.Encoder). For none, null and the
 * newline, as Go encodes an empty member list. For
 * rafthttp_config.members_json and rafthttp_transport_set_members_json. As
 * rafthttp_member_json otherwise (and RAFTHTTP_EINVAL for ms NULL with
 * n > 0).
 */
RAFTHTTP_API int rafthttp_members_json(const struct rafthttp_member *ms,
                                       size_t n, char *buf, size_t cap,
                                       size_t *len);

/**
 * Parses one member as etcd's json.Unmarshal would (a ConfChange context,
 * or ConfigChangeContext: `*promote` gets "isPromote", may be NULL). Keys in
 * any order, unknown keys skipped, null as absent, strings unescaped. The
 * strings and lists go into the caller's scratch (scratch_len bytes) and
 * m points into it: valid while scratch is, and not into json, which is
 * borrowed for the call.
 *
 * @return 0, RAFTHTTP_ETOOBIG (scratch too small), RAFTHTTP_EPROTO (not a
 *         member; rafthttp_transport_errmsg(NULL) says where) or
 *         RAFTHTTP_EINVAL (m NULL, json NULL with len > 0).
 */
RAFTHTTP_API int rafthttp_member_parse(const char *json, size_t len,
                                       struct rafthttp_member *m, bool *promote,
                                       void *scratch, size_t scratch_len);

/**
 * Parses a /members body (a JSON array of members, or null) into ms (cap
 * of them), `*n` the count. As rafthttp_member_parse, and RAFTHTTP_ETOOBIG
 * also when there are more than cap members (`*n` says how many);
 * RAFTHTTP_EINVAL for n NULL or ms NULL with cap > 0.
 */
RAFTHTTP_API int rafthttp_members_parse(const char *json, size_t len,
                                        struct rafthttp_member *ms, size_t cap,
                                        size_t *n, void *scratch,
                                        size_t scratch_len);

/** @} */

/* ------------------------------------------------------------ callbacks */

/**
 * @defgroup rafthttp_callbacks Callbacks
 * What the transport calls: the raft core beneath it.
 * @{
 */

struct rafthttp_transport;

/** raft's SnapshotStatus values, as etcd passes them to ReportSnapshot. */
enum rafthttp_snapshot_status {
    RAFTHTTP_SNAPSHOT_FINISH = 1, /**< the peer saved and processed it */
    RAFTHTTP_SNAPSHOT_FAILURE = 2 /**< it did not get there */
};

/**
 * The raft core beneath the transport (etcd's Raft interface). Any op may be
 * NULL: the default is to do nothing (is_id_removed: "not removed").
 *
 * Threads: the transport calls every op but is_id_removed from its own
 * delivery threads, never from inside a rafthttp_* call made by the
 * application, and never with a transport lock held. process() for MsgProp
 * runs on a thread of its own, so a raft core that blocks on a proposal
 * does not stall votes and appends. From inside an op the application may
 * call send, add/remove/update peers and the status queries; it must not
 * call stop or free.
 *
 * Every op gets the transport and rafthttp_config.raft_user_data. The
 * table is borrowed by the transport (rafthttp_config.raft_ops): it must
 * outlive it.
 */
struct rafthttp_raft_ops {
    /**
     * A message for this member. m and everything it points at are
     * borrowed: valid until process returns. Return 0, or an error for the
     * pipeline sender: RAFTHTTP_EREMOVED answers 403 (the sender learns it
     * was removed: only when that is true), RAFTHTTP_ESTOPPED 503, anything
     * else 500. A stream's sender hears nothing of it.
     */
    int (*process)(struct rafthttp_transport *t,
                   const struct rafthttp_message *m, void *user_data);
    /**
     * True if id was removed from the cluster: its streams are refused 410.
     * Called from the thread that serves the stream request (the I/O
     * thread, or the application's daemon thread with
     * rafthttp_transport_mhd_access), not a delivery thread: it must
     * return quickly.
     */
    bool (*is_id_removed)(struct rafthttp_transport *t, uint64_t id,
                          void *user_data);
    /** A message for id could not be delivered. */
    void (*report_unreachable)(struct rafthttp_transport *t, uint64_t id,
                               void *user_data);
    /** A snapshot to id ended; exactly one report per snapshot. */
    void (*report_snapshot)(struct rafthttp_transport *t, uint64_t id,
                            enum rafthttp_snapshot_status status,
                            void *user_data);
    /**
     * etcd's ErrorC: a peer said this member was removed from the cluster
     * (403 to a POST, 410 to a stream dial). err is RAFTHTTP_EREMOVED;
     * detail is borrowed for the call.
     */
    void (*critical_error)(struct rafthttp_transport *t, int err,
                           const char *detail, void *user_data);
    /**
     * A snapshot arrived: m is the MsgSnap and db_path the database file,
     * complete and synced, named as etcd names it
     * (\<snapshot_dir>/\<index as 16 hex digits>.snap.db). Returns as
     * process. When NULL, process(m) is called instead (same file). m and
     * db_path are borrowed for the call; the file is the application's:
     * the transport does not delete it.
     */
    int (*process_snapshot)(struct rafthttp_transport *t,
                            const struct rafthttp_message *m,
                            const char *db_path, void *user_data);
    /**
     * Peer id became active (a stream or a request to it worked) or
     * inactive (reason: what failed; borrowed for the call). Called once
     * per change, in order, from a delivery thread, so that a raft core
     * learns of peers coming and going without polling
     * rafthttp_transport_peer_status.
     */
    void (*peer_status_changed)(struct rafthttp_transport *t, uint64_t id,
                                bool active, const char *reason,
                                void *user_data);
};

/** @} */

/* --------------------------------------------------------------- logging */

/**
 * @defgroup rafthttp_logging Logging
 * A transport's log events: to the application's function, or one line per
 * event to stderr.
 * @{
 */

/** How much an event matters; rafthttp_config.log_level filters on it. */
enum rafthttp_log_level {
    RAFTHTTP_LOG_DEBUG = 0, /**< debug */
    RAFTHTTP_LOG_INFO = 1,  /**< info (the default level) */
    RAFTHTTP_LOG_WARN = 2,  /**< warn */
    RAFTHTTP_LOG_ERROR = 3  /**< error */
};

/**
 * One field of a log event, with zap's key names as etcd uses them
 * ("local-member-id", "remote-peer-id", ...). Both strings are borrowed
 * for the call.
 */
struct rafthttp_log_field {
    const char *key;   /**< zap's key name */
    const char *value; /**< the value, as text */
};

/**
 * One log event: etcd's message text where etcd logs the same event
 * ("peer became active"), and its fields, the first always
 * "local-member-id". Everything is borrowed for the call. Called from any
 * thread that logs (a transport thread, or the application's inside a
 * rafthttp_* call), possibly with the transport's lock held: it must return
 * quickly and must not call rafthttp_* functions (formatting with
 * rafthttp_log_format is fine). Repeated events are merged before they get
 * here: the merged one carries a "repeated" field with the count.
 */
typedef void (*rafthttp_log_fn)(enum rafthttp_log_level level, const char *msg,
                                const struct rafthttp_log_field *fields,
                                size_t n_fields, void *user_data);

/** How the built-in sink (and rafthttp_log_format) writes an event. */
enum rafthttp_log_format {
    /** 2026-11-25T14:01:39.990Z WARN msg key=value key="a value" */
    RAFTHTTP_LOG_TEXT = 0,
    /** {"level":"warn","ts":"2026-...Z","msg":"...","key":"value"} (zap's) */
    RAFTHTTP_LOG_JSON = 1
};

/**
 * Formats one event as one line, without the newline, into buf (cap
 * bytes, always NUL-terminated when cap > 0), stamped now. Text values
 * are quoted (a quote or a backslash in them gets a backslash before it)
 * when they are empty or hold a space, a tab, a newline (written as a
 * space), a quote, a backslash or '='; JSON strings are escaped as JSON.
 * A NULL msg, key or value is written as "". Everything is borrowed for
 * the call. Any thread.
 *
 * @return The length of the whole line, which may be cap or more: then it
 *         was cut.
 */
RAFTHTTP_API size_t rafthttp_log_format(enum rafthttp_log_format format,
                                        enum rafthttp_log_level level,
                                        const char *msg,
                                        const struct rafthttp_log_field *fields,
                                        size_t n_fields, char *buf, size_t cap);

/** @} */

/**
 * etcd's member ID (membership.NewMember with no timestamp): the first 8
 * bytes, big-endian, of SHA-1 over the member's peer URLs sorted and
 * concatenated, then the cluster token (NULL: none). URLs as etcd prints
 * them ("http://127.0.0.1:2380"), at most 64 of them. Everything is
 * borrowed for the call. Any thread.
 *
 * @return 0, RAFTHTTP_EINVAL (peer_urls or id NULL, n 0 or over 64) or
 *         RAFTHTTP_ENOMEM.
 * @ingroup rafthttp_ids
 */
RAFTHTTP_API int rafthttp_member_id(const char *const *peer_urls, size_t n,
                                    const char *cluster_token, uint64_t *id);

/**
 * etcd's cluster ID: the first 8 bytes, big-endian, of SHA-1 over the
 * member IDs sorted ascending, each as 8 big-endian bytes. At most 1024
 * members; member_ids is borrowed for the call. Any thread.
 *
 * @return 0, RAFTHTTP_EINVAL (no members, more than 1024, an argument
 *         NULL) or RAFTHTTP_ENOMEM.
 * @ingroup rafthttp_ids
 */
RAFTHTTP_API int rafthttp_cluster_id(const uint64_t *member_ids, size_t n,
                                     uint64_t *id);

/* ---------------------------------------------------------------- config */

/**
 * @defgroup rafthttp_configuration Configuration
 * struct rafthttp_config, its defaults and its checks.
 * @{
 */

/** @name Defaults, etcd's where etcd has one.
 * @{
 */
/** rafthttp_config.server_version */
#define RAFTHTTP_DEFAULT_SERVER_VERSION "3.4.23"
/** rafthttp_config.min_cluster_version */
#define RAFTHTTP_DEFAULT_MIN_CLUSTER_VERSION "3.0.0"
/** rafthttp_config.max_msg_bytes: 512 MiB */
#define RAFTHTTP_DEFAULT_MAX_MSG_BYTES (512u * 1024 * 1024)
/** rafthttp_config.max_snapshot_head_bytes: 64 MiB */
#define RAFTHTTP_DEFAULT_MAX_SNAPSHOT_HEAD_BYTES (64u * 1024 * 1024)
/** rafthttp_config.dial_timeout_ms */
#define RAFTHTTP_DEFAULT_DIAL_TIMEOUT_MS 2000
/** rafthttp_config.read_timeout_ms */
#define RAFTHTTP_DEFAULT_READ_TIMEOUT_MS 5000
/** rafthttp_config.dial_retry_min_ms */
#define RAFTHTTP_DEFAULT_DIAL_RETRY_MIN_MS 100
/** rafthttp_config.dial_retry_max_ms */
#define RAFTHTTP_DEFAULT_DIAL_RETRY_MAX_MS 500
/** rafthttp_config.peer_queue_bytes: 32 MiB */
#define RAFTHTTP_DEFAULT_PEER_QUEUE_BYTES (32u * 1024 * 1024)
/** rafthttp_config.total_queue_bytes: 256 MiB */
#define RAFTHTTP_DEFAULT_TOTAL_QUEUE_BYTES (256u * 1024 * 1024)
/** rafthttp_config.recv_queue_bytes: 64 MiB */
#define RAFTHTTP_DEFAULT_RECV_QUEUE_BYTES (64u * 1024 * 1024)
/** rafthttp_config.pipeline_queue_msgs */
#define RAFTHTTP_DEFAULT_PIPELINE_QUEUE_MSGS 64
/** rafthttp_config.pipeline_conns */
#define RAFTHTTP_DEFAULT_PIPELINE_CONNS 4
/** rafthttp_config.snapshot_progress_timeout_ms */
#define RAFTHTTP_DEFAULT_SNAPSHOT_PROGRESS_TIMEOUT_MS 15000
/** rafthttp_config.snapshot_response_timeout_ms: 5 minutes */
#define RAFTHTTP_DEFAULT_SNAPSHOT_RESPONSE_TIMEOUT_MS 300000
/** @} */

/**
 * TLS between peers (etcd's --peer-* flags). Paths are read when the
 * transport is created (rafthttp_transport_new refuses files that do not
 * load) and again whenever a file changes on disk, so rotated certificates
 * take effect for new connections without a restart.
 *
 * Our server (libmicrohttpd, GnuTLS) presents cert_file/key_file; with
 * client_cert_auth or a trusted CA (as etcd 3.4) it requires a client
 * certificate that chains to the trusted CA, is within its validity, is
 * meant for client use and whose SANs match the address it connects from,
 * and, when set, has allowed_cn as its common name and is valid for
 * allowed_hostname. Our client (libcurl, OpenSSL) presents the same
 * certificate and checks the server's against the trusted CA and the peer
 * URL's host name or IP address, as etcd does. A check that fails closes
 * the connection and logs which check it was.
 *
 * bind_member_id (beyond etcd): a peer's certificate must name the member
 * it speaks for, as a URI SAN "urn:rafthttp:member:<id in hex>" or as its
 * common name "<id in hex>"; a connection whose request speaks for another
 * member (X-Server-From, or the stream's path) is closed, and so is one to
 * a server whose certificate names another member than the one we dial.
 *
 * A certificate and its key are required; client_cert_auth, allowed_cn,
 * allowed_hostname and bind_member_id need a trusted CA. The struct and
 * its strings are borrowed: rafthttp_transport_new copies them.
 */
struct rafthttp_tls {
    const char *cert_file;        /**< PEM certificate (chain) we present */
    const char *key_file;         /**< its PEM private key */
    const char *trusted_ca_file;  /**< PEM CAs peers' certificates chain to */
    const char *trusted_ca_dir;   /**< or a directory of them (c_rehash'd) */
    bool client_cert_auth;        /**< --peer-client-cert-auth */
    const char *allowed_cn;       /**< --peer-cert-allowed-cn; NULL: any */
    const char *allowed_hostname; /**< --peer-cert-allowed-hostname; NULL */
    bool bind_member_id;          /**< see above */
    /**
     * etcd checks that a client certificate's IP SANs (or DNS SANs, looked
     * up) include the address the connection comes from; this skips it
     * (etcd's --experimental-peer-skip-client-san-verification). DNS names
     * are resolved on the I/O thread: prefer IP SANs in peer certificates.
     */
    bool skip_client_san_verify;
    /** "1.2" (default, as etcd) or "1.3". */
    const char *min_version;
    /**
     * TLS 1.2 cipher suites of our client, in OpenSSL's syntax
     * ("ECDHE-ECDSA-AES128-GCM-SHA256:..."); NULL: forward-secret AEAD
     * suites only, which our server always offers. TLS 1.3 suites are the
     * libraries' defaults.
     */
    const char *ciphers;
    /** A handshake that has not finished by then fails (default, 0: 5000). */
    unsigned handshake_timeout_ms;
};

/**
 * Configuration of a transport. Fill it with rafthttp_config_init(), then
 * override fields. Everything is borrowed by rafthttp_transport_new, which
 * copies what it keeps (strings and URL lists included), except the
 * pointers it keeps as they are: allocator, raft_ops and the two user
 * data pointers must outlive the transport.
 *
 * The struct starts with its size and grows only at its end (the ABI
 * policy, in rafthttp.h).
 */
struct rafthttp_config {
    size_t size;         /**< sizeof(struct rafthttp_config), by config_init */
    uint64_t local_id;   /**< this member's ID */
    uint64_t cluster_id; /**< the cluster's ID */
    /** URLs announced in X-PeerURLs ("http://host:port"), n_peer_urls. */
    const char *const *peer_urls;
    size_t n_peer_urls; /**< how many peer_urls */
    /**
     * Where the transport's own HTTP server listens ("http://ip:port"), at
     * most 8; none: no server (see rafthttp_transport_mhd_access).
     */
    const char *const *listen_urls;
    size_t n_listen_urls; /**< how many listen_urls */
    /** Announced in X-Server-Version; must be strict semver. */
    const char *server_version;
    /** Announced in X-Min-Cluster-Version; must be strict semver. */
    const char *min_cluster_version;
    /**
     * The cluster version this member reports at GET /version (etcd's
     * "etcdcluster"); NULL: MAJOR.MINOR.0 of server_version.
     */
    const char *cluster_version;
    /**
     * The body of GET /members (etcd's peer endpoint, read by a member that
     * joins or bootstraps): a JSON array of
     * {"id":\<decimal>,"peerURLs":[..],"name":..,"clientURLs":[..]}.
     * Copied. NULL: /members answers 404 and the joiner asks another
     * member. rafthttp_members_json writes it.
     */
    const char *members_json;
    /**
     * Largest raft message accepted from a peer, on the streams and the
     * pipeline (etcd: readBytesLimit, 512 MiB on the message stream and no
     * limit elsewhere). A larger pipeline body is answered 413.
     */
    size_t max_msg_bytes;
    /**
     * Largest MsgSnap message at the head of a snapshot upload, not counting
     * the database that follows (etcd 3.4: none; 3.5: 1 TiB; later: 64 MiB).
     */
    size_t max_snapshot_head_bytes;
    unsigned dial_timeout_ms; /**< TCP connect (etcd: 1 s + election) */
    /**
     * A stream that delivers no byte for this long is dead (etcd's
     * ConnReadTimeout); link heartbeats go out every third of it. At least
     * 300.
     */
    unsigned read_timeout_ms;
    /** Stream redial backoff: from min, doubling with jitter, up to max. */
    unsigned dial_retry_min_ms;
    unsigned dial_retry_max_ms; /**< see dial_retry_min_ms; not below it */
    /** Bytes queued for one peer, over all its streams and pipeline. */
    size_t peer_queue_bytes;
    /** Bytes queued for all peers together. */
    size_t total_queue_bytes;
    /** Bytes of received messages waiting for process(), per peer. */
    size_t recv_queue_bytes;
    unsigned pipeline_queue_msgs; /**< etcd: 64 */
    unsigned pipeline_conns;      /**< concurrent POSTs per peer; etcd: 4 */
    /**
     * Never dial streams and refuse peers' stream dials (404, as a server
     * without them): every message in both directions goes through the
     * pipeline. For benchmarks and tests of the pipeline; default false.
     */
    bool pipeline_only;
    /**
     * TLS for the server side and for dials to https peer URLs; borrowed
     * (copied at rafthttp_transport_new). NULL: plain HTTP only, and https
     * URLs are refused by validation.
     */
    const struct rafthttp_tls *tls;
    /**
     * Where received snapshots are stored (created if missing). NULL: the
     * member refuses snapshots (500, as a failed save).
     */
    const char *snapshot_dir;
    /** Largest snapshot database accepted, in bytes; 0: no limit. */
    uint64_t max_snapshot_bytes;
    /**
     * fsync received snapshots (file and directory) before processing;
     * default true.
     */
    bool snapshot_fsync;
    /** A snapshot upload that moves no byte for this long fails. */
    unsigned snapshot_progress_timeout_ms;
    /**
     * After the last byte is sent, how long the receiver may take to save
     * and answer (etcd: 5 s, which traps large snapshots in resend loops).
     */
    unsigned snapshot_response_timeout_ms;
    /** The raft core's callbacks; borrowed, must outlive t. */
    const struct rafthttp_raft_ops *raft_ops;
    void *raft_user_data; /**< passed to every raft op */
    rafthttp_log_fn log;  /**< NULL: one line per event to stderr */
    void *log_user_data;  /**< passed to log */
    /** Events below it are dropped; default RAFTHTTP_LOG_INFO. */
    enum rafthttp_log_level log_level;
    /** NULL: libc; borrowed, must outlive t. */
    const struct rafthttp_allocator *allocator;
    /** The built-in stderr sink's format (log NULL); default TEXT. */
    enum rafthttp_log_format log_format;
    /**
     * Let other sockets bind the listen addresses too (SO_REUSEPORT).
     * Default false: a second member on a busy port fails to start
     * ("address already in use") instead of taking half its connections.
     */
    bool listen_reuse_port;
};

/**
 * Fills cfg with the defaults above, its size, zero IDs and no URLs (and
 * log_level RAFTHTTP_LOG_INFO, log_format RAFTHTTP_LOG_TEXT,
 * snapshot_fsync true). cfg must not be NULL. Any thread.
 */
RAFTHTTP_API void rafthttp_config_init(struct rafthttp_config *cfg);

/**
 * Checks a config: its size, non-zero IDs, strict semver versions, non-zero
 * limits (read_timeout_ms at least 300, dial_retry_max_ms not below
 * dial_retry_min_ms), valid URLs (https ones only with TLS), a known log
 * level and format, and an allocator with all three functions. cfg is
 * borrowed for the call. Any thread.
 *
 * @return 0 or RAFTHTTP_EINVAL, and then writes which field is wrong and
 *         why into err (err_len bytes, NUL-terminated; err may be NULL),
 *         for example peer_urls[1]: "http//10.0.0.2:2380" is not
 *         http(s)://host:port. The same text is the calling thread's
 *         rafthttp_transport_errmsg(NULL).
 */
RAFTHTTP_API int rafthttp_config_check(const struct rafthttp_config *cfg,
                                       char *err, size_t err_len);

/**
 * rafthttp_config_check without the text (the calling thread's
 * rafthttp_transport_errmsg(NULL) still has it).
 *
 * @return 0 or RAFTHTTP_EINVAL.
 */
RAFTHTTP_API int rafthttp_config_validate(const struct rafthttp_config *cfg);

/** @} */

/* ------------------------------------------------------------- transport */

/**
 * @defgroup rafthttp_transport Transport
 * The transport's lifecycle (new, start, stop, free), its peers, and what
 * it says of them. struct rafthttp_transport is opaque: made by
 * rafthttp_transport_new and freed by rafthttp_transport_free.
 *
 * None of these functions waits on the network (stop waits for the
 * transport's threads to end), so any thread may call them, and so may a
 * raft op (not stop or free). A failing call says why in
 * rafthttp_transport_errmsg(), the test hooks excepted.
 * @{
 */

/**
 * Creates a transport from cfg (copied, see struct rafthttp_config for the
 * pointers it keeps) into `*t`. Nothing runs until start. Any thread.
 *
 * @return 0, RAFTHTTP_EINVAL (t NULL, a config that rafthttp_config_check
 *         refuses, more than 8 listen URLs, TLS files that do not load) or
 *         RAFTHTTP_ENOMEM; then rafthttp_transport_errmsg(NULL) says why,
 *         on the calling thread.
 */
RAFTHTTP_API int rafthttp_transport_new(struct rafthttp_transport **t,
                                        const struct rafthttp_config *cfg);

/**
 * Starts the I/O and delivery threads and, if listen URLs were given, the
 * HTTP server. A transport starts once. The first start in the process
 * sets up libcurl's global state (curl_global_init, once; an application
 * may call it first), which is never cleaned up.
 *
 * @return 0, RAFTHTTP_EINVAL (already started or stopped, or t not a
 *         transport), RAFTHTTP_EIO (libcurl cannot be set up, or cannot
 *         listen: rafthttp_transport_errmsg says why, for example
 *         "listen http://127.0.0.1:2380: Address already in use") or
 *         RAFTHTTP_ENOMEM. A start that fails stops the transport for
 *         good.
 */
RAFTHTTP_API int rafthttp_transport_start(struct rafthttp_transport *t);

/**
 * Stops everything: when it returns, no callback runs or will run and no
 * transport thread is left. Queued messages are dropped, and snapshots in
 * flight end with their reports. Must not be called from a callback.
 * Idempotent; a thread that calls it while another thread is stopping t
 * waits for that stop to finish.
 *
 * @return 0, or RAFTHTTP_EINVAL when called from one of t's callbacks or
 *         when t is not a transport.
 */
RAFTHTTP_API int rafthttp_transport_stop(struct rafthttp_transport *t);

/**
 * Stops if needed and frees t. NULL is fine. The last call on t: not while
 * another thread calls into t. From one of t's own callbacks it is refused
 * and does nothing (the calling thread is one of t's): t stays usable,
 * rafthttp_transport_errmsg says so, and an error is logged.
 */
RAFTHTTP_API void rafthttp_transport_free(struct rafthttp_transport *t);

/**
 * The last detailed error text of t: what failed, naming the call and the
 * argument, or an empty string if none. For example:
 * "add_peer 2: https URL https://10.0.0.2:2380 without TLS configured".
 * Every failing call also leaves its text on the calling thread, read with
 * t NULL: the one to use when several threads share t, and the only one
 * for calls that had no transport to keep it (rafthttp_transport_new,
 * rafthttp_config_check, the membership helpers, a NULL or freed t).
 *
 * @return A text owned by t (or by the calling thread, with t NULL), valid
 *         until the next failing call on the same thread (or transport).
 *         Never NULL.
 */
RAFTHTTP_API const char *
rafthttp_transport_errmsg(struct rafthttp_transport *t);

/**
 * The port the server listens on for listen URL i (useful with port 0),
 * or 0 when not listening (not started, stopped, no such URL).
 */
RAFTHTTP_API unsigned
rafthttp_transport_listen_port(struct rafthttp_transport *t, size_t i);

/**
 * Sends messages (copied before return; never waits on the network).
 * Messages with to == 0 are skipped; messages to an unknown member are
 * skipped as in etcd, and also counted (RAFTHTTP_DROP_UNKNOWN_PEER) and
 * logged (merged). A message that cannot be queued is dropped, counted and
 * reported through report_unreachable (and report_snapshot FAILURE for
 * MsgSnap) from a delivery thread. Any thread, raft ops included.
 *
 * @return 0, RAFTHTTP_EINVAL (t, or msgs NULL with n > 0),
 *         RAFTHTTP_ENOTSTARTED (before start) or RAFTHTTP_ESTOPPED (after
 *         stop).
 */
RAFTHTTP_API int rafthttp_transport_send(struct rafthttp_transport *t,
                                         const struct rafthttp_message *msgs,
                                         size_t n);

/**
 * Adds a peer with its URLs (copied). Adding it again with the same URLs
 * does nothing (etcd ignores duplicates); with other URLs it is refused
 * with RAFTHTTP_EEXIST (use rafthttp_transport_update_peer). A remote
 * with that ID becomes a peer, with these URLs. May be called before start
 * (peers are dialled once started).
 *
 * @return 0, RAFTHTTP_EINVAL (id 0 or this member's own, no URLs, a URL
 *         that does not parse, an https URL without TLS configured),
 *         RAFTHTTP_EEXIST, RAFTHTTP_ESTOPPED or RAFTHTTP_ENOMEM;
 *         rafthttp_transport_errmsg says which.
 */
RAFTHTTP_API int rafthttp_transport_add_peer(struct rafthttp_transport *t,
                                             uint64_t id,
                                             const char *const *urls,
                                             size_t n_urls);

/**
 * Removes a peer: its streams close, queued messages to it are dropped and
 * messages from it not yet processed are discarded. A remote is removed
 * the same way.
 *
 * @return 0, RAFTHTTP_EPEER_NOT_FOUND or RAFTHTTP_EINVAL (t not a
 *         transport).
 */
RAFTHTTP_API int rafthttp_transport_remove_peer(struct rafthttp_transport *t,
                                                uint64_t id);
/**
 * Removes every peer as rafthttp_transport_remove_peer does; the remotes
 * stay, as in etcd's RemoveAllPeers.
 */
RAFTHTTP_API void
rafthttp_transport_remove_all_peers(struct rafthttp_transport *t);

/**
 * Replaces a peer's URLs (copied); running streams stay up.
 *
 * @return 0, RAFTHTTP_EPEER_NOT_FOUND, RAFTHTTP_EINVAL (URLs as
 *         rafthttp_transport_add_peer checks them) or RAFTHTTP_ENOMEM.
 */
RAFTHTTP_API int rafthttp_transport_update_peer(struct rafthttp_transport *t,
                                                uint64_t id,
                                                const char *const *urls,
                                                size_t n_urls);

/**
 * Adds a remote: a member that is catching up and gets messages through
 * the pipeline only (etcd's AddRemote). Ignored if id is already a peer or
 * a remote, whatever its URLs (copied).
 *
 * @return As rafthttp_transport_add_peer, never RAFTHTTP_EEXIST.
 */
RAFTHTTP_API int rafthttp_transport_add_remote(struct rafthttp_transport *t,
                                               uint64_t id,
                                               const char *const *urls,
                                               size_t n_urls);

/**
 * Peer state, as etcd's peerStatus plus what the transport counted. Filled
 * by rafthttp_transport_peer_status; it ends with reserved space (the ABI
 * policy, in rafthttp.h).
 */
struct rafthttp_peer_status {
    bool active;             /**< a stream or a request to it works */
    int64_t active_since_ms; /**< wall clock, Unix ms; 0 while inactive */
    char reason[128];        /**< why it is inactive ("" when active) */
    bool msgapp_writer;      /**< the peer's msgapp stream is attached */
    bool message_writer;     /**< the peer's message stream is attached */
    bool msgapp_reader;      /**< our msgapp stream from the peer is up */
    bool message_reader;     /**< our message stream from the peer is up */
    size_t queued_bytes;     /**< waiting to be written to the peer */
    uint64_t sent_msgs;      /**< handed to a stream or the pipeline */
    /** Decoded from the peer, link heartbeats (never processed) included. */
    uint64_t received_msgs;
    uint64_t dropped_msgs;       /**< sends that were dropped */
    size_t msgapp_queued_bytes;  /**< waiting on the msgapp stream */
    size_t message_queued_bytes; /**< waiting on the message stream */
    unsigned pipeline_queued;    /**< messages waiting for a POST */
    /* /raft/probing, as etcd's prober: every 4 s. */
    bool probe_healthy;      /**< the last probe was answered (every 4 s) */
    double rtt_s;            /**< smoothed round-trip time */
    double clock_diff_s;     /**< our clock minus the peer's, less rtt/2 */
    uint64_t probes;         /**< probes of /raft/probing sent */
    uint64_t probe_failures; /**< probes that failed */
    uint64_t reserved[16];   /**< for fields to come (the ABI policy) */
};

/**
 * Fills `*st` (the caller's) with peer id's state, a remote's included.
 *
 * @return 0, RAFTHTTP_EPEER_NOT_FOUND or RAFTHTTP_EINVAL (t not a
 *         transport, st NULL).
 */
RAFTHTTP_API int
rafthttp_transport_peer_status(struct rafthttp_transport *t, uint64_t id,
                               struct rafthttp_peer_status *st);

/**
 * etcd's ActiveSince: Unix ms since the peer became active, 0 if not (or
 * not a peer).
 */
RAFTHTTP_API int64_t
rafthttp_transport_active_since(struct rafthttp_transport *t, uint64_t id);

/** etcd's ActivePeers: how many peers (not remotes) are active. */
RAFTHTTP_API size_t
rafthttp_transport_active_peers(struct rafthttp_transport *t);

/**
 * @name Test hooks
 * As etcd's: a paused transport (or a cut peer) drops every message
 * silently in both directions while keeping its connections.
 * @{
 */
/** Pauses t: every message is dropped until rafthttp_transport_resume. */
RAFTHTTP_API void rafthttp_transport_pause(struct rafthttp_transport *t);
/** Ends rafthttp_transport_pause. */
RAFTHTTP_API void rafthttp_transport_resume(struct rafthttp_transport *t);
/**
 * Cuts peer id: its messages are dropped until
 * rafthttp_transport_mend_peer.
 *
 * @return 0, RAFTHTTP_EPEER_NOT_FOUND or RAFTHTTP_EINVAL (t not a
 *         transport).
 */
RAFTHTTP_API int rafthttp_transport_cut_peer(struct rafthttp_transport *t,
                                             uint64_t id);
/**
 * Ends rafthttp_transport_cut_peer.
 *
 * @return As rafthttp_transport_cut_peer.
 */
RAFTHTTP_API int rafthttp_transport_mend_peer(struct rafthttp_transport *t,
                                              uint64_t id);
/** @} */

/** @} */

/* ------------------------------------------------------------ snapshots */

/**
 * @defgroup rafthttp_snapshots Snapshots
 * Sending a snapshot with its database, streamed from the application.
 * Receiving is the transport's: see rafthttp_config.snapshot_dir and
 * rafthttp_raft_ops.process_snapshot.
 * @{
 */

/**
 * Reads up to len bytes of the snapshot database into buf: returns the
 * count, 0 at the end, or a negative value on error. Called from the
 * snapshot's own sender thread, so it may block.
 */
typedef int64_t (*rafthttp_snapshot_read_fn)(uint8_t *buf, size_t len,
                                             void *user_data);
/**
 * The snapshot is over: result 0 (the peer saved and processed it) or an
 * error code. Exactly once per accepted snapshot, from a delivery thread
 * (etcd's CloseNotify).
 */
typedef void (*rafthttp_snapshot_done_fn)(int result, void *user_data);
/** Progress: database bytes sent of total. From the sender thread. */
typedef void (*rafthttp_snapshot_progress_fn)(uint64_t sent, uint64_t total,
                                              void *user_data);

/**
 * Where a snapshot's database comes from. The struct is copied; what it
 * points at (user_data, the fd) must stay valid until done is called. The
 * fd is read from its current offset and is not closed by the library.
 */
struct rafthttp_snapshot_source {
    rafthttp_snapshot_read_fn read; /**< or NULL to read fd */
    int fd;                         /**< read from here when read is NULL */
    uint64_t size;                  /**< exact database size in bytes */
    rafthttp_snapshot_done_fn done; /**< may be NULL */
    rafthttp_snapshot_progress_fn progress; /**< may be NULL */
    void *user_data;                        /**< passed to the three */
};

/**
 * Sends a merged snapshot to m->to, as etcd's snapshot sender: POST
 * /raft/snapshot with the MsgSnap m (copied) followed by the database,
 * streamed from src (never held in memory whole). One snapshot per peer at
 * a time. On 0, exactly one report_snapshot (FINISH or FAILURE) and one
 * src->done follow, on success, HTTP error, progress or response timeout,
 * a short or long database, stop or remove_peer. Otherwise nothing is
 * called and the source is untouched. Any thread, raft ops included.
 *
 * @return 0, RAFTHTTP_EINVAL (not a MsgSnap, bad source),
 *         RAFTHTTP_EPEER_NOT_FOUND (not a peer, or a remote),
 *         RAFTHTTP_EBUSY (one is in flight to that peer),
 *         RAFTHTTP_ENOTSTARTED, RAFTHTTP_ESTOPPED, RAFTHTTP_ENOMEM;
 *         rafthttp_transport_errmsg says which.
 */
RAFTHTTP_API int
rafthttp_transport_send_snapshot(struct rafthttp_transport *t,
                                 const struct rafthttp_message *m,
                                 const struct rafthttp_snapshot_source *src);

/** @} */

/* ----------------------------------------------- an application's daemon */

/**
 * @defgroup rafthttp_embedding Serving from the application's daemon
 * Serving the /raft paths from the application's own libmicrohttpd daemon
 * (as etcd mounts Transport.Handler() in its peer mux). The daemon must be
 * started with MHD_ALLOW_SUSPEND_RESUME and an internal polling thread
 * (MHD_USE_INTERNAL_POLLING_THREAD): the transport parks and resumes
 * connections from its own threads.
 *
 * Call rafthttp_transport_mhd_access from the daemon's access handler for
 * every URL that starts with "/raft", passing the handler's arguments
 * through (connection is the struct MHD_Connection *); it returns the
 * handler's result (MHD_YES or MHD_NO). Call rafthttp_transport_mhd_completed
 * from the daemon's request-completed callback, for every request if that
 * is simpler: it ends the transport's own and leaves any other con_cls
 * untouched, so a con_cls still set afterwards is the application's. t must
 * be started. Shut down in this order: rafthttp_transport_stop (it ends the
 * streams it parked in the daemon), MHD_stop_daemon, rafthttp_transport_free.
 *
 * The URLs peers should dial are the daemon's, announced in
 * rafthttp_config.peer_urls, which rafthttp_transport_new copies. To listen
 * on a port the kernel chooses, bind the socket first (socket, bind to port
 * 0, getsockname, listen), put its port in peer_urls, and hand the socket
 * to the daemon with MHD_OPTION_LISTEN_SOCKET.
 * @{
 */

/**
 * The daemon's access handler for a /raft URL, from the daemon's thread:
 * its arguments passed through, borrowed as libmicrohttpd lends them.
 *
 * @return MHD_YES or MHD_NO, the handler's result: MHD_NO for t not a
 *         transport or a NULL connection, url, method, upload_data_size
 *         or con_cls. A transport not started (or stopped) answers 503.
 */
RAFTHTTP_API int
rafthttp_transport_mhd_access(struct rafthttp_transport *t, void *connection,
                              const char *url, const char *method,
                              const char *upload_data, size_t *upload_data_size,
                              void **con_cls);
/**
 * The daemon's request-completed callback for a request that
 * rafthttp_transport_mhd_access served, from the daemon's thread: frees
 * what the transport keeps in `*con_cls`. A `*con_cls` that is not the
 * transport's (the application's own request state) is left alone.
 */
RAFTHTTP_API void rafthttp_transport_mhd_completed(struct rafthttp_transport *t,
                                                   void **con_cls);

/** @} */

/* ----------------------------------------------------- metrics and stats */

/**
 * @defgroup rafthttp_metrics Metrics and stats
 * What a transport counted, as Prometheus text, etcd's leader stats JSON,
 * or plain counters. Each call copies the numbers under the transport's
 * lock and formats after releasing it: any thread.
 * @{
 */

/**
 * The transport's metrics in Prometheus text exposition format, with
 * etcd's names and labels (etcd_network_*: active peers, disconnects,
 * bytes and failures sent and received per peer, snapshot counts,
 * durations and in-flight, round-trip time) and ours (rafthttp_*: queued
 * bytes and messages per peer and stream, drops by reason and type).
 * Written into buf (cap bytes, NUL-terminated) with `*len` the text's
 * length.
 *
 * @return 0, or RAFTHTTP_ETOOBIG with `*len` set to the length needed
 *         (call again with cap > `*len`; the text may have grown in
 *         between, so loop while it says RAFTHTTP_ETOOBIG),
 *         RAFTHTTP_ENOMEM, RAFTHTTP_EINVAL (t not a transport, len NULL,
 *         buf NULL with cap > 0).
 */
RAFTHTTP_API int rafthttp_transport_metrics(struct rafthttp_transport *t,
                                            char *buf, size_t cap, size_t *len);

/**
 * The metrics of several transports (members run in one process) in one
 * exposition: each family's HELP and TYPE once, then the samples of
 * ts[0], ts[1], ... With n > 1 every sample gets a first label
 * Local="<member ID>" (etcd_network_active_peers and
 * etcd_network_disconnected_peers_total have it already), so two members
 * never write the same series; with n 1 the text is
 * rafthttp_transport_metrics'. Any thread; takes each transport's lock in
 * turn, never two at once.
 *
 * @return Buffer and return codes as there, and RAFTHTTP_EINVAL for ts
 *         NULL, n 0 or a ts[i] that is not a live transport
 *         (rafthttp_transport_errmsg(NULL) says which).
 */
RAFTHTTP_API int rafthttp_metrics_write(struct rafthttp_transport *const *ts,
                                        size_t n, char *buf, size_t cap,
                                        size_t *len);

/**
 * etcd's leader stats JSON (v2 /stats/leader shape): this member as leader
 * and, per peer, append latency (ms) and success/fail counts. As
 * rafthttp_transport_metrics for the buffer and return codes.
 */
RAFTHTTP_API int rafthttp_transport_leader_stats(struct rafthttp_transport *t,
                                                 char *buf, size_t cap,
                                                 size_t *len);

/**
 * Replaces what GET /members answers (see rafthttp_config.members_json),
 * as the membership changes. json is copied; NULL stops serving it. Any
 * thread.
 *
 * @return 0, RAFTHTTP_EINVAL (t not a transport) or RAFTHTTP_ENOMEM.
 * @ingroup rafthttp_transport
 */
RAFTHTTP_API int
rafthttp_transport_set_members_json(struct rafthttp_transport *t,
                                    const char *json);

/**
 * Why messages were dropped: indexes of rafthttp_stats.dropped,
 * X(name, value, text) for each: the enum's name without its
 * RAFTHTTP_DROP_ prefix, its value, and the reason's label in the metrics
 * (rafthttp_dropped_messages_total{reason="..."}).
 */
/* The empty comment that ends the table keeps Doxygen from taking the last
 * row's note for the table's own. */
#define RAFTHTTP_DROP_REASON_MAP(X)                                            \
    X(QUEUE_BYTES, 0, "queue_bytes")     /**< a byte budget was full */        \
    X(QUEUE_MSGS, 1, "queue_msgs")       /**< the pipeline queue was full */   \
    X(NO_CONNECTION, 2, "no_connection") /**< the connection failed */         \
    X(PAUSED, 3, "paused")               /**< paused or cut */                 \
    X(REMOVED, 4, "removed")             /**< the peer removed, t stopped */   \
    X(RECV_FULL, 5, "recv_full")         /**< process() was behind */          \
    X(UNKNOWN_PEER, 6, "unknown_peer") /**< sent to a member not added */ /* */

/** The drop reasons, from RAFTHTTP_DROP_REASON_MAP. */
enum rafthttp_drop_reason {
#define RAFTHTTP_DROP_ENUM(name, value, text)                                  \
    RAFTHTTP_DROP_##name = (value), /**< label text in the metrics */
    RAFTHTTP_DROP_REASON_MAP(RAFTHTTP_DROP_ENUM)
#undef RAFTHTTP_DROP_ENUM
    /** How many reasons there are (values 0 to RAFTHTTP_DROP_REASONS - 1). */
    RAFTHTTP_DROP_REASONS = 7
};

/** Slots of rafthttp_stats.dropped: room for reasons to come. */
#define RAFTHTTP_DROP_SLOTS 16

/**
 * Transport-wide counters. Filled by rafthttp_transport_stats; it ends
 * with reserved space (the ABI policy, in rafthttp.h).
 */
struct rafthttp_stats {
    uint64_t sent_msgs; /**< handed to a stream or the pipeline */
    /** From peers, by stream or POST /raft, link heartbeats included. */
    uint64_t received_msgs;
    uint64_t received_pipeline;            /**< of those, by POST /raft */
    uint64_t dropped[RAFTHTTP_DROP_SLOTS]; /**< by reason; the rest 0 */
    /**
     * Dropped messages by raft message type; the last slot
     * (RAFTHTTP_MSG_TYPE_COUNT) counts any other type.
     */
    uint64_t dropped_by_type[RAFTHTTP_MSG_TYPE_COUNT + 1];
    size_t queued_bytes;   /**< waiting to be written, all peers */
    uint64_t reserved[16]; /**< for fields to come (the ABI policy) */
};

/**
 * Fills `*st` (the caller's) with t's counters. Does nothing when t is not
 * a transport or st is NULL.
 */
RAFTHTTP_API void rafthttp_transport_stats(struct rafthttp_transport *t,
                                           struct rafthttp_stats *st);

/** @} */

#ifdef __cplusplus
}
#endif

#endif /* RAFTHTTP_H */
