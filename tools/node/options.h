/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The command line of rafthttp-node, parsed into plain data. Strings point
 * into argv (borrowed for the life of the program), except the URL lists of
 * --peer and of etcd's --listen-peer-urls and --initial-advertise-peer-urls,
 * which are copied and split in place.
 */
#ifndef RH_NODE_OPTIONS_H
#define RH_NODE_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "rafthttp.h"
#include "responder.h"

#define PROG "rafthttp-node"
#define EXIT_USAGE 2    /* exit status for bad arguments */
#define NODE_MAX_URLS 8 /* per --listen, --advertise, peer */
#define NODE_MAX_PEERS RESPONDER_MAX_PEERS
#define NODE_SPEC_LEN 1024 /* the URL list of one --peer */
#define NODE_URL_POOL 4096 /* etcd's comma-separated URL flags, copied */
#define NODE_MAX_SECONDS 315360000ull /* ten years */

struct node_peer {
    uint64_t id;
    char spec[NODE_SPEC_LEN]; /* copy of the URL list, split in place */
    const char *urls[NODE_MAX_URLS];
    size_t n_urls;
};

struct node_opts {
    uint64_t id;
    uint64_t cluster_id;
    const char *listen[NODE_MAX_URLS];
    size_t n_listen;
    const char *advertise[NODE_MAX_URLS]; /* default: the listen URLs */
    size_t n_advertise;
    struct node_peer peers[NODE_MAX_PEERS];
    size_t n_peers;
    const char *data_dir;       /* NULL if not given; the snapshot directory */
    uint64_t snap_to;           /* --send-snapshot: the peer, 0 if not given */
    const char *snap_file;      /* and the database file */
    const char *metrics_listen; /* NULL if not given */
    const char *cluster_state;  /* --initial-cluster-state; NULL: "new" */
    enum rafthttp_log_level log_level;
    enum rafthttp_log_format log_format; /* --logger zap: JSON */
    const char *log_outputs;             /* --log-outputs; NULL: stderr */
    uint64_t status_interval_s;          /* 0: no status lines */
    uint64_t duration_s;                 /* 0: until a signal */
    uint64_t peer_delay_s;       /* --peer-delay: seconds before add_peer */
    const char *server_version;  /* --etcd-version; NULL: the default */
    const char *cluster_version; /* --cluster-version; NULL: X.Y.0 */
    bool help;                   /* --help: nothing else was checked */
    bool version;                /* --version: the same */
    /* etcd's cluster flags (cluster_opts.c); set id, cluster_id, peers. */
    const char *name;
    const char *initial_cluster;
    const char *cluster_token;
    char cluster_spec[4096];      /* copy of --initial-cluster, split */
    char url_pool[NODE_URL_POOL]; /* copies of etcd's URL lists, split */
    size_t url_pool_used;
    char members_json[8192]; /* served at /members; "" if none */
    /* etcd's --peer-* TLS flags; tls.cert_file NULL: no TLS. */
    struct rafthttp_tls tls;
};

/*
 * Computes our ID, the cluster ID and the peers from --name,
 * --initial-cluster and --initial-cluster-token, as etcd does. Returns 0,
 * or -1 after printing why.
 */
int node_cluster_opts_resolve(struct node_opts *o);

/*
 * Parses argv into *o (zeroed first) and checks it. Returns 0, or -1 after
 * printing why on stderr.
 */
int node_options_parse(struct node_opts *o, int argc, char **argv);

/* Prints the usage text. */
void node_options_usage(FILE *out);

/* Fills cfg for a transport from o, with ops and ud as the raft core. */
void node_options_fill_config(const struct node_opts *o,
                              const struct rafthttp_raft_ops *ops, void *ud,
                              struct rafthttp_config *cfg);

#endif /* RH_NODE_OPTIONS_H */
