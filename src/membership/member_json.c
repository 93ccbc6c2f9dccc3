// SPDX-License-Identifier: Apache-2.0
/*
 * etcd's member JSON, as rafthttp.h's member helpers promise it: what
 * json.Marshal writes for a membership.Member (a ConfChange's context),
 * for a ConfigChangeContext (a promotion), and for the /members list, and
 * what json.Unmarshal reads back.
 *
 * The member's fields, in Go's order and with Go's omissions:
 *   id          always, a decimal number (types.ID is a uint64)
 *   peerURLs    always: null when absent, [] when empty
 *   isLearner   only when true (omitempty)
 *   name        only when not empty (omitempty)
 *   clientURLs  only when not empty (omitempty)
 *   isPromote   always, in a ConfigChangeContext only
 *
 * Reading follows json.Unmarshal into those structs: keys match without
 * regard to ASCII case, the last of a repeated key wins, unknown keys are
 * skipped, null leaves a field as it was (a list becomes absent), a null
 * element of a list is "". A value of another type is refused, as Go
 * reports an UnmarshalTypeError; so is anything after the value.
 *
 * Errors name the call and, for input, the byte where reading stopped.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "json.h"

/* ------------------------------------------------------------ writing */

static void put(struct rh_json_out *o, const char *s)
{
    rh_json_put(o, s, strlen(s));
}

static void put_u64(struct rh_json_out *o, uint64_t v)
{
    char digits[24];
    snprintf(digits, sizeof(digits), "%llu", (unsigned long long)v);
    put(o, digits);
}

static void put_list(struct rh_json_out *o, const char *const *list, size_t n)
{
    if (list == NULL) {
        put(o, "null");
        return;
    }
    put(o, "[");
    for (size_t i = 0; i < n; i++) {
        put(o, i > 0 ? "," : "");
        rh_json_put_string(o, list[i]);
    }
    put(o, "]");
}

static void put_member(struct rh_json_out *o, const struct rafthttp_member *m,
                       bool promote)
{
    put(o, "{\"id\":");
    put_u64(o, m->id);
    put(o, ",\"peerURLs\":");
    put_list(o, m->peer_urls, m->n_peer_urls);
    if (m->is_learner) {
        put(o, ",\"isLearner\":true");
    }
    if (m->name != NULL && m->name[0] != '\0') {
        put(o, ",\"name\":");
        rh_json_put_string(o, m->name);
    }
    if (m->client_urls != NULL && m->n_client_urls > 0) {
        put(o, ",\"clientURLs\":");
        put_list(o, m->client_urls, m->n_client_urls);
    }
    if (promote) {
        put(o, ",\"isPromote\":true");
    }
    put(o, "}");
}

static const char *list_refused(const char *const *list, size_t n)
{
    if (list == NULL && n > 0) {
        return "NULL with n > 0";
    }
    for (size_t i = 0; list != NULL && i < n; i++) {
        if (list[i] == NULL) {
            return "holds a NULL string";
        }
    }
    return NULL;
}

/* Why m cannot be written (the thread's error says), or 0. */
static int member_refused(const char *call, const struct rafthttp_member *m,
                          const char *which)
{
    const char *bad = list_refused(m->peer_urls, m->n_peer_urls);
    const char *field = "peer_urls";
    if (bad == NULL) {
        bad = list_refused(m->client_urls, m->n_client_urls);
        field = "client_urls";
    }
    if (bad != NULL) {
        rh_thread_errmsg_set("%s: %s->%s %s", call, which, field, bad);
        return RAFTHTTP_EINVAL;
    }
    return 0;
}

static bool output_usable(const char *call, bool input_ok, const char *buf,
                          size_t cap, const size_t *len)
{
    const char *bad = !input_ok                ? "input NULL"
                      : len == NULL            ? "len NULL"
                      : buf == NULL && cap > 0 ? "buf NULL with cap > 0"
                                               : NULL;
    if (bad != NULL) {
        rh_thread_errmsg_set("%s: %s", call, bad);
        return false;
    }
    return true;
}

