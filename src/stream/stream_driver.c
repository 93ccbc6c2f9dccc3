// SPDX-License-Identifier: Apache-2.0
/*
 * The life of a stream, in one place: when a reader dials, how long it
 * waits after a failure, when a silent stream is dead, what an answer and
 * an end mean; and when a writer sends a link heartbeat. Events come in
 * from the peer driver (peer/peer_driver.c) under the transport lock;
 * decisions go back out (dial, abort, wake the writer, what failed); the
 * adapters in src/transport/ do the I/O.
 *
 * A reader (our GET /raft/stream/<type>/<our id> to the peer):
 *
 *   IDLE --tick: due--> DIALING --head: 200 + version--> UP
 *     ^                    |                              |
 *     +---- ended ---------+------------- ended ----------+
 *
 * Backoff: etcd redials a failed stream every 100 ms forever (a limiter
 * at 10 dials/s). We start at dial_retry_min_ms, double with jitter up to
 * dial_retry_max_ms (kept well below an election timeout), and go back to
 * the minimum as soon as a dial succeeds or the peer shows it is alive (it
 * dialled us, or answered a probe: rh_stream_peer_alive). The minimum keeps
 * every reader at or below 10 dials per second.
 *
 * Failure modes of a reader, each ending in rh_stream_ended:
 * 1. connect error, or any status but 200: the URL picker moves on, the
 *    peer goes inactive, the reader redials after its backoff;
 * 2. 410: the peer says we were removed: also the critical error;
 * 3. a 200 without a valid X-Server-Version: as 1 (etcd refuses it too);
 * 4. a malformed frame or protobuf: the stream is closed (only it);
 * 5. no byte for read_timeout_ms: the tick aborts it, then as 1;
 * 6. the end of the body (the peer closed it cleanly): the URL stays and
 *    the reader redials after the minimum.
 *
 * A writer (the response to the peer's GET) sends a link heartbeat when it
 * has written nothing for a third of the read timeout, so the peer's
 * reader never times out on an idle link.
 */
#include <stdio.h>
#include <string.h>

#include "stream.h"

const char rh_stream_read_timeout_why[] =
    "read timeout: no bytes from the peer";

/* ---------------------------------------------------------- the table */

static const char *const words[] = {
#define RH_STREAM_WORD(name, word, source) [RH_STREAM_##name] = (word),
    RH_STREAM_TYPE_MAP(RH_STREAM_WORD)
#undef RH_STREAM_WORD
};

static const char *const sources[] = {
#define RH_STREAM_SOURCE(name, word, source) [RH_STREAM_##name] = (source),
    RH_STREAM_TYPE_MAP(RH_STREAM_SOURCE)
#undef RH_STREAM_SOURCE
};

const char *rh_stream_word(enum rh_stream_type type)
{
    assert(type < RH_STREAM_TYPES);
    return words[type];
}

const char *rh_stream_source(enum rh_stream_type type)
{
    assert(type < RH_STREAM_TYPES);
    return sources[type];
}

enum rh_stream_type rh_stream_type_of_word(const char *word, size_t len)
{
    for (int i = 0; i < RH_STREAM_TYPES; i++) {
        if (strlen(words[i]) == len && strncmp(word, words[i], len) == 0) {
            return (enum rh_stream_type)i;
        }
    }
    return RH_STREAM_TYPES;
}

/* ------------------------------------------------------------ reader */

void rh_stream_reader_init(struct rh_stream_reader *r, enum rh_stream_type t,
                           unsigned backoff_min_ms)
{
    memset(r, 0, sizeof(*r));
    r->type = t;
    r->backoff_ms = backoff_min_ms;
    rh_msg_decoder_init(&r->msg_dec, NULL, 0);
    rh_msgappv2_decoder_init(&r->app_dec, NULL, 0, 0, 0);
}

void rh_stream_reader_close(struct rh_stream_reader *r)
{
    rh_msg_decoder_close(&r->msg_dec);
    rh_msgappv2_decoder_close(&r->app_dec);
    r->state = RH_READER_IDLE;
    r->xfer = NULL;
}

unsigned rh_backoff_next(unsigned *backoff_ms, unsigned min_ms, unsigned max_ms,
                         uint64_t *rng)
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

enum rh_reader_todo rh_stream_reader_tick(struct rh_stream_reader *r,
                                          const struct rafthttp_config *cfg,
                                          int64_t now_ms, int64_t *due_ms)
{
    *due_ms = INT64_MAX;
    switch (r->state) {
    case RH_READER_IDLE:
        if (cfg->pipeline_only) {
            return RH_READER_WAIT; /* streams are off both ways */
        }
        if (now_ms < r->next_dial_ms) {
            *due_ms = r->next_dial_ms;
            return RH_READER_WAIT;
        }
        return RH_READER_DIAL;
    case RH_READER_DIALING:
        return RH_READER_WAIT; /* libcurl's connect timeout ends it */
    case RH_READER_UP:
        break;
    }
    int64_t dead_at = r->last_byte_ms + (int64_t)cfg->read_timeout_ms;
    if (now_ms >= dead_at) {
        *due_ms = now_ms;
        return RH_READER_ABORT;
    }
    *due_ms = dead_at;
    return RH_READER_WAIT;
}

