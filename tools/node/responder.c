// SPDX-License-Identifier: Apache-2.0
/*
 * The follower that rafthttp-node runs beneath its transport. It keeps no
 * log, only the numbers a follower would answer with:
 *
 *   MsgVote, MsgPreVote  granted when the candidate's term is at least ours
 *                        and, for MsgVote, we have not voted for another
 *                        member in that term; a MsgVote at a higher term
 *                        raises ours first.
 *   MsgApp               accepted; MsgAppResp with the index of the last
 *                        entry sent (or m.Index when there is none).
 *   MsgHeartbeat         MsgHeartbeatResp with Commit = min(m.Commit, our
 *                        last index) and the context echoed (ReadIndex).
 *   MsgSnap              accepted; our last index becomes the snapshot's
 *                        and MsgAppResp answers with it. Through
 *                        process_snapshot (a snapshot directory is set)
 *                        the database file is then named to on_snapshot.
 *   anything else        counted only.
 *
 * A leader's message (MsgApp, MsgHeartbeat, MsgSnap) at a higher term
 * raises our term; at our term it names the leader.
 */
#include <stdio.h>
#include <string.h>

#include "common/common.h"
#include "responder.h"

const char *node_responder_type_name(int32_t type)
{
    const char *name = rh_msg_type_name(type);
    return name != NULL ? name : "MsgOther";
}

int node_responder_init(struct responder *r, uint64_t id)
{
    memset(r, 0, sizeof(*r));
    r->id = id;
    if (pthread_mutex_init(&r->mu, NULL) != 0) {
        return RAFTHTTP_ENOMEM;
    }
    return 0;
}

void node_responder_close(struct responder *r)
{
    pthread_mutex_destroy(&r->mu);
}

int node_responder_add_peer(struct responder *r, uint64_t id)
{
    if (r->n_peers == RESPONDER_MAX_PEERS) {
        return RAFTHTTP_ETOOBIG;
    }
    r->peers[r->n_peers].id = id;
    r->n_peers++;
    return 0;
}

/* The counting slot of sender id (r->mu held). */
static struct responder_peer *slot_of(struct responder *r, uint64_t id)
{
    for (size_t i = 0; i < r->n_peers; i++) {
        if (r->peers[i].id == id) {
            return &r->peers[i];
        }
    }
    return &r->other;
}

static size_t type_index(int32_t type)
{
    if (type < 0 || type >= RESPONDER_TYPES - 1) {
        return RESPONDER_TYPES - 1;
    }
    return (size_t)type;
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
    return a < b ? a : b;
}

static void commit_to(struct responder *r, uint64_t commit)
{
    if (commit > r->st.commit) {
        r->st.commit = commit;
    }
}

/* A message from a leader: follow its term, and it leads our term. */
static void follow(struct responder *r, const struct rafthttp_message *m)
{
    if (m->term > r->st.term) {
        r->st.term = m->term;
        r->st.vote = 0;
    }
    if (m->term == r->st.term) {
        r->st.lead = m->from;
    }
}

static void handle_vote(struct responder *r, const struct rafthttp_message *m,
                        struct rafthttp_message *reply)
{
    bool pre = m->type == RAFTHTTP_MSG_PRE_VOTE;
    if (!pre && m->term > r->st.term) {
        r->st.term = m->term;
        r->st.vote = 0;
        r->st.lead = 0;
    }
    bool grant = m->term >= r->st.term &&
                 (pre || r->st.vote == 0 || r->st.vote == m->from);
    if (grant && !pre) {
        r->st.vote = m->from;
    }
    reply->type = pre ? RAFTHTTP_MSG_PRE_VOTE_RESP : RAFTHTTP_MSG_VOTE_RESP;
    reply->term = grant ? m->term : r->st.term; /* etcd rejects at r.Term */
    reply->reject = !grant;
}

static void handle_app(struct responder *r, const struct rafthttp_message *m,
                       struct rafthttp_message *reply)
{
    follow(r, m);
    reply->type = RAFTHTTP_MSG_APP_RESP;
    reply->term = m->term;
    if (m->index > r->st.last_index) {
        /*
         * A gap: we do not hold the entry before these (a fresh start, or
         * entries lost). Reject with our last index as the hint, as raft
         * does; the leader backs off, and sends a snapshot when what we
         * need is compacted away.
         */
        reply->index = m->index;
        reply->reject = true;
        reply->reject_hint = r->st.last_index;
        return;
    }
    uint64_t last = m->index;
    if (m->n_entries > 0) {
        last = m->entries[m->n_entries - 1].index;
    }
    if (last > r->st.last_index) {
        r->st.last_index = last;
    }
    commit_to(r, min_u64(m->commit, last));
    reply->index = last;
}

static void handle_heartbeat(struct responder *r,
                             const struct rafthttp_message *m,
                             struct rafthttp_message *reply)
{
    follow(r, m);
    uint64_t commit = min_u64(m->commit, r->st.last_index);
    commit_to(r, commit);
    reply->type = RAFTHTTP_MSG_HEARTBEAT_RESP;
    reply->term = m->term;
    reply->commit = commit;
    reply->context = m->context; /* borrowed: sent before process returns */
}

static void handle_snap(struct responder *r, const struct rafthttp_message *m,
                        struct rafthttp_message *reply)
{
    follow(r, m);
    uint64_t index = m->snapshot.metadata.index;
    r->st.last_index = index;
    commit_to(r, index);
    reply->type = RAFTHTTP_MSG_APP_RESP;
    reply->term = m->term;
    reply->index = index;
}

