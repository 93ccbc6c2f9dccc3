// SPDX-License-Identifier: Apache-2.0
/*
 * raftpb's ConfChange and ConfChangeV2 for the public membership helpers,
 * written and read by hand (pb_wire.h) so that a user needs neither
 * protobuf-c's generated header nor an allocation.
 *
 * Encode follows gogoproto as etcd 3.4 and 3.5 generate it: fields in
 * number order; the scalars are non-nullable, so written even when zero;
 * ConfChange's ID is field 1 and goes first although it is declared last;
 * each ConfChangeSingle is a length-prefixed message with both its fields;
 * a context is written when present (see struct rafthttp_bytes). The
 * golden vectors (tests/interop/golden) check the bytes against etcd's.
 *
 * Decode accepts and rejects what protobuf-c does (pb_wire.h), skips
 * unknown fields, keeps the last value of a field given twice, and points
 * the context into the caller's bytes. A ConfChangeV2's changes go into
 * the caller's array; when they do not fit, the count is still taken, so
 * the caller learns how large an array to pass.
 */
#include <string.h>

#include "pb_wire.h"
#include "raftpb.h"

/* What a present, empty context decodes to (see rafthttp_bytes). */
static const uint8_t empty_bytes[1];

/* ------------------------------------------------------------- sizes */

static size_t conf_change_size(const struct rafthttp_conf_change *cc)
{
    return 1 + rh_pb_varint_size(cc->id) + 1 + rh_pb_enum_size(cc->type) + 1 +
           rh_pb_varint_size(cc->node_id) +
           rh_pb_bytes_field_size(&cc->context);
}

static size_t single_size(const struct rafthttp_conf_change_single *c)
{
    return 1 + rh_pb_enum_size(c->type) + 1 + rh_pb_varint_size(c->node_id);
}

static size_t conf_change_v2_size(const struct rafthttp_conf_change_v2 *cc)
{
    size_t n = 1 + rh_pb_enum_size(cc->transition);
    for (size_t i = 0; i < cc->n_changes; i++) {
        size_t one = single_size(&cc->changes[i]);
        n += 1 + rh_pb_varint_size(one) + one;
    }
    return n + rh_pb_bytes_field_size(&cc->context);
}

/* ----------------------------------------------------------- writing */

static uint8_t *put_enum(uint8_t *p, uint8_t key, int32_t v)
{
    *p++ = key;
    return rh_pb_put_varint(p, (uint64_t)(int64_t)v);
}

static uint8_t *put_u64(uint8_t *p, uint8_t key, uint64_t v)
{
    *p++ = key;
    return rh_pb_put_varint(p, v);
}

static uint8_t *put_bytes(uint8_t *p, uint8_t key,
                          const struct rafthttp_bytes *b)
{
    if (!rh_pb_bytes_present(b)) {
        return p;
    }
    *p++ = key;
    p = rh_pb_put_varint(p, b->len);
    if (b->len > 0) {
        memcpy(p, b->base, b->len);
    }
    return p + b->len;
}

/* The output convention's checks; 0 when the encoding of size fits. */
static int room_for(const char *call, size_t size, const void *buf, size_t cap,
                    size_t *len)
{
    if (len == NULL || (buf == NULL && cap > 0)) {
        rh_thread_errmsg_set(
            "%s: %s", call, len == NULL ? "len NULL" : "buf NULL with cap > 0");
        return RAFTHTTP_EINVAL;
    }
    *len = size;
    if (size > cap) {
        rh_thread_errmsg_set("%s: cap %zu, the encoding needs %zu", call, cap,
                             size);
        return RAFTHTTP_ETOOBIG;
    }
    return 0;
}

/* A bytes field's base must be there for its len. */
static bool bytes_usable(const struct rafthttp_bytes *b)
{
    return b->len == 0 || b->base != NULL;
}

int rafthttp_conf_change_encode(const struct rafthttp_conf_change *cc,
                                uint8_t *buf, size_t cap, size_t *len)
{
    static const char call[] = "conf_change_encode";
    if (cc == NULL || !bytes_usable(&cc->context)) {
        rh_thread_errmsg_set(
            "%s: %s", call,
            cc == NULL ? "cc NULL" : "cc->context: base NULL with len > 0");
        return RAFTHTTP_EINVAL;
    }
    int rv = room_for(call, conf_change_size(cc), buf, cap, len);
    if (rv != 0) {
        return rv;
    }
    uint8_t *p = put_u64(buf, 0x08, cc->id);
    p = put_enum(p, 0x10, cc->type);
    p = put_u64(p, 0x18, cc->node_id);
    put_bytes(p, 0x22, &cc->context);
    return 0;
}

int rafthttp_conf_change_v2_encode(const struct rafthttp_conf_change_v2 *cc,
                                   uint8_t *buf, size_t cap, size_t *len)
{
    static const char call[] = "conf_change_v2_encode";
    const char *bad = cc == NULL ? "cc NULL"
                      : cc->changes == NULL && cc->n_changes > 0
                          ? "cc->changes: NULL with n_changes > 0"
                      : !bytes_usable(&cc->context)
                          ? "cc->context: base NULL with len > 0"
                          : NULL;
    if (bad != NULL) {
        rh_thread_errmsg_set("%s: %s", call, bad);
        return RAFTHTTP_EINVAL;
    }
    int rv = room_for(call, conf_change_v2_size(cc), buf, cap, len);
    if (rv != 0) {
        return rv;
    }
    uint8_t *p = put_enum(buf, 0x08, cc->transition);
    for (size_t i = 0; i < cc->n_changes; i++) {
        const struct rafthttp_conf_change_single *c = &cc->changes[i];
        *p++ = 0x12;
        p = rh_pb_put_varint(p, single_size(c));
        p = put_enum(p, 0x08, c->type);
        p = put_u64(p, 0x10, c->node_id);
    }
    put_bytes(p, 0x1a, &cc->context);
    return 0;
}

