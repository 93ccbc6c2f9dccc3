// SPDX-License-Identifier: Apache-2.0
/*
 * Stream writer: the queues behind one outgoing stream response.
 *
 * Happy path: send() encodes a message into a queue under the transport
 * lock; the HTTP server's content callback pull()s everything queued into
 * one block (frames coalesced into a single write while the queue is not
 * empty, never waiting on a timer); an empty queue suspends the writer and
 * the server parks the connection until the next push wakes it. When to
 * heartbeat and when to wake is the stream driver's (stream_driver.c). A queue
 * is a list of segments of whole records, so a deep queue of large records is
 * never moved or reallocated as a whole; drained segments are reused until the
 * writer idles (trim).
 *
 * Ordering: on the message stream, urgent frames (votes, heartbeats,
 * responses) overtake queued bulk frames (MsgApp, MsgProp) at frame
 * boundaries, so a vote is not stuck behind megabytes of appends. Raft
 * tolerates reordering across messages; etcd itself sends MsgApp and
 * heartbeats over different connections.
 *
 * Failure modes:
 * 1. no room in the byte budget: push fails with RAFTHTTP_ETOOBIG and
 *    nothing changes (the msgappv2 state included); the caller drops;
 * 2. a new connection replaces the old: attach() discards the old queue
 *    (its compact records refer to the old connection's state) and says
 *    how much, so the caller can report the peer unreachable as etcd does;
 * 3. the connection fails: detach() does the same.
 */
#include <string.h>

#include "stream.h"

/*
 * Records are appended to the last segment while it stays within this
 * (it grows by doubling, so an idle peer's heartbeat costs 256 bytes, not
 * a whole segment); a larger record gets a segment of its own.
 */
#define SEG_BYTES (256 * 1024)
/*
 * Drained segments of SEG_BYTES are kept for reuse (a deep queue cycles
 * through them instead of through the allocator and fresh pages; the byte
 * budget bounds how many there can be) until the writer has been idle for
 * a link-heartbeat interval: rh_stream_writer_trim then keeps IDLE_SPARES.
 */
#define IDLE_SPARES 1

static void byteq_init(struct rh_byteq *q, const struct rafthttp_allocator *a,
                       size_t limit)
{
    memset(q, 0, sizeof(*q));
    q->alloc = a;
    q->limit = limit;
}

static size_t byteq_len(const struct rh_byteq *q)
{
    return q->len;
}

static void seg_free(struct rh_byteq *q, struct rh_byteq_seg *s)
{
    rh_buf_close(&s->buf);
    rh_free(q->alloc, s);
}

/* Frees the spares beyond keep, and any kept one larger than SEG_BYTES. */
static void trim_spares(struct rh_byteq *q, size_t keep)
{
    struct rh_byteq_seg **pp = &q->spares;
    size_t kept = 0;
    while (*pp != NULL) {
        struct rh_byteq_seg *s = *pp;
        if (kept < keep && s->buf.cap <= SEG_BYTES) {
            kept++;
            pp = &s->next;
            continue;
        }
        *pp = s->next;
        q->n_spares--;
        seg_free(q, s);
    }
}

/* A written-out segment becomes a spare. */
static void seg_retire(struct rh_byteq *q, struct rh_byteq_seg *s)
{
    rh_buf_reset(&s->buf);
    s->head = 0;
    s->next = q->spares;
    q->spares = s;
    q->n_spares++;
}

static void byteq_clear(struct rh_byteq *q)
{
    while (q->first != NULL) {
        struct rh_byteq_seg *s = q->first;
        q->first = s->next;
        seg_retire(q, s);
    }
    q->last = NULL;
    q->len = 0;
    trim_spares(q, IDLE_SPARES);
}

void rh_stream_writer_trim(struct rh_stream_writer *w)
{
    trim_spares(&w->urgent, IDLE_SPARES);
    trim_spares(&w->bulk, IDLE_SPARES);
}

