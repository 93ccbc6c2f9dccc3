/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One run of rafthttp-bench: the state that the raft cores (raft.c), the
 * modes (mode_*.c) and the transports (transports.c) share, and the
 * driver (run.c) that sets it up, runs a mode and fills a result.
 *
 * Threads: the mode runs on the main thread (mixed mode adds a bulk
 * sender thread); the raft cores run on the transports' delivery
 * threads; a ticker thread samples CPU and prints progress. Everything
 * below mu is guarded by it. Three condition variables keep the waiters
 * apart, so a MsgApp delivered does not wake a heartbeat waiter.
 */
#ifndef RH_BENCH_RUN_H
#define RH_BENCH_RUN_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "rafthttp.h"

#include "bench.h"
#include "cpu.h"
#include "latency.h"
#include "options.h"
#include "report.h"

/* The sender's closed loop of MsgApp (stream, pipeline, mixed's bulk). */
struct msgapp_flow {
    uint64_t window;    /* most sent and neither done nor dropped */
    uint64_t sent;      /* handed to rafthttp_transport_send */
    uint64_t done;      /* delivered (one process) or acknowledged */
    uint64_t dropped;   /* MsgApp the sending transport dropped */
    double last_move_s; /* when done or dropped last grew */
    uint64_t *sent_ns;  /* send time of message i at [i % window] */
    struct latency lat; /* send -> delivered, or send -> ack */
    bool waiting;       /* the sender sleeps on flow_cv */
    bool unreachable;   /* report_unreachable since the last look */
    bool stop;          /* mixed: the bulk sender ends */
};

/* The receiver's checks of each MsgApp (the spec's "bad"). */
struct msgapp_check {
    uint64_t count; /* expected messages; 0: no end (mixed) */
    uint64_t size;  /* entry bytes */
    bool any_order; /* pipeline: each index once, in any order */
    uint8_t *seen;  /* any_order: one bit per index */
    uint64_t delivered;
    uint64_t bad;
    double first_s; /* first delivery, 0 before */
    double last_s;  /* last delivery */
};

/* Heartbeat round trips (rtt, mixed). */
struct rtt_state {
    uint64_t seq;            /* sender: the context awaited */
    bool answered;           /* sender: the response to seq arrived */
    uint64_t answer_ns;      /* sender: when it arrived */
    uint64_t bad;            /* sender: responses with another context */
    uint64_t answered_count; /* receiver: heartbeats answered */
    double first_s;          /* receiver: first measured heartbeat */
    double last_s;           /* receiver: last heartbeat */
    struct latency lat;      /* measured round trips */
    uint64_t done;           /* measured round trips so far */
};

/* One snapshot (snapshot, mixed). */
struct snap_state {
    uint64_t size;
    uint64_t made;      /* bytes generated (the sender thread only) */
    atomic_ullong sent; /* bytes sent, from the progress callback */
    bool sender_done;   /* the source's done callback ran */
    int result;         /* and what it said */
    double sender_done_s;
    bool received; /* the receiver's process_snapshot ran */
    double received_s;
    uint64_t bad; /* receiver: wrong size or content */
    double start_s;
    double done_s; /* when it was over (see bench_snapshot_over) */
};

/* What the log callback needs to name the member. */
struct bench_member {
    struct bench_run *run;
    uint64_t id;
};

struct bench_run {
    const struct bench_opts *o;
    enum bench_mode mode;
    enum bench_role role;
    uint64_t size;    /* entry bytes, or snapshot bytes */
    uint64_t count;   /* messages or round trips */
    bool tls;         /* over https, with o->tls */
    uint64_t send_id; /* member 1 (or --local-id / --peer-id) */
    uint64_t recv_id;
    struct rafthttp_transport *send_t; /* NULL when role is recv */
    struct rafthttp_transport *recv_t; /* NULL when role is send */
    struct bench_member members[2];    /* log user data: send, recv */
    char snap_dir[64];                 /* the receiver's temp dir, "" if none */
    atomic_bool quiet;                 /* the run is over: drop warnings */

