/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The JSON that etcd's membership speaks, written and read the way Go's
 * encoding/json writes and reads it, for the member helpers of rafthttp.h
 * (member_json.c). Nothing here allocates: the writer writes into the
 * caller's buffer, the reader unescapes into the caller's scratch.
 *
 * Writer: strings as encodeState.string with HTML escaping (Go's
 * json.Marshal default): ", \, \n, \r, \t escaped by name; other control
 * bytes, <, > and & as \u00XX; U+2028 and U+2029 as \u2028 and \u2029;
 * each byte of invalid UTF-8 as \ufffd. Go 1.22 writes \b and \f by name
 * where older Go (and etcd 3.4's) wrote \u0008 and \u000c; we write the
 * older form, which the golden vectors were made with; both parse alike.
 *
 * Reader: the grammar encoding/json's scanner accepts (RFC 8259, no
 * comments, no trailing commas, whitespace only around tokens), nesting
 * bounded by RH_JSON_MAX_DEPTH (Go allows 10000; members nest 3 deep);
 * strings unescaped as Go does (surrogate pairs joined, a lone surrogate
 * and invalid UTF-8 become U+FFFD; raw control bytes refused).
 */
#ifndef RH_MEMBERSHIP_JSON_H
#define RH_MEMBERSHIP_JSON_H

#include "../common/common.h"

#define RH_JSON_MAX_DEPTH 64

/*
 * Where text is written: bytes go into buf while they fit, len counts them
 * all, so one pass both writes and tells the size a larger buffer needs.
 */
struct rh_json_out {
    char *buf;
    size_t cap;
    size_t len;
};

void rh_json_put(struct rh_json_out *o, const char *s, size_t n);
/* s as a JSON string, quotes included. */
void rh_json_put_string(struct rh_json_out *o, const char *s);

/* A reader over one JSON text, unescaping into scratch. */
struct rh_json_reader {
    const char *p;     /* next byte */
    const char *start; /* of the text, for error offsets */
    const char *end;
    char *scratch; /* strings and lists go here */
    size_t used;
    size_t cap;
    int err;         /* first error: RAFTHTTP_EPROTO or RAFTHTTP_ETOOBIG */
    const char *why; /* what was expected, for the error text */
    size_t err_at;   /* byte offset of the error */
};

void rh_json_reader_init(struct rh_json_reader *r, const char *text, size_t len,
                         void *scratch, size_t cap);

/* Fails the reader (first failure wins); returns false for chaining. */
bool rh_json_fail(struct rh_json_reader *r, int err, const char *why);

/* Skips whitespace; returns the next byte, or 0 at the end. */
char rh_json_peek(struct rh_json_reader *r);
/* Takes c if it is next (after whitespace). */
bool rh_json_take(struct rh_json_reader *r, char c);
/* Takes the literal null if it is next. */
bool rh_json_take_null(struct rh_json_reader *r);

/*
 * A string, unescaped into scratch and NUL-terminated (*out), or checked
 * and skipped when out is NULL. false on error (r->err set).
 */
bool rh_json_string(struct rh_json_reader *r, const char **out);
/* A number that fits a uint64 with no sign, fraction or exponent. */
bool rh_json_u64(struct rh_json_reader *r, uint64_t *out);
bool rh_json_bool(struct rh_json_reader *r, bool *out);
/* Any value, checked and skipped. */
bool rh_json_skip(struct rh_json_reader *r);

/*
 * Object members one by one: call with *first true before the first; it
 * returns true with *key (unescaped, in scratch) when there is another
 * member, whose value comes next; false at "}" or on error (r->err).
 */
bool rh_json_next_key(struct rh_json_reader *r, bool *first, const char **key);
/* Array elements one by one: as rh_json_next_key, without a key. */
bool rh_json_next_element(struct rh_json_reader *r, bool *first);

/* size bytes from scratch aligned for pointers, or NULL (ETOOBIG set). */
void *rh_json_alloc(struct rh_json_reader *r, size_t size);

#endif /* RH_MEMBERSHIP_JSON_H */
