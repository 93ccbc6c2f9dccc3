// SPDX-License-Identifier: Apache-2.0
/*
 * One raftpb Entry encoded and decoded without protobuf-c.
 *
 * Encode: gogoproto's field order and non-nullable fields (Type, Term and
 * Index always written, Data when present), straight into the caller's
 * buffer; the golden vectors check it byte for byte against etcd. It is
 * the sender's per-MsgApp encode on the msgappv2 stream, where protobuf-c's
 * size-then-pack walk over a descriptor cost more than the rest of send().
 *
 * Decode, without allocating: the hot path of a msgappv2
 * stream carries one Entry per MsgApp, and protobuf-c would allocate the
 * Entry, copy its data, and free both again on the delivery thread, which
 * was a fifth of the CPU time of a 64-byte message.
 *
 * It accepts and rejects exactly what raftpb__entry__unpack accepts and
 * rejects (fuzz_entry runs both on the same bytes and compares): a tag of
 * at most 5 bytes whose first byte has tag bits; a varint of at most 10
 * bytes; a length prefix of at most 5 bytes; wire types 0, 1, 2 and 5 only;
 * unknown fields skipped; a known field with another wire type rejected; a
 * field given twice keeps its last value. Varints are truncated as
 * protobuf-c truncates them (32 bits for the enum, 64 for the rest).
 */
#include <string.h>

#include "pb_wire.h"
#include "raftpb.h"

/* What a present, empty Data decodes to (see rafthttp_bytes). */
static const uint8_t empty_data[1];

/* Stores one known field; false when its wire type is not the field's. */
static bool store_field(uint32_t tag, unsigned wire, const uint8_t *p,
                        size_t len, size_t prefix, struct rafthttp_entry *e)
{
    if (tag < 1 || tag > 4) {
        return true; /* unknown: skipped */
    }
    if (wire != (tag == 4 ? RH_PB_LEN : RH_PB_VARINT)) {
        return false;
    }
    switch (tag) {
    case 1:
        e->type = (int32_t)rh_pb_varint32(p, len);
        break;
    case 2:
        e->term = rh_pb_varint64(p, len);
        break;
    case 3:
        e->index = rh_pb_varint64(p, len);
        break;
    default:
        e->data.len = len - prefix;
        e->data.base = e->data.len > 0 ? p + prefix : empty_data;
        break;
    }
    return true;
}

int rh_raftpb_entry_append(const struct rafthttp_entry *e, struct rh_buf *out)
{
    size_t size = rh_raftpb_entry_size(e);
    int rv = rh_buf_reserve(out, size);
    if (rv != 0) {
        return rv;
    }
    uint8_t *p = out->data + out->len;
    *p++ = 0x08; /* 1: Type, an int32 enum: negative values take 10 bytes */
    p = rh_pb_put_varint(p, (uint64_t)(int64_t)e->type);
    *p++ = 0x10; /* 2: Term */
    p = rh_pb_put_varint(p, e->term);
    *p++ = 0x18; /* 3: Index */
    p = rh_pb_put_varint(p, e->index);
    if (e->data.base != NULL || e->data.len > 0) {
        *p++ = 0x22; /* 4: Data */
        p = rh_pb_put_varint(p, e->data.len);
        if (e->data.len > 0) {
            memcpy(p, e->data.base, e->data.len);
        }
    }
    out->len += size;
    return 0;
}

int rh_raftpb_entry_view(const uint8_t *p, size_t n, struct rafthttp_entry *e)
{
    memset(e, 0, sizeof(*e));
    while (n > 0) {
        uint32_t tag;
        unsigned wire;
        size_t used = rh_pb_read_tag(p, n, &tag, &wire);
        if (used == 0) {
            return RAFTHTTP_EPROTO;
        }
        p += used;
        n -= used;
        size_t len, prefix;
        if (!rh_pb_field_extent(p, n, wire, &len, &prefix) ||
            !store_field(tag, wire, p, len, prefix, e)) {
            return RAFTHTTP_EPROTO;
        }
        p += len;
        n -= len;
    }
    return 0;
}
