/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Words shared by every file of rafthttp-bench: the modes, the roles, the
 * output formats, exit statuses and the clock. The workload itself is the
 * one of the spec shared with gobench (etcd's Go rafthttp), so that the
 * two programs' numbers compare and each can drive the other.
 */
#ifndef RH_BENCH_H
#define RH_BENCH_H

#include <stdbool.h>
#include <stdint.h>

#define PROG "rafthttp-bench"
#define BENCH_IMPL "c"

#define EXIT_OK 0
#define EXIT_FAIL 1  /* a run failed, stalled or counted bad messages */
#define EXIT_USAGE 2 /* bad arguments */

/* The members of the spec: member 1 sends, member 2 receives. */
#define BENCH_SEND_ID 1u
#define BENCH_RECV_ID 2u
#define BENCH_CLUSTER_ID 0x1000u

/* Heartbeat round trips before the measured ones (spec: rtt mode). */
#define BENCH_RTT_WARMUP 1000u
/* A run where nothing moves for this long has lost a message: it stops. */
#define BENCH_STALL_S 5.0
/* How long to wait for the peer (streams up, first message, process). */
#define BENCH_START_S 30.0
/* A receiver in its own process lingers so that its last answers flush. */
#define BENCH_LINGER_S 1.0

enum bench_mode {
    MODE_STREAM,
    MODE_RTT,
    MODE_PIPELINE,
    MODE_SNAPSHOT,
    MODE_MIXED,
    MODE_COUNT
};

enum bench_role {
    ROLE_BOTH, /* two transports in this process */
    ROLE_SEND, /* member 1 against a peer in another process */
    ROLE_RECV  /* member 2 against a peer in another process */
};

enum bench_format { FORMAT_TABLE, FORMAT_JSON, FORMAT_CSV };

struct bench_run;
struct bench_result;

/*
 * What a mode is (modes.c): the one table that says how the modes differ,
 * so that the rest of the tool asks the table instead of naming modes.
 */
struct bench_mode_info {
    const char *name; /* --mode, and the JSON and CSV outputs */
    /* Runs the sender's side (or both, in one process). */
    int (*run)(struct bench_run *r, struct bench_result *res);
    bool msgapp;            /* a MsgApp flow (window, index checks) */
    bool rtt;               /* heartbeat round trips */
    bool snapshot;          /* a snapshot of --size bytes */
    bool bulk_entries;      /* MsgApp entries of --bulk-size (--size is the
                               snapshot's) */
    bool pipeline_only;     /* no streams either way: every message a POST */
    bool one_process;       /* no --role send|recv */
    uint64_t default_size;  /* bytes */
    uint64_t default_count; /* messages or round trips; 0: not counted */
};

const struct bench_mode_info *bench_mode_info(enum bench_mode mode);
/* The mode named name, or MODE_COUNT. */
enum bench_mode bench_mode_of(const char *name);

/* Names as the command line and the JSON output spell them. */
const char *bench_mode_name(enum bench_mode mode);
const char *bench_role_name(enum bench_role role);

/* Monotonic time in seconds and in nanoseconds. */
double bench_now_s(void);
uint64_t bench_now_ns(void);

/* Sleeps for the given seconds (a fraction is fine). */
void bench_sleep_s(double secs);

#endif /* RH_BENCH_H */
