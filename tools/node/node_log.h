/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rafthttp-node's log sink, after etcd's --logger and --log-outputs: the
 * library's events written as zap's JSON lines (--logger zap, etcd's
 * default since 3.5) or as the library's text line (--logger capnslog,
 * the closest to 3.4's default), to stderr, stdout or files (appended),
 * one line per event to every output.
 */
#ifndef RH_NODE_LOG_H
#define RH_NODE_LOG_H

#include <pthread.h>
#include <stdio.h>

#include "rafthttp.h"

#define NODE_LOG_MAX_OUTPUTS 4

struct node_log {
    enum rafthttp_log_format format;
    FILE *out[NODE_LOG_MAX_OUTPUTS];
    bool owned[NODE_LOG_MAX_OUTPUTS]; /* opened here, closed here */
    size_t n;
    pthread_mutex_t mu; /* one line at a time across outputs */
};

/*
 * Opens outputs, etcd's --log-outputs value: a comma-separated list of
 * "stderr", "stdout", "default" (stderr) or file paths. NULL: stderr.
 * Returns 0, or -1 with what failed printed to stderr.
 */
int node_log_open(struct node_log *l, const char *outputs,
                  enum rafthttp_log_format format);
void node_log_close(struct node_log *l);

/* The rafthttp_log_fn to install, with l as its user data. */
void node_log_write(enum rafthttp_log_level level, const char *msg,
                    const struct rafthttp_log_field *fields, size_t n_fields,
                    void *l);

#endif /* RH_NODE_LOG_H */
