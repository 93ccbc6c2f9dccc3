/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Shared by the libFuzzer targets: the first input byte picks how the rest
 * is cut into feeds, so every target also explores split points.
 */
#ifndef RH_FUZZ_COMMON_H
#define RH_FUZZ_COMMON_H

#include <stdlib.h>

#include "testlib.h"

/* Decoders under fuzz use a small limit so large claims are cheap. */
#define FUZZ_LIMIT (1u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Two chunk sizes from one byte: 1..16 and 1..541. */
static inline void fuzz_splits(uint8_t b, size_t splits[2])
{
    splits[0] = (size_t)(b & 0x0f) + 1;
    splits[1] = (size_t)(b >> 4) * 36 + 1;
}

/* Crashes (a finding) when an invariant fails. */
static inline void fuzz_require(int cond)
{
    if (!cond) {
        abort();
    }
}

/*
 * Whatever decodes must encode, decode again to the same values, and
 * encode again to the same bytes; the size function must match.
 */
static inline void fuzz_check_message(const struct rafthttp_message *m)
{
    struct rh_buf a, b;
    rh_buf_init(&a, NULL, 4 * FUZZ_LIMIT);
    rh_buf_init(&b, NULL, 4 * FUZZ_LIMIT);
    fuzz_require(rh_raftpb_message_append(NULL, m, &a) == 0);
    fuzz_require(rh_raftpb_message_size(m) == a.len);
    struct rh_msg *again = NULL;
    fuzz_require(rh_raftpb_message_decode(NULL, a.data, a.len, &again) == 0);
    fuzz_require(tl_msg_equal(&again->m, m));
    fuzz_require(rh_raftpb_message_append(NULL, &again->m, &b) == 0);
    fuzz_require(a.len == b.len && memcmp(a.data, b.data, a.len) == 0);
    rh_msg_free(again);
    rh_buf_close(&a);
    rh_buf_close(&b);
}

#endif /* RH_FUZZ_COMMON_H */
