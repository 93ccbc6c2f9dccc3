/* SPDX-License-Identifier: Apache-2.0 */
/*
 * raftpb: the bridge between the public message structs of rafthttp.h and
 * the protobuf-c code generated from proto/raft.proto.
 *
 * Encoding writes etcd's bytes exactly: every scalar that gogoproto marks
 * non-nullable is written even when zero, the Message -> Snapshot ->
 * SnapshotMetadata -> ConfState chain is always attached, and bytes fields
 * are written only when present (see struct rafthttp_bytes).
 *
 * Decoding accepts anything protobuf-c accepts (any field order, packed or
 * unpacked repeated IDs, absent fields as zero) and keeps unknown fields,
 * which re-encoding writes back, as etcd 3.4 does.
 *
 * Ownership: a decoded struct rh_msg owns every byte its public message
 * points at; rh_msg_free releases all of it. Nothing here keeps state
 * between calls, and nothing here does I/O.
 */
#ifndef RH_RAFTPB_H
#define RH_RAFTPB_H

#include <protobuf-c/protobuf-c.h>

#include "../common/common.h"
#include "raft.pb-c.h"

/* Entries and entry bytes a message holds without further allocation. */
#define RH_MSG_INLINE_ENTRIES 1
#define RH_MSG_INLINE_BYTES 256

/* Entry data too large for the inline area: one allocation each. */
struct rh_msg_block {
    struct rh_msg_block *next;
    uint8_t data[];
};

/*
 * A decoded message and the memory behind it. A MsgApp assembled from a
 * msgappv2 record with one small entry takes this single allocation.
 */
struct rh_msg {
    struct rafthttp_message m;      /* points into the fields below */
    Raftpb__Message *pb;            /* the unpacked tree, or NULL */
    struct rafthttp_entry *entries; /* m.entries, m.n_entries used */
    size_t entries_cap;
    struct rh_msg_block *blocks;            /* owned entry data copies */
    const struct rafthttp_allocator *alloc; /* borrowed; frees all above */
    size_t inline_used;                     /* bytes of inline_data taken */
    struct rafthttp_entry inline_entries[RH_MSG_INLINE_ENTRIES];
    _Alignas(16) uint8_t inline_data[RH_MSG_INLINE_BYTES];
};

/* Exact encoded length of m (etcd's Message.Size()). */
size_t rh_raftpb_message_size(const struct rafthttp_message *m);

/*
 * Appends the encoding of m to out. Returns 0, RAFTHTTP_ETOOBIG (out's
 * limit) or RAFTHTTP_ENOMEM; out is unchanged on failure.
 */
int rh_raftpb_message_append(const struct rafthttp_allocator *a,
                             const struct rafthttp_message *m,
                             struct rh_buf *out);

/* Exact encoded length of one entry (etcd's Entry.Size()). */
size_t rh_raftpb_entry_size(const struct rafthttp_entry *e);

/* Appends the encoding of e to out; as rh_raftpb_message_append. */
int rh_raftpb_entry_append(const struct rafthttp_entry *e, struct rh_buf *out);

/*
 * Decodes one Message from exactly n bytes into a new *out. Returns 0,
 * RAFTHTTP_EPROTO (not a valid Message) or RAFTHTTP_ENOMEM.
 */
int rh_raftpb_message_decode(const struct rafthttp_allocator *a,
                             const uint8_t *p, size_t n, struct rh_msg **out);

/*
 * For decoders that assemble a message from parts (msgappv2): a new message
 * with no entries, entries added one encoded Entry at a time.
 */
struct rh_msg *rh_msg_new(const struct rafthttp_allocator *a);
/* Decodes an encoded Entry and appends a copy of it. */
int rh_msg_add_entry(struct rh_msg *msg, const uint8_t *p, size_t n);

/*
 * Decodes one Entry as protobuf-c would, without allocating: e->data
 * points into p. Returns 0 or RAFTHTTP_EPROTO.
 */
int rh_raftpb_entry_view(const uint8_t *p, size_t n, struct rafthttp_entry *e);

void rh_msg_free(struct rh_msg *msg);

/*
 * Sets every non-nullable field of an unpacked raftpb object (of any raftpb
 * type) as gogoproto would write it: scalars marked present, missing
 * sub-messages attached. Lets any raftpb object re-encode to etcd's bytes.
 * Returns 0 or RAFTHTTP_ENOMEM.
 */
int rh_raftpb_fill_nonnullable(const struct rafthttp_allocator *a,
                               ProtobufCMessage *msg);

/* The allocator adapter handed to protobuf-c. */
void rh_raftpb_allocator(const struct rafthttp_allocator *a,
                         ProtobufCAllocator *out);

#endif /* RH_RAFTPB_H */
