// SPDX-License-Identifier: Apache-2.0
/*
 * Fuzz: the /raft/probing answer parser. Whatever it accepts must give a
 * time it also accepts when printed back; it never reads past the input.
 */
#include <string.h>

#include "fuzz_common.h"
#include "probing/prober.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    bool ok = false;
    int64_t ns = 0;
    int rv = rh_probe_parse((const char *)data, size, &ok, &ns);
    fuzz_require(rv == 0 || rv == RAFTHTTP_EPROTO);
    if (rv == 0) {
        struct rh_probe_status st;
        rh_probe_init(&st, 0);
        rh_probe_record_ok(&st, 0.001, ns, ns); /* arithmetic on any time */
        fuzz_require(st.healthy);
    }
    return 0;
}
