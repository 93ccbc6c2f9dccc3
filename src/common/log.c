/*
 * The transport's logger: level filter, merging of repeated events, and a
 * default sink that writes one line per event to stderr:
 *   2026-11-25T14:01:39.990Z WARN peer became inactive peer=2 reason=...
 */
#define _POSIX_C_SOURCE 200809L

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common.h"

/* Identical events within this window are merged into one line. */
#define RH_LOG_MERGE_MS 5000

static const char *const level_names[] = {[RAFTHTTP_LOG_DEBUG] = "DEBUG",
                                          [RAFTHTTP_LOG_INFO] = "INFO",
                                          [RAFTHTTP_LOG_WARN] = "WARN",
                                          [RAFTHTTP_LOG_ERROR] = "ERROR"};

const char *rh_log_level_name(enum rafthttp_log_level level)
{
    return level_names[level <= RAFTHTTP_LOG_ERROR ? level
                                                   : RAFTHTTP_LOG_ERROR];
}

void rh_logger_init(struct rh_logger *lg, rafthttp_log_fn fn, void *ud,
                    enum rafthttp_log_level level)
{
    memset(lg, 0, sizeof(*lg));
    lg->fn = fn;
    lg->ud = ud;
    lg->level = level;
    rh_mutex_init(&lg->mu, RH_LOCK_LOG);
}

void rh_logger_close(struct rh_logger *lg)
{
    rh_mutex_destroy(&lg->mu);
}

static uint64_t hash_text(uint64_t h, const char *s)
{
    for (; *s != '\0'; s++) {
        h = (h ^ (uint8_t)*s) * 0x100000001b3u; /* FNV-1a */
    }
    return h;
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
            if (now - s->since_ms < RH_LOG_MERGE_MS) {
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

static void write_stderr(enum rafthttp_log_level level, const char *msg,
                         const char *fields)
{
    struct timespec ts;
    struct tm tm;
    char when[32];
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
    fprintf(stderr, "%s.%03ldZ %s %s%s%s\n", when, ts.tv_nsec / 1000000,
            rh_log_level_name(level), msg, fields[0] != '\0' ? " " : "",
            fields);
}

void rh_log(struct rh_logger *lg, enum rafthttp_log_level level,
            const char *msg, const char *fields_fmt, ...)
{
    if (level < lg->level) {
        return;
    }
    char fields[512];
    va_list ap;
    va_start(ap, fields_fmt);
    vsnprintf(fields, sizeof(fields), fields_fmt, ap);
    va_end(ap);
    uint64_t key = hash_text(hash_text(0xcbf29ce484222325u, msg), fields);
    unsigned merged = 0;
    rh_mutex_lock(&lg->mu);
    bool out = admit(lg, key, &merged);
    rh_mutex_unlock(&lg->mu);
    if (!out) {
        return;
    }
    if (merged > 0) {
        size_t len = strlen(fields);
        snprintf(fields + len, sizeof(fields) - len, "%srepeated=%u",
                 len > 0 ? " " : "", merged);
    }
    if (lg->fn != NULL) {
        lg->fn(level, msg, fields, lg->ud);
    } else {
        write_stderr(level, msg, fields);
    }
}
