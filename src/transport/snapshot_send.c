/*
 * Sending a snapshot (etcd's snapshotSender): POST /raft/snapshot with the
 * head (BE64 length + MsgSnap) and the database streamed from the
 * application's source, chunked, on a thread of its own with its own
 * libcurl handle, so reading a large source never stalls the I/O thread.
 *
 * Outcome: success only on 204. Exactly one report_snapshot (FINISH or
 * FAILURE) and one source done() follow every accepted snapshot, from a
 * delivery thread. Failure modes:
 * 1. connect error or any status but 204: the URL picker moves on, the peer
 *    goes inactive, report_unreachable; 403 also raises the critical error;
 * 2. the source fails, ends early ("short read") or has more than its
 *    declared size ("long read"): the upload is aborted without its final
 *    chunk, so the receiver never takes it as complete;
 * 3. no byte moves for snapshot_progress_timeout_ms, or no answer within
 *    snapshot_response_timeout_ms after the last byte: timed out. There is
 *    no deadline on the whole transfer (etcd's fixed 5 s limits trap large
 *    snapshots in resend loops);
 * 4. remove_peer or stop: cancelled within about a second.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "snapshot.h"

/* Bigger upload blocks than curl's 64 KiB default: fewer syscalls. */
#define UPLOAD_BUFFER_BYTES (1024L * 1024)

struct rh_snap_send {
    struct rafthttp_transport *t;
    struct rh_peer *peer;          /* a reference */
    struct rafthttp_snapshot_source src;
    int32_t to_type;
    struct rh_buf head;            /* BE64 length + MsgSnap */
    size_t head_off;               /* head bytes handed to curl */
    uint64_t db_sent;              /* database bytes handed to curl */
    bool db_done;                  /* all read, and the end seen */
    int fail;                      /* our own reason to fail, or 0 */
    const char *why;               /* its text */
    atomic_bool cancel;
    char url[512];
    struct rh_tls_bind bind;       /* https: the member we send to */
    int64_t started_ms;
    int64_t last_move_ms;          /* when bytes last moved */
    int64_t sent_all_ms;           /* when the last byte was handed over */
    curl_off_t last_ul;
    uint64_t reported;             /* db bytes last told to progress() */
    char err_body[128];
    size_t err_len;
};

void rh_snap_send_cancel(struct rh_snap_send *s)
{
    atomic_store(&s->cancel, true);
}

/* ------------------------------------------------------------ curl side */

static int64_t source_read(struct rh_snap_send *s, uint8_t *buf, size_t len)
{
    if (s->src.read != NULL) {
        return s->src.read(buf, len, s->src.user_data);
    }
    for (;;) {
        ssize_t n = read(s->src.fd, buf, len);
        if (n >= 0 || errno != EINTR) {
            return n;
        }
    }
}

static size_t abort_upload(struct rh_snap_send *s, int code, const char *why)
{
    s->fail = code;
    s->why = why;
    return CURL_READFUNC_ABORT;
}

/* After the declared size: the source must be at its end. */
static size_t check_end(struct rh_snap_send *s)
{
    uint8_t extra;
    int64_t n = source_read(s, &extra, 1);
    if (n < 0) {
        return abort_upload(s, RAFTHTTP_EIO, "source read failed");
    }
    if (n > 0) {
        return abort_upload(s, RAFTHTTP_EPROTO,
                            "source longer than its declared size");
    }
    s->db_done = true;
    s->sent_all_ms = rh_now_ms();
    return 0;
}

static size_t on_read(char *buf, size_t size, size_t nitems, void *ud)
{
    struct rh_snap_send *s = ud;
    size_t max = size * nitems;
    if (atomic_load(&s->cancel)) {
        return abort_upload(s, RAFTHTTP_ECANCELED, "cancelled");
    }
    size_t n = 0;
    if (s->head_off < s->head.len) {
        n = s->head.len - s->head_off < max ? s->head.len - s->head_off : max;
        memcpy(buf, s->head.data + s->head_off, n);
        s->head_off += n;
    }
    if (n == max || s->db_done) {
        return n;
    }
    uint64_t left = s->src.size - s->db_sent;
    if (left == 0) {
        return n > 0 ? n : check_end(s);
    }
    size_t want = max - n < left ? max - n : (size_t)left;
    int64_t got = source_read(s, (uint8_t *)buf + n, want);
    if (got < 0) {
        return abort_upload(s, RAFTHTTP_EIO, "source read failed");
    }
    if (got == 0) {
        return abort_upload(s, RAFTHTTP_EPROTO,
                            "source shorter than its declared size");
    }
    s->db_sent += (uint64_t)got;
    return n + (size_t)got;
}

