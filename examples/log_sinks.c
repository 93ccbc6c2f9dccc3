// SPDX-License-Identifier: Apache-2.0
/*
 * log_sinks: where the library's log goes.
 *
 * Every event is a level, a fixed message ("peer became active", etcd's
 * text where etcd logs the same event) and key/value fields (zap's keys as
 * etcd uses them, the first always "local-member-id"). By default each
 * event is one text line on stderr. Set cfg.log (and cfg.log_user_data) to
 * route them; cfg.log_level drops the events below it before any sink.
 *
 * The log callback is called from any transport thread, possibly with the
 * transport's lock held: it must return quickly and must not call
 * rafthttp_* functions, except rafthttp_log_format, which turns an event
 * into one line of text or JSON. Repeated events are merged before they
 * get here (the merged one has a "repeated" field).
 *
 * Three sinks, chosen by the first argument:
 *   ./log_sinks json [FILE]  JSON lines (zap's shape, as etcd --logger=zap
 *                            writes them) by rafthttp_log_format, appended
 *                            to FILE or written to stdout;
 *   ./log_sinks syslog       syslog(3), the level mapped to LOG_DEBUG,
 *                            LOG_INFO, LOG_WARNING or LOG_ERR and the
 *                            fields appended as key=value;
 *   ./log_sinks stderr       no callback: the built-in stderr sink, with
 *                            cfg.log_format = RAFTHTTP_LOG_JSON.
 * To have events to show, two members on 127.0.0.1 (port 0) peer, wait
 * (bounded) until each sees the other, and stop. The program exits 0 when
 * that worked and the chosen callback got events.
 *
 * Build and run against an installed rafthttp (see README.md here):
 *   cc -pthread log_sinks.c $(pkg-config --cflags --libs rafthttp) \
 *     -o log_sinks
 *   ./log_sinks json
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include <rafthttp.h>

#define CLUSTER_ID 0x1000
#define WAIT_SECONDS 10

struct sink {
    FILE *out;         /* the json sink's file */
    atomic_int events; /* how many events the callback got */
};

/* (a) JSON lines. One fprintf per line: stdio locks the FILE for the
 * call, so lines from several threads never interleave. */
static void json_sink(enum rafthttp_log_level level, const char *msg,
                      const struct rafthttp_log_field *fields, size_t n_fields,
                      void *user_data)
{
    struct sink *s = user_data;
    char line[1024];
    size_t len = rafthttp_log_format(RAFTHTTP_LOG_JSON, level, msg, fields,
                                     n_fields, line, sizeof(line));
    if (len < sizeof(line)) {
        fprintf(s->out, "%s\n", line);
    } else { /* cut: a cut JSON line would not parse, so make room */
        char *whole = malloc(len + 64); /* + the stamp's growth, if any */
        if (whole != NULL) {
            rafthttp_log_format(RAFTHTTP_LOG_JSON, level, msg, fields, n_fields,
                                whole, len + 64);
            fprintf(s->out, "%s\n", whole);
            free(whole);
        }
    }
    atomic_fetch_add(&s->events, 1);
}

static int syslog_priority(enum rafthttp_log_level level)
{
    switch (level) {
    case RAFTHTTP_LOG_DEBUG:
        return LOG_DEBUG;
    case RAFTHTTP_LOG_INFO:
        return LOG_INFO;
    case RAFTHTTP_LOG_WARN:
        return LOG_WARNING;
    default:
        return LOG_ERR;
    }
}

/* (b) syslog: the message, then key=value (quoted when it has a space).
 * syslog(3) stamps the line and is safe from several threads; it may block
 * while the syslog daemon is slow, so an application that logs much at
 * DEBUG would hand lines to a thread of its own instead. */
static void syslog_sink(enum rafthttp_log_level level, const char *msg,
                        const struct rafthttp_log_field *fields,
                        size_t n_fields, void *user_data)
{
    struct sink *s = user_data;
    char text[1024];
    size_t used = (size_t)snprintf(text, sizeof(text), "%s", msg);
    for (size_t i = 0; i < n_fields && used < sizeof(text); i++) {
        const char *v = fields[i].value;
        bool quote = *v == '\0' || strchr(v, ' ') != NULL;
        used +=
            (size_t)snprintf(text + used, sizeof(text) - used,
                             quote ? " %s=\"%s\"" : " %s=%s", fields[i].key, v);
    }
    syslog(syslog_priority(level), "%s", text);
    atomic_fetch_add(&s->events, 1);
}

/* ------------------------------------------------ members to log about */

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int active_links;

