// SPDX-License-Identifier: Apache-2.0
/* Fuzz: protobuf Message decode, then encode/decode/encode stability. */
#include <string.h>

#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct rh_msg *msg = NULL;
    int rv = rh_raftpb_message_decode(NULL, data, size, &msg);
    fuzz_require(rv == 0 || rv == RAFTHTTP_EPROTO);
    if (rv == 0) {
        fuzz_check_message(&msg->m);
        rh_msg_free(msg);
    }
    return 0;
}
