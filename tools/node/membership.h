/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The members this node serves at /members, in etcd's JSON, kept current
 * from committed ConfChange entries (an add's context is etcd's member
 * JSON; a promotion's names the member alone), so that an etcd member that
 * joins later finds itself in the list. Built on rafthttp.h's member
 * helpers: nothing here writes or reads JSON by hand. Thread-safe.
 */
#ifndef RH_NODE_MEMBERSHIP_H
#define RH_NODE_MEMBERSHIP_H

#include <stddef.h>
#include <stdint.h>

#include "rafthttp.h"

/* Sets member m->id (a deep copy); replaces an existing one. 0 or -1. */
int node_membership_set(const struct rafthttp_member *m);
/* A learner becomes a voter (etcd's promotion); no-op if unknown. */
void node_membership_promote(uint64_t id);
/* Drops member id, if there. */
void node_membership_remove(uint64_t id);
/*
 * Writes the /members body into out (etcd's: sorted by ID, a newline at
 * the end); returns its length, or 0 if it does not fit or there are no
 * members.
 */
size_t node_membership_json(char *out, size_t cap);

#endif /* RH_NODE_MEMBERSHIP_H */
