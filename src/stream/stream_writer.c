/*
 * Stream writer: the queues behind one outgoing stream response.
 *
 * Happy path: send() encodes a message into a queue under the transport
 * lock; the HTTP server's content callback pull()s everything queued into
 * one block (frames coalesced into a single write while the queue is not
 * empty, never waiting on a timer); an empty queue parks the connection
 * until the next push.
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

/* A drained queue whose buffer grew past this gives the memory back. */
#define KEEP_QUEUE_BYTES (256 * 1024)

static void byteq_init(struct rh_byteq *q, const struct rafthttp_allocator *a,
                       size_t limit)
{
    rh_buf_init(&q->buf, a, limit);
    q->head = 0;
}

static size_t byteq_len(const struct rh_byteq *q)
{
    return q->buf.len - q->head;
}

static void byteq_clear(struct rh_byteq *q)
{
    q->head = 0;
    if (q->buf.cap > KEEP_QUEUE_BYTES) {
        rh_buf_close(&q->buf);
    }
    rh_buf_reset(&q->buf);
}

static void byteq_consume(struct rh_byteq *q, size_t n)
{
    q->head += n;
    if (q->head == q->buf.len) {
        byteq_clear(q);
    }
}

/* Copies up to max bytes from the front of q. */
static size_t byteq_take(struct rh_byteq *q, uint8_t *dst, size_t max)
{
    size_t n = byteq_len(q) < max ? byteq_len(q) : max;
    if (n > 0) {
        memcpy(dst, q->buf.data + q->head, n);
        byteq_consume(q, n);
    }
    return n;
}

/*
 * Appends at the back, reclaiming the written-out front first when that
 * saves a reallocation.
 */
static struct rh_buf *byteq_tail(struct rh_byteq *q)
{
    if (q->head > 0 && q->head >= q->buf.len / 2) {
        size_t left = byteq_len(q);
        memmove(q->buf.data, q->buf.data + q->head, left);
        q->buf.len = left;
        q->head = 0;
    }
    return &q->buf;
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
    rh_buf_close(&w->urgent.buf);
    rh_buf_close(&w->bulk.buf);
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
                               struct stream_ctx *conn,
                               uint64_t gen, int64_t now_ms)
{
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
    struct rh_buf *b = byteq_tail(q);
    size_t before = b->len;
    int rv = msgapp ? rh_msgappv2_encode(&w->enc, a, m, b)
                    : rh_msg_frame_encode(a, m, b);
    if (rv != 0) {
        return rv; /* the encoders leave b and their state unchanged */
    }
    *added = b->len - before;
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
    w->bulk_frame_left =
        8 + (size_t)rh_get_be64(w->bulk.buf.data + w->bulk.head);
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
            size_t want = max - n < w->bulk_frame_left ? max - n
                                                       : w->bulk_frame_left;
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
    }
    return n;
}
