// SPDX-License-Identifier: Apache-2.0
/*
 * msgappv2: etcd's encoding of the "msgapp" stream, which carries only
 * MsgApp and link heartbeats.
 *
 * Both ends keep (term, index), zero on a new connection. A MsgApp whose
 * Term and LogTerm equal the state's term and whose Index equals the
 * state's index goes compact (0x01): entry count, each entry with its size,
 * commit; the receiver rebuilds From, To, Term, LogTerm and Index from its
 * state. Anything else goes full (0x02) and resets the state from it.
 *
 * etcd's decoder trusts the counts and sizes and panics on a bad protobuf.
 * Ours bounds them: failure modes of the decoder are
 * 1. an unknown record type: RAFTHTTP_EPROTO;
 * 2. a record (count of entries, entry sizes, message length, all its bytes
 *    together) over the limit: RAFTHTTP_ETOOBIG, checked on the declared
 *    numbers before any allocation;
 * 3. an entry or message that is not valid protobuf: RAFTHTTP_EPROTO.
 * A compact record before any full one is valid (state 0/0): etcd's own
 * benchmark sends MsgApp with Term = LogTerm = Index = 0.
 */
#include <string.h>

#include "stream.h"

/* Where the decoder is within a record. */
enum {
    STEP_TYPE,       /* expecting the type byte */
    STEP_COUNT,      /* AppEntries: BE64 entry count */
    STEP_ENTRY_SIZE, /* AppEntries: BE64 size of the next entry */
    STEP_ENTRY,      /* AppEntries: entry bytes */
    STEP_COMMIT,     /* AppEntries: BE64 commit */
    STEP_MSG_LEN,    /* full: BE64 message length */
    STEP_MSG         /* full: message bytes */
};

/* ------------------------------------------------------------- encoder */

void rh_msgappv2_encoder_init(struct rh_msgappv2_encoder *e)
{
    e->term = 0;
    e->index = 0;
}

static bool fits_compact(const struct rh_msgappv2_encoder *e,
                         const struct rafthttp_message *m)
{
    return e->index == m->index && e->term == m->log_term &&
           m->log_term == m->term;
}

static int put_be64(struct rh_buf *out, uint64_t v)
{
    uint8_t *p = rh_buf_extend(out, 8);
    if (p == NULL) {
        return 8 > out->limit - out->len ? RAFTHTTP_ETOOBIG : RAFTHTTP_ENOMEM;
    }
    rh_put_be64(p, v);
    return 0;
}

static int put_byte(struct rh_buf *out, uint8_t b)
{
    return rh_buf_append(out, &b, 1);
}

size_t rh_msgappv2_record_size(const struct rh_msgappv2_encoder *e,
                               const struct rafthttp_message *m)
{
    if (rh_is_link_heartbeat(m)) {
        return 1;
    }
    if (!fits_compact(e, m)) {
        return 1 + 8 + rh_raftpb_message_size(m);
    }
    size_t n = 1 + 8 + 8;
    for (size_t i = 0; i < m->n_entries; i++) {
        n += 8 + rh_raftpb_entry_size(&m->entries[i]);
    }
    return n;
}

/* 0x01 | BE64 n | n x (BE64 size | Entry) | BE64 commit */
static int encode_app_entries(const struct rafthttp_message *m,
                              struct rh_buf *out)
{
    int rv = put_byte(out, RH_MSGAPPV2_APP_ENTRIES);
    if (rv == 0) {
        rv = put_be64(out, m->n_entries);
    }
    for (size_t i = 0; rv == 0 && i < m->n_entries; i++) {
        size_t at = out->len;
        rv = put_be64(out, 0);
        if (rv == 0) {
            rv = rh_raftpb_entry_append(&m->entries[i], out);
        }
        if (rv == 0) {
            rh_put_be64(out->data + at, out->len - at - 8);
        }
    }
    if (rv == 0) {
        rv = put_be64(out, m->commit);
    }
    return rv;
}

/* 0x02 | BE64 len | Message */
static int encode_app(const struct rafthttp_allocator *a,
                      const struct rafthttp_message *m, struct rh_buf *out)
{
    int rv = put_byte(out, RH_MSGAPPV2_APP);
    if (rv == 0) {
        rv = rh_msg_frame_encode(a, m, out);
    }
    return rv;
}

