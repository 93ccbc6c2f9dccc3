// SPDX-License-Identifier: Apache-2.0
/*
 * The --send-snapshot upload of rafthttp-node (see snap_sender.h).
 *
 * The callbacks stay short: progress only records the count under the
 * mutex and, at most every SNAP_PRINT_MS, prints one line after letting it
 * go; done records the end, closes the file and prints the result.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "options.h"
#include "snap_sender.h"

#define SNAP_PRINT_MS 500 /* at most one progress line per this */

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int node_snap_sender_init(struct snap_sender *s)
{
    memset(s, 0, sizeof(*s));
    s->fd = -1;
    s->state = SNAP_NONE;
    return pthread_mutex_init(&s->mu, NULL) == 0 ? 0 : -1;
}

int node_snap_sender_open(struct snap_sender *s, uint64_t to, const char *path)
{
    struct stat sb;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        fprintf(stderr, PROG ": --send-snapshot: cannot open %s: %s\n", path,
                strerror(errno));
        return -1;
    }
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        fprintf(stderr, PROG ": --send-snapshot: %s: not a regular file\n",
                path);
        close(fd);
        return -1;
    }
    s->to = to;
    s->size = (uint64_t)sb.st_size;
    s->fd = fd;
    s->state = SNAP_READY;
    return 0;
}

bool node_snap_sender_ready(struct snap_sender *s)
{
    pthread_mutex_lock(&s->mu);
    bool ready = s->state == SNAP_READY;
    pthread_mutex_unlock(&s->mu);
    return ready;
}

/* The "snapshot sent" line. */
static void print_result(uint64_t to, int result, uint64_t bytes, int64_t ms)
{
    char id[RAFTHTTP_ID_STRLEN];
    char res[96];
    double seconds = (double)ms / 1000.0;
    double mbps = seconds > 0 ? (double)bytes / 1e6 / seconds : 0.0;
    if (result == 0) {
        snprintf(res, sizeof(res), "ok");
    } else {
        snprintf(res, sizeof(res), "\"%s\"", rafthttp_strerror(result));
    }
    printf("snapshot sent to=%s result=%s bytes=%" PRIu64
           " seconds=%.3f mbps=%.2f\n",
           rafthttp_id_format(to, id), res, bytes, seconds, mbps);
    fflush(stdout);
}

/* Sender thread: note the count; print it now and then. */
static void on_progress(uint64_t sent, uint64_t total, void *ud)
{
    struct snap_sender *s = ud;
    char id[RAFTHTTP_ID_STRLEN];
    int64_t now = now_ms();
    pthread_mutex_lock(&s->mu);
    s->sent = sent;
    bool print = !s->printed || now - s->last_print_ms >= SNAP_PRINT_MS;
    if (print) {
        s->printed = true;
        s->last_print_ms = now;
    }
    pthread_mutex_unlock(&s->mu);
    if (!print) {
        return;
    }
    unsigned pct =
        total > 0 ? (unsigned)((double)sent * 100.0 / (double)total) : 100u;
    printf("snapshot progress to=%s sent=%" PRIu64 " total=%" PRIu64
           " pct=%u\n",
           rafthttp_id_format(s->to, id), sent, total, pct);
    fflush(stdout);
}

/* Delivery thread: the upload is over; the file is ours again. */
static void on_done(int result, void *ud)
{
    struct snap_sender *s = ud;
    pthread_mutex_lock(&s->mu);
    uint64_t bytes = result == 0 ? s->size : s->sent;
    int64_t ms = now_ms() - s->start_ms;
    s->state = SNAP_DONE;
    if (s->fd >= 0) {
        close(s->fd);
        s->fd = -1;
    }
    pthread_mutex_unlock(&s->mu);
    print_result(s->to, result, bytes, ms);
}

int node_snap_sender_start(struct snap_sender *s, struct rafthttp_transport *t,
                           const struct rafthttp_message *m)
{
    struct rafthttp_snapshot_source src;
    memset(&src, 0, sizeof(src));
    src.read = NULL; /* read src.fd */
    src.done = on_done;
    src.progress = on_progress;
    src.user_data = s;
    pthread_mutex_lock(&s->mu);
    src.fd = s->fd;
    src.size = s->size;
    s->state = SNAP_SENDING; /* done may come before the call returns */
    s->start_ms = now_ms();
    pthread_mutex_unlock(&s->mu);
    int rv = rafthttp_transport_send_snapshot(t, m, &src);
    if (rv == 0) {
        return 0;
    }
    pthread_mutex_lock(&s->mu); /* refused: no callback will come */
    s->state = SNAP_DONE;
    close(s->fd);
    s->fd = -1;
    pthread_mutex_unlock(&s->mu);
    print_result(s->to, rv, 0, 0);
    return rv;
}

void node_snap_sender_finish(struct snap_sender *s)
{
    char id[RAFTHTTP_ID_STRLEN];
    if (node_snap_sender_ready(s)) {
        printf("snapshot unsent to=%s reason=\"peer never became active\"\n",
               rafthttp_id_format(s->to, id));
        fflush(stdout);
    }
}

void node_snap_sender_close(struct snap_sender *s)
{
    if (s->fd >= 0) {
        close(s->fd);
        s->fd = -1;
    }
    pthread_mutex_destroy(&s->mu);
}
