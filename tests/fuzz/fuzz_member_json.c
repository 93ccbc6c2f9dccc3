// SPDX-License-Identifier: Apache-2.0
/*
 * Fuzz: the member JSON reader on any bytes. It must never read or write
 * outside its input and scratch; what it accepts must write back (as Go
 * would) and read again to the same member, and that second text must be
 * a fixed point: writing what it reads gives the same bytes.
 */
#include <string.h>

#include "fuzz_common.h"

static char scratch1[1 << 14];
static char scratch2[1 << 14];
static char text1[1 << 16];
static char text2[1 << 16];

static void same_list(const char *const *a, size_t na, const char *const *b,
                      size_t nb)
{
    fuzz_require(na == nb && (a == NULL) == (b == NULL));
    for (size_t i = 0; i < na; i++) {
        fuzz_require(strcmp(a[i], b[i]) == 0);
    }
}

static void round_trip(const struct rafthttp_member *m, bool promote)
{
    size_t len1 = 0, len2 = 0;
    if (rafthttp_member_json(m, promote, text1, sizeof(text1), &len1) != 0) {
        return; /* larger than this harness's buffer */
    }
    struct rafthttp_member again;
    bool promote2 = false;
    fuzz_require(rafthttp_member_parse(text1, len1, &again, &promote2, scratch2,
                                       sizeof(scratch2)) == 0);
    fuzz_require(again.id == m->id && again.is_learner == m->is_learner);
    fuzz_require(promote2 == promote);
    /* The writer replaced invalid UTF-8, so compare the texts instead. */
    fuzz_require(rafthttp_member_json(&again, promote2, text2, sizeof(text2),
                                      &len2) == 0);
    fuzz_require(len1 == len2 && memcmp(text1, text2, len1) == 0);
    if (m->client_urls != NULL && m->n_client_urls > 0) {
        same_list(m->client_urls, m->n_client_urls, again.client_urls,
                  again.n_client_urls);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct rafthttp_member m;
    bool promote = false;
    if (rafthttp_member_parse((const char *)data, size, &m, &promote, scratch1,
                              sizeof(scratch1)) == 0) {
        round_trip(&m, promote);
    }
    struct rafthttp_member ms[4];
    size_t n = 0;
    int rv = rafthttp_members_parse((const char *)data, size, ms, 4, &n,
                                    scratch1, sizeof(scratch1));
    if (rv == 0) {
        size_t len = 0;
        fuzz_require(n <= 4);
        int w = rafthttp_members_json(ms, n, text1, sizeof(text1), &len);
        fuzz_require(w == 0 || w == RAFTHTTP_ETOOBIG);
    }
    return 0;
}
