/*
 * Helpers shared by the unit, golden and fuzz programs: hex conversion, a
 * counting allocator that can fail its k-th allocation, and feeding a
 * stream decoder with chosen chunk splits.
 */
#ifndef RH_TESTLIB_H
#define RH_TESTLIB_H

#include <stddef.h>
#include <stdint.h>

#include "common/common.h"
#include "stream/stream.h"

/* Decodes hex text into a new malloc'd buffer; NULL on bad hex. */
uint8_t *tl_unhex(const char *hex, size_t *len);
/* Lower-case hex of p[0..n) in a new malloc'd string. */
char *tl_hex(const uint8_t *p, size_t n);

/*
 * An allocator that counts live allocations and fails the fail_at-th
 * allocation (1-based; 0 never fails).
 */
struct tl_alloc {
    struct rafthttp_allocator a;
    long calls;   /* allocations attempted */
    long live;    /* allocations not yet freed */
    long fail_at; /* the allocation to fail, or 0 */
};

void tl_alloc_init(struct tl_alloc *t, long fail_at);

/*
 * Feeds a message-stream or msgappv2 decoder with the input cut into
 * pieces of the given sizes (cycled; 0 means everything at once), and
 * collects the messages. Returns the decoder's first error, or 0.
 */
enum tl_decoder_kind { TL_MSG_STREAM, TL_MSGAPPV2 };
struct tl_decoded {
    struct rh_msg **msgs;
    size_t n;
};

int tl_decode_all(enum tl_decoder_kind kind, void *decoder, const uint8_t *p,
                  size_t n, const size_t *splits, size_t n_splits,
                  struct tl_decoded *out);
void tl_decoded_free(struct tl_decoded *d);

/* True if two public messages hold the same values (deep compare). */
int tl_msg_equal(const struct rafthttp_message *a,
                 const struct rafthttp_message *b);

#endif /* RH_TESTLIB_H */