/* ----------------------------------------------------------- reading */

/* One field of a message being read: its tag, wire type and bytes. */
struct field {
    uint32_t tag;
    unsigned wire;
    const uint8_t *p; /* after the tag: the value, with its length prefix */
    size_t len;       /* of the value, prefix included */
    size_t prefix;
};

/*
 * Reads the next field at *p (n bytes left). Returns 1 with f filled, 0
 * at the end, -1 when malformed.
 */
static int next_field(const uint8_t **p, size_t *n, struct field *f)
{
    if (*n == 0) {
        return 0;
    }
    size_t used = rh_pb_read_tag(*p, *n, &f->tag, &f->wire);
    if (used == 0 || !rh_pb_field_extent(*p + used, *n - used, f->wire, &f->len,
                                         &f->prefix)) {
        return -1;
    }
    f->p = *p + used;
    *p += used + f->len;
    *n -= used + f->len;
    return 1;
}

static void take_bytes(const struct field *f, struct rafthttp_bytes *b)
{
    b->len = f->len - f->prefix;
    b->base = b->len > 0 ? f->p + f->prefix : empty_bytes;
}

/* Whether f, a known field, has the wire type its declaration gives. */
static bool wire_is(const struct field *f, unsigned wire)
{
    return f->wire == wire;
}

static int decode_single(const uint8_t *p, size_t n,
                         struct rafthttp_conf_change_single *c)
{
    memset(c, 0, sizeof(*c));
    struct field f;
    int got;
    while ((got = next_field(&p, &n, &f)) > 0) {
        if (f.tag == 1 || f.tag == 2) {
            if (!wire_is(&f, RH_PB_VARINT)) {
                return RAFTHTTP_EPROTO;
            }
            if (f.tag == 1) {
                c->type = (int32_t)rh_pb_varint32(f.p, f.len);
            } else {
                c->node_id = rh_pb_varint64(f.p, f.len);
            }
        }
    }
    return got == 0 ? 0 : RAFTHTTP_EPROTO;
}

/* Says why decoding failed, on the calling thread. */
static int malformed(const char *call)
{
    rh_thread_errmsg_set("%s: not a valid encoding", call);
    return RAFTHTTP_EPROTO;
}

static bool input_usable(const char *call, const uint8_t *data, size_t len,
                         const void *cc)
{
    if (cc == NULL || (data == NULL && len > 0)) {
        rh_thread_errmsg_set("%s: %s", call,
                             cc == NULL ? "cc NULL" : "data NULL with len > 0");
        return false;
    }
    return true;
}

int rafthttp_conf_change_decode(const uint8_t *data, size_t len,
                                struct rafthttp_conf_change *cc)
{
    static const char call[] = "conf_change_decode";
    if (!input_usable(call, data, len, cc)) {
        return RAFTHTTP_EINVAL;
    }
    memset(cc, 0, sizeof(*cc));
    struct field f;
    int got;
    while ((got = next_field(&data, &len, &f)) > 0) {
        if (f.tag < 1 || f.tag > 4) {
            continue; /* unknown: skipped */
        }
        if (!wire_is(&f, f.tag == 4 ? RH_PB_LEN : RH_PB_VARINT)) {
            return malformed(call);
        }
        if (f.tag == 1) {
            cc->id = rh_pb_varint64(f.p, f.len);
        } else if (f.tag == 2) {
            cc->type = (int32_t)rh_pb_varint32(f.p, f.len);
        } else if (f.tag == 3) {
            cc->node_id = rh_pb_varint64(f.p, f.len);
        } else {
            take_bytes(&f, &cc->context);
        }
    }
    return got == 0 ? 0 : malformed(call);
}

int rafthttp_conf_change_v2_decode(const uint8_t *data, size_t len,
                                   struct rafthttp_conf_change_v2 *cc,
                                   struct rafthttp_conf_change_single *changes,
                                   size_t cap)
{
    static const char call[] = "conf_change_v2_decode";
    if (!input_usable(call, data, len, cc)) {
        return RAFTHTTP_EINVAL;
    }
    if (changes == NULL && cap > 0) {
        rh_thread_errmsg_set("%s: changes NULL with cap > 0", call);
        return RAFTHTTP_EINVAL;
    }
    memset(cc, 0, sizeof(*cc));
    cc->changes = changes;
    struct field f;
    int got;
    while ((got = next_field(&data, &len, &f)) > 0) {
        if (f.tag < 1 || f.tag > 3) {
            continue;
        }
        if (!wire_is(&f, f.tag == 1 ? RH_PB_VARINT : RH_PB_LEN)) {
            return malformed(call);
        }
        if (f.tag == 1) {
            cc->transition = (int32_t)rh_pb_varint32(f.p, f.len);
        } else if (f.tag == 3) {
            take_bytes(&f, &cc->context);
        } else {
            struct rafthttp_conf_change_single c;
            if (decode_single(f.p + f.prefix, f.len - f.prefix, &c) != 0) {
                return malformed(call);
            }
            if (cc->n_changes < cap) {
                changes[cc->n_changes] = c;
            }
            cc->n_changes++;
        }
    }
    if (got != 0) {
        return malformed(call);
    }
    if (cc->n_changes > cap) {
        rh_thread_errmsg_set("%s: %zu changes, cap %zu", call, cc->n_changes,
                             cap);
        return RAFTHTTP_ETOOBIG;
    }
    return 0;
}
