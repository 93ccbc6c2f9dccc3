/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Helpers shared by the unit, golden and fuzz programs: hex conversion, a
 * counting allocator that can fail its k-th allocation, and feeding a
 * stream decoder with chosen chunk splits, and etcd's TestMsgAppV2 fixture.
 */
#ifndef RH_TESTLIB_H
#define RH_TESTLIB_H

#include <stdbool.h>
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
 * allocation (1-based; 0 never fails), or every one while fail_all is set.
 */
struct tl_alloc {
    struct rafthttp_allocator a;
    long calls;    /* allocations attempted */
    long live;     /* allocations not yet freed */
    long fail_at;  /* the allocation to fail, or 0 */
    bool fail_all; /* fail every allocation */
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

/* The "some data" entries of etcd's TestMsgAppV2 (msgappv2_codec_test.go). */
extern const struct rafthttp_entry tl_e_some[3];  /* term 1, index 4..6 */
extern const struct rafthttp_entry tl_e_one[1];   /* term 1, index 7 */
extern const struct rafthttp_entry tl_e_two[1];   /* term 2, index 8 */
extern const struct rafthttp_entry tl_e_three[1]; /* term 3, index 9 */

/* A MsgApp from 1 to 2 carrying es[0..n). */
struct rafthttp_message tl_app(uint64_t term, uint64_t log_term, uint64_t index,
                               uint64_t commit, const struct rafthttp_entry *es,
                               size_t n);

/*
 * Fills ms (room for 9) with etcd's TestMsgAppV2 sequence, local 2,
 * remote 1, and returns how many it wrote.
 */
size_t tl_etcd_msgappv2_sequence(struct rafthttp_message *ms);

#endif /* RH_TESTLIB_H */
