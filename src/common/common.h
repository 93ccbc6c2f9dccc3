/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Internal helpers every module uses: the per-instance allocator, a capped
 * growable byte buffer, big-endian integers, strict semver parsing, URLs,
 * clocks, the logger, the lock with its debug checks, and the names of the
 * enums (one table each, in rafthttp.h or here).
 *
 * Threads: none of these keep state outside the objects passed in; an
 * object is used by one thread at a time, except the logger and the lock,
 * which are made for sharing.
 */
#ifndef RH_COMMON_H
#define RH_COMMON_H

#include <assert.h>
#include <pthread.h>
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
/* A copy of the NUL-terminated s, or NULL when out of memory. */
char *rh_strdup(const struct rafthttp_allocator *a, const char *s);

/* ------------------------------------------------------------------ locks */

/*
 * The library's locks in the only order a thread may take them (outermost
 * first): the transport lock, then a TLS context's, then the logger's, then
 * the TLS server registry's. Debug builds check the order on every lock and
 * let functions assert that the caller holds a lock (RH_ASSERT_HELD); in
 * release builds both checks compile away.
 */
enum rh_lock_rank {
    RH_LOCK_TRANSPORT = 1,   /* t->mu: peers, queues, mailboxes, I/O state */
    RH_LOCK_TLS = 2,         /* rh_tls.mu: certificates and trust list */
    RH_LOCK_LOG = 3,         /* rh_logger.mu: merge slots */
    RH_LOCK_TLS_REGISTRY = 4 /* the TLS server registry (a leaf) */
};

struct rh_mutex {
    pthread_mutex_t m;
    enum rh_lock_rank rank;
};

#define RH_MUTEX_INITIALIZER(rank)                                             \
    {                                                                          \
        PTHREAD_MUTEX_INITIALIZER, (rank)                                      \
    }

void rh_mutex_init(struct rh_mutex *mu, enum rh_lock_rank rank);
void rh_mutex_destroy(struct rh_mutex *mu);

#ifdef NDEBUG
static inline void rh_mutex_lock(struct rh_mutex *mu)
{
    pthread_mutex_lock(&mu->m);
}
static inline void rh_mutex_unlock(struct rh_mutex *mu)
{
    pthread_mutex_unlock(&mu->m);
}
static inline void rh_cond_wait(pthread_cond_t *cv, struct rh_mutex *mu)
{
    pthread_cond_wait(cv, &mu->m);
}
#define RH_ASSERT_HELD(mu) ((void)(mu))
#else
/* Debug builds: track the locks each thread holds (mutex.c). */
void rh_mutex_lock(struct rh_mutex *mu);
void rh_mutex_unlock(struct rh_mutex *mu);
void rh_cond_wait(pthread_cond_t *cv, struct rh_mutex *mu);
/* True if the calling thread holds mu. */
bool rh_mutex_held(const struct rh_mutex *mu);
#define RH_ASSERT_HELD(mu) assert(rh_mutex_held(mu))
#endif

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
    char scheme[8]; /* "http" or "https" */
    char host[256]; /* without brackets */
    unsigned port;
};

/* Returns 0 or RAFTHTTP_EINVAL. */
int rh_url_parse(const char *s, struct rh_url *u);

/* "ip:port" ("[ip]:port" for IPv6) of a socket address; "" if none. */
struct sockaddr;
const char *rh_sockaddr_text(const struct sockaddr *sa, char *buf, size_t n);

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

/* One merge slot: an event's key and what was held back of it. */
struct rh_log_slot {
    uint64_t key;     /* hash of message and fields, 0 when free */
    int64_t since_ms; /* when this key was last written out */
    unsigned merged;  /* events suppressed since then */
};

