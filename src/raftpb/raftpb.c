// SPDX-License-Identifier: Apache-2.0
/*
 * raftpb bridge: public message structs <-> protobuf-c <-> etcd's bytes.
 *
 * Encode: the public message is mirrored into a protobuf-c tree that lives
 * on the stack (entries beyond INLINE_ENTRIES take one allocation), with the
 * has_ flags gogoproto would imply, then packed into the caller's rh_buf.
 *
 * Decode: protobuf-c unpacks into a tree allocated with the instance's
 * allocator; the public message then points into that tree. Entries added
 * one at a time (msgappv2) skip protobuf-c: entry_codec.c reads them and
 * their bytes are copied into the message's inline area or a block of
 * their own. Failure modes:
 * 1. bytes that are not a Message (truncated, bad wire type, end group):
 *    RAFTHTTP_EPROTO, nothing allocated survives;
 * 2. out of memory anywhere: RAFTHTTP_ENOMEM, likewise.
 */
#include <stddef.h>
#include <string.h>

#include "pb_wire.h"
#include "raftpb.h"

/* Entries mirrored on the stack; more take one allocation. */
#define INLINE_ENTRIES 8

/* What a present, empty bytes field decodes to (see rafthttp_bytes). */
static const uint8_t empty_bytes[1];

struct pb_tree {
    Raftpb__Message msg;
    Raftpb__Snapshot snap;
    Raftpb__SnapshotMetadata meta;
    Raftpb__ConfState cs;
    Raftpb__Entry inline_entries[INLINE_ENTRIES];
    Raftpb__Entry *inline_ptrs[INLINE_ENTRIES];
    void *heap; /* entries and pointers when n > INLINE_ENTRIES */
};

/* ------------------------------------------------------------- allocator */

static void *pb_alloc(void *ud, size_t size)
{
    return rh_malloc(ud, size);
}

static void pb_free(void *ud, void *ptr)
{
    rh_free(ud, ptr);
}

/*
 * protobuf-c returns NULL both for malformed input and for a failed
 * allocation; unpacking through this context tells the two apart.
 */
struct unpack_ctx {
    const struct rafthttp_allocator *a;
    bool failed; /* an allocation failed during the unpack */
};

static void *unpack_alloc(void *ud, size_t size)
{
    struct unpack_ctx *ctx = ud;
    void *p = rh_malloc(ctx->a, size);
    if (p == NULL) {
        ctx->failed = true;
    }
    return p;
}

static void unpack_free(void *ud, void *ptr)
{
    struct unpack_ctx *ctx = ud;
    rh_free(ctx->a, ptr);
}

static void unpack_ctx_init(struct unpack_ctx *ctx,
                            const struct rafthttp_allocator *a,
                            ProtobufCAllocator *pa)
{
    ctx->a = a;
    ctx->failed = false;
    pa->alloc = unpack_alloc;
    pa->free = unpack_free;
    pa->allocator_data = ctx;
}

static int unpack_error(const struct unpack_ctx *ctx)
{
    return ctx->failed ? RAFTHTTP_ENOMEM : RAFTHTTP_EPROTO;
}

void rh_raftpb_allocator(const struct rafthttp_allocator *a,
                         ProtobufCAllocator *out)
{
    out->alloc = pb_alloc;
    out->free = pb_free;
    out->allocator_data = (void *)(uintptr_t)a; /* protobuf-c wants void * */
}

/* --------------------------------------------------------------- sizes */

static size_t id_list_len(const uint64_t *ids, size_t n)
{
    size_t len = 0;
    for (size_t i = 0; i < n; i++) {
        len += 1 + rh_pb_varint_size(ids[i]);
    }
    return len;
}

static size_t conf_state_size(const struct rafthttp_conf_state *cs)
{
    return id_list_len(cs->voters, cs->n_voters) +
           id_list_len(cs->learners, cs->n_learners) +
           id_list_len(cs->voters_outgoing, cs->n_voters_outgoing) +
           id_list_len(cs->learners_next, cs->n_learners_next) + 2;
}

