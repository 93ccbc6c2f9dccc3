// SPDX-License-Identifier: Apache-2.0
/*
 * The transport's logger: level filter, merging of repeated events, the
 * fields every event carries, and the built-in sink that writes one line
 * per event to stderr in one of two formats (rafthttp_log_format):
 *   text: 2026-11-25T14:01:39.990Z WARN peer became active
 *         local-member-id=1 peer-id=2
 *   json: {"level":"warn","ts":"2026-11-25T14:01:39.990Z","msg":"peer
 *         became active","local-member-id":"1","peer-id":"2"}
 * Events carry key/value fields, with zap's key names as etcd logs them;
 * the first is always local-member-id, which the logger adds.
 *
 * Merging: identical events (same message and fields) within
 * RH_LOG_MERGE_MS of the first are held back and counted; the next one let
 * through carries "repeated" with the count, as etcd's merge logger does,
 * so a dead peer cannot flood the log.
 *
 * Threads: any thread logs; the merge slots are guarded by lg->mu, and the
 * user's function and the sink run after it is released.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common.h"

/* Identical events within this window are merged into one line. */
#define RH_LOG_MERGE_MS 5000
/* Fields an event may have, the logger's own included. */
#define MAX_FIELDS 24

static const char *const level_names[] = {[RAFTHTTP_LOG_DEBUG] = "DEBUG",
                                          [RAFTHTTP_LOG_INFO] = "INFO",
                                          [RAFTHTTP_LOG_WARN] = "WARN",
                                          [RAFTHTTP_LOG_ERROR] = "ERROR"};

static const char *const json_levels[] = {[RAFTHTTP_LOG_DEBUG] = "debug",
                                          [RAFTHTTP_LOG_INFO] = "info",
                                          [RAFTHTTP_LOG_WARN] = "warn",
                                          [RAFTHTTP_LOG_ERROR] = "error"};

static enum rafthttp_log_level clamp(enum rafthttp_log_level level)
{
    return level <= RAFTHTTP_LOG_ERROR ? level : RAFTHTTP_LOG_ERROR;
}

const char *rh_log_level_name(enum rafthttp_log_level level)
{
    return level_names[clamp(level)];
}

void rh_logger_init(struct rh_logger *lg, rafthttp_log_fn fn, void *ud,
                    enum rafthttp_log_level level,
                    enum rafthttp_log_format format, uint64_t local_id)
{
    memset(lg, 0, sizeof(*lg));
    lg->fn = fn;
    lg->ud = ud;
    lg->level = level;
    lg->format = format;
    lg->merge_ms = RH_LOG_MERGE_MS;
    rafthttp_id_format(local_id, lg->local_id);
    rh_mutex_init(&lg->mu, RH_LOCK_LOG);
}

void rh_logger_close(struct rh_logger *lg)
{
    rh_mutex_destroy(&lg->mu);
}

char *rh_fmt(char *buf, size_t len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, len, fmt, ap);
    va_end(ap);
    return buf;
}

/* ----------------------------------------------------------- formats */

/* Appends to a line, counting what did not fit. */
struct line {
    char *buf;
    size_t cap;
    size_t len; /* of the whole line, which may pass cap */
};

static void put_n(struct line *l, const char *s, size_t n)
{
    if (l->len < l->cap) {
        size_t room = l->cap - l->len;
        memcpy(l->buf + l->len, s, n < room ? n : room);
    }
    l->len += n;
}

static void put(struct line *l, const char *s)
{
    put_n(l, s, strlen(s));
}

static void put_json_string(struct line *l, const char *s)
{
    put(l, "\"");
    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;
        char esc[8];
        if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)c;
            put_n(l, esc, 2);
        } else if (c < 0x20) {
            snprintf(esc, sizeof(esc), "\\u%04x", c);
            put(l, esc);
        } else {
            put_n(l, (const char *)&c, 1);
        }
    }
    put(l, "\"");
}

/* A text value needs quotes when empty or holding a space, ", \ or =. */
static bool needs_quotes(const char *s)
{
    return s[0] == '\0' || strpbrk(s, " \"\\=\t\n") != NULL;
}

static void put_text_value(struct line *l, const char *s)
{
    if (!needs_quotes(s)) {
        put(l, s);
        return;
    }
    put(l, "\"");
    for (; *s != '\0'; s++) {
        if (*s == '"' || *s == '\\') {
            put(l, "\\");
        }
        put_n(l, *s == '\n' ? " " : s, 1);
    }
    put(l, "\"");
}

static void timestamp(char *buf, size_t len)
{
    struct timespec ts;
    struct tm tm;
    char when[32];
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf, len, "%s.%03ldZ", when, ts.tv_nsec / 1000000);
}

