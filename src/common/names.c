// SPDX-License-Identifier: Apache-2.0
/*
 * Names of the enums whose tables live in rafthttp.h (message types, drop
 * reasons), generated from those tables so that no second list can fall
 * out of step with the enum.
 */
#include "common.h"

static const char *const msg_type_names[] = {
#define RH_MSG_NAME(name, value, text) [value] = (text),
    RAFTHTTP_MSG_TYPE_MAP(RH_MSG_NAME)
#undef RH_MSG_NAME
};

_Static_assert(sizeof(msg_type_names) / sizeof(msg_type_names[0]) ==
                   RAFTHTTP_MSG_TYPE_COUNT,
               "RAFTHTTP_MSG_TYPE_COUNT counts RAFTHTTP_MSG_TYPE_MAP");

static const char *const drop_reason_names[] = {
#define RH_DROP_NAME(name, value, text) [value] = (text),
    RAFTHTTP_DROP_REASON_MAP(RH_DROP_NAME)
#undef RH_DROP_NAME
};

_Static_assert(sizeof(drop_reason_names) / sizeof(drop_reason_names[0]) ==
                   RAFTHTTP_DROP_REASONS,
               "RAFTHTTP_DROP_REASONS counts RAFTHTTP_DROP_REASON_MAP");
_Static_assert(RAFTHTTP_DROP_REASONS <= RAFTHTTP_DROP_SLOTS,
               "rafthttp_stats.dropped has a slot for every reason");

const char *rh_msg_type_name(int32_t type)
{
    if (type < 0 || type >= RAFTHTTP_MSG_TYPE_COUNT) {
        return NULL;
    }
    return msg_type_names[type];
}

const char *rh_drop_reason_name(int reason)
{
    if (reason < 0 || reason >= RAFTHTTP_DROP_REASONS) {
        return NULL;
    }
    return drop_reason_names[reason];
}
