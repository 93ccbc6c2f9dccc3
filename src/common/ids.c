// SPDX-License-Identifier: Apache-2.0
/*
 * Member and cluster IDs in text, exactly as etcd's types.ID writes and
 * reads them. The header checks compare these strings byte for byte, so the
 * formatting must never vary (no padding, lower case).
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

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

/* ----------------------------------------------------- etcd's member IDs */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a;
    uint64_t y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* The first 8 bytes of the SHA-1 digest, big-endian; frees ctx. */
static int digest_id(EVP_MD_CTX *ctx, uint64_t *id)
{
    uint8_t md[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    int ok = EVP_DigestFinal_ex(ctx, md, &len) == 1 && len >= 8;
    EVP_MD_CTX_free(ctx);
    if (!ok) {
        return RAFTHTTP_ENOMEM;
    }
    *id = rh_get_be64(md);
    return 0;
}

static EVP_MD_CTX *sha1_new(void)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (ctx != NULL && EVP_DigestInit_ex(ctx, EVP_sha1(), NULL) != 1) {
        EVP_MD_CTX_free(ctx);
        ctx = NULL;
    }
    return ctx;
}

int rafthttp_member_id(const char *const *peer_urls, size_t n,
                       const char *cluster_token, uint64_t *id)
{
    enum { MAX_URLS = 64 };
    const char *sorted[MAX_URLS];
    if (peer_urls == NULL || n == 0 || n > MAX_URLS || id == NULL) {
        return RAFTHTTP_EINVAL;
    }
    memcpy(sorted, peer_urls, n * sizeof(*sorted));
    qsort(sorted, n, sizeof(*sorted), cmp_str);
    EVP_MD_CTX *ctx = sha1_new();
    if (ctx == NULL) {
        return RAFTHTTP_ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        EVP_DigestUpdate(ctx, sorted[i], strlen(sorted[i]));
    }
    if (cluster_token != NULL) {
        EVP_DigestUpdate(ctx, cluster_token, strlen(cluster_token));
    }
    return digest_id(ctx, id);
}

int rafthttp_cluster_id(const uint64_t *member_ids, size_t n, uint64_t *id)
{
    enum { MAX_MEMBERS = 1024 };
    uint64_t sorted[MAX_MEMBERS];
    if (member_ids == NULL || n == 0 || n > MAX_MEMBERS || id == NULL) {
        return RAFTHTTP_EINVAL;
    }
    memcpy(sorted, member_ids, n * sizeof(*sorted));
    qsort(sorted, n, sizeof(*sorted), cmp_u64);
    EVP_MD_CTX *ctx = sha1_new();
    if (ctx == NULL) {
        return RAFTHTTP_ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        uint8_t be[8];
        rh_put_be64(be, sorted[i]);
        EVP_DigestUpdate(ctx, be, sizeof(be));
    }
    return digest_id(ctx, id);
}