static void on_peer_status(struct rafthttp_transport *t, uint64_t peer,
                           bool active, const char *reason, void *user_data)
{
    (void)t;
    (void)peer;
    (void)reason;
    (void)user_data;
    pthread_mutex_lock(&mu);
    active_links += active ? 1 : -1;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
}

static const struct rafthttp_raft_ops ops = {.peer_status_changed =
                                                 on_peer_status};

/* Waits until both members see each other (realtime clock: the static
 * condition variable keeps the default one). */
static bool both_active(void)
{
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += WAIT_SECONDS;
    pthread_mutex_lock(&mu);
    int rv = 0;
    while (active_links < 2 && rv != ETIMEDOUT) {
        rv = pthread_cond_timedwait(&cv, &mu, &deadline);
    }
    bool up = active_links >= 2;
    pthread_mutex_unlock(&mu);
    if (!up) {
        fprintf(stderr, "log_sinks: peers not active after %d s\n",
                WAIT_SECONDS);
    }
    return up;
}

static int fail(const char *what, int rv)
{
    fprintf(stderr, "log_sinks: %s: %s: %s\n", what, rafthttp_strerror(rv),
            rafthttp_transport_errmsg(NULL));
    return rv;
}

/* log NULL: the built-in stderr sink, in JSON. */
static int start_member(struct rafthttp_transport **t, uint64_t id,
                        rafthttp_log_fn log, struct sink *sink)
{
    static const char *const listen[] = {"http://127.0.0.1:0"};
    struct rafthttp_config cfg;
    rafthttp_config_init(&cfg);
    cfg.local_id = id;
    cfg.cluster_id = CLUSTER_ID;
    cfg.listen_urls = listen;
    cfg.n_listen_urls = 1;
    cfg.raft_ops = &ops;
    cfg.log = log;
    cfg.log_user_data = sink;
    cfg.log_level = RAFTHTTP_LOG_INFO;  /* the default; DEBUG says more */
    cfg.log_format = RAFTHTTP_LOG_JSON; /* used by the built-in sink only */
    int rv = rafthttp_transport_new(t, &cfg);
    if (rv != 0) {
        return fail("transport_new", rv);
    }
    rv = rafthttp_transport_start(*t);
    return rv != 0 ? fail("transport_start", rv) : 0;
}

static int add_peer(struct rafthttp_transport *t, uint64_t id,
                    struct rafthttp_transport *peer)
{
    char url[64];
    snprintf(url, sizeof(url), "http://127.0.0.1:%u",
             rafthttp_transport_listen_port(peer, 0));
    const char *urls[] = {url};
    int rv = rafthttp_transport_add_peer(t, id, urls, 1);
    return rv != 0 ? fail("add_peer", rv) : 0;
}

static bool run(rafthttp_log_fn log, struct sink *sink)
{
    struct rafthttp_transport *t[2] = {NULL, NULL};
    bool ok = start_member(&t[0], 1, log, sink) == 0 &&
              start_member(&t[1], 2, log, sink) == 0 &&
              add_peer(t[0], 2, t[1]) == 0 && add_peer(t[1], 1, t[0]) == 0 &&
              both_active();
    rafthttp_transport_free(t[0]); /* stop, then free: more events */
    rafthttp_transport_free(t[1]);
    return ok;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "json";
    struct sink sink = {.out = stdout};
    rafthttp_log_fn log = NULL;
    if (strcmp(mode, "json") == 0) {
        log = json_sink;
        if (argc > 2 && (sink.out = fopen(argv[2], "a")) == NULL) {
            fprintf(stderr, "log_sinks: %s: %s\n", argv[2], strerror(errno));
            return 1;
        }
    } else if (strcmp(mode, "syslog") == 0) {
        log = syslog_sink;
        openlog("log_sinks", LOG_PID, LOG_USER);
    } else if (strcmp(mode, "stderr") != 0) {
        fprintf(stderr, "usage: log_sinks [json [FILE] | syslog | stderr]\n");
        return 2;
    }
    bool ok = run(log, &sink);
    int events = atomic_load(&sink.events);
    if (log == syslog_sink) {
        closelog();
        printf("log_sinks: %d events sent to syslog (journalctl -t "
               "log_sinks, or /var/log/syslog)\n",
               events);
    }
    if (sink.out != stdout && fclose(sink.out) != 0) {
        fprintf(stderr, "log_sinks: %s: %s\n", argv[2], strerror(errno));
        ok = false;
    }
    if (log != NULL && events == 0) {
        fprintf(stderr, "log_sinks: the %s sink got no event\n", mode);
        ok = false;
    }
    return ok ? 0 : 1;
}