int rh_msgappv2_encode(struct rh_msgappv2_encoder *e,
                       const struct rafthttp_allocator *a,
                       const struct rafthttp_message *m, struct rh_buf *out)
{
    if (rh_is_link_heartbeat(m)) {
        return put_byte(out, RH_MSGAPPV2_LINK_HEARTBEAT);
    }
    if (m->type != RAFTHTTP_MSG_APP) {
        return RAFTHTTP_EINVAL;
    }
    size_t start = out->len;
    bool compact = fits_compact(e, m);
    int rv = compact ? encode_app_entries(m, out) : encode_app(a, m, out);
    if (rv != 0) {
        out->len = start;
        return rv;
    }
    if (compact) {
        e->index += m->n_entries;
        return 0;
    }
    e->term = m->term;
    e->index = m->n_entries > 0 ? m->entries[m->n_entries - 1].index : m->index;
    return 0;
}

/* ------------------------------------------------------------- decoder */

void rh_msgappv2_decoder_init(struct rh_msgappv2_decoder *d,
                              const struct rafthttp_allocator *a,
                              uint64_t local, uint64_t remote, size_t limit)
{
    memset(d, 0, sizeof(*d));
    d->alloc = a;
    d->local = local;
    d->remote = remote;
    d->limit = limit;
    d->step = STEP_TYPE;
    rh_buf_init(&d->part, a, limit);
}

void rh_msgappv2_decoder_close(struct rh_msgappv2_decoder *d)
{
    rh_msg_free(d->msg);
    d->msg = NULL;
    rh_buf_close(&d->part);
}

bool rh_msgappv2_decoder_idle(const struct rh_msgappv2_decoder *d)
{
    return d->step == STEP_TYPE;
}

/* Counts n more bytes against the record limit. */
static int charge(struct rh_msgappv2_decoder *d, uint64_t n)
{
    if (n > d->limit - d->record_bytes) {
        return RAFTHTTP_ETOOBIG;
    }
    d->record_bytes += (size_t)n;
    return 0;
}

/*
 * Gathers d->need bytes of protobuf. Sets *whole to them once complete
 * (pointing into the input when they arrived in one piece), else NULL.
 */
static int gather(struct rh_msgappv2_decoder *d, const uint8_t **p, size_t *n,
                  const uint8_t **whole)
{
    *whole = NULL;
    if (d->part.len == 0 && *n >= d->need) {
        *whole = *p;
        *p += d->need;
        *n -= d->need;
        return 0;
    }
    size_t take = d->need - d->part.len;
    take = take < *n ? take : *n;
    int rv = rh_buf_append(&d->part, *p, take);
    if (rv != 0) {
        return rv;
    }
    *p += take;
    *n -= take;
    if (d->part.len == d->need) {
        *whole = d->part.data;
    }
    return 0;
}

static void part_done(struct rh_msgappv2_decoder *d)
{
    if (d->part.cap > RH_KEEP_BUF_BYTES) {
        rh_buf_close(&d->part);
    }
    rh_buf_reset(&d->part);
}

/* Starts a record from its type byte; may complete a heartbeat. */
static int step_type(struct rh_msgappv2_decoder *d, uint8_t type,
                     struct rh_msg **out)
{
    d->record_bytes = 0;
    switch (type) {
    case RH_MSGAPPV2_LINK_HEARTBEAT:
        *out = rh_msg_new(d->alloc);
        if (*out == NULL) {
            return RAFTHTTP_ENOMEM;
        }
        (*out)->m.type = RAFTHTTP_MSG_HEARTBEAT;
        return 0;
    case RH_MSGAPPV2_APP_ENTRIES:
        d->step = STEP_COUNT;
        return charge(d, 1);
    case RH_MSGAPPV2_APP:
        d->step = STEP_MSG_LEN;
        return charge(d, 1);
    default:
        return RAFTHTTP_EPROTO;
    }
}

