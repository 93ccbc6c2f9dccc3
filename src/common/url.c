// SPDX-License-Identifier: Apache-2.0
/*
 * Peer URLs. etcd panics on a URL it cannot take (AddPeer, AddRemote, an
 * X-PeerURLs header from an unknown member), so every URL is checked here
 * before the transport keeps or sends it. Also the text of a socket
 * address, for logs ("127.0.0.1:2380", "[::1]:2380").
 */
#define _POSIX_C_SOURCE 200809L

#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "common.h"

static int parse_port(const char *p, unsigned *port)
{
    unsigned v = 0;
    if (*p == '\0') {
        return RAFTHTTP_EINVAL;
    }
    for (; *p != '\0'; p++) {
        if (*p < '0' || *p > '9') {
            return RAFTHTTP_EINVAL;
        }
        v = v * 10 + (unsigned)(*p - '0');
        if (v > 65535) {
            return RAFTHTTP_EINVAL;
        }
    }
    *port = v;
    return 0;
}

static int copy_host(struct rh_url *u, const char *p, size_t n)
{
    if (n == 0 || n >= sizeof(u->host)) {
        return RAFTHTTP_EINVAL;
    }
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (c == '/' || c == '@' || c == '?' || c == '#' || c == ' ' ||
            c == '[' || c == ']' || (unsigned char)c < 0x21) {
            return RAFTHTTP_EINVAL;
        }
    }
    memcpy(u->host, p, n);
    u->host[n] = '\0';
    return 0;
}

int rh_url_parse(const char *s, struct rh_url *u)
{
    if (s == NULL) {
        return RAFTHTTP_EINVAL;
    }
    const char *rest;
    if (strncmp(s, "http://", 7) == 0) {
        memcpy(u->scheme, "http", 5);
        rest = s + 7;
    } else if (strncmp(s, "https://", 8) == 0) {
        memcpy(u->scheme, "https", 6);
        rest = s + 8;
    } else {
        return RAFTHTTP_EINVAL;
    }
    const char *port;
    if (rest[0] == '[') { /* [v6]:port */
        const char *close = strchr(rest, ']');
        if (close == NULL || close[1] != ':' ||
            copy_host(u, rest + 1, (size_t)(close - rest - 1)) != 0) {
            return RAFTHTTP_EINVAL;
        }
        port = close + 2;
    } else {
        const char *colon = strrchr(rest, ':');
        if (colon == NULL || copy_host(u, rest, (size_t)(colon - rest)) != 0 ||
            strchr(u->host, ':') != NULL) {
            return RAFTHTTP_EINVAL;
        }
        port = colon + 1;
    }
    return parse_port(port, &u->port);
}

const char *rh_sockaddr_text(const struct sockaddr *sa, char *buf, size_t n)
{
    buf[0] = '\0';
    if (sa == NULL) {
        return buf;
    }
    socklen_t len = sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                              : sizeof(struct sockaddr_in);
    char host[64], port[8];
    if (getnameinfo(sa, len, host, sizeof(host), port, sizeof(port),
                    NI_NUMERICHOST | NI_NUMERICSERV) == 0) {
        snprintf(buf, n, sa->sa_family == AF_INET6 ? "[%s]:%s" : "%s:%s", host,
                 port);
    }
    return buf;
}
