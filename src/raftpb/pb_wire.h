/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The protobuf wire format as the hand-written codecs here read and write
 * it (entry_codec.c on the msgappv2 hot path, conf_change.c for the public
 * ConfChange helpers): static inline, so the hot path keeps its inlining.
 *
 * Reading accepts and rejects exactly what protobuf-c does: a tag of at
 * most 5 bytes whose first byte has tag bits; a varint of at most 10
 * bytes; a length prefix of at most 5 bytes; wire types 0, 1, 2 and 5
 * only. Varints are truncated as protobuf-c truncates them (32 bits for
 * enums, 64 for the rest). Writing follows gogoproto: an int32 enum is its
 * 64-bit sign extension, so a negative one takes 10 bytes.
 */
#ifndef RH_PB_WIRE_H
#define RH_PB_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rafthttp.h"

enum { RH_PB_VARINT = 0, RH_PB_64BIT = 1, RH_PB_LEN = 2, RH_PB_32BIT = 5 };

/*
 * protobuf-c's parse_tag_and_wiretype: bytes used, 0 when malformed. n must
 * not be 0 (the callers' loops stop there; not checking again here is
 * measurable on the msgappv2 hot path, four tags per entry).
 */
static inline size_t rh_pb_read_tag(const uint8_t *p, size_t n, uint32_t *tag,
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
static inline size_t rh_pb_varint_at(const uint8_t *p, size_t n)
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
static inline uint32_t rh_pb_varint32(const uint8_t *p, size_t len)
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

static inline uint64_t rh_pb_varint64(const uint8_t *p, size_t len)
{
    if (len < 5) {
        return rh_pb_varint32(p, len);
    }
    uint64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        v |= (uint64_t)(p[i] & 0x7f) << (7 * i);
    }
    return v;
}

/*
 * The whole field after its tag: *len bytes, of which *prefix are a length
 * prefix. Returns false when the input ends inside it or the wire type is
 * not one protobuf-c knows.
 */
static inline bool rh_pb_field_extent(const uint8_t *p, size_t n, unsigned wire,
                                      size_t *len, size_t *prefix)
{
    *prefix = 0;
    switch (wire) {
    case RH_PB_VARINT:
        *len = rh_pb_varint_at(p, n);
        return *len != 0;
    case RH_PB_64BIT:
        *len = 8;
        return n >= 8;
    case RH_PB_32BIT:
        *len = 4;
        return n >= 4;
    case RH_PB_LEN: {
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

static inline uint8_t *rh_pb_put_varint(uint8_t *p, uint64_t v)
{
    while (v >= 0x80) {
        *p++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *p++ = (uint8_t)v;
    return p;
}

/* Bytes the varint of v takes. */
static inline size_t rh_pb_varint_size(uint64_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

/* An int32 enum is written as its 64-bit sign extension, as Go does. */
static inline size_t rh_pb_enum_size(int32_t v)
{
    return rh_pb_varint_size((uint64_t)(int64_t)v);
}

/* A bytes field is written when present: len > 0 or base set. */
static inline bool rh_pb_bytes_present(const struct rafthttp_bytes *b)
{
    return b->base != NULL || b->len > 0;
}

/* Tag, length prefix and bytes of a present field of tag < 16; else 0. */
static inline size_t rh_pb_bytes_field_size(const struct rafthttp_bytes *b)
{
    return rh_pb_bytes_present(b) ? 1 + rh_pb_varint_size(b->len) + b->len : 0;
}

#endif /* RH_PB_WIRE_H */
