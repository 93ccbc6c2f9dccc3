// SPDX-License-Identifier: Apache-2.0
/*
 * The server's other paths: /raft/probing (etcd's prober endpoint) and
 * two of etcd's peer endpoints that are not rafthttp's but that an etcd
 * member needs from every peer: /version (the leader polls it to decide
 * the cluster version) and /members (read by a member that joins or
 * bootstraps). Each answers at once; none touches a peer.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "io.h"

/* {"OK":true,"Now":"<RFC 3339, nanoseconds>"} as Go's json.Encoder. */
enum MHD_Result rh_on_probing(struct rafthttp_transport *t,
                              struct MHD_Connection *c)
{
    struct timespec ts;
    struct tm tm;
    char when[40], frac[16] = "", body[96];
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
    if (ts.tv_nsec != 0) { /* Go trims trailing zeros of the fraction */
        snprintf(frac, sizeof(frac), ".%09ld", ts.tv_nsec);
        size_t n = strlen(frac);
        while (frac[n - 1] == '0') {
            frac[--n] = '\0';
        }
    }
    snprintf(body, sizeof(body), "{\"OK\":true,\"Now\":\"%s%sZ\"}\n", when,
             frac);
    return rh_server_reply(t, c, 200, "text/plain; charset=utf-8", body, 0);
}

/* etcd's 405 for its GET-only peer paths (http.Error, Allow: GET). */
static enum MHD_Result refuse_get_only(struct rafthttp_transport *t,
                                       struct MHD_Connection *c)
{
    struct rh_verdict v = {
        .status = 405, .body = "Method Not Allowed", .allow = "GET"};
    return rh_server_answer(t, c, &v, 0);
}

/*
 * GET /version: the leader polls it every 4 s to decide the cluster
 * version; without it etcd logs an error per member and poll.
 */
enum MHD_Result rh_on_version(struct rafthttp_transport *t,
                              struct MHD_Connection *c, const char *method)
{
    if (strcmp(method, "GET") != 0) {
        return refuse_get_only(t, c);
    }
    return rh_server_reply(t, c, 200, "application/json", t->version_json, 0);
}

/* GET /members: read by an etcd member that joins or bootstraps. */
enum MHD_Result rh_on_members(struct rafthttp_transport *t,
                              struct MHD_Connection *c, const char *method)
{
    if (strcmp(method, "GET") != 0) {
        return refuse_get_only(t, c);
    }
    rh_mutex_lock(&t->mu); /* it may be replaced at any time */
    struct MHD_Response *r = t->members_json == NULL
                                 ? NULL
                                 : MHD_create_response_from_buffer(
                                       strlen(t->members_json), t->members_json,
                                       MHD_RESPMEM_MUST_COPY);
    rh_mutex_unlock(&t->mu);
    if (r == NULL) {
        return rh_server_refuse(t, c, 404, "404 page not found", 0);
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
                            "application/json");
    rh_server_headers(t, r, RH_WITH_CLUSTER);
    enum MHD_Result rv = MHD_queue_response(c, 200, r);
    MHD_destroy_response(r);
    return rv;
}
