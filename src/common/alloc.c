// SPDX-License-Identifier: Apache-2.0
/*
 * The one place that calls the C library's allocator. Everything else asks
 * for memory through the instance's struct rafthttp_allocator, so tests can
 * fail the k-th allocation of one instance without touching the others.
 */
#include <stdlib.h>
#include <string.h>

#include "common.h"

void *rh_malloc(const struct rafthttp_allocator *a, size_t size)
{
    if (size == 0) {
        size = 1; /* a valid, freeable pointer for empty objects */
    }
    if (a == NULL) {
        return malloc(size);
    }
    return a->malloc(size, a->ud);
}

void *rh_calloc(const struct rafthttp_allocator *a, size_t n, size_t size)
{
    if (size != 0 && n > SIZE_MAX / size) {
        return NULL;
    }
    size_t total = n * size;
    if (a == NULL) {
        return calloc(total == 0 ? 1 : total, 1);
    }
    uint8_t *p = rh_malloc(a, total);
    if (p != NULL) {
        for (size_t i = 0; i < total; i++) {
            p[i] = 0;
        }
    }
    return p;
}

void *rh_realloc(const struct rafthttp_allocator *a, void *ptr, size_t size)
{
    if (size == 0) {
        size = 1;
    }
    if (a == NULL) {
        return realloc(ptr, size);
    }
    return a->realloc(ptr, size, a->ud);
}

void rh_free(const struct rafthttp_allocator *a, void *ptr)
{
    if (ptr == NULL) {
        return;
    }
    if (a == NULL) {
        free(ptr);
        return;
    }
    a->free(ptr, a->ud);
}

char *rh_strdup(const struct rafthttp_allocator *a, const char *s)
{
    size_t len = strlen(s) + 1;
    char *copy = rh_malloc(a, len);
    if (copy != NULL) {
        memcpy(copy, s, len);
    }
    return copy;
}