size_t rafthttp_log_format(enum rafthttp_log_format format,
                           enum rafthttp_log_level level, const char *msg,
                           const struct rafthttp_log_field *fields,
                           size_t n_fields, char *buf, size_t cap)
{
    struct line l = {buf, cap, 0};
    char ts[48];
    timestamp(ts, sizeof(ts));
    level = clamp(level);
    msg = msg != NULL ? msg : "";
    if (format == RAFTHTTP_LOG_JSON) {
        put(&l, "{\"level\":\"");
        put(&l, json_levels[level]);
        put(&l, "\",\"ts\":\"");
        put(&l, ts);
        put(&l, "\",\"msg\":");
        put_json_string(&l, msg);
    } else {
        put(&l, ts);
        put(&l, " ");
        put(&l, level_names[level]);
        put(&l, " ");
        put(&l, msg);
    }
    for (size_t i = 0; fields != NULL && i < n_fields; i++) {
        const char *key = fields[i].key != NULL ? fields[i].key : "";
        const char *value = fields[i].value != NULL ? fields[i].value : "";
        if (format == RAFTHTTP_LOG_JSON) {
            put(&l, ",");
            put_json_string(&l, key);
            put(&l, ":");
            put_json_string(&l, value);
        } else {
            put(&l, " ");
            put(&l, key);
            put(&l, "=");
            put_text_value(&l, value);
        }
    }
    if (format == RAFTHTTP_LOG_JSON) {
        put(&l, "}");
    }
    if (cap > 0) {
        buf[l.len < cap ? l.len : cap - 1] = '\0';
    }
    return l.len;
}

/* ----------------------------------------------------------- merging */

static uint64_t hash_text(uint64_t h, const char *s)
{
    for (; s != NULL && *s != '\0'; s++) {
        h = (h ^ (uint8_t)*s) * 0x100000001b3u; /* FNV-1a */
    }
    return (h ^ 0xff) * 0x100000001b3u; /* keeps "a" "bc" from "ab" "c" */
}

static uint64_t event_key(const char *msg, const struct rafthttp_log_field *f,
                          size_t n)
{
    uint64_t h = hash_text(0xcbf29ce484222325u, msg);
    for (size_t i = 0; i < n; i++) {
        h = hash_text(hash_text(h, f[i].key), f[i].value);
    }
    return h != 0 ? h : 1;
}

/*
 * Decides whether an event goes out; *merged gets how many identical ones
 * were held back before it.
 */
static bool admit(struct rh_logger *lg, uint64_t key, unsigned *merged)
{
    int64_t now = rh_now_ms();
    struct rh_log_slot *oldest = &lg->slots[0];
    for (size_t i = 0; i < RH_LOG_MERGE_SLOTS; i++) {
        struct rh_log_slot *s = &lg->slots[i];
        if (s->key == key) {
            if (now - s->since_ms < lg->merge_ms) {
                s->merged++;
                return false;
            }
            *merged = s->merged;
            s->merged = 0;
            s->since_ms = now;
            return true;
        }
        if (s->since_ms < oldest->since_ms) {
            oldest = s;
        }
    }
    oldest->key = key;
    oldest->since_ms = now;
    oldest->merged = 0;
    *merged = 0;
    return true;
}

/*
 * One line on stderr, whole: a line longer than the stack buffer is
 * formatted again into one of its size (a cut JSON line would not parse),
 * and only if that allocation fails is it cut, marked with "...".
 */
static void write_stderr(const struct rh_logger *lg,
                         enum rafthttp_log_level level, const char *msg,
                         const struct rafthttp_log_field *f, size_t n)
{
    char line[2048];
    size_t len =
        rafthttp_log_format(lg->format, level, msg, f, n, line, sizeof(line));
    char *big = len >= sizeof(line) ? rh_malloc(NULL, len + 1) : NULL;
    if (big != NULL) {
        rafthttp_log_format(lg->format, level, msg, f, n, big, len + 1);
    }
    fprintf(stderr, "%s%s\n", big != NULL ? big : line,
            len >= sizeof(line) && big == NULL ? "..." : "");
    rh_free(NULL, big);
}

void rh_log_kv(struct rh_logger *lg, enum rafthttp_log_level level,
               const char *msg, const struct rafthttp_log_field *fields,
               size_t n)
{
    if (level < lg->level) {
        return;
    }
    struct rafthttp_log_field all[MAX_FIELDS];
    size_t k = 0;
    all[k++] = (struct rafthttp_log_field){"local-member-id", lg->local_id};
    for (size_t i = 0; i < n && k < MAX_FIELDS - 1; i++) {
        all[k++] = fields[i];
    }
    unsigned merged = 0;
    uint64_t key = event_key(msg, all, k);
    rh_mutex_lock(&lg->mu);
    bool out = admit(lg, key, &merged);
    rh_mutex_unlock(&lg->mu);
    if (!out) {
        return;
    }
    char count[24];
    if (merged > 0) {
        all[k++] = (struct rafthttp_log_field){
            "repeated", rh_fmt(count, sizeof(count), "%u", merged)};
    }
    if (lg->fn != NULL) {
        lg->fn(level, msg, all, k, lg->ud);
    } else {
        write_stderr(lg, level, msg, all, k);
    }
}