/* Terminates the text, or says what it needs (the output convention). */
static int finish_out(const char *call, struct rh_json_out *o, size_t *len)
{
    *len = o->len;
    if (o->len >= o->cap) {
        rh_thread_errmsg_set("%s: cap %zu, the text needs %zu and a NUL", call,
                             o->cap, o->len);
        return RAFTHTTP_ETOOBIG;
    }
    o->buf[o->len] = '\0';
    return 0;
}

int rafthttp_member_json(const struct rafthttp_member *m, bool promote,
                         char *buf, size_t cap, size_t *len)
{
    static const char call[] = "member_json";
    if (!output_usable(call, m != NULL, buf, cap, len)) {
        return RAFTHTTP_EINVAL;
    }
    int rv = member_refused(call, m, "m");
    if (rv != 0) {
        return rv;
    }
    struct rh_json_out o = {buf, cap, 0};
    put_member(&o, m, promote);
    return finish_out(call, &o, len);
}

/*
 * The member after prev in (ID, position) order, or NULL: a selection
 * that sorts without memory, quadratic in a cluster's handful of members.
 */
static const struct rafthttp_member *
next_member(const struct rafthttp_member *ms, size_t n,
            const struct rafthttp_member *prev)
{
    const struct rafthttp_member *best = NULL;
    for (size_t i = 0; i < n; i++) {
        const struct rafthttp_member *m = &ms[i];
        bool after =
            prev == NULL || m->id > prev->id || (m->id == prev->id && m > prev);
        if (after && (best == NULL || m->id < best->id)) {
            best = m;
        }
    }
    return best;
}

int rafthttp_members_json(const struct rafthttp_member *ms, size_t n, char *buf,
                          size_t cap, size_t *len)
{
    static const char call[] = "members_json";
    if (!output_usable(call, ms != NULL || n == 0, buf, cap, len)) {
        return RAFTHTTP_EINVAL;
    }
    for (size_t i = 0; i < n; i++) {
        char which[32];
        snprintf(which, sizeof(which), "ms[%zu]", i);
        if (member_refused(call, &ms[i], which) != 0) {
            return RAFTHTTP_EINVAL;
        }
    }
    struct rh_json_out o = {buf, cap, 0};
    put(&o, n == 0 ? "null" : "[");
    const struct rafthttp_member *m = NULL;
    for (size_t i = 0; i < n; i++) {
        m = next_member(ms, n, m);
        put(&o, i > 0 ? "," : "");
        put_member(&o, m, false);
    }
    put(&o, n == 0 ? "\n" : "]\n");
    return finish_out(call, &o, len);
}

/* ------------------------------------------------------------ reading */

/* A list of strings, or null (absent), into scratch. */
static bool read_list(struct rh_json_reader *r, const char *const **list,
                      size_t *n)
{
    if (rh_json_take_null(r)) {
        *list = NULL;
        *n = 0;
        return true;
    }
    /* Count first, so the pointer array is taken before the strings. */
    struct rh_json_reader count = *r;
    size_t k = 0;
    bool first = true;
    while (rh_json_next_element(&count, &first)) {
        if (!rh_json_take_null(&count) && !rh_json_string(&count, NULL)) {
            break;
        }
        k++;
    }
    if (count.err != 0) {
        *r = count;
        return false;
    }
    const char **out = rh_json_alloc(r, (k > 0 ? k : 1) * sizeof(*out));
    first = true;
    for (size_t i = 0; out != NULL && rh_json_next_element(r, &first); i++) {
        if (rh_json_take_null(r)) {
            out[i] = "";
        } else if (!rh_json_string(r, &out[i])) {
            return false;
        }
    }
    *list = out;
    *n = k;
    return r->err == 0;
}

