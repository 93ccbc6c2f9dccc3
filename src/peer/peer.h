/*
 * peer: everything the transport keeps for one remote member.
 *
 * A peer has two stream writers (what we send on the streams the peer
 * opened to us), two stream readers (the streams we open to the peer), a
 * pipeline, two mailboxes for what it sends us, a URL picker and a status.
 * A remote (etcd's AddRemote) is a peer with only the pipeline.
 *
 * Lifetime: peers are reference counted under the transport lock. The peer
 * table holds one reference; every transfer, server connection and busy
 * mailbox holds another, so removal (which unlinks the peer and tears its
 * connections down) never frees memory a callback still uses. An idle peer
 * costs this struct and nothing else: buffers grow only with traffic and
 * shrink back when drained.
 */
#ifndef RH_PEER_H
#define RH_PEER_H

#include "../pipeline/pipeline.h"
#include "../probing/prober.h"
#include "../transport/metrics.h"
#include "../stream/stream.h"
#include "../transport/deliver.h"

/* etcd's urlPicker: a sorted list and the one in use. */
struct rh_urlpick {
    char **urls;   /* copies, sorted */
    size_t n;
    size_t picked; /* index of the URL in use */
};

int rh_urlpick_init(struct rh_urlpick *p, const struct rafthttp_allocator *a,
                    const char *const *urls, size_t n);
void rh_urlpick_close(struct rh_urlpick *p, const struct rafthttp_allocator *a);
/* Replaces the list and starts over at its first URL. */
int rh_urlpick_update(struct rh_urlpick *p, const struct rafthttp_allocator *a,
                      const char *const *urls, size_t n);
const char *rh_urlpick_pick(const struct rh_urlpick *p);
/* Moves on from url, if url is still the one in use. */
void rh_urlpick_unreachable(struct rh_urlpick *p, const char *url);

struct rh_snap_send; /* src/transport/snapshot_send.c */

struct rh_peer {
    struct rh_peer *next;             /* the transport's peer list */
    uint64_t id;
    char id_str[RAFTHTTP_ID_STRLEN];
    int refs;
    bool removed;                     /* unlinked; tear down, then free */
    bool remote;                      /* pipeline only */
    bool cut;                         /* test hook: drop everything */
    struct rh_urlpick picker;
    bool active;
    int64_t active_since_ms;          /* wall clock */
    char reason[128];                 /* why inactive */
    struct rh_stream_writer writers[2]; /* by enum rh_stream_type */
    struct rh_stream_reader readers[2];
    struct rh_pipeline pipeline;
    struct rh_mailbox recvq;
    struct rh_mailbox propq;
    bool unreachable_pending;         /* a report is already queued */
    struct rh_snap_send *snap_send;   /* the snapshot in flight, or NULL */
    struct rh_probe_status probe;     /* /raft/probing health and RTT */
    void *probe_xfer;                 /* the probe under way (client's) */
    struct rh_peer_metrics metrics;   /* etcd's peer metrics, and ours */
    size_t queued_bytes;              /* writers + pipeline */
    uint64_t sent_msgs;
    uint64_t received_msgs;
    uint64_t dropped_msgs;
};

/* A new peer (one reference, owned by the caller) or NULL. */
struct rh_peer *rh_peer_new(const struct rafthttp_allocator *a, uint64_t id,
                            const char *const *urls, size_t n_urls,
                            const struct rafthttp_config *cfg);
void rh_peer_free(struct rh_peer *p, const struct rafthttp_allocator *a);

/* Status changes; true when the state actually changed (to log it). */
bool rh_peer_activate(struct rh_peer *p);
bool rh_peer_deactivate(struct rh_peer *p, const char *reason);

/* True if every URL in the list is one rh_url_parse accepts. */
bool rh_urls_valid(const char *const *urls, size_t n);

#endif /* RH_PEER_H */
