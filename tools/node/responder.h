/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A small built-in raft core for rafthttp-node: it answers as a follower
 * would (grants votes, accepts appends and snapshots, echoes heartbeats)
 * and counts what it receives, per sender and message type.
 *
 * The transport calls its ops from several delivery threads (MsgProp on a
 * thread of its own), so all state sits under one mutex. Replies are sent
 * with rafthttp_transport_send from inside process(), outside that mutex.
 */
#ifndef RH_NODE_RESPONDER_H
#define RH_NODE_RESPONDER_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "rafthttp.h"

/* Peers the responder keeps counts for; senders beyond go to "other". */
#define RESPONDER_MAX_PEERS 32
/* Message types 0..18 by value; slot 19 counts any other value. */
/* One counter per raft message type, and one for any other. */
#define RESPONDER_TYPES (RAFTHTTP_MSG_TYPE_COUNT + 1)

/* What one sender sent us and what the transport told us about it. */
struct responder_peer {
    uint64_t id;                    /* 0 for the "other" slot */
    uint64_t recv[RESPONDER_TYPES]; /* process() calls by message type */
    uint64_t unreachable;           /* report_unreachable */
    uint64_t snap_finish;           /* report_snapshot FINISH */
    uint64_t snap_failure;          /* report_snapshot FAILURE */
};

/* The follower's raft state, as a copy for printing. */
struct responder_state {
    uint64_t term;
    uint64_t vote;       /* whom we voted for in term, 0 if nobody */
    uint64_t lead;       /* leader of term as far as we know, 0 if none */
    uint64_t last_index; /* index of our last (pretend) log entry */
    uint64_t commit;
    uint64_t replies;      /* replies handed to the transport */
    uint64_t send_errors;  /* replies the transport refused */
    bool removed;          /* a peer said we were removed (critical_error) */
    char removed_why[128]; /* its detail, "" until then */
};

struct responder {
    pthread_mutex_t mu;
    uint64_t id; /* our member ID: From of every reply */
    struct responder_state st;
    size_t n_peers;
    struct responder_peer peers[RESPONDER_MAX_PEERS];
    struct responder_peer other; /* senders that are not known peers */
    /* Called (from a transport thread, no lock held) on critical_error. */
    void (*on_removed)(void *ud);
    void *on_removed_ud;
    /*
     * Called (from a transport thread, no lock held) for each snapshot
     * received, after the reply went out: from, the snapshot's index and
     * its database file (borrowed). May be NULL.
     */
    void (*on_snapshot)(uint64_t from, uint64_t index, const char *db_path,
                        void *ud);
    void *on_snapshot_ud;
    /*
     * Called (from a transport thread, no lock held) for each ConfChange
     * entry in an append we accepted (its context, etcd's member JSON,
     * borrowed for the call).
     */
    void (*on_conf_change)(const struct rafthttp_conf_change *cc, void *ud);
    void *on_conf_change_ud;
};

/* Sets up r for member id with no peers. Returns 0 or RAFTHTTP_ENOMEM. */
int node_responder_init(struct responder *r, uint64_t id);
void node_responder_close(struct responder *r);

/*
 * Adds a sender to count for (before the transport starts). Returns 0, or
 * RAFTHTTP_ETOOBIG when RESPONDER_MAX_PEERS are already there.
 */
int node_responder_add_peer(struct responder *r, uint64_t id);

/* The op table to put in rafthttp_config; raft_user_data must be r. */
const struct rafthttp_raft_ops *node_responder_ops(void);

/* Copies the raft state. */
void node_responder_get_state(struct responder *r, struct responder_state *out);

/*
 * Copies the counts for sender id (id 0: the "other" slot). Returns 0, or
 * RAFTHTTP_EPEER_NOT_FOUND (out zeroed).
 */
int node_responder_get_peer(struct responder *r, uint64_t id,
                            struct responder_peer *out);

/* etcd's name of a message type ("MsgApp"), "MsgOther" outside 0..18. */
const char *node_responder_type_name(int32_t type);

#endif /* RH_NODE_RESPONDER_H */
