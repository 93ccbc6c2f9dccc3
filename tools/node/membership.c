// SPDX-License-Identifier: Apache-2.0
/*
 * The /members list of rafthttp-node; see membership.h.
 *
 * Each member is kept as its own JSON (rafthttp_member_json) and parsed
 * back into its slot's scratch (rafthttp_member_parse): a deep copy
 * without a hand-written one, and the slot's struct points only into the
 * slot. The list is written with rafthttp_members_json, which sorts it.
 */
#include <pthread.h>
#include <stdbool.h>
#include <string.h>

#include "membership.h"

#define MAX_MEMBERS 64
#define MEMBER_JSON 2048

struct slot {
    struct rafthttp_member m; /* points into scratch */
    char scratch[2 * MEMBER_JSON];
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct slot slots[MAX_MEMBERS];
static size_t n_slots;

static struct slot *find(uint64_t id)
{
    for (size_t k = 0; k < n_slots; k++) {
        if (slots[k].m.id == id) {
            return &slots[k];
        }
    }
    return NULL;
}

/* Copies m into s through its JSON. */
static int copy_into(struct slot *s, const struct rafthttp_member *m)
{
    char json[MEMBER_JSON];
    size_t len = 0;
    if (rafthttp_member_json(m, false, json, sizeof(json), &len) != 0) {
        return -1;
    }
    struct rafthttp_member parsed;
    if (rafthttp_member_parse(json, len, &parsed, NULL, s->scratch,
                              sizeof(s->scratch)) != 0) {
        return -1;
    }
    s->m = parsed;
    return 0;
}

int node_membership_set(const struct rafthttp_member *m)
{
    struct slot checked; /* proves m fits before a slot is touched */
    if (copy_into(&checked, m) != 0) {
        return -1;
    }
    pthread_mutex_lock(&mu);
    struct slot *s = find(m->id);
    if (s == NULL && n_slots < MAX_MEMBERS) {
        s = &slots[n_slots++];
    }
    int rv = s != NULL ? copy_into(s, &checked.m) : -1;
    pthread_mutex_unlock(&mu);
    return rv;
}

void node_membership_promote(uint64_t id)
{
    pthread_mutex_lock(&mu);
    struct slot *s = find(id);
    if (s != NULL) {
        s->m.is_learner = false;
    }
    pthread_mutex_unlock(&mu);
}

void node_membership_remove(uint64_t id)
{
    pthread_mutex_lock(&mu);
    struct slot *s = find(id);
    if (s != NULL) {
        struct slot *last = &slots[--n_slots];
        if (s != last) {
            copy_into(s, &last->m);
        }
    }
    pthread_mutex_unlock(&mu);
}

size_t node_membership_json(char *out, size_t cap)
{
    struct rafthttp_member ms[MAX_MEMBERS];
    size_t len = 0;
    pthread_mutex_lock(&mu);
    for (size_t k = 0; k < n_slots; k++) {
        ms[k] = slots[k].m;
    }
    bool ok =
        n_slots > 0 && rafthttp_members_json(ms, n_slots, out, cap, &len) == 0;
    pthread_mutex_unlock(&mu);
    return ok ? len : 0;
}