/* Copies up to max bytes from the front of q. */
static size_t byteq_take(struct rh_byteq *q, uint8_t *dst, size_t max)
{
    size_t n = 0;
    while (n < max && q->first != NULL) {
        struct rh_byteq_seg *s = q->first;
        size_t left = s->buf.len - s->head;
        size_t k = left < max - n ? left : max - n;
        memcpy(dst + n, s->buf.data + s->head, k);
        s->head += k;
        n += k;
        if (s->head < s->buf.len) {
            break;
        }
        q->first = s->next;
        if (q->first == NULL) {
            q->last = NULL;
        }
        seg_retire(q, s);
    }
    q->len -= n;
    return n;
}

/* The bytes at the front (a frame header: records never straddle). */
static const uint8_t *byteq_front(const struct rh_byteq *q)
{
    const struct rh_byteq_seg *s = q->first;
    return s->buf.data + s->head;
}

/* Unlinks and returns the first spare with room for need bytes. */
static struct rh_byteq_seg *take_spare(struct rh_byteq *q, size_t need)
{
    for (struct rh_byteq_seg **pp = &q->spares; *pp != NULL;
         pp = &(*pp)->next) {
        struct rh_byteq_seg *s = *pp;
        if (s->buf.cap >= need) {
            *pp = s->next;
            q->n_spares--;
            s->next = NULL;
            return s;
        }
    }
    return NULL;
}

/*
 * A segment with room for need bytes, a spare if one fits. Returns 0,
 * RAFTHTTP_ETOOBIG (need beyond the limit) or RAFTHTTP_ENOMEM.
 */
static int seg_new(struct rh_byteq *q, size_t need, struct rh_byteq_seg **out)
{
    struct rh_byteq_seg *s = take_spare(q, need);
    if (s != NULL) {
        *out = s;
        return 0;
    }
    s = rh_calloc(q->alloc, 1, sizeof(*s));
    if (s == NULL) {
        return RAFTHTTP_ENOMEM;
    }
    rh_buf_init(&s->buf, q->alloc, q->limit);
    int rv = rh_buf_reserve(&s->buf, need);
    if (rv != 0) {
        seg_free(q, s);
        return rv;
    }
    *out = s;
    return 0;
}

/*
 * The buffer a record of need bytes is encoded into: the last segment if
 * it is empty, has the room, or stays within SEG_BYTES; else a new one (so
 * no segment but the last is ever empty). Returns 0 or seg_new's error.
 */
static int byteq_tail(struct rh_byteq *q, size_t need, struct rh_buf **out)
{
    struct rh_byteq_seg *s = q->last;
    if (s != NULL &&
        (s->buf.len == 0 || need <= s->buf.cap - s->buf.len ||
         (s->buf.len <= SEG_BYTES && need <= SEG_BYTES - s->buf.len))) {
        *out = &s->buf;
        return 0;
    }
    int rv = seg_new(q, need, &s);
    if (rv != 0) {
        return rv;
    }
    if (q->last != NULL) {
        q->last->next = s;
    } else {
        q->first = s;
    }
    q->last = s;
    *out = &s->buf;
    return 0;
}

void rh_stream_writer_init(struct rh_stream_writer *w, enum rh_stream_type t,
                           const struct rafthttp_allocator *a, size_t limit)
{
    memset(w, 0, sizeof(*w));
    w->type = t;
    byteq_init(&w->urgent, a, limit);
    byteq_init(&w->bulk, a, limit);
    rh_msgappv2_encoder_init(&w->enc);
}

void rh_stream_writer_close(struct rh_stream_writer *w)
{
    byteq_clear(&w->urgent);
    byteq_clear(&w->bulk);
    trim_spares(&w->urgent, 0);
    trim_spares(&w->bulk, 0);
}

size_t rh_stream_writer_queued(const struct rh_stream_writer *w)
{
    return byteq_len(&w->urgent) + byteq_len(&w->bulk);
}

size_t rh_stream_writer_detach(struct rh_stream_writer *w)
{
    size_t dropped = rh_stream_writer_queued(w);
    byteq_clear(&w->urgent);
    byteq_clear(&w->bulk);
    w->bulk_frame_left = 0;
    w->gen = 0;
    w->conn = NULL;
    w->suspended = false;
    rh_msgappv2_encoder_init(&w->enc);
    return dropped;
}