static size_t snapshot_size(const struct rafthttp_snapshot *s)
{
    size_t cs = conf_state_size(&s->metadata.conf_state);
    size_t meta = 1 + rh_pb_varint_size(cs) + cs + 1 +
                  rh_pb_varint_size(s->metadata.index) + 1 +
                  rh_pb_varint_size(s->metadata.term);
    return rh_pb_bytes_field_size(&s->data) + 1 + rh_pb_varint_size(meta) +
           meta;
}

size_t rh_raftpb_entry_size(const struct rafthttp_entry *e)
{
    return 1 + rh_pb_enum_size(e->type) + 1 + rh_pb_varint_size(e->term) + 1 +
           rh_pb_varint_size(e->index) + rh_pb_bytes_field_size(&e->data);
}

size_t rh_raftpb_message_size(const struct rafthttp_message *m)
{
    size_t n = 1 + rh_pb_enum_size(m->type);
    n += 1 + rh_pb_varint_size(m->to);
    n += 1 + rh_pb_varint_size(m->from);
    n += 1 + rh_pb_varint_size(m->term);
    n += 1 + rh_pb_varint_size(m->log_term);
    n += 1 + rh_pb_varint_size(m->index);
    for (size_t i = 0; i < m->n_entries; i++) {
        size_t e = rh_raftpb_entry_size(&m->entries[i]);
        n += 1 + rh_pb_varint_size(e) + e;
    }
    n += 1 + rh_pb_varint_size(m->commit);
    size_t s = snapshot_size(&m->snapshot);
    n += 1 + rh_pb_varint_size(s) + s;
    n += 2; /* reject */
    n += 1 + rh_pb_varint_size(m->reject_hint);
    return n + rh_pb_bytes_field_size(&m->context);
}

/* ------------------------------------------------------------- encoding */

static void set_pb_bytes(ProtobufCBinaryData *dst, protobuf_c_boolean *has,
                         const struct rafthttp_bytes *src)
{
    *has = rh_pb_bytes_present(src);
    dst->data = (uint8_t *)(uintptr_t)src->base; /* packing only reads */
    dst->len = src->len;
}

static void entry_to_pb(const struct rafthttp_entry *e, Raftpb__Entry *pe)
{
    raftpb__entry__init(pe);
    pe->has_type = 1;
    pe->type = (Raftpb__EntryType)e->type;
    pe->has_term = 1;
    pe->term = e->term;
    pe->has_index = 1;
    pe->index = e->index;
    set_pb_bytes(&pe->data, &pe->has_data, &e->data);
}

static uint64_t *ids(const uint64_t *p)
{
    return (uint64_t *)(uintptr_t)p; /* packing only reads */
}

static void snapshot_to_pb(const struct rafthttp_snapshot *s, struct pb_tree *t)
{
    const struct rafthttp_conf_state *cs = &s->metadata.conf_state;
    raftpb__conf_state__init(&t->cs);
    t->cs.voters = ids(cs->voters);
    t->cs.n_voters = cs->n_voters;
    t->cs.learners = ids(cs->learners);
    t->cs.n_learners = cs->n_learners;
    t->cs.voters_outgoing = ids(cs->voters_outgoing);
    t->cs.n_voters_outgoing = cs->n_voters_outgoing;
    t->cs.learners_next = ids(cs->learners_next);
    t->cs.n_learners_next = cs->n_learners_next;
    t->cs.has_auto_leave = 1;
    t->cs.auto_leave = s->metadata.conf_state.auto_leave;

    raftpb__snapshot_metadata__init(&t->meta);
    t->meta.conf_state = &t->cs;
    t->meta.has_index = 1;
    t->meta.index = s->metadata.index;
    t->meta.has_term = 1;
    t->meta.term = s->metadata.term;

    raftpb__snapshot__init(&t->snap);
    set_pb_bytes(&t->snap.data, &t->snap.has_data, &s->data);
    t->snap.metadata = &t->meta;
}

