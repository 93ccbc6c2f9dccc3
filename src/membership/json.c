// SPDX-License-Identifier: Apache-2.0
/*
 * A small JSON writer and reader with Go's encoding/json behaviour, for
 * etcd's member JSON; json.h says exactly which behaviour.
 *
 * The reader is a recursive descent over the text with one byte of
 * lookahead. Every function checks bounds before it reads, stops at the
 * first error and records what it expected and where, so that a caller's
 * message can point at the byte ("at byte 17: expected a string"). Depth
 * is bounded, so hostile nesting cannot exhaust the stack.
 */
#include <string.h>

#include "json.h"

/* ------------------------------------------------------------- UTF-8 */

/*
 * Go's utf8.DecodeRune: the rune at p and its length, or (0xfffd, 1) for
 * an invalid or truncated sequence, overlong forms and surrogates
 * included.
 */
static uint32_t decode_rune(const unsigned char *p, size_t n, size_t *size)
{
    *size = 1;
    uint32_t c = p[0];
    size_t need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 0;
    if (c < 0x80) {
        return c;
    }
    if (need == 0 || c > 0xf4 || c < 0xc2 || n < need) {
        return 0xfffd;
    }
    uint32_t r = c & (0x7f >> need);
    for (size_t i = 1; i < need; i++) {
        if ((p[i] & 0xc0) != 0x80) {
            return 0xfffd;
        }
        r = r << 6 | (p[i] & 0x3f);
    }
    static const uint32_t min[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (r < min[need] || r > 0x10ffff || (r >= 0xd800 && r <= 0xdfff)) {
        return 0xfffd;
    }
    *size = need;
    return r;
}

static size_t encode_rune(uint32_t r, char out[4])
{
    if (r < 0x80) {
        out[0] = (char)r;
        return 1;
    }
    if (r < 0x800) {
        out[0] = (char)(0xc0 | r >> 6);
        out[1] = (char)(0x80 | (r & 0x3f));
        return 2;
    }
    if (r < 0x10000) {
        out[0] = (char)(0xe0 | r >> 12);
        out[1] = (char)(0x80 | (r >> 6 & 0x3f));
        out[2] = (char)(0x80 | (r & 0x3f));
        return 3;
    }
    out[0] = (char)(0xf0 | r >> 18);
    out[1] = (char)(0x80 | (r >> 12 & 0x3f));
    out[2] = (char)(0x80 | (r >> 6 & 0x3f));
    out[3] = (char)(0x80 | (r & 0x3f));
    return 4;
}

/* ------------------------------------------------------------ writer */

/* The escape Go writes for an ASCII byte, or NULL when it goes as is. */
static const char *ascii_escape(unsigned char c, char buf[8])
{
    static const char hex[] = "0123456789abcdef";
    switch (c) {
    case '"':
        return "\\\"";
    case '\\':
        return "\\\\";
    case '\n':
        return "\\n";
    case '\r':
        return "\\r";
    case '\t':
        return "\\t";
    case '<':
    case '>':
    case '&':
        break;
    default:
        if (c >= 0x20) {
            return NULL;
        }
    }
    memcpy(buf, "\\u00", 4);
    buf[4] = hex[c >> 4];
    buf[5] = hex[c & 0xf];
    buf[6] = '\0';
    return buf;
}

void rh_json_put(struct rh_json_out *o, const char *s, size_t n)
{
    if (o->len < o->cap) {
        size_t room = o->cap - o->len;
        memcpy(o->buf + o->len, s, n < room ? n : room);
    }
    o->len += n;
}

void rh_json_put_string(struct rh_json_out *o, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s);
    rh_json_put(o, "\"", 1);
    for (size_t i = 0; i < n;) {
        char esc[8];
        const char *e = NULL;
        size_t size = 1;
        if (p[i] < 0x80) {
            e = ascii_escape(p[i], esc);
        } else {
            uint32_t r = decode_rune(p + i, n - i, &size);
            if (r == 0xfffd && size == 1) {
                e = "\\ufffd";
            } else if (r == 0x2028 || r == 0x2029) {
                e = r == 0x2028 ? "\\u2028" : "\\u2029";
            }
        }
        if (e != NULL) {
            rh_json_put(o, e, strlen(e));
        } else {
            rh_json_put(o, s + i, size);
        }
        i += size;
    }
    rh_json_put(o, "\"", 1);
}

/* ------------------------------------------------------------ reader */

void rh_json_reader_init(struct rh_json_reader *r, const char *text, size_t len,
                         void *scratch, size_t cap)
{
    memset(r, 0, sizeof(*r));
    r->p = text;
    r->start = text;
    r->end = text + len;
    r->scratch = scratch;
    r->cap = cap;
}

