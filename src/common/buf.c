// SPDX-License-Identifier: Apache-2.0
/*
 * rh_buf: a byte buffer that grows by doubling up to a limit fixed at init.
 * The limit is what keeps a peer's declared lengths from turning into
 * allocations: callers reserve as bytes arrive, never what a header claims.
 */
#include <string.h>

#include "common.h"

/* The first allocation: small frames should not cost a page each. */
#define BUF_MIN_CAP 256

void rh_buf_init(struct rh_buf *b, const struct rafthttp_allocator *a,
                 size_t limit)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->limit = limit;
    b->alloc = a;
}

void rh_buf_close(struct rh_buf *b)
{
    rh_free(b->alloc, b->data);
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

int rh_buf_reserve(struct rh_buf *b, size_t extra)
{
    if (extra > b->limit - b->len) {
        return RAFTHTTP_ETOOBIG;
    }
    size_t need = b->len + extra;
    if (need <= b->cap) {
        return 0;
    }
    size_t cap = b->cap < BUF_MIN_CAP ? BUF_MIN_CAP : b->cap;
    while (cap < need) {
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    }
    if (cap > b->limit) {
        cap = b->limit;
    }
    uint8_t *p = rh_realloc(b->alloc, b->data, cap);
    if (p == NULL) {
        return RAFTHTTP_ENOMEM;
    }
    b->data = p;
    b->cap = cap;
    return 0;
}

int rh_buf_append(struct rh_buf *b, const void *p, size_t n)
{
    if (n == 0) {
        return 0;
    }
    int rv = rh_buf_reserve(b, n);
    if (rv != 0) {
        return rv;
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
    return 0;
}

uint8_t *rh_buf_extend(struct rh_buf *b, size_t n)
{
    if (n == 0 || rh_buf_reserve(b, n) != 0) {
        return NULL;
    }
    uint8_t *dst = b->data + b->len;
    b->len += n;
    return dst;
}

void rh_buf_reset(struct rh_buf *b)
{
    b->len = 0;
}

bool rh_be64_read(struct rh_be64_reader *r, const uint8_t **p, size_t *n,
                  uint64_t *value)
{
    if (r->have == 0 && *n >= 8) {
        *value = rh_get_be64(*p); /* the common case: no copy */
        *p += 8;
        *n -= 8;
        return true;
    }
    while (r->have < 8 && *n > 0) {
        r->bytes[r->have++] = **p;
        (*p)++;
        (*n)--;
    }
    if (r->have < 8) {
        return false;
    }
    *value = rh_get_be64(r->bytes);
    r->have = 0;
    return true;
}
