/*
 * Member and cluster IDs in text, exactly as etcd's types.ID writes and
 * reads them. The header checks compare these strings byte for byte, so the
 * formatting must never vary (no padding, lower case).
 */
#include "common.h"

char *rafthttp_id_format(uint64_t id, char buf[RAFTHTTP_ID_STRLEN])
{
    static const char digits[] = "0123456789abcdef";
    char tmp[16];
    size_t n = 0;
    do {
        tmp[n++] = digits[id & 0xf];
        id >>= 4;
    } while (id != 0);
    for (size_t i = 0; i < n; i++) {
        buf[i] = tmp[n - 1 - i];
    }
    buf[n] = '\0';
    return buf;
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

int rafthttp_id_parse(const char *s, uint64_t *id)
{
    if (s == NULL || id == NULL || *s == '\0') {
        return RAFTHTTP_EINVAL;
    }
    uint64_t v = 0;
    for (; *s != '\0'; s++) {
        int d = hex_value(*s);
        if (d < 0 || v > (UINT64_MAX >> 4)) {
            return RAFTHTTP_EINVAL;
        }
        v = (v << 4) | (uint64_t)d;
    }
    *id = v;
    return 0;
}