/* One member's value for key (matched as Go matches, ignoring case). */
static bool read_field(struct rh_json_reader *r, const char *key,
                       struct rafthttp_member *m, bool *promote)
{
    if (strcasecmp(key, "peerURLs") == 0) {
        return read_list(r, &m->peer_urls, &m->n_peer_urls);
    }
    if (strcasecmp(key, "clientURLs") == 0) {
        return read_list(r, &m->client_urls, &m->n_client_urls);
    }
    if (rh_json_take_null(r)) {
        return true; /* null leaves a scalar as it was */
    }
    if (strcasecmp(key, "id") == 0) {
        return rh_json_u64(r, &m->id);
    }
    if (strcasecmp(key, "name") == 0) {
        return rh_json_string(r, &m->name);
    }
    if (strcasecmp(key, "isLearner") == 0) {
        return rh_json_bool(r, &m->is_learner);
    }
    if (strcasecmp(key, "isPromote") == 0) {
        bool ignored;
        return rh_json_bool(r, promote != NULL ? promote : &ignored);
    }
    return rh_json_skip(r);
}

static bool read_member(struct rh_json_reader *r, struct rafthttp_member *m,
                        bool *promote)
{
    memset(m, 0, sizeof(*m));
    if (promote != NULL) {
        *promote = false;
    }
    bool first = true;
    const char *key;
    while (rh_json_next_key(r, &first, &key)) {
        char name[16]; /* the key, before the value's strings reuse it */
        snprintf(name, sizeof(name), "%s", key);
        if (strlen(key) >= sizeof(name)) {
            name[0] = '\0'; /* longer than any field: unknown */
        }
        if (!read_field(r, name, m, promote)) {
            return false;
        }
    }
    return r->err == 0;
}

/* The reader's outcome, with the thread's error text on failure. */
static int finish(const char *call, struct rh_json_reader *r)
{
    if (r->err == 0 && rh_json_peek(r) != '\0') {
        rh_json_fail(r, RAFTHTTP_EPROTO, "expected the end of the text");
    }
    if (r->err != 0) {
        rh_thread_errmsg_set("%s: at byte %zu: %s", call, r->err_at, r->why);
    }
    return r->err;
}

static bool input_usable(const char *call, const char *json, size_t len,
                         const void *out)
{
    const char *bad = json == NULL && len > 0 ? "json NULL with len > 0"
                      : out == NULL           ? "output NULL"
                                              : NULL;
    if (bad != NULL) {
        rh_thread_errmsg_set("%s: %s", call, bad);
        return false;
    }
    return true;
}

int rafthttp_member_parse(const char *json, size_t len,
                          struct rafthttp_member *m, bool *promote,
                          void *scratch, size_t scratch_len)
{
    static const char call[] = "member_parse";
    if (!input_usable(call, json, len, m)) {
        return RAFTHTTP_EINVAL;
    }
    struct rh_json_reader r;
    rh_json_reader_init(&r, json != NULL ? json : "", len, scratch,
                        scratch_len);
    read_member(&r, m, promote);
    return finish(call, &r);
}

int rafthttp_members_parse(const char *json, size_t len,
                           struct rafthttp_member *ms, size_t cap, size_t *n,
                           void *scratch, size_t scratch_len)
{
    static const char call[] = "members_parse";
    if (!input_usable(call, json, len, n) || (ms == NULL && cap > 0)) {
        if (n != NULL && ms == NULL && cap > 0) {
            rh_thread_errmsg_set("%s: ms NULL with cap > 0", call);
        }
        return RAFTHTTP_EINVAL;
    }
    struct rh_json_reader r;
    rh_json_reader_init(&r, json != NULL ? json : "", len, scratch,
                        scratch_len);
    *n = 0;
    bool first = true;
    if (!rh_json_take_null(&r)) {
        while (rh_json_next_element(&r, &first)) {
            struct rafthttp_member spare;
            if (!read_member(&r, *n < cap ? &ms[*n] : &spare, NULL)) {
                break;
            }
            (*n)++;
        }
    }
    int rv = finish(call, &r);
    if (rv == 0 && *n > cap) {
        rh_thread_errmsg_set("%s: %zu members, cap %zu", call, *n, cap);
        rv = RAFTHTTP_ETOOBIG;
    }
    return rv;
}