    pthread_mutex_t mu;
    pthread_cond_t flow_cv; /* the MsgApp sender waits here */
    pthread_cond_t rtt_cv;  /* the heartbeat sender waits here */
    pthread_cond_t done_cv; /* snapshot done, external receiver done */
    struct msgapp_flow flow;
    struct msgapp_check check;
    struct rtt_state rtt;
    struct snap_state snap;

    struct cpu_sampler cpu;
    atomic_bool measuring; /* cpu is initialised */
    double t0;             /* start of the measured part */
    int bulk_rv;           /* mixed: what the bulk sender returned */
    bool progress;         /* print a progress line */
    bool failed;           /* stalled, timed out or could not send */
};

/*
 * Runs one benchmark: mode with size and count (the sweep passes its
 * own), over TLS (o->tls) or plain HTTP, everything else from o. Fills
 * *res. Returns EXIT_OK, or EXIT_FAIL when the run could not complete or
 * counted bad messages.
 */
int bench_run_one(const struct bench_opts *o, enum bench_mode mode,
                  uint64_t size, uint64_t count, bool tls,
                  struct bench_result *res);

/*
 * The runs a command line asks for: one over plain HTTP or over TLS as
 * the flags say, or with --tls-compare both, plain first. Prints a row
 * per run to out as it ends, and fills res[0], res[1] (n: how many ran).
 * Returns EXIT_OK, or EXIT_FAIL if any failed.
 */
int bench_run_variants(const struct bench_opts *o, enum bench_mode mode,
                       uint64_t size, uint64_t count, FILE *out,
                       struct bench_result res[2], size_t *n);

/* The measured part begins now: CPU baseline and t0. */
void bench_run_measure_start(struct bench_run *r);

/* Reports a failure of the run on stderr and marks it failed. */
void bench_run_fail(struct bench_run *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The effective MsgApp window for entries of size bytes. */
uint64_t bench_run_window(const struct bench_opts *o, enum bench_mode mode,
                          uint64_t size, bool say);

/* raft.c: the raft cores under the two members. */
extern const struct rafthttp_raft_ops bench_raft_sender_ops;
extern const struct rafthttp_raft_ops bench_raft_receiver_ops;

/* transports.c */
int bench_transports_start(struct bench_run *r);
int bench_transports_wait_ready(struct bench_run *r);
void bench_transports_free(struct bench_run *r);

/* MsgApp dropped by the sending transport so far. */
uint64_t bench_transports_msgapp_dropped(struct bench_run *r);

/*
 * The modes; each fills the parts of *res it knows. The MsgApp loop and
 * the heartbeat round trip serve more than one mode.
 */
int bench_mode_stream(struct bench_run *r, struct bench_result *res);
int bench_mode_rtt(struct bench_run *r, struct bench_result *res);
int bench_mode_snapshot(struct bench_run *r, struct bench_result *res);
int bench_mode_mixed(struct bench_run *r, struct bench_result *res);
int bench_mode_receive(struct bench_run *r, struct bench_result *res);

/* Sends count MsgApp (UINT64_MAX: until flow.stop). Returns 0 or -1. */
int bench_msgapp_send_loop(struct bench_run *r, uint64_t count, uint64_t size);
/* Waits until count MsgApp are done or dropped. Returns 0 or -1. */
int bench_msgapp_wait_all(struct bench_run *r, uint64_t count);
/* One heartbeat round trip; measured ones go into rtt.lat. 0 or -1. */
int bench_rtt_round_trip(struct bench_run *r, uint64_t seq, bool measured);
/* Starts the snapshot (its state in r->snap). Returns 0 or -1. */
int bench_snapshot_start(struct bench_run *r);
/* True once the snapshot ended (both sides, in one process). */
bool bench_snapshot_over(struct bench_run *r);
/* Waits for bench_snapshot_over. Returns 0, or -1 if it failed. */
int bench_snapshot_wait(struct bench_run *r);

/* The content of snapshot byte off: the receiver checks a few. */
uint8_t bench_snapshot_byte(uint64_t off);

#endif /* RH_BENCH_RUN_H */
