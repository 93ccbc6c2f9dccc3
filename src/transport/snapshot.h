/*
 * Snapshot transfer inside the transport: the sender (one thread per
 * snapshot in flight, at most one per peer) and the receiver's writer (one
 * thread per upload). Both run apart from the I/O thread, so a slow disk
 * or a multi-gigabyte snapshot never stalls other peers' traffic.
 *
 * Counted in t->snap_threads; stop waits for it to reach zero.
 */
#ifndef RH_TRANSPORT_SNAPSHOT_H
#define RH_TRANSPORT_SNAPSHOT_H

#include "../snapshot/snapshot.h"
#include "io.h"

struct rh_snap_send; /* snapshot_send.c */

/* Asks a sender to give up (remove_peer, stop); t->mu held. */
void rh_snap_send_cancel(struct rh_snap_send *s);

/*
 * One upload being received (snapshot_recv.c). The network side (MHD's
 * thread) feeds body bytes; the writer thread writes them to a temporary
 * file, commits it, and queues the MsgSnap for process_snapshot().
 */
struct rh_snap_recv;

struct rh_snap_recv *rh_snap_recv_new(struct rafthttp_transport *t);

/*
 * Feeds body bytes. Decodes the head first; then queues database bytes for
 * the writer, as many as fit (*used may be less than n: park the connection
 * until resumed through reply). Returns 0, or the status to answer now
 * with *reason: 400 (bad head, wrong type), 413 (over max_snapshot_bytes),
 * 500 (cannot save).
 */
int rh_snap_recv_feed(struct rh_snap_recv *r, const uint8_t *p, size_t n,
                      size_t *used, struct rh_reply *reply,
                      const char **reason);

/*
 * The body ended. Returns 0 (the writer finishes and reply gets the
 * result: 0 or process()'s error, or RAFTHTTP_EIO when saving failed) or a
 * status to answer now (400: the body ended inside the head).
 */
int rh_snap_recv_finish(struct rh_snap_recv *r, struct rh_reply *reply,
                        const char **reason);

/* True when a reply's RAFTHTTP_EIO means "could not save" (t->mu held). */
bool rh_snap_recv_save_failed(const struct rh_snap_recv *r,
                              const char **reason);

/* The connection is gone (t->mu held); drops the network's reference. */
void rh_snap_recv_detach(struct rh_snap_recv *r);

#endif /* RH_TRANSPORT_SNAPSHOT_H */