size_t rh_stream_writer_attach(struct rh_stream_writer *w,
                               struct rh_stream_resp *conn, uint64_t gen,
                               int64_t now_ms)
{
    assert(gen != 0 && conn != NULL);
    size_t dropped = rh_stream_writer_detach(w);
    w->gen = gen;
    w->conn = conn;
    w->last_write_ms = now_ms;
    return dropped;
}

/* Bulk on the message stream: appends and proposals. */
static bool is_bulk(const struct rafthttp_message *m)
{
    return m->type == RAFTHTTP_MSG_APP || m->type == RAFTHTTP_MSG_PROP;
}

int rh_stream_writer_push(struct rh_stream_writer *w,
                          const struct rafthttp_allocator *a,
                          const struct rafthttp_message *m, size_t room,
                          size_t *added)
{
    bool msgapp = w->type == RH_STREAM_MSGAPPV2;
    if (msgapp && m->type != RAFTHTTP_MSG_APP && !rh_is_link_heartbeat(m)) {
        return RAFTHTTP_EINVAL;
    }
    /* Sized first: a refused message must not grow the queue either. */
    size_t need = msgapp ? rh_msgappv2_record_size(&w->enc, m)
                         : 8 + rh_raftpb_message_size(m);
    if (need > room) {
        return RAFTHTTP_ETOOBIG;
    }
    struct rh_byteq *q = msgapp || is_bulk(m) ? &w->bulk : &w->urgent;
    struct rh_buf *b;
    int rv = byteq_tail(q, need, &b);
    if (rv != 0) {
        return rv;
    }
    size_t before = b->len;
    rv = msgapp ? rh_msgappv2_encode(&w->enc, a, m, b)
                : rh_msg_frame_encode(a, m, b);
    if (rv != 0) {
        return rv; /* the encoders leave b and their state unchanged */
    }
    *added = b->len - before;
    q->len += *added;
    return 0;
}

size_t rh_stream_writer_heartbeat(struct rh_stream_writer *w,
                                  const struct rafthttp_allocator *a)
{
    if (rh_stream_writer_queued(w) > 0) {
        return 0; /* bytes are moving, or stuck: a heartbeat adds nothing */
    }
    struct rafthttp_message hb = {.type = RAFTHTTP_MSG_HEARTBEAT};
    size_t added = 0;
    if (rh_stream_writer_push(w, a, &hb, SIZE_MAX, &added) != 0) {
        return 0;
    }
    return added;
}

/* Starts the next bulk frame of the message stream: 8 + its length. */
static bool start_bulk_frame(struct rh_stream_writer *w)
{
    if (byteq_len(&w->bulk) < 8) {
        return false;
    }
    w->bulk_frame_left = 8 + (size_t)rh_get_be64(byteq_front(&w->bulk));
    return true;
}

size_t rh_stream_writer_pull(struct rh_stream_writer *w, uint8_t *buf,
                             size_t max, int64_t now_ms)
{
    size_t n = 0;
    if (w->type == RH_STREAM_MSGAPPV2) {
        n = byteq_take(&w->bulk, buf, max);
    }
    while (w->type == RH_STREAM_MESSAGE && n < max) {
        if (w->bulk_frame_left > 0) {
            size_t want =
                max - n < w->bulk_frame_left ? max - n : w->bulk_frame_left;
            size_t got = byteq_take(&w->bulk, buf + n, want);
            w->bulk_frame_left -= got;
            n += got;
            if (got < want) {
                break;
            }
        } else if (byteq_len(&w->urgent) > 0) {
            n += byteq_take(&w->urgent, buf + n, max - n);
        } else if (!start_bulk_frame(w)) {
            break;
        }
    }
    if (n > 0) {
        w->last_write_ms = now_ms;
    } else {
        w->suspended = true; /* parked until rh_stream_writer_wake */
    }
    return n;
}
