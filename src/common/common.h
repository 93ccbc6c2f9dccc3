/*
 * Internal helpers every module uses: the per-instance allocator, a capped
 * growable byte buffer, big-endian integers, and strict semver parsing.
 *
 * Threads: none of these keep state outside the objects passed in; an object
 * is used by one thread at a time.
 */
#ifndef RH_COMMON_H
#define RH_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rafthttp.h"

/* ------------------------------------------------------------ allocation */

/* All allocation in the library goes through these (alloc.c). */
void *rh_malloc(const struct rafthttp_allocator *a, size_t size);
void *rh_calloc(const struct rafthttp_allocator *a, size_t n, size_t size);
void *rh_realloc(const struct rafthttp_allocator *a, void *ptr, size_t size);
void rh_free(const struct rafthttp_allocator *a, void *ptr);

/* ----------------------------------------------------------------- rh_buf */

/*
 * A growable byte buffer with a hard limit set at init, like curl's dynbuf:
 * growing past the limit fails with RAFTHTTP_ETOOBIG and changes nothing.
 * The buffer owns data; rh_buf_close frees it.
 */
struct rh_buf {
    uint8_t *data;                          /* NULL until the first growth */
    size_t len;                             /* bytes in use */
    size_t cap;                             /* bytes allocated */
    size_t limit;                           /* len never exceeds this */
    const struct rafthttp_allocator *alloc; /* borrowed */
};

void rh_buf_init(struct rh_buf *b, const struct rafthttp_allocator *a,
                 size_t limit);
void rh_buf_close(struct rh_buf *b);
/* Makes room for extra more bytes. 0, RAFTHTTP_ETOOBIG or RAFTHTTP_ENOMEM. */
int rh_buf_reserve(struct rh_buf *b, size_t extra);
int rh_buf_append(struct rh_buf *b, const void *p, size_t n);
/*
 * Appends n > 0 uninitialised bytes and returns them; NULL when n is 0 or
 * reserve fails.
 */
uint8_t *rh_buf_extend(struct rh_buf *b, size_t n);
/* Forgets the contents and keeps the memory. */
void rh_buf_reset(struct rh_buf *b);

/* -------------------------------------------------------------- big-endian */

static inline void rh_put_be64(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--) {
        p[i] = (uint8_t)(v & 0xff);
        v >>= 8;
    }
}

static inline uint64_t rh_get_be64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) {
        v = (v << 8) | p[i];
    }
    return v;
}

/*
 * Collects a BE64 that may arrive split across feeds. Returns true once all
 * eight bytes are in (then *value is set); advances *p and *n past what it
 * took.
 */
struct rh_be64_reader {
    uint8_t bytes[8];
    size_t have;
};

bool rh_be64_read(struct rh_be64_reader *r, const uint8_t **p, size_t *n,
                  uint64_t *value);

/* ----------------------------------------------------------------- semver */

/*
 * A version as etcd's go-semver parses it: "MAJOR.MINOR.PATCH" with an
 * optional "-pre-release" and "+metadata" made of dot-separated, non-empty
 * [0-9A-Za-z-] identifiers (an empty pre-release or metadata is allowed, as
 * in Go). Numbers are decimal digits.
 */
struct rh_semver {
    int64_t major;
    int64_t minor;
    int64_t patch;
};

/* Returns 0 or RAFTHTTP_EINVAL. s is NUL-terminated. */
int rh_semver_parse(const char *s, struct rh_semver *v);

/* Compares major.minor only, as etcd's compareMajorMinorVersion: -1, 0, 1. */
int rh_semver_cmp_major_minor(const struct rh_semver *a,
                              const struct rh_semver *b);

/* ------------------------------------------------------------------- URLs */

/*
 * A peer URL as etcd's types.NewURLs accepts it: scheme http or https,
 * "host:port" (an IPv6 host in brackets), nothing after the port.
 */
struct rh_url {
    char scheme[8];  /* "http" or "https" */
    char host[256];  /* without brackets */
    unsigned port;
};

/* Returns 0 or RAFTHTTP_EINVAL. */
int rh_url_parse(const char *s, struct rh_url *u);

/* ------------------------------------------------------------------ time */

/* Monotonic milliseconds, for timers and timeouts. */
int64_t rh_now_ms(void);
/* Monotonic nanoseconds, for short durations. */
int64_t rh_now_ns(void);
/* Wall-clock Unix milliseconds, for what users read (active since). */
int64_t rh_wall_ms(void);

/* A small xorshift generator for jitter; not for anything secret. */
uint64_t rh_rand_next(uint64_t *state);

/* --------------------------------------------------------------- logging */

#define RH_LOG_MERGE_SLOTS 32

/*
 * The transport's logger. Identical events (same message and fields)
 * within RH_LOG_MERGE_MS of the first are merged into one line that says
 * how many were suppressed, as etcd's merge logger does, so a dead peer
 * cannot flood the log. Thread-safe; the user's function is called without
 * any lock held.
 */
struct rh_log_slot {
    uint64_t key;      /* hash of message and fields, 0 when free */
    int64_t since_ms;  /* when this key was last written out */
    unsigned merged;   /* events suppressed since then */
};

struct rh_logger {
    rafthttp_log_fn fn;          /* NULL: stderr */
    void *ud;
    enum rafthttp_log_level level;
    void *mu;                    /* pthread mutex (log.c) */
    struct rh_log_slot slots[RH_LOG_MERGE_SLOTS];
};

int rh_logger_init(struct rh_logger *lg, const struct rafthttp_allocator *a,
                   rafthttp_log_fn fn, void *ud,
                   enum rafthttp_log_level level);
void rh_logger_close(struct rh_logger *lg, const struct rafthttp_allocator *a);

/* Logs msg with printf-style fields ("peer=%s reason=%s"). */
void rh_log(struct rh_logger *lg, enum rafthttp_log_level level,
            const char *msg, const char *fields_fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif /* RH_COMMON_H */