/* AppEntries header: a message shaped from the connection's state. */
static int start_app_entries(struct rh_msgappv2_decoder *d, uint64_t count)
{
    /* Each entry costs at least its 8-byte size on the wire. */
    if (count > (d->limit - d->record_bytes) / 8) {
        return RAFTHTTP_ETOOBIG;
    }
    d->msg = rh_msg_new(d->alloc);
    if (d->msg == NULL) {
        return RAFTHTTP_ENOMEM;
    }
    struct rafthttp_message *m = &d->msg->m;
    m->type = RAFTHTTP_MSG_APP;
    m->from = d->remote;
    m->to = d->local;
    m->term = d->term;
    m->log_term = d->term;
    m->index = d->index;
    d->entries_left = count;
    d->step = count > 0 ? STEP_ENTRY_SIZE : STEP_COMMIT;
    return charge(d, 8);
}

static int add_entry(struct rh_msgappv2_decoder *d, const uint8_t *bytes)
{
    int rv = rh_msg_add_entry(d->msg, bytes, d->need);
    part_done(d);
    if (rv != 0) {
        return rv;
    }
    d->index++;
    d->entries_left--;
    d->step = d->entries_left > 0 ? STEP_ENTRY_SIZE : STEP_COMMIT;
    return 0;
}

static int finish_app(struct rh_msgappv2_decoder *d, const uint8_t *bytes,
                      struct rh_msg **out)
{
    int rv = rh_raftpb_message_decode(d->alloc, bytes, d->need, out);
    part_done(d);
    d->step = STEP_TYPE;
    if (rv != 0) {
        return rv;
    }
    const struct rafthttp_message *m = &(*out)->m;
    d->term = m->term;
    d->index = m->n_entries > 0 ? m->entries[m->n_entries - 1].index : m->index;
    return 0;
}

/* Steps that read a BE64: count, entry size, commit, message length. */
static int step_be64(struct rh_msgappv2_decoder *d, uint64_t v,
                     struct rh_msg **out)
{
    switch (d->step) {
    case STEP_COUNT:
        return start_app_entries(d, v);
    case STEP_COMMIT:
        if (charge(d, 8) != 0) {
            return RAFTHTTP_ETOOBIG;
        }
        d->msg->m.commit = v;
        *out = d->msg;
        d->msg = NULL;
        d->step = STEP_TYPE;
        return 0;
    default: /* STEP_ENTRY_SIZE, STEP_MSG_LEN */
        if (charge(d, 8) != 0 || charge(d, v) != 0) {
            return RAFTHTTP_ETOOBIG;
        }
        d->need = (size_t)v;
        d->step = d->step == STEP_ENTRY_SIZE ? STEP_ENTRY : STEP_MSG;
        return 0;
    }
}

/* Runs one step on the input; *out is set when a record completes. */
static int step_once(struct rh_msgappv2_decoder *d, const uint8_t **p,
                     size_t *n, struct rh_msg **out)
{
    if (d->step == STEP_TYPE) {
        uint8_t type = **p;
        (*p)++;
        (*n)--;
        return step_type(d, type, out);
    }
    if (d->step == STEP_ENTRY || d->step == STEP_MSG) {
        const uint8_t *whole;
        int rv = gather(d, p, n, &whole);
        if (rv != 0 || whole == NULL) {
            return rv;
        }
        return d->step == STEP_ENTRY ? add_entry(d, whole)
                                     : finish_app(d, whole, out);
    }
    uint64_t v;
    if (!rh_be64_read(&d->be, p, n, &v)) {
        return 0;
    }
    return step_be64(d, v, out);
}

int rh_msgappv2_decoder_feed(struct rh_msgappv2_decoder *d, const uint8_t *p,
                             size_t n, size_t *used, struct rh_msg **out)
{
    const uint8_t *start = p;
    *out = NULL;
    int rv = 0;
    /* A zero-length protobuf completes without consuming input. */
    while (rv == 0 && *out == NULL &&
           (n > 0 ||
            ((d->step == STEP_ENTRY || d->step == STEP_MSG) && d->need == 0))) {
        rv = step_once(d, &p, &n, out);
    }
    *used = (size_t)(p - start);
    return rv;
}
