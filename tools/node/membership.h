/*
 * The members this node serves at /members, in etcd's JSON, kept current
 * from committed ConfChange entries (the context of an add is etcd's own
 * member JSON), so that an etcd member that joins later finds itself in the
 * list. Thread-safe.
 */
#ifndef RH_NODE_MEMBERSHIP_H
#define RH_NODE_MEMBERSHIP_H

#include <stddef.h>
#include <stdint.h>

/* Sets member id's JSON object (copied); replaces an existing one. */
int node_membership_set(uint64_t id, const char *json, size_t len);
/* Drops member id, if there. */
void node_membership_remove(uint64_t id);
/* Writes the JSON array into out; returns its length, or 0 if it does
 * not fit or there are no members. */
size_t node_membership_json(char *out, size_t cap);
/*
 * The peer URLs in a member JSON object: up to max pointers into buf
 * (a copy, split in place). Returns how many.
 */
size_t node_membership_peer_urls(const char *json, size_t len, char *buf,
                                 size_t cap, const char **urls, size_t max);

#endif /* RH_NODE_MEMBERSHIP_H */
