// SPDX-License-Identifier: Apache-2.0
/*
 * Sending a snapshot (etcd's snapshotSender): POST /raft/snapshot on a
 * thread of its own with its own libcurl easy handle, so reading a large
 * source never stalls the I/O thread. What to send and when to give up is
 * snapshot/'s (the upload's rules, called from libcurl's read and progress
 * callbacks); what the end means for the peer, and the two reports, are
 * the peer driver's (reserved when the snapshot was accepted, posted when
 * it ends).
 *
 * Outcome: exactly one report_snapshot (FINISH or FAILURE) and one source
 * done() follow every accepted snapshot, from a delivery thread, whatever
 * happens: success, an HTTP error, a timeout, a bad source, a failed
 * allocation after acceptance (nothing is allocated then), remove_peer or
 * stop (cancelled within about a second; stop waits for it).
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <string.h>

#include "io.h"

/* Bigger upload blocks than curl's 64 KiB default: fewer syscalls. */
#define UPLOAD_BUFFER_BYTES (1024L * 1024)

struct rh_snap_client {
    struct rafthttp_transport *t;
    struct rh_peer *peer;         /* the peer driver's reference */
    struct rh_snap_upload up;     /* snapshot/'s rules */
    struct rh_snap_ticket ticket; /* the two reports, reserved */
    char url[512];                /* the picked base URL */
    struct rh_tls_bind bind;      /* https: the member we send to */
};

/* ------------------------------------------------------------ curl side */

static size_t on_read(char *buf, size_t size, size_t nitems, void *ud)
{
    struct rh_snap_client *s = ud;
    size_t n =
        rh_snap_upload_read(&s->up, (uint8_t *)buf, size * nitems, rh_now_ms());
    return n == RH_SNAP_UPLOAD_ABORT ? CURL_READFUNC_ABORT : n;
}

static int on_progress(void *ud, curl_off_t dltotal, curl_off_t dlnow,
                       curl_off_t ultotal, curl_off_t ulnow)
{
    (void)dltotal;
    (void)dlnow;
    (void)ultotal;
    struct rh_snap_client *s = ud;
    return rh_snap_upload_progress(&s->up, (uint64_t)ulnow, rh_now_ms()) ? 0
                                                                         : 1;
}

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    struct rh_snap_client *s = ud;
    rh_snap_upload_answer(&s->up, p, size * n);
    return size * n;
}

static CURL *new_easy(struct rh_snap_client *s, struct curl_slist *headers)
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

/* Runs the POST; returns 0 or why it failed, with *why and *status. */
static int post(struct rh_snap_client *s, const char **why, long *status)
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
        *why = "cannot set up the request";
        return RAFTHTTP_ENOMEM;
    }
    CURLcode rc = curl_easy_perform(e);
    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, status);
    curl_easy_cleanup(e);
    curl_slist_free_all(h);
    struct rh_snap_end end = {.transfer_ok = rc == CURLE_OK,
                              .timed_out = rc == CURLE_OPERATION_TIMEDOUT,
                              .error = curl_easy_strerror(rc),
                              .status = *status};
    return rh_snap_upload_result(&s->up, &end, why);
}

static void *sender_main(void *arg)
{
    struct rh_snap_client *s = arg;
    struct rafthttp_transport *t = s->t;
    long status = 0;
    const char *why = NULL;
    rh_thread_name(t->local.id, "snaps");
    int result = post(s, &why, &status);
    rh_mutex_lock(&t->mu);
    rh_peer_snapshot_end(&t->peers, s->peer, &s->up, &s->ticket, result, why,
                         status, s->url);
    rh_snap_upload_close(&s->up);
    rh_free(t->alloc, s);
    /* Last: once the count drops, stop may free t. */
    t->snap_send_threads--;
    pthread_cond_broadcast(&t->snap_cv);
    rh_mutex_unlock(&t->mu);
    return NULL;
}

/* ---------------------------------------------------------------- start */

static int start_thread(struct rh_snap_client *s)
{
    pthread_t th;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    int rv = pthread_create(&th, &attr, sender_main, s);
    pthread_attr_destroy(&attr);
    return rv == 0 ? 0 : RAFTHTTP_ENOMEM;
}

int rh_snap_client_start(struct rafthttp_transport *t, struct rh_peer *p,
                         const struct rafthttp_message *m,
                         const struct rafthttp_snapshot_source *src)
{
    RH_ASSERT_HELD(&t->mu);
    if (p->snap != NULL) {
        return RAFTHTTP_EBUSY;
    }
    struct rh_snap_client *s = rh_calloc(t->alloc, 1, sizeof(*s));
    if (s == NULL) {
        return RAFTHTTP_ENOMEM;
    }
    s->t = t;
    s->peer = p;
    snprintf(s->url, sizeof(s->url), "%s", rh_urlpick_pick(&p->picker));
    int rv =
        rh_snap_upload_init(&s->up, t->alloc, &t->cfg, m, src, rh_now_ms());
    if (rv != 0) {
        rh_free(t->alloc, s);
        return rv;
    }
    rv = rh_peer_snapshot_begin(&t->peers, p, &s->up, &s->ticket);
    if (rv == 0) {
        rv = start_thread(s);
        if (rv != 0) {
            rh_peer_snapshot_abandon(&t->peers, p, &s->up, &s->ticket);
        }
    }
    if (rv != 0) {
        rh_snap_upload_close(&s->up);
        rh_free(t->alloc, s);
        return rv;
    }
    t->snap_send_threads++;
    return 0;
}
