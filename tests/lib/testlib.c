// SPDX-License-Identifier: Apache-2.0
/* Test helpers; see testlib.h. */
#include <stdlib.h>
#include <string.h>

#include "testlib.h"

static int hexval(char c)
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

uint8_t *tl_unhex(const char *hex, size_t *len)
{
    size_t n = strlen(hex);
    if (n % 2 != 0) {
        return NULL;
    }
    uint8_t *out = malloc(n / 2 + 1);
    if (out == NULL) {
        return NULL;
    }
    for (size_t i = 0; i < n / 2; i++) {
        int hi = hexval(hex[2 * i]);
        int lo = hexval(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            free(out);
            return NULL;
        }
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    *len = n / 2;
    return out;
}

char *tl_hex(const uint8_t *p, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    char *out = malloc(2 * n + 1);
    if (out == NULL) {
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 0xf];
    }
    out[2 * n] = '\0';
    return out;
}

static void *tl_malloc(size_t size, void *ud)
{
    struct tl_alloc *t = ud;
    t->calls++;
    if (t->fail_all || (t->fail_at != 0 && t->calls == t->fail_at)) {
        return NULL;
    }
    void *p = malloc(size);
    if (p != NULL) {
        t->live++;
    }
    return p;
}

static void *tl_realloc(void *ptr, size_t size, void *ud)
{
    struct tl_alloc *t = ud;
    if (ptr == NULL) {
        return tl_malloc(size, ud);
    }
    t->calls++;
    if (t->fail_all || (t->fail_at != 0 && t->calls == t->fail_at)) {
        return NULL;
    }
    return realloc(ptr, size);
}

static void tl_free(void *ptr, void *ud)
{
    struct tl_alloc *t = ud;
    if (ptr != NULL) {
        t->live--;
    }
    free(ptr);
}

void tl_alloc_init(struct tl_alloc *t, long fail_at)
{
    t->a.ud = t;
    t->a.malloc = tl_malloc;
    t->a.realloc = tl_realloc;
    t->a.free = tl_free;
    t->calls = 0;
    t->live = 0;
    t->fail_at = fail_at;
    t->fail_all = false;
}

static int feed(enum tl_decoder_kind kind, void *decoder, const uint8_t *p,
                size_t n, size_t *used, struct rh_msg **msg)
{
    if (kind == TL_MSG_STREAM) {
        return rh_msg_decoder_feed(decoder, p, n, used, msg);
    }
    return rh_msgappv2_decoder_feed(decoder, p, n, used, msg);
}

static int push(struct tl_decoded *out, struct rh_msg *msg)
{
    struct rh_msg **msgs = realloc(out->msgs, (out->n + 1) * sizeof(*msgs));
    if (msgs == NULL) {
        rh_msg_free(msg);
        return RAFTHTTP_ENOMEM;
    }
    msgs[out->n++] = msg;
    out->msgs = msgs;
    return 0;
}

int tl_decode_all(enum tl_decoder_kind kind, void *decoder, const uint8_t *p,
                  size_t n, const size_t *splits, size_t n_splits,
                  struct tl_decoded *out)
{
    out->msgs = NULL;
    out->n = 0;
    size_t off = 0;
    size_t k = 0;
    while (off < n) {
        size_t chunk = n - off;
        if (n_splits > 0 && splits[k % n_splits] > 0 &&
            splits[k % n_splits] < chunk) {
            chunk = splits[k % n_splits];
        }
        k++;
        size_t end = off + chunk;
        while (off < end) {
            size_t used;
            struct rh_msg *msg;
            int rv = feed(kind, decoder, p + off, end - off, &used, &msg);
            if (rv != 0) {
                return rv;
            }
            off += used;
            if (msg != NULL && (rv = push(out, msg)) != 0) {
                return rv;
            }
        }
    }
    return 0;
}

void tl_decoded_free(struct tl_decoded *d)
{
    for (size_t i = 0; i < d->n; i++) {
        rh_msg_free(d->msgs[i]);
    }
    free(d->msgs);
    d->msgs = NULL;
    d->n = 0;
}

static int bytes_equal(const struct rafthttp_bytes *a,
                       const struct rafthttp_bytes *b)
{
    int pa = a->base != NULL || a->len > 0;
    int pb = b->base != NULL || b->len > 0;
    return pa == pb && a->len == b->len &&
           (a->len == 0 || memcmp(a->base, b->base, a->len) == 0);
}