static int on_progress(void *ud, curl_off_t dltotal, curl_off_t dlnow,
                       curl_off_t ultotal, curl_off_t ulnow)
{
    (void)dltotal;
    (void)dlnow;
    (void)ultotal;
    struct rh_snap_send *s = ud;
    const struct rafthttp_config *cfg = &s->t->cfg;
    int64_t now = rh_now_ms();
    if (atomic_load(&s->cancel)) {
        abort_upload(s, RAFTHTTP_ECANCELED, "cancelled");
        return 1;
    }
    if (ulnow != s->last_ul) {
        s->last_ul = ulnow;
        s->last_move_ms = now;
    }
    if (!s->db_done &&
        now - s->last_move_ms > (int64_t)cfg->snapshot_progress_timeout_ms) {
        abort_upload(s, RAFTHTTP_ETIMEDOUT, "no progress");
        return 1;
    }
    if (s->db_done && now - s->sent_all_ms >
                          (int64_t)cfg->snapshot_response_timeout_ms) {
        abort_upload(s, RAFTHTTP_ETIMEDOUT, "no answer after the upload");
        return 1;
    }
    if (s->src.progress != NULL && s->db_sent != s->reported) {
        s->reported = s->db_sent;
        s->src.progress(s->db_sent, s->src.size, s->src.user_data);
    }
    return 0;
}

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    struct rh_snap_send *s = ud;
    size_t len = size * n;
    size_t room = sizeof(s->err_body) - 1 - s->err_len;
    size_t take = len < room ? len : room;
    memcpy(s->err_body + s->err_len, p, take);
    s->err_len += take;
    s->err_body[s->err_len] = '\0';
    return len;
}

static CURL *new_easy(struct rh_snap_send *s, struct curl_slist *headers)
{
    char url[600];
    snprintf(url, sizeof(url), "%s/raft/snapshot", s->url);
    CURL *e = curl_easy_init();
    if (e == NULL) {
        return NULL;
    }
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    curl_easy_setopt(e, CURLOPT_POST, 1L);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(e, CURLOPT_READFUNCTION, on_read);
    curl_easy_setopt(e, CURLOPT_READDATA, s);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, s);
    curl_easy_setopt(e, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(e, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(e, CURLOPT_XFERINFODATA, s);
    curl_easy_setopt(e, CURLOPT_UPLOAD_BUFFERSIZE, UPLOAD_BUFFER_BYTES);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
                     (long)s->t->cfg.dial_timeout_ms);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
    if (rh_client_tls(s->t, e, url, &s->bind, s->peer->id) != 0) {
        curl_easy_cleanup(e); /* post() reports it like any failed dial */
        return NULL;
    }
    return e;
}

/* Runs the POST; returns 0 or why it failed, with *status. */
static int post(struct rh_snap_send *s, long *status)
{
    struct curl_slist *h = rh_client_headers(s->t, NULL);
    if (h != NULL) {
        h = curl_slist_append(h, "Content-Type: application/octet-stream");
    }
    if (h != NULL) {
        h = curl_slist_append(h, "Transfer-Encoding: chunked");
    }
    CURL *e = h != NULL ? new_easy(s, h) : NULL;
    if (e == NULL) {
        curl_slist_free_all(h);
        return RAFTHTTP_ENOMEM;
    }
    s->last_move_ms = rh_now_ms();
    CURLcode rc = curl_easy_perform(e);
    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, status);
    curl_easy_cleanup(e);
    curl_slist_free_all(h);
    if (s->fail != 0) {
        return s->fail;
    }
    if (rc != CURLE_OK) {
        s->why = curl_easy_strerror(rc);
        return rc == CURLE_OPERATION_TIMEDOUT ? RAFTHTTP_ETIMEDOUT
                                               : RAFTHTTP_EIO;
    }
    if (*status == 204) {
        return 0;
    }
    s->why = s->err_len > 0 ? s->err_body : "unexpected status";
    return *status == 403 ? RAFTHTTP_EREMOVED : RAFTHTTP_EIO;
}

/* ------------------------------------------------------------ outcome */

