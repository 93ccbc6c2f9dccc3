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

#include "raftpb.h"

/* What a present, empty Data decodes to (see rafthttp_bytes). */
static const uint8_t empty_data[1];

enum { WIRE_VARINT = 0, WIRE_64BIT = 1, WIRE_LEN = 2, WIRE_32BIT = 5 };

/* protobuf-c's parse_tag_and_wiretype: bytes used, 0 when malformed. */
static size_t read_tag(const uint8_t *p, size_t n, uint32_t *tag,
                       unsigned *wire)
{
    if ((p[0] & 0xf8) == 0) {
        return 0;
    }
    *wire = p[0] & 7;
    uint32_t v = (p[0] & 0x7f) >> 3;
    if ((p[0] & 0x80) == 0) {
        *tag = v;
        return 1;
    }
    size_t max = n > 5 ? 5 : n;
    unsigned shift = 4;
    for (size_t i = 1; i < max; i++) {
        if ((p[i] & 0x80) == 0) {
            *tag = v | (uint32_t)p[i] << shift;
            return i + 1;
        }
        v |= (uint32_t)(p[i] & 0x7f) << shift;
        shift += 7;
    }
    return 0;
}

/* Length of the varint at p (at most 10 bytes), 0 when unterminated. */
static size_t varint_len(const uint8_t *p, size_t n)
{
    size_t max = n > 10 ? 10 : n;
    for (size_t i = 0; i < max; i++) {
        if ((p[i] & 0x80) == 0) {
            return i + 1;
        }
    }
    return 0;
}

/* protobuf-c's parse_uint32: the low 32 bits of the first five bytes. */
static uint32_t varint32(const uint8_t *p, size_t len)
{
    uint32_t v = 0;
    for (size_t i = 0; i < len && i < 4; i++) {
        v |= (uint32_t)(p[i] & 0x7f) << (7 * i);
    }
    if (len > 4) {
        v |= (uint32_t)p[4] << 28;
    }
    return v;
}

static uint64_t varint64(const uint8_t *p, size_t len)
{
    if (len < 5) {
        return varint32(p, len);
    }
    uint64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        v |= (uint64_t)(p[i] & 0x7f) << (7 * i);
    }
    return v;
}

/*
 * The whole field after its tag: *len bytes, of which *prefix are a length
 * prefix. Returns false when the input ends inside it.
 */
static bool field_extent(const uint8_t *p, size_t n, unsigned wire, size_t *len,
                         size_t *prefix)
{
    *prefix = 0;
    switch (wire) {
    case WIRE_VARINT:
        *len = varint_len(p, n);
        return *len != 0;
    case WIRE_64BIT:
        *len = 8;
        return n >= 8;
    case WIRE_32BIT:
        *len = 4;
        return n >= 4;
    case WIRE_LEN: {
        size_t max = n > 5 ? 5 : n;
        uint64_t v = 0;
        for (size_t i = 0; i < max; i++) {
            v |= (uint64_t)(p[i] & 0x7f) << (7 * i);
            if ((p[i] & 0x80) == 0) {
                *prefix = i + 1;
                *len = *prefix + (size_t)v;
                return v <= n - *prefix;
            }
        }
        return false;
    }
    default:
        return false;
    }
}

/* Stores one known field; false when its wire type is not the field's. */
static bool store_field(uint32_t tag, unsigned wire, const uint8_t *p,
                        size_t len, size_t prefix, struct rafthttp_entry *e)
{
    if (tag < 1 || tag > 4) {
        return true; /* unknown: skipped */
    }
    if (wire != (tag == 4 ? WIRE_LEN : WIRE_VARINT)) {
        return false;
    }
    switch (tag) {
    case 1:
        e->type = (int32_t)varint32(p, len);
        break;
    case 2:
        e->term = varint64(p, len);
        break;
    case 3:
        e->index = varint64(p, len);
        break;
    default:
        e->data.len = len - prefix;
        e->data.base = e->data.len > 0 ? p + prefix : empty_data;
        break;
    }
    return true;
}

static uint8_t *put_varint(uint8_t *p, uint64_t v)
{
    while (v >= 0x80) {
        *p++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *p++ = (uint8_t)v;
    return p;
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
    p = put_varint(p, (uint64_t)(int64_t)e->type);
    *p++ = 0x10; /* 2: Term */
    p = put_varint(p, e->term);
    *p++ = 0x18; /* 3: Index */
    p = put_varint(p, e->index);
    if (e->data.base != NULL || e->data.len > 0) {
        *p++ = 0x22; /* 4: Data */
        p = put_varint(p, e->data.len);
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
        size_t used = read_tag(p, n, &tag, &wire);
        if (used == 0) {
            return RAFTHTTP_EPROTO;
        }
        p += used;
        n -= used;
        size_t len, prefix;
        if (!field_extent(p, n, wire, &len, &prefix) ||
            !store_field(tag, wire, p, len, prefix, e)) {
            return RAFTHTTP_EPROTO;
        }
        p += len;
        n -= len;
    }
    return 0;
}
