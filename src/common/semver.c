// SPDX-License-Identifier: Apache-2.0
/*
 * Strict semantic versions, for the X-Server-Version and
 * X-Min-Cluster-Version headers. etcd panics on a header it cannot parse
 * (wire-protocol.md, hazards 2 and 4), so we validate what we send with the
 * same rules and answer a clear error for what we cannot parse.
 */
#include <string.h>

#include "common.h"

/* Parses [0-9]+ up to end into *out; rejects empty text and overflow. */
static int parse_number(const char *p, const char *end, int64_t *out)
{
    if (p == end) {
        return RAFTHTTP_EINVAL;
    }
    int64_t v = 0;
    for (; p < end; p++) {
        if (*p < '0' || *p > '9') {
            return RAFTHTTP_EINVAL;
        }
        int d = *p - '0';
        if (v > (INT64_MAX - d) / 10) {
            return RAFTHTTP_EINVAL;
        }
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

static bool is_ident_char(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
           (c >= 'A' && c <= 'Z') || c == '-';
}

/*
 * Dot-separated, non-empty identifiers, as go-semver's validateIdentifier;
 * like it, an empty whole ("1.2.3-" or "1.2.3+") is allowed.
 */
static int check_identifiers(const char *p, const char *end)
{
    if (p == end) {
        return 0;
    }
    bool part_empty = true;
    for (; p < end; p++) {
        if (*p == '.') {
            if (part_empty) {
                return RAFTHTTP_EINVAL;
            }
            part_empty = true;
        } else if (is_ident_char(*p)) {
            part_empty = false;
        } else {
            return RAFTHTTP_EINVAL;
        }
    }
    return part_empty ? RAFTHTTP_EINVAL : 0;
}

int rh_semver_parse(const char *s, struct rh_semver *v)
{
    if (s == NULL) {
        return RAFTHTTP_EINVAL;
    }
    const char *end = s + strlen(s);
    const char *plus = memchr(s, '+', (size_t)(end - s));
    const char *core_end = plus != NULL ? plus : end;
    const char *dash = memchr(s, '-', (size_t)(core_end - s));
    if (plus != NULL && check_identifiers(plus + 1, end) != 0) {
        return RAFTHTTP_EINVAL;
    }
    if (dash != NULL && check_identifiers(dash + 1, core_end) != 0) {
        return RAFTHTTP_EINVAL;
    }
    if (dash != NULL) {
        core_end = dash;
    }
    const char *dot1 = memchr(s, '.', (size_t)(core_end - s));
    if (dot1 == NULL) {
        return RAFTHTTP_EINVAL;
    }
    const char *dot2 = memchr(dot1 + 1, '.', (size_t)(core_end - dot1 - 1));
    if (dot2 == NULL) {
        return RAFTHTTP_EINVAL;
    }
    struct rh_semver out;
    if (parse_number(s, dot1, &out.major) != 0 ||
        parse_number(dot1 + 1, dot2, &out.minor) != 0 ||
        parse_number(dot2 + 1, core_end, &out.patch) != 0) {
        return RAFTHTTP_EINVAL;
    }
    *v = out;
    return 0;
}

int rh_semver_cmp_major_minor(const struct rh_semver *a,
                              const struct rh_semver *b)
{
    if (a->major != b->major) {
        return a->major < b->major ? -1 : 1;
    }
    if (a->minor != b->minor) {
        return a->minor < b->minor ? -1 : 1;
    }
    return 0;
}
