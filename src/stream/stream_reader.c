/*
 * Stream reader state: the decoder for the body of our GET, and the redial
 * backoff. The HTTP side (http_client.c) owns the transfer; the transport
 * decides when to dial.
 *
 * Backoff: etcd redials a failed stream every 100 ms forever (a limiter at
 * 10 dials/s). We start at dial_retry_min_ms, double with jitter up to
 * dial_retry_max_ms (kept well below an election timeout), and go back to
 * the minimum as soon as the peer dials us or a dial succeeds. The minimum
 * keeps every reader at or below 10 dials per second.
 */
#include <string.h>

#include "stream.h"

void rh_stream_reader_init(struct rh_stream_reader *r, enum rh_stream_type t,
                           unsigned backoff_min_ms)
{
    memset(r, 0, sizeof(*r));
    r->type = t;
    r->backoff_ms = backoff_min_ms;
    rh_msg_decoder_init(&r->msg_dec, NULL, 0);
    rh_msgappv2_decoder_init(&r->app_dec, NULL, 0, 0, 0);
}

void rh_stream_reader_begin(struct rh_stream_reader *r,
                            const struct rafthttp_allocator *a,
                            uint64_t local, uint64_t remote, size_t limit)
{
    rh_stream_reader_end(r);
    rh_msg_decoder_init(&r->msg_dec, a, limit);
    rh_msgappv2_decoder_init(&r->app_dec, a, local, remote, limit);
}

void rh_stream_reader_end(struct rh_stream_reader *r)
{
    rh_msg_decoder_close(&r->msg_dec);
    rh_msgappv2_decoder_close(&r->app_dec);
    r->up = false;
}

int rh_stream_reader_feed(struct rh_stream_reader *r, const uint8_t *p,
                          size_t n, size_t *used, struct rh_msg **out)
{
    if (r->type == RH_STREAM_MSGAPPV2) {
        return rh_msgappv2_decoder_feed(&r->app_dec, p, n, used, out);
    }
    return rh_msg_decoder_feed(&r->msg_dec, p, n, used, out);
}

unsigned rh_backoff_next(unsigned *backoff_ms, unsigned min_ms,
                         unsigned max_ms, uint64_t *rng)
{
    unsigned cur = *backoff_ms < min_ms ? min_ms : *backoff_ms;
    unsigned half = cur / 2;
    unsigned wait = half + (unsigned)(rh_rand_next(rng) % (half + 1u));
    if (wait < min_ms) {
        wait = min_ms;
    }
    *backoff_ms = cur > max_ms / 2 ? max_ms : cur * 2;
    return wait;
}