static int ids_equal(const uint64_t *a, size_t na, const uint64_t *b, size_t nb)
{
    return na == nb && (na == 0 || memcmp(a, b, na * sizeof(*a)) == 0);
}

static int conf_state_equal(const struct rafthttp_conf_state *a,
                            const struct rafthttp_conf_state *b)
{
    return ids_equal(a->voters, a->n_voters, b->voters, b->n_voters) &&
           ids_equal(a->learners, a->n_learners, b->learners, b->n_learners) &&
           ids_equal(a->voters_outgoing, a->n_voters_outgoing,
                     b->voters_outgoing, b->n_voters_outgoing) &&
           ids_equal(a->learners_next, a->n_learners_next, b->learners_next,
                     b->n_learners_next) &&
           a->auto_leave == b->auto_leave;
}

int tl_msg_equal(const struct rafthttp_message *a,
                 const struct rafthttp_message *b)
{
    if (a->type != b->type || a->to != b->to || a->from != b->from ||
        a->term != b->term || a->log_term != b->log_term ||
        a->index != b->index || a->commit != b->commit ||
        a->reject != b->reject || a->reject_hint != b->reject_hint ||
        a->n_entries != b->n_entries ||
        !bytes_equal(&a->context, &b->context)) {
        return 0;
    }
    for (size_t i = 0; i < a->n_entries; i++) {
        const struct rafthttp_entry *x = &a->entries[i];
        const struct rafthttp_entry *y = &b->entries[i];
        if (x->type != y->type || x->term != y->term || x->index != y->index ||
            !bytes_equal(&x->data, &y->data)) {
            return 0;
        }
    }
    const struct rafthttp_snapshot *s = &a->snapshot;
    const struct rafthttp_snapshot *t = &b->snapshot;
    return bytes_equal(&s->data, &t->data) &&
           s->metadata.index == t->metadata.index &&
           s->metadata.term == t->metadata.term &&
           conf_state_equal(&s->metadata.conf_state, &t->metadata.conf_state);
}

const struct rafthttp_entry tl_e_some[3] = {
    {.term = 1, .index = 4, .data = {(const uint8_t *)"some data", 9}},
    {.term = 1, .index = 5, .data = {(const uint8_t *)"some data", 9}},
    {.term = 1, .index = 6, .data = {(const uint8_t *)"some data", 9}},
};
const struct rafthttp_entry tl_e_one[1] = {
    {.term = 1, .index = 7, .data = {(const uint8_t *)"some data", 9}}};
const struct rafthttp_entry tl_e_two[1] = {
    {.term = 2, .index = 8, .data = {(const uint8_t *)"some data", 9}}};
const struct rafthttp_entry tl_e_three[1] = {
    {.term = 3, .index = 9, .data = {(const uint8_t *)"some data", 9}}};

struct rafthttp_message tl_app(uint64_t term, uint64_t log_term, uint64_t index,
                               uint64_t commit, const struct rafthttp_entry *es,
                               size_t n)
{
    struct rafthttp_message m = {.type = RAFTHTTP_MSG_APP,
                                 .from = 1,
                                 .to = 2,
                                 .term = term,
                                 .log_term = log_term,
                                 .index = index,
                                 .commit = commit,
                                 .entries = es,
                                 .n_entries = n};
    return m;
}

size_t tl_etcd_msgappv2_sequence(struct rafthttp_message *ms)
{
    struct rafthttp_message hb = {.type = RAFTHTTP_MSG_HEARTBEAT};
    size_t n = 0;
    ms[n++] = hb;
    ms[n++] = tl_app(1, 1, 3, 3, tl_e_some, 3); /* full */
    ms[n++] = tl_app(1, 1, 6, 7, tl_e_one, 1);  /* compact */
    ms[n++] = hb;
    ms[n++] = tl_app(1, 1, 7, 8, NULL, 0);     /* compact, commit only */
    ms[n++] = tl_app(2, 1, 7, 8, tl_e_two, 1); /* higher term: full */
    ms[n++] = hb;
    ms[n++] = tl_app(3, 2, 8, 9, tl_e_three, 1); /* LogTerm != Term: full */
    ms[n++] = hb;
    return n;
}