/* The transport's logger (log.c). Thread-safe. */
struct rh_logger {
    rafthttp_log_fn fn; /* NULL: the built-in stderr sink */
    void *ud;
    enum rafthttp_log_level level;
    enum rafthttp_log_format format;   /* the built-in sink's */
    int64_t merge_ms;                  /* RH_LOG_MERGE_MS; tests shorten it */
    char local_id[RAFTHTTP_ID_STRLEN]; /* every event's local-member-id */
    struct rh_mutex mu;                /* guards slots */
    struct rh_log_slot slots[RH_LOG_MERGE_SLOTS];
};

/* "DEBUG", "INFO", "WARN" or "ERROR" (anything above is ERROR). */
const char *rh_log_level_name(enum rafthttp_log_level level);

void rh_logger_init(struct rh_logger *lg, rafthttp_log_fn fn, void *ud,
                    enum rafthttp_log_level level,
                    enum rafthttp_log_format format, uint64_t local_id);
void rh_logger_close(struct rh_logger *lg);

/*
 * Logs msg with fields (borrowed), after local-member-id. Use the rh_log
 * macro: rh_log(lg, RAFTHTTP_LOG_WARN, "peer became inactive",
 * RH_F("peer-id", id), RH_F("error", why)).
 */
void rh_log_kv(struct rh_logger *lg, enum rafthttp_log_level level,
               const char *msg, const struct rafthttp_log_field *fields,
               size_t n);

#define RH_F(key, value)                                                       \
    {                                                                          \
        (key), (value)                                                         \
    }
#define rh_log(lg, level, msg, ...)                                            \
    rh_log_kv((lg), (level), (msg),                                            \
              (const struct rafthttp_log_field[]){__VA_ARGS__},                \
              sizeof((const struct rafthttp_log_field[]){__VA_ARGS__}) /       \
                  sizeof(struct rafthttp_log_field))

/* printf into buf, returning buf: a number or a text for a log field. */
char *rh_fmt(char *buf, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* -------------------------------------------------------------- answers */

/*
 * An HTTP answer decided without the network (request checks, the
 * pipeline's and the snapshot receiver's rules); the server adapter writes
 * it out. Status 0 means "no answer yet: go on". A function that decides a
 * refusal fills one and returns false; statuses never travel where a
 * library error code is expected.
 */
struct rh_verdict {
    int status;        /* HTTP status, or 0 */
    const char *body;  /* etcd's body, without http.Error's newline */
    const char *allow; /* the Allow header of a 405, else NULL */
    bool json;         /* body is JSON (etcd's 403), not http.Error text */
    bool close;        /* Connection: close (etcd aborts the connection) */
};

/* Fills *v with an http.Error answer; returns false, for "refused". */
static inline bool rh_refuse(struct rh_verdict *v, int status, const char *body)
{
    *v = (struct rh_verdict){.status = status, .body = body};
    return false;
}

/* --------------------------------------------------------------- config */

/*
 * Copies a checked config (its size within this library's struct) into a
 * full one: the fields a smaller, older struct lacks keep their defaults.
 */
void rh_config_copy(struct rafthttp_config *out,
                    const struct rafthttp_config *cfg);

/*
 * The calling thread's last error from a call that has no transport to
 * keep it (rafthttp_transport_errmsg(NULL)).
 */
const char *rh_thread_errmsg(void);
void rh_thread_errmsg_set(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/* ---------------------------------------------------------------- names */

/*
 * The names of rafthttp.h's tables: etcd's MessageType name ("MsgApp") or
 * NULL for a value outside the table; a drop reason's metrics label or
 * NULL.
 */
const char *rh_msg_type_name(int32_t type);
const char *rh_drop_reason_name(int reason);

/* -------------------------------------------------------------- threads */

/*
 * Names the calling thread "rh-<role>-<member id in hex>" (cut to Linux's
 * 15 characters), so top, perf and the benchmark can tell a transport's
 * threads apart. Best effort.
 */
void rh_thread_name(uint64_t member, const char *role);

#endif /* RH_COMMON_H */