bool rh_json_fail(struct rh_json_reader *r, int err, const char *why)
{
    if (r->err == 0) {
        r->err = err;
        r->why = why;
        r->err_at = (size_t)(r->p - r->start);
    }
    return false;
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

char rh_json_peek(struct rh_json_reader *r)
{
    while (r->p < r->end && is_space(*r->p)) {
        r->p++;
    }
    return r->p < r->end ? *r->p : '\0';
}

bool rh_json_take(struct rh_json_reader *r, char c)
{
    if (r->err == 0 && rh_json_peek(r) == c && r->p < r->end) {
        r->p++;
        return true;
    }
    return false;
}

static bool take_word(struct rh_json_reader *r, const char *word)
{
    size_t n = strlen(word);
    rh_json_peek(r);
    if (r->err != 0 || (size_t)(r->end - r->p) < n ||
        memcmp(r->p, word, n) != 0) {
        return false;
    }
    r->p += n;
    return true;
}

bool rh_json_take_null(struct rh_json_reader *r)
{
    return take_word(r, "null");
}

bool rh_json_bool(struct rh_json_reader *r, bool *out)
{
    if (take_word(r, "true")) {
        *out = true;
        return true;
    }
    if (take_word(r, "false")) {
        *out = false;
        return true;
    }
    return rh_json_fail(r, RAFTHTTP_EPROTO, "expected true or false");
}

void *rh_json_alloc(struct rh_json_reader *r, size_t size)
{
    size_t align = _Alignof(void *);
    size_t at = (r->used + align - 1) / align * align;
    if (r->scratch == NULL || at > r->cap || size > r->cap - at) {
        rh_json_fail(r, RAFTHTTP_ETOOBIG, "scratch too small");
        return NULL;
    }
    r->used = at + size;
    return r->scratch + at;
}

/* Appends n bytes of a string being unescaped (out NULL: only checks). */
static bool put_bytes(struct rh_json_reader *r, bool keep, const char *s,
                      size_t n)
{
    if (!keep) {
        return true;
    }
    if (r->scratch == NULL || n > r->cap - r->used) {
        return rh_json_fail(r, RAFTHTTP_ETOOBIG, "scratch too small");
    }
    memcpy(r->scratch + r->used, s, n);
    r->used += n;
    return true;
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    c = (char)(c | 0x20);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Four hex digits after "\u"; -1 when malformed. */
static long read_hex4(struct rh_json_reader *r)
{
    if (r->end - r->p < 4) {
        return -1;
    }
    long v = 0;
    for (int i = 0; i < 4; i++) {
        int d = hex_value(r->p[i]);
        if (d < 0) {
            return -1;
        }
        v = v << 4 | d;
    }
    r->p += 4;
    return v;
}

/* "\uXXXX", joined with a following low surrogate when it is a high one. */
static bool unicode_escape(struct rh_json_reader *r, bool keep)
{
    long c = read_hex4(r);
    if (c < 0) {
        return rh_json_fail(r, RAFTHTTP_EPROTO, "expected four hex digits");
    }
    uint32_t rune = (uint32_t)c;
    if (c >= 0xd800 && c < 0xdc00 && r->end - r->p >= 6 && r->p[0] == '\\' &&
        r->p[1] == 'u') {
        const char *back = r->p;
        r->p += 2;
        long lo = read_hex4(r);
        if (lo >= 0xdc00 && lo < 0xe000) {
            rune = 0x10000 + (uint32_t)((c - 0xd800) << 10 | (lo - 0xdc00));
        } else {
            r->p = back; /* not a pair: the next escape stands alone */
        }
    }
    if (rune >= 0xd800 && rune < 0xe000) {
        rune = 0xfffd;
    }
    char utf8[4];
    return put_bytes(r, keep, utf8, encode_rune(rune, utf8));
}

static bool simple_escape(struct rh_json_reader *r, bool keep, char c)
{
    static const char from[] = "\"\\/bfnrt";
    static const char to[] = "\"\\/\b\f\n\r\t";
    const char *at = c != '\0' ? strchr(from, c) : NULL;
    if (at == NULL) {
        return rh_json_fail(r, RAFTHTTP_EPROTO, "expected an escape");
    }
    return put_bytes(r, keep, &to[at - from], 1);
}

/* One byte or escape of a string's body; false at the closing quote. */
static bool string_piece(struct rh_json_reader *r, bool keep)
{
    unsigned char c = (unsigned char)*r->p;
    if (c == '"') {
        r->p++;
        return false;
    }
    if (c < 0x20) {
        return rh_json_fail(r, RAFTHTTP_EPROTO, "control byte in a string");
    }
    if (c == '\\') {
        if (r->end - r->p < 2) {
            return rh_json_fail(r, RAFTHTTP_EPROTO, "unterminated string");
        }
        char e = r->p[1];
        r->p += 2;
        return e == 'u' ? unicode_escape(r, keep) : simple_escape(r, keep, e);
    }
    size_t size;
    uint32_t rune = decode_rune((const unsigned char *)r->p,
                                (size_t)(r->end - r->p), &size);
    const char *bytes = r->p;
    r->p += size;
    if (rune == 0xfffd && size == 1) { /* invalid UTF-8: U+FFFD, as Go */
        return put_bytes(r, keep, "\xef\xbf\xbd", 3);
    }
    return put_bytes(r, keep, bytes, size);
}

bool rh_json_string(struct rh_json_reader *r, const char **out)
{
    if (!rh_json_take(r, '"')) {
        return rh_json_fail(r, RAFTHTTP_EPROTO, "expected a string");
    }
    bool keep = out != NULL;
    size_t begin = r->used;
    for (;;) {
        if (r->p >= r->end) {
            return rh_json_fail(r, RAFTHTTP_EPROTO, "unterminated string");
        }
        if (!string_piece(r, keep)) {
            break;
        }
    }
    if (r->err != 0 || !put_bytes(r, keep, "", 1)) {
        return false;
    }
    if (keep) {
        *out = r->scratch + begin;
    }
    return true;
}

/* Go's number grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static bool scan_number(struct rh_json_reader *r, bool *integer)
{
    const char *p = r->p;
    const char *e = r->end;
    *integer = true;
    if (p < e && *p == '-') {
        p++;
        *integer = false; /* a uint64 takes no sign */
    }
    if (p >= e || *p < '0' || *p > '9') {
        return rh_json_fail(r, RAFTHTTP_EPROTO, "expected a number");
    }
    if (*p == '0') {
        p++;
    } else {
        while (p < e && *p >= '0' && *p <= '9') {
            p++;
        }
    }
    if (p < e && *p == '.') {
        *integer = false;
        if (++p >= e || *p < '0' || *p > '9') {
            return rh_json_fail(r, RAFTHTTP_EPROTO, "expected a digit");
        }
        while (p < e && *p >= '0' && *p <= '9') {
            p++;
        }
    }
    if (p < e && (*p == 'e' || *p == 'E')) {
        *integer = false;
        p++;
        if (p < e && (*p == '+' || *p == '-')) {
            p++;
        }
        if (p >= e || *p < '0' || *p > '9') {
            return rh_json_fail(r, RAFTHTTP_EPROTO, "expected a digit");
        }
        while (p < e && *p >= '0' && *p <= '9') {
            p++;
        }
    }
    r->p = p;
    return true;
}

