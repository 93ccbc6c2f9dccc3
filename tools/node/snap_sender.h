/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One snapshot upload of rafthttp-node (--send-snapshot ID=FILE): the file
 * is opened at startup, handed to rafthttp_transport_send_snapshot as an
 * fd source once the main thread sees the peer active, and closed when the
 * transport reports the upload done. The outcome and the progress go to
 * stdout:
 *   snapshot progress to=2 sent=1048576 total=3145728 pct=33
 *   snapshot sent to=2 result=ok bytes=3145728 seconds=0.031 mbps=101.47
 *   snapshot unsent to=2 reason="peer never became active"
 * result is "ok" or the library's error text in double quotes; mbps is in
 * MB (10^6 bytes) per second, from the send call to the report.
 *
 * Threads: start and close run on the main thread, the progress callback
 * on the upload's sender thread, done on a delivery thread. Whatever more
 * than one of them touches sits under mu.
 */
#ifndef RH_NODE_SNAP_SENDER_H
#define RH_NODE_SNAP_SENDER_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "rafthttp.h"

enum snap_sender_state {
    SNAP_NONE = 0, /* nothing to send */
    SNAP_READY,    /* opened, waiting for the peer */
    SNAP_SENDING,  /* handed to the transport */
    SNAP_DONE      /* reported (or refused by the transport) */
};

struct snap_sender {
    pthread_mutex_t mu;
    uint64_t to;   /* the peer; set by open */
    uint64_t size; /* the file's size; set by open */
    int fd;        /* -1 once closed */
    enum snap_sender_state state;
    uint64_t sent;         /* database bytes sent, as last told by progress */
    bool printed;          /* a progress line was printed */
    int64_t last_print_ms; /* monotonic, when it was */
    int64_t start_ms;      /* monotonic, when the send call was made */
};

/* Sets s up with nothing to send. Returns 0 or -1. */
int node_snap_sender_init(struct snap_sender *s);

/*
 * Opens path for sending to peer to. Returns 0, or -1 after a message on
 * stderr (missing, unreadable or not a regular file).
 */
int node_snap_sender_open(struct snap_sender *s, uint64_t to, const char *path);

/* True if a snapshot waits to be sent (opened and not yet started). */
bool node_snap_sender_ready(struct snap_sender *s);

/*
 * Sends the file with m, a MsgSnap to s->to. If the transport refuses it,
 * prints the "snapshot sent" line with the error and closes the file.
 * Returns the transport's result.
 */
int node_snap_sender_start(struct snap_sender *s, struct rafthttp_transport *t,
                           const struct rafthttp_message *m);

/* After the transport has stopped: reports a snapshot never started. */
void node_snap_sender_finish(struct snap_sender *s);

/* Closes the file if still open and frees the mutex (after init). */
void node_snap_sender_close(struct snap_sender *s);

#endif /* RH_NODE_SNAP_SENDER_H */
