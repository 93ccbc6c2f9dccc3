/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The observation endpoint of rafthttp-node (--metrics-listen): a small
 * libmicrohttpd daemon of its own, apart from the transport's peer server,
 * that serves
 *   GET /metrics           the transport's metrics, Prometheus text 0.0.4,
 *                          then the process's (process_metrics.h) as Go's
 *                          Prometheus client serves them
 *   GET /v2/stats/leader   etcd's leader stats JSON
 * and 404 for anything else. The daemon's one internal thread renders each
 * answer with the transport's own functions, so it must be stopped before
 * the transport is.
 */
#ifndef RH_NODE_METRICS_HTTP_H
#define RH_NODE_METRICS_HTTP_H

#include <stddef.h>

#include "rafthttp.h"

#define METRICS_HOST_LEN 256 /* room for a host name and its NUL */

struct MHD_Daemon;

struct metrics_http {
    struct MHD_Daemon *daemon; /* NULL while not serving */
    struct rafthttp_transport *t;
    char host[METRICS_HOST_LEN]; /* as in the URL, without [] for IPv6 */
    unsigned port;               /* the bound port once started */
};

/*
 * Splits "http://HOST:PORT" (PORT 0 to 65535, HOST may be [IPv6]) into
 * host (without brackets, cap bytes) and *port. Returns 0 or -1.
 */
int node_metrics_url_parse(const char *url, char *host, size_t cap,
                           unsigned *port);

/*
 * Serves t's metrics at url (already checked by node_metrics_url_parse), then
 * prints "metrics url=http://HOST:PORT" with the bound port. Returns 0, or
 * -1 after a message on stderr.
 */
int node_metrics_http_start(struct metrics_http *m, const char *url,
                            struct rafthttp_transport *t);

/* Stops serving: no request runs once it returns. Idempotent. */
void node_metrics_http_stop(struct metrics_http *m);

#endif /* RH_NODE_METRICS_HTTP_H */
