// SPDX-License-Identifier: Apache-2.0
/*
 * Fuzz: the public ConfChange and ConfChangeV2 decoders against
 * protobuf-c's unpack on the same bytes. Both must accept or both reject,
 * agree on every field, and what decodes must encode to what protobuf-c
 * packs once gogoproto's non-nullable fields are set (unknown fields,
 * which we skip and protobuf-c keeps, aside).
 */
#include <string.h>

#include "fuzz_common.h"
#include "raftpb/raftpb.h"

static void check_v1(const uint8_t *data, size_t size)
{
    struct rafthttp_conf_change cc;
    int rv = rafthttp_conf_change_decode(data, size, &cc);
    Raftpb__ConfChange *pc = raftpb__conf_change__unpack(NULL, size, data);
    fuzz_require((rv == 0) == (pc != NULL));
    if (pc == NULL) {
        return;
    }
    fuzz_require(cc.id == pc->id && cc.node_id == pc->node_id);
    fuzz_require(cc.type == (int32_t)pc->type);
    fuzz_require((cc.context.base != NULL) == (pc->has_context != 0));
    fuzz_require(cc.context.len == pc->context.len);
    fuzz_require(cc.context.len == 0 ||
                 memcmp(cc.context.base, pc->context.data, cc.context.len) ==
                     0);
    uint8_t ours[FUZZ_LIMIT / 16];
    size_t len = 0;
    /* protobuf-c packs unknown fields back; our struct has none to. */
    if (pc->base.n_unknown_fields == 0 &&
        rafthttp_conf_change_encode(&cc, ours, sizeof(ours), &len) == 0) {
        fuzz_require(rh_raftpb_fill_nonnullable(NULL, &pc->base) == 0);
        size_t packed = raftpb__conf_change__get_packed_size(pc);
        fuzz_require(packed == len);
        uint8_t theirs[sizeof(ours)];
        raftpb__conf_change__pack(pc, theirs);
        fuzz_require(memcmp(ours, theirs, len) == 0);
    }
    raftpb__conf_change__free_unpacked(pc, NULL);
}

static void check_v2(const uint8_t *data, size_t size)
{
    struct rafthttp_conf_change_single changes[8];
    struct rafthttp_conf_change_v2 cc;
    int rv = rafthttp_conf_change_v2_decode(data, size, &cc, changes, 8);
    Raftpb__ConfChangeV2 *pc = raftpb__conf_change_v2__unpack(NULL, size, data);
    fuzz_require((rv == 0 || rv == RAFTHTTP_ETOOBIG) == (pc != NULL));
    if (pc == NULL) {
        return;
    }
    fuzz_require(cc.n_changes == pc->n_changes);
    fuzz_require(cc.transition == (int32_t)pc->transition);
    for (size_t i = 0; rv == 0 && i < cc.n_changes; i++) {
        fuzz_require(changes[i].type == (int32_t)pc->changes[i]->type);
        fuzz_require(changes[i].node_id == pc->changes[i]->node_id);
    }
    fuzz_require((cc.context.base != NULL) == (pc->has_context != 0));
    fuzz_require(cc.context.len == pc->context.len);
    raftpb__conf_change_v2__free_unpacked(pc, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check_v1(data, size);
    check_v2(data, size);
    return 0;
}
