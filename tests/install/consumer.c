// SPDX-License-Identifier: Apache-2.0
/*
 * A program built against an installed rafthttp, as an application is:
 * two transports on 127.0.0.1 (port 0), each the other's peer; member 1
 * sends a MsgHeartbeat to member 2 and the program exits 0 once member 2's
 * process() has it, 1 if it does not arrive within WAIT_MS.
 *
 * Only the basic public API: config_init, transport_new/start/listen_port/
 * add_peer/send/stop/free and the process op.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include <rafthttp.h>

#define WAIT_MS 10000
#define RESEND_MS 200
#define CLUSTER_ID 0x1000
#define HEARTBEAT_TERM 7

static atomic_int received;

static int process(struct rafthttp_transport *t,
                   const struct rafthttp_message *m, void *ud)
{
    (void)t;
    uint64_t self = *(const uint64_t *)ud;
    if (self == 2 && m->type == RAFTHTTP_MSG_HEARTBEAT && m->from == 1 &&
        m->to == 2 && m->term == HEARTBEAT_TERM) {
        atomic_store(&received, 1);
    }
    return 0;
}

static const struct rafthttp_raft_ops ops = {.process = process};

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int start(struct rafthttp_transport **t, const uint64_t *id)
{
    const char *listen[] = {"http://127.0.0.1:0"};
    struct rafthttp_config cfg;
    rafthttp_config_init(&cfg);
    cfg.local_id = *id;
    cfg.cluster_id = CLUSTER_ID;
    cfg.listen_urls = listen;
    cfg.n_listen_urls = 1;
    cfg.raft_ops = &ops;
    cfg.raft_user_data = (void *)id;
    int rv = rafthttp_transport_new(t, &cfg);
    if (rv != 0) {
        fprintf(stderr, "consumer: transport_new %llu: %d\n",
                (unsigned long long)*id, rv);
        return rv;
    }
    rv = rafthttp_transport_start(*t);
    if (rv != 0) {
        fprintf(stderr, "consumer: transport_start %llu: %d\n",
                (unsigned long long)*id, rv);
        return rv;
    }
    if (rafthttp_transport_listen_port(*t, 0) == 0) {
        fprintf(stderr, "consumer: member %llu is not listening\n",
                (unsigned long long)*id);
        return -1;
    }
    return 0;
}

static int add_peer(struct rafthttp_transport *t, uint64_t id,
                    struct rafthttp_transport *peer)
{
    char url[64];
    snprintf(url, sizeof(url), "http://127.0.0.1:%u",
             rafthttp_transport_listen_port(peer, 0));
    const char *urls[] = {url};
    int rv = rafthttp_transport_add_peer(t, id, urls, 1);
    if (rv != 0) {
        fprintf(stderr, "consumer: add_peer %llu (%s): %d\n",
                (unsigned long long)id, url, rv);
    }
    return rv;
}

int main(void)
{
    static const uint64_t ids[2] = {1, 2};
    struct rafthttp_transport *t[2] = {NULL, NULL};
    int status = 1;
    if (start(&t[0], &ids[0]) != 0 || start(&t[1], &ids[1]) != 0 ||
        add_peer(t[0], 2, t[1]) != 0 || add_peer(t[1], 1, t[0]) != 0) {
        goto out;
    }
    /* Resent until it arrives: the first may precede the streams. */
    const struct rafthttp_message beat = {.type = RAFTHTTP_MSG_HEARTBEAT,
                                          .from = 1,
                                          .to = 2,
                                          .term = HEARTBEAT_TERM};
    for (long waited = 0; waited <= WAIT_MS; waited += 10) {
        if (atomic_load(&received)) {
            status = 0;
            break;
        }
        if (waited % RESEND_MS == 0 &&
            rafthttp_transport_send(t[0], &beat, 1) != 0) {
            fprintf(stderr, "consumer: send failed\n");
            goto out;
        }
        sleep_ms(10);
    }
    if (status == 0) {
        printf("consumer: member 2 received MsgHeartbeat from member 1\n");
    } else {
        fprintf(stderr, "consumer: no MsgHeartbeat at member 2 after %d ms\n",
                WAIT_MS);
    }
out:
    for (int i = 0; i < 2; i++) {
        if (t[i] != NULL) {
            rafthttp_transport_stop(t[i]);
            rafthttp_transport_free(t[i]);
        }
    }
    return status;
}
