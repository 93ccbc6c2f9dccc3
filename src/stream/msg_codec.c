// SPDX-License-Identifier: Apache-2.0
/*
 * The "message" stream framing: BE64 length, then that many bytes of
 * Message. etcd's reader refuses frames over 512 MiB (readBytesLimit); we
 * take the limit from the config.
 *
 * Failure modes of the decoder:
 * 1. a length over the limit: RAFTHTTP_ETOOBIG before any body byte is
 *    stored, so a hostile length costs nothing;
 * 2. a body that is not a Message: RAFTHTTP_EPROTO;
 * 3. EOF mid-frame is the caller's to notice: rh_msg_decoder_idle() is
 *    false.
 */
#include "stream.h"

bool rh_is_link_heartbeat(const struct rafthttp_message *m)
{
    return m->type == RAFTHTTP_MSG_HEARTBEAT && m->from == 0 && m->to == 0;
}

int rh_msg_frame_encode(const struct rafthttp_allocator *a,
                        const struct rafthttp_message *m, struct rh_buf *out)
{
    size_t start = out->len;
    if (rh_buf_extend(out, 8) == NULL) {
        return 8 > out->limit - out->len ? RAFTHTTP_ETOOBIG : RAFTHTTP_ENOMEM;
    }
    int rv = rh_raftpb_message_append(a, m, out);
    if (rv != 0) {
        out->len = start;
        return rv;
    }
    rh_put_be64(out->data + start, out->len - start - 8);
    return 0;
}

void rh_msg_decoder_init(struct rh_msg_decoder *d,
                         const struct rafthttp_allocator *a, size_t limit)
{
    d->alloc = a;
    d->limit = limit;
    d->len_reader.have = 0;
    d->have_len = false;
    d->need = 0;
    rh_buf_init(&d->body, a, limit);
}

void rh_msg_decoder_close(struct rh_msg_decoder *d)
{
    rh_buf_close(&d->body);
}

bool rh_msg_decoder_idle(const struct rh_msg_decoder *d)
{
    return !d->have_len && d->len_reader.have == 0;
}

/* Ends the frame in hand: decodes bytes p[0..need) and resets. */
static int finish_frame(struct rh_msg_decoder *d, const uint8_t *p,
                        struct rh_msg **out)
{
    int rv = rh_raftpb_message_decode(d->alloc, p, d->need, out);
    d->have_len = false;
    if (d->body.cap > RH_KEEP_BUF_BYTES) {
        rh_buf_close(&d->body);
    }
    rh_buf_reset(&d->body);
    return rv;
}

int rh_msg_decoder_feed(struct rh_msg_decoder *d, const uint8_t *p, size_t n,
                        size_t *used, struct rh_msg **out)
{
    const uint8_t *start = p;
    *out = NULL;
    *used = 0;
    if (!d->have_len) {
        uint64_t len;
        if (!rh_be64_read(&d->len_reader, &p, &n, &len)) {
            *used = (size_t)(p - start);
            return 0;
        }
        if (len > d->limit) {
            return RAFTHTTP_ETOOBIG;
        }
        d->have_len = true;
        d->need = (size_t)len;
    }
    if (d->body.len == 0 && n >= d->need) {
        /* Whole body in this feed: decode in place, no copy. */
        *used = (size_t)(p - start) + d->need;
        return finish_frame(d, p, out);
    }
    size_t take = d->need - d->body.len;
    take = take < n ? take : n;
    int rv = rh_buf_append(&d->body, p, take);
    if (rv != 0) {
        return rv;
    }
    *used = (size_t)(p - start) + take;
    if (d->body.len < d->need) {
        return 0;
    }
    return finish_frame(d, d->body.data, out);
}