void rh_stream_dialing(struct rh_stream_reader *r, struct rh_xfer *xfer)
{
    assert(r->state == RH_READER_IDLE && xfer != NULL);
    r->state = RH_READER_DIALING;
    r->xfer = xfer;
}

int64_t rh_stream_dial_failed(struct rh_stream_reader *r,
                              const struct rafthttp_config *cfg, uint64_t *rng,
                              int64_t now_ms)
{
    assert(r->state == RH_READER_IDLE);
    r->next_dial_ms =
        now_ms + rh_backoff_next(&r->backoff_ms, cfg->dial_retry_min_ms,
                                 cfg->dial_retry_max_ms, rng);
    return r->next_dial_ms;
}

bool rh_stream_head(struct rh_stream_reader *r,
                    const struct rafthttp_allocator *a,
                    const struct rafthttp_config *cfg, uint64_t local,
                    uint64_t remote, long status, bool version_ok,
                    int64_t now_ms)
{
    assert(r->state == RH_READER_DIALING);
    if (status != 200 || !version_ok) {
        return false; /* the end tells why */
    }
    rh_msg_decoder_close(&r->msg_dec);
    rh_msgappv2_decoder_close(&r->app_dec);
    rh_msg_decoder_init(&r->msg_dec, a, cfg->max_msg_bytes);
    rh_msgappv2_decoder_init(&r->app_dec, a, local, remote, cfg->max_msg_bytes);
    r->state = RH_READER_UP;
    r->last_byte_ms = now_ms;
    r->backoff_ms = cfg->dial_retry_min_ms;
    return true;
}

int rh_stream_feed(struct rh_stream_reader *r, const uint8_t *p, size_t n,
                   int64_t now_ms, size_t *used, struct rh_msg **out)
{
    assert(r->state == RH_READER_UP);
    r->last_byte_ms = now_ms;
    if (r->type == RH_STREAM_MSGAPPV2) {
        return rh_msgappv2_decoder_feed(&r->app_dec, p, n, used, out);
    }
    return rh_msg_decoder_feed(&r->msg_dec, p, n, used, out);
}

/* The peer's inactive reason for an ended GET. */
static void failure_text(const struct rh_stream_end *e, bool was_up, char *why,
                         size_t len)
{
    if (e->aborted != NULL) {
        snprintf(why, len, "%s", e->aborted);
    } else if (e->malformed) {
        snprintf(why, len, "malformed data");
    } else if (was_up) {
        snprintf(why, len, "stream closed: %s",
                 e->transfer_ok ? "end of body" : e->error);
    } else if (!e->transfer_ok) {
        snprintf(why, len, "dial: %s", e->error);
    } else if (e->bad_version) {
        snprintf(why, len, "peer sent an invalid X-Server-Version");
    } else {
        snprintf(why, len, "dial: status %ld %s", e->status, e->body);
        why[strcspn(why, "\n")] = '\0';
    }
}

void rh_stream_ended(struct rh_stream_reader *r,
                     const struct rafthttp_config *cfg, uint64_t *rng,
                     const struct rh_stream_end *end, int64_t now_ms,
                     struct rh_stream_failure *f)
{
    assert(r->state != RH_READER_IDLE);
    bool was_up = r->state == RH_READER_UP;
    rh_stream_reader_close(r);
    failure_text(end, was_up, f->why, sizeof(f->why));
    f->was_up = was_up;
    f->removed = end->status == 410;
    f->move_url = !(was_up && end->transfer_ok);
    if (!f->move_url) {
        r->next_dial_ms = now_ms + cfg->dial_retry_min_ms;
        return;
    }
    r->next_dial_ms =
        now_ms + rh_backoff_next(&r->backoff_ms, cfg->dial_retry_min_ms,
                                 cfg->dial_retry_max_ms, rng);
}

void rh_stream_peer_alive(struct rh_stream_reader *r,
                          const struct rafthttp_config *cfg, int64_t now_ms)
{
    if (r->state == RH_READER_IDLE) {
        r->next_dial_ms = now_ms;
        r->backoff_ms = cfg->dial_retry_min_ms;
    }
}

/* ------------------------------------------------------------ writer */

int64_t rh_stream_writer_tick(struct rh_stream_writer *w,
                              const struct rafthttp_allocator *a,
                              const struct rafthttp_config *cfg, int64_t now_ms,
                              size_t *added, bool *wake)
{
    *added = 0;
    *wake = false;
    if (w->gen == 0) {
        return INT64_MAX; /* no connection: nothing to keep alive */
    }
    int64_t interval = cfg->read_timeout_ms / 3;
    if (now_ms - w->last_write_ms >= interval) {
        rh_stream_writer_trim(w); /* idle for an interval */
        *added = rh_stream_writer_heartbeat(w, a);
        w->last_write_ms = now_ms; /* counts as written: next in interval */
    }
    *wake = w->suspended && rh_stream_writer_queued(w) > 0;
    return w->last_write_ms + interval;
}

bool rh_stream_writer_wake(struct rh_stream_writer *w)
{
    bool was = w->suspended;
    w->suspended = false;
    return was;
}