/* Updates the state for m; true if *reply is to be sent (r->mu held). */
static bool respond(struct responder *r, const struct rafthttp_message *m,
                    struct rafthttp_message *reply)
{
    memset(reply, 0, sizeof(*reply));
    reply->from = r->id;
    reply->to = m->from;
    switch (m->type) {
    case RAFTHTTP_MSG_VOTE:
    case RAFTHTTP_MSG_PRE_VOTE:
        handle_vote(r, m, reply);
        return true;
    case RAFTHTTP_MSG_APP:
        handle_app(r, m, reply);
        return true;
    case RAFTHTTP_MSG_HEARTBEAT:
        handle_heartbeat(r, m, reply);
        return true;
    case RAFTHTTP_MSG_SNAP:
        handle_snap(r, m, reply);
        return true;
    default:
        return false; /* MsgTimeoutNow, MsgReadIndex, MsgProp...: counted */
    }
}

/* Hands the ConfChange entries of an accepted append to the hook. */
static void report_conf_changes(struct responder *r,
                                const struct rafthttp_message *m)
{
    for (size_t i = 0; r->on_conf_change != NULL && i < m->n_entries; i++) {
        const struct rafthttp_entry *e = &m->entries[i];
        if (e->type != RAFTHTTP_ENTRY_CONF_CHANGE) {
            continue;
        }
        struct rafthttp_conf_change cc;
        if (rafthttp_conf_change_decode(e->data.base, e->data.len, &cc) == 0) {
            r->on_conf_change(&cc, r->on_conf_change_ud);
        }
    }
}

static int responder_process(struct rafthttp_transport *t,
                             const struct rafthttp_message *m, void *ud)
{
    struct responder *r = ud;
    struct rafthttp_message reply;
    pthread_mutex_lock(&r->mu);
    slot_of(r, m->from)->recv[type_index(m->type)]++;
    bool answer = respond(r, m, &reply);
    pthread_mutex_unlock(&r->mu);
    if (!answer) {
        return 0;
    }
    int rv = rafthttp_transport_send(t, &reply, 1);
    pthread_mutex_lock(&r->mu);
    if (rv == 0) {
        r->st.replies++;
    } else {
        r->st.send_errors++;
    }
    pthread_mutex_unlock(&r->mu);
    if (m->type == RAFTHTTP_MSG_APP && !reply.reject) {
        report_conf_changes(r, m);
    }
    return 0;
}

static int responder_process_snapshot(struct rafthttp_transport *t,
                                      const struct rafthttp_message *m,
                                      const char *db_path, void *ud)
{
    struct responder *r = ud;
    int rv = responder_process(t, m, ud);
    if (r->on_snapshot != NULL) {
        r->on_snapshot(m->from, m->snapshot.metadata.index, db_path,
                       r->on_snapshot_ud);
    }
    return rv;
}

static void responder_unreachable(struct rafthttp_transport *t, uint64_t id,
                                  void *ud)
{
    struct responder *r = ud;
    (void)t;
    pthread_mutex_lock(&r->mu);
    slot_of(r, id)->unreachable++;
    pthread_mutex_unlock(&r->mu);
}

static void responder_snapshot(struct rafthttp_transport *t, uint64_t id,
                               enum rafthttp_snapshot_status status, void *ud)
{
    struct responder *r = ud;
    (void)t;
    pthread_mutex_lock(&r->mu);
    struct responder_peer *p = slot_of(r, id);
    if (status == RAFTHTTP_SNAPSHOT_FINISH) {
        p->snap_finish++;
    } else {
        p->snap_failure++;
    }
    pthread_mutex_unlock(&r->mu);
}

static void responder_critical(struct rafthttp_transport *t, int err,
                               const char *detail, void *ud)
{
    struct responder *r = ud;
    (void)t;
    pthread_mutex_lock(&r->mu);
    r->st.removed = true;
    snprintf(r->st.removed_why, sizeof(r->st.removed_why), "%s (%s)",
             detail != NULL ? detail : "", rafthttp_strerror(err));
    pthread_mutex_unlock(&r->mu);
    if (r->on_removed != NULL) {
        r->on_removed(r->on_removed_ud);
    }
}

static const struct rafthttp_raft_ops ops = {
    .process = responder_process,
    .is_id_removed = NULL, /* nobody is ever removed */
    .report_unreachable = responder_unreachable,
    .report_snapshot = responder_snapshot,
    .critical_error = responder_critical,
    .process_snapshot = responder_process_snapshot,
};

const struct rafthttp_raft_ops *node_responder_ops(void)
{
    return &ops;
}

void node_responder_get_state(struct responder *r, struct responder_state *out)
{
    pthread_mutex_lock(&r->mu);
    *out = r->st;
    pthread_mutex_unlock(&r->mu);
}

int node_responder_get_peer(struct responder *r, uint64_t id,
                            struct responder_peer *out)
{
    int rv = RAFTHTTP_EPEER_NOT_FOUND;
    memset(out, 0, sizeof(*out));
    pthread_mutex_lock(&r->mu);
    if (id == 0) {
        *out = r->other;
        rv = 0;
    }
    for (size_t i = 0; i < r->n_peers && rv != 0; i++) {
        if (r->peers[i].id == id) {
            *out = r->peers[i];
            rv = 0;
        }
    }
    pthread_mutex_unlock(&r->mu);
    return rv;
}
