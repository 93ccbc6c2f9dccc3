// SPDX-License-Identifier: Apache-2.0
/*
 * URL picker, as etcd's: a sorted list and the one in use. unreachable()
 * moves on only if the failed URL is still the current one, so several
 * failures of the same URL at once move on once.
 */
#include <stdlib.h>
#include <string.h>

#include "peer.h"

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void free_list(const struct rafthttp_allocator *a, char **urls, size_t n)
{
    for (size_t i = 0; i < n && urls != NULL; i++) {
        rh_free(a, urls[i]);
    }
    rh_free(a, urls);
}

int rh_urlpick_init(struct rh_urlpick *p, const struct rafthttp_allocator *a,
                    const char *const *urls, size_t n)
{
    p->urls = NULL;
    p->n = 0;
    p->picked = 0;
    return rh_urlpick_update(p, a, urls, n);
}

void rh_urlpick_close(struct rh_urlpick *p, const struct rafthttp_allocator *a)
{
    free_list(a, p->urls, p->n);
    p->urls = NULL;
    p->n = 0;
}

int rh_urlpick_update(struct rh_urlpick *p, const struct rafthttp_allocator *a,
                      const char *const *urls, size_t n)
{
    if (n == 0 || !rh_urls_valid(urls, n)) {
        return RAFTHTTP_EINVAL;
    }
    char **copy = rh_calloc(a, n, sizeof(*copy));
    if (copy == NULL) {
        return RAFTHTTP_ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        copy[i] = rh_strdup(a, urls[i]);
        if (copy[i] == NULL) {
            free_list(a, copy, n);
            return RAFTHTTP_ENOMEM;
        }
    }
    qsort(copy, n, sizeof(*copy), cmp_str);
    free_list(a, p->urls, p->n);
    p->urls = copy;
    p->n = n;
    p->picked = 0;
    return 0;
}

bool rh_urlpick_same(const struct rh_urlpick *p, const char *const *urls,
                     size_t n)
{
    if (n != p->n) {
        return false;
    }
    for (size_t i = 0; i < n; i++) { /* p->urls is sorted and n is small */
        bool found = false;
        for (size_t k = 0; k < p->n && !found; k++) {
            found = strcmp(urls[i], p->urls[k]) == 0;
        }
        if (!found) {
            return false;
        }
    }
    return true;
}

const char *rh_urlpick_pick(const struct rh_urlpick *p)
{
    return p->n > 0 ? p->urls[p->picked] : NULL;
}

void rh_urlpick_unreachable(struct rh_urlpick *p, const char *url)
{
    if (p->n > 0 && url != NULL && strcmp(p->urls[p->picked], url) == 0) {
        p->picked = (p->picked + 1) % p->n;
    }
}

bool rh_urls_valid(const char *const *urls, size_t n)
{
    struct rh_url u;
    for (size_t i = 0; i < n; i++) {
        if (urls == NULL || rh_url_parse(urls[i], &u) != 0) {
            return false;
        }
    }
    return true;
}