static int entries_to_pb(const struct rafthttp_allocator *a,
                         const struct rafthttp_message *m, struct pb_tree *t)
{
    Raftpb__Entry *es = t->inline_entries;
    Raftpb__Entry **ptrs = t->inline_ptrs;
    t->heap = NULL;
    if (m->n_entries > INLINE_ENTRIES) {
        size_t one = sizeof(Raftpb__Entry) + sizeof(Raftpb__Entry *);
        if (m->n_entries > SIZE_MAX / one) {
            return RAFTHTTP_ENOMEM;
        }
        t->heap = rh_malloc(a, m->n_entries * one);
        if (t->heap == NULL) {
            return RAFTHTTP_ENOMEM;
        }
        es = t->heap;
        ptrs = (Raftpb__Entry **)(es + m->n_entries);
    }
    for (size_t i = 0; i < m->n_entries; i++) {
        entry_to_pb(&m->entries[i], &es[i]);
        ptrs[i] = &es[i];
    }
    t->msg.entries = m->n_entries > 0 ? ptrs : NULL;
    t->msg.n_entries = m->n_entries;
    return 0;
}

static int message_to_pb(const struct rafthttp_allocator *a,
                         const struct rafthttp_message *m, struct pb_tree *t)
{
    Raftpb__Message *pm = &t->msg;
    raftpb__message__init(pm);
    pm->has_type = 1;
    pm->type = (Raftpb__MessageType)m->type;
    pm->has_to = 1;
    pm->to = m->to;
    pm->has_from = 1;
    pm->from = m->from;
    pm->has_term = 1;
    pm->term = m->term;
    pm->has_logterm = 1;
    pm->logterm = m->log_term;
    pm->has_index = 1;
    pm->index = m->index;
    pm->has_commit = 1;
    pm->commit = m->commit;
    pm->has_reject = 1;
    pm->reject = m->reject;
    pm->has_rejecthint = 1;
    pm->rejecthint = m->reject_hint;
    set_pb_bytes(&pm->context, &pm->has_context, &m->context);
    snapshot_to_pb(&m->snapshot, t);
    pm->snapshot = &t->snap;
    return entries_to_pb(a, m, t);
}

/* Packs a protobuf-c object at the end of out. */
static int pack_append(const ProtobufCMessage *pm, struct rh_buf *out)
{
    size_t size = protobuf_c_message_get_packed_size(pm);
    int rv = rh_buf_reserve(out, size);
    if (rv != 0) {
        return rv;
    }
    size_t written = protobuf_c_message_pack(pm, out->data + out->len);
    out->len += written;
    return 0;
}

int rh_raftpb_message_append(const struct rafthttp_allocator *a,
                             const struct rafthttp_message *m,
                             struct rh_buf *out)
{
    struct pb_tree t;
    int rv = message_to_pb(a, m, &t);
    if (rv == 0) {
        rv = pack_append(&t.msg.base, out);
    }
    rh_free(a, t.heap);
    return rv;
}

/* ------------------------------------------------------------- decoding */

static struct rafthttp_bytes bytes_from_pb(protobuf_c_boolean has,
                                           const ProtobufCBinaryData *b)
{
    struct rafthttp_bytes out = {NULL, 0};
    if (has) {
        out.base = b->len > 0 ? b->data : empty_bytes;
        out.len = b->len;
    }
    return out;
}

static void entry_from_pb(const Raftpb__Entry *pe, struct rafthttp_entry *e)
{
    e->type = (int32_t)pe->type;
    e->term = pe->term;
    e->index = pe->index;
    e->data = bytes_from_pb(pe->has_data, &pe->data);
}

static void snapshot_from_pb(const Raftpb__Snapshot *ps,
                             struct rafthttp_snapshot *s)
{
    memset(s, 0, sizeof(*s));
    if (ps == NULL) {
        return;
    }
    s->data = bytes_from_pb(ps->has_data, &ps->data);
    const Raftpb__SnapshotMetadata *pm = ps->metadata;
    if (pm == NULL) {
        return;
    }
    s->metadata.index = pm->index;
    s->metadata.term = pm->term;
    const Raftpb__ConfState *pc = pm->conf_state;
    if (pc == NULL) {
        return;
    }
    struct rafthttp_conf_state *cs = &s->metadata.conf_state;
    cs->voters = pc->voters;
    cs->n_voters = pc->n_voters;
    cs->learners = pc->learners;
    cs->n_learners = pc->n_learners;
    cs->voters_outgoing = pc->voters_outgoing;
    cs->n_voters_outgoing = pc->n_voters_outgoing;
    cs->learners_next = pc->learners_next;
    cs->n_learners_next = pc->n_learners_next;
    cs->auto_leave = pc->auto_leave;
}

