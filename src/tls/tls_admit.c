/*
 * TLS admission: the server's decision, before a connection's first
 * request is served, whether its client may speak to us at all. The
 * certificate checks (tls_server.c) run once per connection and their
 * result is kept in the connection's socket context (struct rh_tls_peer,
 * allocated by the server when the connection starts). With
 * bind_member_id, each request must also speak for the member the
 * certificate names: a stream dial's path, or X-Server-From.
 *
 * Failure modes: a failed check or a request for another member is
 * refused (false) and logged with the remote address and the check; the
 * server closes the connection without an answer, as Go's TLS server does
 * after a failed handshake.
 */
#define _POSIX_C_SOURCE 200809L

#include <netdb.h>
#include <stdio.h>
#include <sys/socket.h>

#include "tls_impl.h"

static const char *remote_addr(struct MHD_Connection *c, char *buf, size_t n)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    buf[0] = '\0';
    if (info != NULL && info->client_addr != NULL) {
        const struct sockaddr *sa = info->client_addr;
        socklen_t len = sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                                  : sizeof(struct sockaddr_in);
        char host[64], port[8];
        if (getnameinfo(sa, len, host, sizeof(host), port, sizeof(port),
                        NI_NUMERICHOST | NI_NUMERICSERV) == 0) {
            snprintf(buf, n, "%s:%s", host, port);
        }
    }
    return buf;
}

bool rh_tls_admit(struct rh_tls *tls, struct MHD_Connection *c,
                  uint64_t claimed)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    struct rh_tls_peer *peer = info != NULL ? info->socket_context : NULL;
    const union MHD_ConnectionInfo *session =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
    if (peer == NULL || session == NULL || session->tls_session == NULL) {
        return true; /* a plain http listener */
    }
    char addr[96];
    if (!peer->checked) {
        rh_tls_check_client(tls, c, peer);
    }
    if (peer->failed != NULL) {
        rh_log(tls->log, RAFTHTTP_LOG_WARN, "TLS: refusing a peer connection",
               "remote=%s check=\"%s\" detail=\"%s\"",
               remote_addr(c, addr, sizeof(addr)), peer->failed, peer->detail);
        return false;
    }
    if (!tls->bind_member_id || claimed == 0 || claimed == peer->member) {
        return true;
    }
    rh_log(tls->log, RAFTHTTP_LOG_WARN,
           "TLS: refusing a request for another member than its certificate",
           "remote=%s check=\"certificate member\" claimed=%llx named=%llx",
           remote_addr(c, addr, sizeof(addr)), (unsigned long long)claimed,
           (unsigned long long)peer->member);
    return false;
}
