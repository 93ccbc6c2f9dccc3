/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A loopback cluster of transports in one process, for integration tests:
 * each node records what its raft core receives and what it is told.
 */
#ifndef RH_TEST_CLUSTER_H
#define RH_TEST_CLUSTER_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "rafthttp.h"

#define TC_MAX_NODES 5
#define TC_MAX_RECORDS 20000

/* What process() saw of one message. */
struct tc_record {
    int32_t type;
    uint64_t from;
    uint64_t to;
    uint64_t term;
    uint64_t index;
    uint64_t commit;
    size_t n_entries;
    size_t data_len; /* total entry data */
};

struct tc_node {
    uint64_t id;
    struct rafthttp_transport *t;
    unsigned port;
    char url[64];
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct tc_record *records;
    size_t n_records;
    unsigned unreachable[TC_MAX_NODES + 1]; /* by node index + 1 */
    unsigned snapshot_reports[3];           /* by status */
    unsigned critical;
    unsigned became_active[TC_MAX_NODES + 1];   /* peer_status_changed */
    unsigned became_inactive[TC_MAX_NODES + 1]; /* by peer ID */
    char inactive_reason[256];                  /* the last one given */
    int process_result;                         /* what process() returns */
    int process_delay_ms;                       /* a slow raft core */
    uint64_t slow_from;                         /* delay only this sender's */
    bool block_props;                           /* MsgProp waits for release */
    bool hold;                                  /* process() waits while set */
    bool held;                                  /* process() is waiting */
    uint64_t removed_id;                        /* is_id_removed says yes */
    char snap_dir[64];                          /* where snapshots land */
    char snap_path[1200];                       /* the last one processed */
    unsigned snapshots;                         /* process_snapshot calls */
    int snapshot_delay_ms;                      /* slow to apply one */
    unsigned unhealthy_warnings;                /* prober log lines seen */
    void (*tune)(struct rafthttp_config *cfg);
};

struct tc_cluster {
    size_t n;
    struct tc_node nodes[TC_MAX_NODES];
};

/* Starts n nodes (ids 1..n) on 127.0.0.1 ephemeral ports, not yet peered. */
void tc_start(struct tc_cluster *c, size_t n,
              void (*tune)(struct rafthttp_config *cfg));
/* Makes every node a peer of every other. */
void tc_connect_all(struct tc_cluster *c);
void tc_stop(struct tc_cluster *c);

/* Stops node i and starts it again on the same port, peered with all. */
void tc_restart(struct tc_cluster *c, size_t i);
/* Stops node i (its slot stays, with t NULL). */
void tc_kill(struct tc_cluster *c, size_t i);
/* Lets blocked MsgProp calls of node return. */
void tc_release_props(struct tc_node *node);

/* Waits (bounded by 15 s) until all streams between a and b are up. */
bool tc_wait_streams(struct tc_cluster *c, size_t a, size_t b);
/* Waits (bounded by 15 s) until node has at least n records. */
bool tc_wait_records(struct tc_node *node, size_t n);
/* Bounded wait for a condition checked under the node's lock. */
bool tc_wait_until(struct tc_node *node, bool (*cond)(struct tc_node *));

void tc_sleep_ms(int ms);

/* How many times node was told that id is unreachable (locked read). */
unsigned tc_unreachable(struct tc_node *node, uint64_t id);

#endif /* RH_TEST_CLUSTER_H */
