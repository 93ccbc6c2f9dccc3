// SPDX-License-Identifier: Apache-2.0
/*
 * etcd's cluster flags for rafthttp-node: --name, --initial-cluster and
 * --initial-cluster-token. From them the member IDs and the cluster ID are
 * computed exactly as etcd computes them (rafthttp_member_id,
 * rafthttp_cluster_id), so a C member can be listed in an etcd member's
 * --initial-cluster and the two agree on every ID. The members are also
 * written as etcd's /members JSON, which the transport serves.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "membership.h"
#include "options.h"

struct member {
    char name[64];
    const char *urls[NODE_MAX_URLS];
    size_t n_urls;
    uint64_t id;
};

#define MAX_MEMBERS (NODE_MAX_PEERS + 1)

/* Finds or adds the member called name. */
static struct member *member_named(struct member *ms, size_t *n,
                                   const char *name)
{
    for (size_t k = 0; k < *n; k++) {
        if (strcmp(ms[k].name, name) == 0) {
            return &ms[k];
        }
    }
    if (*n == MAX_MEMBERS || strlen(name) >= sizeof(ms[0].name)) {
        return NULL;
    }
    struct member *m = &ms[(*n)++];
    memset(m, 0, sizeof(*m));
    snprintf(m->name, sizeof(m->name), "%s", name);
    return m;
}

/* Splits "NAME=URL,NAME=URL,..." (in place) into members. */
static int split_cluster(char *spec, struct member *ms, size_t *n)
{
    *n = 0;
    char *next = NULL;
    for (char *item = spec; item != NULL; item = next) {
        next = strchr(item, ',');
        if (next != NULL) {
            *next++ = '\0';
        }
        char *eq = strchr(item, '=');
        if (eq == NULL || eq == item) {
            return -1;
        }
        *eq = '\0';
        struct member *m = member_named(ms, n, item);
        if (m == NULL || m->n_urls == NODE_MAX_URLS) {
            return -1;
        }
        m->urls[m->n_urls++] = eq + 1;
    }
    return 0;
}

/*
 * The members as etcd's /members lists them (and as each is kept for later
 * changes, membership.c). On a list too long for o->members_json, /members
 * is left unserved and the joiner asks another member.
 */
static void write_members_json(struct node_opts *o, const struct member *ms,
                               size_t n)
{
    struct rafthttp_member list[MAX_MEMBERS];
    for (size_t i = 0; i < n; i++) {
        list[i] = (struct rafthttp_member){.id = ms[i].id,
                                           .name = ms[i].name,
                                           .peer_urls = ms[i].urls,
                                           .n_peer_urls = ms[i].n_urls};
        node_membership_set(&list[i]);
    }
    size_t len = 0;
    if (rafthttp_members_json(list, n, o->members_json, sizeof(o->members_json),
                              &len) != 0) {
        o->members_json[0] = '\0';
    }
}

/* Makes every member but us a --peer. */
static int add_peers(struct node_opts *o, const struct member *ms, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (ms[i].id == o->id) {
            continue;
        }
        if (o->n_peers == NODE_MAX_PEERS) {
            return -1;
        }
        struct node_peer *p = &o->peers[o->n_peers++];
        memset(p, 0, sizeof(*p));
        p->id = ms[i].id;
        memcpy(p->urls, ms[i].urls, sizeof(p->urls));
        p->n_urls = ms[i].n_urls;
    }
    return 0;
}

int node_cluster_opts_resolve(struct node_opts *o)
{
    static struct member ms[MAX_MEMBERS];
    size_t n = 0;
    const char *token =
        o->cluster_token != NULL ? o->cluster_token : "etcd-cluster";
    if (o->name == NULL) {
        fprintf(stderr, PROG ": --initial-cluster needs --name\n");
        return -1;
    }
    snprintf(o->cluster_spec, sizeof(o->cluster_spec), "%s",
             o->initial_cluster);
    if (split_cluster(o->cluster_spec, ms, &n) != 0) {
        fprintf(stderr, PROG ": --initial-cluster '%s': want NAME=URL,...\n",
                o->initial_cluster);
        return -1;
    }
    uint64_t ids[MAX_MEMBERS];
    for (size_t i = 0; i < n; i++) {
        if (rafthttp_member_id(ms[i].urls, ms[i].n_urls, token, &ms[i].id) !=
            0) {
            return -1;
        }
        ids[i] = ms[i].id;
        if (strcmp(ms[i].name, o->name) == 0) {
            o->id = ms[i].id;
        }
    }
    if (o->id == 0) {
        fprintf(stderr, PROG ": --name '%s' is not in --initial-cluster\n",
                o->name);
        return -1;
    }
    if (rafthttp_cluster_id(ids, n, &o->cluster_id) != 0 ||
        add_peers(o, ms, n) != 0) {
        return -1;
    }
    write_members_json(o, ms, n);
    return 0;
}
