// SPDX-License-Identifier: Apache-2.0
/* Error texts and version queries: the read-only tables of the library. */
#include "common.h"

const char *rafthttp_strerror(int err)
{
    switch (err) {
    case 0:
        return "success";
#define RH_ERR_TEXT(name, value, text)                                         \
    case (value):                                                              \
        return (text);
        RAFTHTTP_ERRNO_MAP(RH_ERR_TEXT)
#undef RH_ERR_TEXT
    default:
        return "unknown error";
    }
}

unsigned rafthttp_version(void)
{
    return RAFTHTTP_VERSION_HEX;
}

const char *rafthttp_version_string(void)
{
    return RAFTHTTP_VERSION_STRING;
}
