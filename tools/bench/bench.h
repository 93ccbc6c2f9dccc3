/*
 * Words shared by every file of rafthttp-bench: the modes, the roles, the
 * output formats, exit statuses and the clock. The workload itself is the
 * one of the spec shared with gobench (etcd's Go rafthttp), so that the
 * two programs' numbers compare and each can drive the other.
 */
#ifndef RH_BENCH_H
#define RH_BENCH_H

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
    MODE_MIXED
};

enum bench_role {
    ROLE_BOTH, /* two transports in this process */
    ROLE_SEND, /* member 1 against a peer in another process */
    ROLE_RECV  /* member 2 against a peer in another process */
};

enum bench_format { FORMAT_TABLE, FORMAT_JSON, FORMAT_CSV };

/* Names as the command line and the JSON output spell them. */
const char *bench_mode_name(enum bench_mode mode);
const char *bench_role_name(enum bench_role role);

/* Monotonic time in seconds and in nanoseconds. */
double bench_now_s(void);
uint64_t bench_now_ns(void);

/* Sleeps for the given seconds (a fraction is fine). */
void bench_sleep_s(double secs);

#endif /* RH_BENCH_H */
