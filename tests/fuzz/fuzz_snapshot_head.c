// SPDX-License-Identifier: Apache-2.0
/* Fuzz: the head of a /raft/snapshot body, fed in chunk splits. */
#include <string.h>

#include "fuzz_common.h"
#include "snapshot/snapshot.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) {
        return 0;
    }
    size_t splits[2];
    fuzz_splits(data[0], splits);
    struct rh_snap_head_decoder d;
    rh_snap_head_decoder_init(&d, NULL, FUZZ_LIMIT);
    const uint8_t *p = data + 1;
    size_t left = size - 1;
    for (size_t k = 0; left > 0; k++) {
        size_t chunk = splits[k % 2] < left ? splits[k % 2] : left;
        size_t used;
        struct rh_msg *msg;
        int rv = rh_snap_head_decoder_feed(&d, p, chunk, &used, &msg);
        if (rv != 0) {
            fuzz_require(d.reason[0] != '\0');
            break;
        }
        fuzz_require(used <= chunk);
        if (msg != NULL) {
            fuzz_require(msg->m.type == RAFTHTTP_MSG_SNAP);
            fuzz_check_message(&msg->m);
            rh_msg_free(msg);
            break; /* the rest is database bytes */
        }
        fuzz_require(used == chunk);
        p += used;
        left -= used;
    }
    rh_snap_head_decoder_close(&d);
    return 0;
}
