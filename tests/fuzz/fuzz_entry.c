// SPDX-License-Identifier: Apache-2.0
/*
 * Fuzz: the allocation-free Entry decoder (rh_raftpb_entry_view) against
 * protobuf-c's raftpb__entry__unpack on the same bytes. Both must accept
 * or both reject, and agree on every field when they accept.
 */
#include <string.h>

#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct rafthttp_entry e;
    int rv = rh_raftpb_entry_view(data, size, &e);
    Raftpb__Entry *pe = raftpb__entry__unpack(NULL, size, data);
    fuzz_require((rv == 0) == (pe != NULL));
    if (pe == NULL) {
        fuzz_require(rv == RAFTHTTP_EPROTO);
        return 0;
    }
    fuzz_require(e.term == pe->term && e.index == pe->index);
    fuzz_require(e.type == (int32_t)pe->type);
    fuzz_require((e.data.base != NULL) == (pe->has_data != 0));
    fuzz_require(e.data.len == pe->data.len);
    fuzz_require(e.data.len == 0 ||
                 memcmp(e.data.base, pe->data.data, e.data.len) == 0);
    raftpb__entry__free_unpacked(pe, NULL);
    return 0;
}
