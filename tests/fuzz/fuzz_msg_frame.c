// SPDX-License-Identifier: Apache-2.0
/* Fuzz: the message-stream decoder, fed in chunk splits. */
#include <string.h>

#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) {
        return 0;
    }
    size_t splits[2];
    fuzz_splits(data[0], splits);
    struct rh_msg_decoder d;
    rh_msg_decoder_init(&d, NULL, FUZZ_LIMIT);
    struct tl_decoded got;
    int rv =
        tl_decode_all(TL_MSG_STREAM, &d, data + 1, size - 1, splits, 2, &got);
    fuzz_require(rv == 0 || rv == RAFTHTTP_EPROTO || rv == RAFTHTTP_ETOOBIG);
    for (size_t i = 0; i < got.n; i++) {
        fuzz_check_message(&got.msgs[i]->m);
    }
    tl_decoded_free(&got);
    rh_msg_decoder_close(&d);
    return 0;
}
