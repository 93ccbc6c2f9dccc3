// SPDX-License-Identifier: Apache-2.0
/*
 * Fuzz: the msgappv2 decoder, fed in chunk splits. What decodes must
 * re-encode and decode back (what msgappv2 keeps of it) on a fresh
 * connection pair.
 */
#include <string.h>

#include "fuzz_common.h"

/* Encodes msgs on a fresh connection and decodes them back. */
static void check_round_trip(const struct tl_decoded *got)
{
    struct rh_msgappv2_encoder e;
    rh_msgappv2_encoder_init(&e);
    struct rh_buf wire;
    rh_buf_init(&wire, NULL, 64 * FUZZ_LIMIT);
    size_t n_sent = 0;
    const struct rafthttp_message *sent[64];
    for (size_t i = 0; i < got->n && n_sent < 64; i++) {
        const struct rafthttp_message *m = &got->msgs[i]->m;
        int rv = rh_msgappv2_encode(&e, NULL, m, &wire);
        fuzz_require(rv == 0 || rv == RAFTHTTP_EINVAL);
        if (rv == 0) {
            sent[n_sent++] = m;
        }
    }
    struct rh_msgappv2_decoder d;
    rh_msgappv2_decoder_init(&d, NULL, 2, 1, 4 * FUZZ_LIMIT);
    struct tl_decoded back;
    fuzz_require(tl_decode_all(TL_MSGAPPV2, &d, wire.data, wire.len, NULL, 0,
                               &back) == 0);
    fuzz_require(back.n == n_sent);
    for (size_t i = 0; i < n_sent; i++) {
        /*
         * A compact record elides From, To, Reject, Context and Snapshot,
         * as etcd's does; entries and commit always survive. A link
         * heartbeat carries nothing at all.
         */
        const struct rafthttp_message *a = sent[i];
        const struct rafthttp_message *b = &back.msgs[i]->m;
        if (rh_is_link_heartbeat(a)) {
            fuzz_require(rh_is_link_heartbeat(b));
            continue;
        }
        fuzz_require(a->n_entries == b->n_entries && a->commit == b->commit);
        for (size_t k = 0; k < a->n_entries; k++) {
            fuzz_require(a->entries[k].index == b->entries[k].index &&
                         a->entries[k].data.len == b->entries[k].data.len);
        }
    }
    tl_decoded_free(&back);
    rh_msgappv2_decoder_close(&d);
    rh_buf_close(&wire);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) {
        return 0;
    }
    size_t splits[2];
    fuzz_splits(data[0], splits);
    struct rh_msgappv2_decoder d;
    rh_msgappv2_decoder_init(&d, NULL, 2, 1, FUZZ_LIMIT);
    struct tl_decoded got;
    int rv =
        tl_decode_all(TL_MSGAPPV2, &d, data + 1, size - 1, splits, 2, &got);
    fuzz_require(rv == 0 || rv == RAFTHTTP_EPROTO || rv == RAFTHTTP_ETOOBIG);
    for (size_t i = 0; i < got.n; i++) {
        fuzz_check_message(&got.msgs[i]->m);
    }
    check_round_trip(&got);
    tl_decoded_free(&got);
    rh_msgappv2_decoder_close(&d);
    return 0;
}