/* Reports the outcome, exactly once (t->mu held). */
static void report(struct rh_snap_send *s, int result, long status)
{
    struct rafthttp_transport *t = s->t;
    struct rh_peer *p = s->peer;
    p->metrics.snap_send_inflight--;
    if (result == 0) {
        p->metrics.snap_send_success++;
        p->metrics.sent_bytes += s->head.len + s->src.size;
        rh_histogram_observe(&p->metrics.snap_send_s,
                             (double)(rh_now_ms() - s->started_ms) / 1000.0);
    } else {
        p->metrics.snap_send_failures++;
        p->metrics.sent_failures++;
    }
    rh_deliver_report(t, RH_EV_SNAPSHOT, p->id,
                      result == 0 ? RAFTHTTP_SNAPSHOT_FINISH
                                  : RAFTHTTP_SNAPSHOT_FAILURE,
                      NULL);
    if (result == 0) {
        rh_mark_active(t, p, "sendMsgSnap");
        rh_log(&t->log, RAFTHTTP_LOG_INFO, "sent snapshot",
               "peer=%s bytes=%llu", p->id_str,
               (unsigned long long)s->src.size);
    } else {
        char why[200];
        snprintf(why, sizeof(why), "snapshot: %s (status %ld)",
                 s->why != NULL ? s->why : rafthttp_strerror(result), status);
        why[strcspn(why, "\n")] = '\0';
        rh_urlpick_unreachable(&p->picker, s->url);
        if (!p->removed && t->state == RH_STARTED) {
            rh_mark_inactive(t, p, "sendMsgSnap", why);
        }
        rh_deliver_report(t, RH_EV_UNREACHABLE, p->id, 0, NULL);
        if (status == 403) {
            rh_deliver_report(t, RH_EV_CRITICAL, p->id, RAFTHTTP_EREMOVED,
                              rh_removed_detail);
        }
    }
    struct rh_event *ev = rh_calloc(t->alloc, 1, sizeof(*ev));
    if (ev != NULL) {
        ev->kind = RH_EV_SNAP_DONE;
        ev->status = result;
        ev->done = s->src.done;
        ev->done_ud = s->src.user_data;
        rh_deliver_post(t, &t->control, ev);
    }
}

static void *sender_main(void *arg)
{
    struct rh_snap_send *s = arg;
    struct rafthttp_transport *t = s->t;
    long status = 0;
    rh_thread_name(t, "snaps");
    int result = post(s, &status);
    pthread_mutex_lock(&t->mu);
    report(s, result, status);
    if (s->peer->snap_send == s) {
        s->peer->snap_send = NULL;
    }
    rh_peer_unref(t, s->peer);
    rh_buf_close(&s->head);
    rh_free(t->alloc, s);
    /* Last: once the count drops, stop may free t. */
    t->snap_send_threads--;
    pthread_cond_broadcast(&t->snap_cv);
    pthread_mutex_unlock(&t->mu);
    return NULL;
}

/* ----------------------------------------------------------- public */

static bool source_valid(const struct rafthttp_snapshot_source *src)
{
    return src != NULL && (src->read != NULL || src->fd >= 0);
}

/* Builds the sender for p (t->mu held). */
static struct rh_snap_send *new_sender(struct rafthttp_transport *t,
                                       struct rh_peer *p,
                                       const struct rafthttp_message *m,
                                       const struct rafthttp_snapshot_source
                                           *src)
{
    struct rh_snap_send *s = rh_calloc(t->alloc, 1, sizeof(*s));
    if (s == NULL) {
        return NULL;
    }
    rh_buf_init(&s->head, t->alloc, SIZE_MAX);
    if (rh_snap_head_encode(t->alloc, m, &s->head) != 0) {
        rh_buf_close(&s->head);
        rh_free(t->alloc, s);
        return NULL;
    }
    s->t = t;
    s->peer = p;
    s->src = *src;
    atomic_init(&s->cancel, false);
    snprintf(s->url, sizeof(s->url), "%s", rh_urlpick_pick(&p->picker));
    return s;
}

static int start_sender(struct rafthttp_transport *t, struct rh_snap_send *s)
{
    pthread_t th;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    int rv = pthread_create(&th, &attr, sender_main, s);
    pthread_attr_destroy(&attr);
    if (rv != 0) {
        return RAFTHTTP_ENOMEM;
    }
    rh_peer_ref(s->peer);
    s->peer->snap_send = s;
    s->peer->metrics.snap_send_inflight++;
    s->started_ms = rh_now_ms();
    t->snap_send_threads++;
    return 0;
}

int rafthttp_transport_send_snapshot(struct rafthttp_transport *t,
                                     const struct rafthttp_message *m,
                                     const struct rafthttp_snapshot_source
                                         *src)
{
    if (t == NULL || t->magic != RH_TRANSPORT_MAGIC || m == NULL ||
        m->type != RAFTHTTP_MSG_SNAP || !source_valid(src)) {
        return RAFTHTTP_EINVAL;
    }
    pthread_mutex_lock(&t->mu);
    struct rh_peer *p = rh_find_peer(t, m->to);
    int rv = 0;
    if (t->state != RH_STARTED) {
        rv = RAFTHTTP_ESTOPPED;
    } else if (p == NULL || p->remote) {
        rv = RAFTHTTP_EPEER_NOT_FOUND;
    } else if (p->snap_send != NULL) {
        rv = RAFTHTTP_EAGAIN;
    }
    struct rh_snap_send *s = rv == 0 ? new_sender(t, p, m, src) : NULL;
    if (rv == 0 && s == NULL) {
        rv = RAFTHTTP_ENOMEM;
    }
    if (rv == 0 && start_sender(t, s) != 0) {
        rh_buf_close(&s->head);
        rh_free(t->alloc, s);
        rv = RAFTHTTP_ENOMEM;
    }
    pthread_mutex_unlock(&t->mu);
    return rv;
}
