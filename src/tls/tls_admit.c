// SPDX-License-Identifier: Apache-2.0
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
#include "tls_impl.h"

static const char *remote_addr(struct MHD_Connection *c, char *buf, size_t n)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    return rh_sockaddr_text(info != NULL ? info->client_addr : NULL, buf, n);
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
               RH_F("remote-addr", remote_addr(c, addr, sizeof(addr))),
               RH_F("check", peer->failed), RH_F("detail", peer->detail));
        return false;
    }
    if (!tls->bind_member_id || claimed == 0 || claimed == peer->member) {
        return true;
    }
    char a[RAFTHTTP_ID_STRLEN], b[RAFTHTTP_ID_STRLEN];
    rh_log(tls->log, RAFTHTTP_LOG_WARN,
           "TLS: refusing a request for another member than its certificate",
           RH_F("remote-addr", remote_addr(c, addr, sizeof(addr))),
           RH_F("check", "certificate member"),
           RH_F("claimed", rafthttp_id_format(claimed, a)),
           RH_F("named", rafthttp_id_format(peer->member, b)));
    return false;
}
