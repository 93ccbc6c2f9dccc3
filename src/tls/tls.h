/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tls: TLS between peers (see struct rafthttp_tls in rafthttp.h). The
 * server side is libmicrohttpd's TLS (GnuTLS): tls_server.c gives it our
 * certificate through a callback (so a certificate replaced on disk is
 * picked up by the next handshake) and checks each client's certificate
 * before its first request is served. The client side is libcurl's
 * OpenSSL: tls_client.c sets a transfer's options and checks that the
 * server's certificate names the member we dial (bind_member_id).
 *
 * Threads: rh_tls_new and rh_tls_free run on the thread that creates and
 * frees the transport; everything else may run on the I/O thread or a
 * snapshot sender's thread at once, so the reloadable state (server
 * certificate generations, trust list) is guarded by rh_tls.mu.
 *
 * Ownership: rh_tls owns copies of the configuration's strings, every
 * server certificate generation it loaded (kept until rh_tls_free, since a
 * handshake in progress may still use an older one) and its trust list.
 */
#ifndef RH_TLS_H
#define RH_TLS_H

#include <curl/curl.h>
#include <microhttpd.h>

#include "../common/common.h"

struct rh_tls;

/*
 * Copies cfg and loads the certificate, key and trust list once, so a
 * wrong path fails here. Returns 0 or RAFTHTTP_EINVAL (why in err).
 */
int rh_tls_new(const struct rafthttp_allocator *a,
               const struct rafthttp_tls *cfg, struct rh_logger *log,
               struct rh_tls **out, char *err, size_t errlen);
void rh_tls_free(struct rh_tls *tls);

/* ------------------------------------------------------- tls_server.c */

/*
 * The libmicrohttpd options of a TLS daemon, MHD_OPTION_END-terminated, in
 * items (at least RH_TLS_MHD_OPTIONS long). The strings live in tls.
 */
#define RH_TLS_MHD_OPTIONS 4
void rh_tls_mhd_options(struct rh_tls *tls, struct MHD_OptionItem *items);
/* The daemon on this local port serves with tls's certificate. */
int rh_tls_server_register(struct rh_tls *tls, unsigned port);
void rh_tls_server_unregister(unsigned port);

/* What the client's certificate says, once checked. */
struct rh_tls_peer {
    bool checked;       /* the checks below ran */
    const char *failed; /* NULL, or the check that failed (static text) */
    char detail[160];   /* about the failure, for the log */
    uint64_t member;    /* the member it names; 0: none (bind_member_id) */
};

/* Checks the client certificate of connection c (a TLS connection). */
void rh_tls_check_client(struct rh_tls *tls, struct MHD_Connection *c,
                         struct rh_tls_peer *out);

/* -------------------------------------------------------- tls_admit.c */

/*
 * Whether connection c may be served: on a TLS listener, its client
 * certificate passes the checks (once per connection), and with
 * bind_member_id it names claimed, the member the request speaks for (0:
 * none claimed). A refusal is logged with the check that failed; the
 * caller closes the connection. A plain listener admits everything.
 */
bool rh_tls_admit(struct rh_tls *tls, struct MHD_Connection *c,
                  uint64_t claimed);

/* ------------------------------------------------------- tls_client.c */

/* Where a transfer's check of the server's certificate finds its target. */
struct rh_tls_bind {
    struct rh_tls *tls;
    uint64_t member; /* the member we dial */
};

/* Sets the TLS options of a transfer to an https URL. 0 or an error. */
int rh_tls_client_setup(struct rh_tls *tls, CURL *easy,
                        struct rh_tls_bind *bind, long connect_ms);

/* -------------------------------------------------------------- tls.c */

bool rh_tls_binds_member(const struct rh_tls *tls);

/*
 * The member a certificate names: a URI SAN "urn:rafthttp:member:<hex>" or
 * a common name that is a member ID in hex. Returns 0 when it names none.
 */
uint64_t rh_tls_member_of_uri(const char *uri, size_t len);
uint64_t rh_tls_member_of_cn(const char *cn, size_t len);

#endif /* RH_TLS_H */