/* Makes room for one more public entry. */
static int msg_grow_entries(struct rh_msg *msg, size_t need)
{
    if (need <= msg->entries_cap) {
        return 0;
    }
    if (need <= RH_MSG_INLINE_ENTRIES) {
        msg->entries = msg->inline_entries;
        msg->entries_cap = RH_MSG_INLINE_ENTRIES;
        msg->m.entries = msg->entries;
        return 0;
    }
    size_t cap = msg->entries_cap < 4 ? 4 : msg->entries_cap;
    while (cap < need) {
        cap *= 2;
    }
    if (cap > SIZE_MAX / sizeof(struct rafthttp_entry)) {
        return RAFTHTTP_ENOMEM;
    }
    bool was_inline = msg->entries == msg->inline_entries;
    struct rafthttp_entry *es = rh_realloc(
        msg->alloc, was_inline ? NULL : msg->entries, cap * sizeof(*es));
    if (es == NULL) {
        return RAFTHTTP_ENOMEM;
    }
    if (was_inline) {
        memcpy(es, msg->inline_entries, sizeof(msg->inline_entries));
    }
    msg->entries = es;
    msg->entries_cap = cap;
    msg->m.entries = es;
    return 0;
}

static void message_from_pb(struct rh_msg *msg)
{
    const Raftpb__Message *pm = msg->pb;
    struct rafthttp_message *m = &msg->m;
    m->type = (int32_t)pm->type;
    m->to = pm->to;
    m->from = pm->from;
    m->term = pm->term;
    m->log_term = pm->logterm;
    m->index = pm->index;
    m->commit = pm->commit;
    m->reject = pm->reject != 0;
    m->reject_hint = pm->rejecthint;
    m->context = bytes_from_pb(pm->has_context, &pm->context);
    snapshot_from_pb(pm->snapshot, &m->snapshot);
    for (size_t i = 0; i < pm->n_entries; i++) {
        entry_from_pb(pm->entries[i], &msg->entries[i]);
    }
    m->n_entries = pm->n_entries;
}

struct rh_msg *rh_msg_new(const struct rafthttp_allocator *a)
{
    /* Only the header is cleared: the inline data is written before use. */
    struct rh_msg *msg = rh_malloc(a, sizeof(*msg));
    if (msg != NULL) {
        memset(msg, 0, offsetof(struct rh_msg, inline_entries));
        msg->alloc = a;
    }
    return msg;
}

int rh_raftpb_message_decode(const struct rafthttp_allocator *a,
                             const uint8_t *p, size_t n, struct rh_msg **out)
{
    struct unpack_ctx ctx;
    ProtobufCAllocator pa;
    unpack_ctx_init(&ctx, a, &pa);
    struct rh_msg *msg = rh_msg_new(a);
    if (msg == NULL) {
        return RAFTHTTP_ENOMEM;
    }
    msg->pb = raftpb__message__unpack(&pa, n, p);
    if (msg->pb == NULL) {
        rh_msg_free(msg);
        return unpack_error(&ctx);
    }
    if (msg_grow_entries(msg, msg->pb->n_entries) != 0) {
        rh_msg_free(msg);
        return RAFTHTTP_ENOMEM;
    }
    message_from_pb(msg);
    *out = msg;
    return 0;
}