bool rh_json_u64(struct rh_json_reader *r, uint64_t *out)
{
    rh_json_peek(r);
    const char *begin = r->p;
    bool integer;
    if (!scan_number(r, &integer)) {
        return false;
    }
    uint64_t v = 0;
    for (const char *p = begin; integer && p < r->p; p++) {
        unsigned d = (unsigned)(*p - '0');
        if (v > (UINT64_MAX - d) / 10) {
            integer = false; /* out of range */
        }
        v = v * 10 + d;
    }
    if (!integer) {
        r->p = begin;
        return rh_json_fail(r, RAFTHTTP_EPROTO,
                            "expected an unsigned 64-bit integer");
    }
    *out = v;
    return true;
}

static bool skip_nested(struct rh_json_reader *r, int depth);

static bool skip_container(struct rh_json_reader *r, int depth, bool object)
{
    if (depth >= RH_JSON_MAX_DEPTH) {
        return rh_json_fail(r, RAFTHTTP_EPROTO, "nested too deep");
    }
    bool first = true;
    const char *key;
    while (object ? rh_json_next_key(r, &first, &key)
                  : rh_json_next_element(r, &first)) {
        if (!skip_nested(r, depth + 1)) {
            return false;
        }
    }
    return r->err == 0;
}

static bool skip_nested(struct rh_json_reader *r, int depth)
{
    char c = rh_json_peek(r);
    if (c == '"') {
        return rh_json_string(r, NULL);
    }
    if (c == '{' || c == '[') {
        return skip_container(r, depth, c == '{');
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
        bool integer;
        return scan_number(r, &integer);
    }
    bool b;
    return rh_json_take_null(r) || rh_json_bool(r, &b);
}

bool rh_json_skip(struct rh_json_reader *r)
{
    return skip_nested(r, 0);
}

/* The opening bracket, or the comma between items; false at the close. */
static bool next_item(struct rh_json_reader *r, bool *first, char open,
                      char close)
{
    if (*first) {
        *first = false;
        if (!rh_json_take(r, open)) {
            return rh_json_fail(r, RAFTHTTP_EPROTO,
                                open == '{' ? "expected an object"
                                            : "expected an array");
        }
        return !rh_json_take(r, close);
    }
    if (rh_json_take(r, close)) {
        return false;
    }
    if (!rh_json_take(r, ',')) {
        return rh_json_fail(r, RAFTHTTP_EPROTO,
                            close == '}' ? "expected , or }"
                                         : "expected , or ]");
    }
    return true;
}

bool rh_json_next_key(struct rh_json_reader *r, bool *first, const char **key)
{
    if (!next_item(r, first, '{', '}')) {
        return false;
    }
    size_t mark = r->used;
    if (!rh_json_string(r, key)) {
        return false;
    }
    r->used = mark; /* keys are read before the next string overwrites */
    if (!rh_json_take(r, ':')) {
        return rh_json_fail(r, RAFTHTTP_EPROTO, "expected :");
    }
    return true;
}

bool rh_json_next_element(struct rh_json_reader *r, bool *first)
{
    return next_item(r, first, '[', ']');
}