/* A copy of an entry's data owned by msg: inline when it fits. */
static const uint8_t *msg_keep_bytes(struct rh_msg *msg, const uint8_t *p,
                                     size_t n)
{
    size_t at = (msg->inline_used + 15) & ~(size_t)15;
    if (at <= RH_MSG_INLINE_BYTES && n <= RH_MSG_INLINE_BYTES - at) {
        msg->inline_used = at + n;
        return memcpy(msg->inline_data + at, p, n);
    }
    if (n > SIZE_MAX - sizeof(struct rh_msg_block)) {
        return NULL;
    }
    struct rh_msg_block *b =
        rh_malloc(msg->alloc, sizeof(struct rh_msg_block) + n);
    if (b == NULL) {
        return NULL;
    }
    b->next = msg->blocks;
    msg->blocks = b;
    return memcpy(b->data, p, n);
}

int rh_msg_add_entry(struct rh_msg *msg, const uint8_t *p, size_t n)
{
    struct rafthttp_entry e;
    int rv = rh_raftpb_entry_view(p, n, &e);
    if (rv != 0) {
        return rv;
    }
    size_t count = msg->m.n_entries;
    if (msg_grow_entries(msg, count + 1) != 0) {
        return RAFTHTTP_ENOMEM;
    }
    if (e.data.len > 0) {
        e.data.base = msg_keep_bytes(msg, e.data.base, e.data.len);
        if (e.data.base == NULL) {
            return RAFTHTTP_ENOMEM;
        }
    }
    msg->entries[count] = e;
    msg->m.n_entries = count + 1;
    return 0;
}

void rh_msg_free(struct rh_msg *msg)
{
    if (msg == NULL) {
        return;
    }
    if (msg->pb != NULL) {
        ProtobufCAllocator pa;
        rh_raftpb_allocator(msg->alloc, &pa);
        raftpb__message__free_unpacked(msg->pb, &pa);
    }
    while (msg->blocks != NULL) {
        struct rh_msg_block *b = msg->blocks;
        msg->blocks = b->next;
        rh_free(msg->alloc, b);
    }
    if (msg->entries != msg->inline_entries) {
        rh_free(msg->alloc, msg->entries);
    }
    rh_free(msg->alloc, msg);
}

/* ------------------------------------------------- gogoproto's defaults */

static void *field_ptr(ProtobufCMessage *msg, unsigned offset)
{
    return (char *)msg + offset;
}

static int fill_field(const struct rafthttp_allocator *a, ProtobufCMessage *msg,
                      const ProtobufCFieldDescriptor *f)
{
    if (f->label == PROTOBUF_C_LABEL_REPEATED) {
        if (f->type != PROTOBUF_C_TYPE_MESSAGE) {
            return 0;
        }
        size_t n = *(size_t *)field_ptr(msg, f->quantifier_offset);
        ProtobufCMessage **subs =
            *(ProtobufCMessage ***)field_ptr(msg, f->offset);
        for (size_t i = 0; i < n; i++) {
            int rv = rh_raftpb_fill_nonnullable(a, subs[i]);
            if (rv != 0) {
                return rv;
            }
        }
        return 0;
    }
    if (f->type == PROTOBUF_C_TYPE_BYTES) {
        return 0; /* nullable in gogoproto: present only when set */
    }
    if (f->type != PROTOBUF_C_TYPE_MESSAGE) {
        *(protobuf_c_boolean *)field_ptr(msg, f->quantifier_offset) = 1;
        return 0;
    }
    ProtobufCMessage **sub = field_ptr(msg, f->offset);
    if (*sub == NULL) {
        const ProtobufCMessageDescriptor *d = f->descriptor;
        *sub = rh_malloc(a, d->sizeof_message);
        if (*sub == NULL) {
            return RAFTHTTP_ENOMEM;
        }
        d->message_init(*sub);
    }
    return rh_raftpb_fill_nonnullable(a, *sub);
}

int rh_raftpb_fill_nonnullable(const struct rafthttp_allocator *a,
                               ProtobufCMessage *msg)
{
    const ProtobufCMessageDescriptor *d = msg->descriptor;
    for (unsigned i = 0; i < d->n_fields; i++) {
        int rv = fill_field(a, msg, &d->fields[i]);
        if (rv != 0) {
            return rv;
        }
    }
    return 0;
}
