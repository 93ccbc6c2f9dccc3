// SPDX-License-Identifier: Apache-2.0
/*
 * The server side of peer TLS, on libmicrohttpd's GnuTLS.
 *
 * Our certificate: libmicrohttpd asks cert_callback at every handshake.
 * GnuTLS gives the callback no user pointer, so the daemon is found by the
 * accepted socket's local port in a process-wide registry (one entry per
 * listening daemon; ports are unique per process).
 *
 * The client's certificate: libmicrohttpd only asks for one (it is given
 * the trusted CAs as text); rh_tls_check_client verifies the chain against
 * our own trust list (reloaded when the files change), then the checks
 * etcd makes (client use, allowed CN, allowed hostname) and names the
 * member it binds to. The caller refuses the connection when a check fails.
 *
 * Failure modes: an unknown port or no certificate loaded fails the
 * handshake (GnuTLS error, logged by libmicrohttpd); every failed check
 * comes back as a static text naming it, with details.
 */
#define _POSIX_C_SOURCE 200809L

#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "tls_impl.h"

#define MAX_DAEMONS 64
#define MAX_CHAIN 16

static struct rh_mutex registry_mu = RH_MUTEX_INITIALIZER(RH_LOCK_TLS_REGISTRY);
static struct {
    unsigned port;
    struct rh_tls *tls;
} registry[MAX_DAEMONS];

int rh_tls_server_register(struct rh_tls *tls, unsigned port)
{
    int rv = RAFTHTTP_ENOMEM;
    rh_mutex_lock(&registry_mu);
    for (size_t i = 0; i < MAX_DAEMONS; i++) {
        if (registry[i].tls == NULL) {
            registry[i].port = port;
            registry[i].tls = tls;
            rv = 0;
            break;
        }
    }
    rh_mutex_unlock(&registry_mu);
    return rv;
}

void rh_tls_server_unregister(unsigned port)
{
    rh_mutex_lock(&registry_mu);
    for (size_t i = 0; i < MAX_DAEMONS; i++) {
        if (registry[i].tls != NULL && registry[i].port == port) {
            registry[i].tls = NULL;
        }
    }
    rh_mutex_unlock(&registry_mu);
}

static unsigned local_port(gnutls_session_t s)
{
    int rfd = -1, wfd = -1;
    gnutls_transport_get_int2(s, &rfd, &wfd);
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    if (rfd < 0 || getsockname(rfd, (struct sockaddr *)&ss, &len) != 0) {
        return 0;
    }
    if (ss.ss_family == AF_INET) {
        return ntohs(((struct sockaddr_in *)&ss)->sin_port);
    }
    if (ss.ss_family == AF_INET6) {
        return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    }
    return 0;
}

static struct rh_tls *tls_of_port(unsigned port)
{
    struct rh_tls *tls = NULL;
    rh_mutex_lock(&registry_mu);
    for (size_t i = 0; i < MAX_DAEMONS && tls == NULL; i++) {
        if (registry[i].tls != NULL && registry[i].port == port) {
            tls = registry[i].tls;
        }
    }
    rh_mutex_unlock(&registry_mu);
    return tls;
}

static int cert_callback(gnutls_session_t s, const gnutls_datum_t *req_ca,
                         int nreqs, const gnutls_pk_algorithm_t *pk_algos,
                         int pk_algos_length, gnutls_pcert_st **pcert,
                         unsigned int *pcert_length, gnutls_privkey_t *key)
{
    (void)req_ca;
    (void)nreqs;
    (void)pk_algos;
    (void)pk_algos_length;
    struct rh_tls *tls = tls_of_port(local_port(s));
    if (tls == NULL) {
        return -1;
    }
    rh_mutex_lock(&tls->mu);
    rh_tls_refresh(tls, false);
    struct rh_tls_gen *g = tls->gen;
    *pcert = g->pcerts;
    *pcert_length = g->n_pcerts;
    *key = g->key;
    rh_mutex_unlock(&tls->mu);
    return 0;
}

void rh_tls_mhd_options(struct rh_tls *tls, struct MHD_OptionItem *items)
{
    size_t n = 0;
    items[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_CERT_CALLBACK, 0,
                                         (void *)cert_callback};
    items[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_PRIORITIES, 0,
                                         tls->priorities};
    if (tls->trust_pem != NULL) {
        items[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_TRUST, 0,
                                             tls->trust_pem};
    }
    items[n] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
}

static void fail(struct rh_tls_peer *out, const char *check, const char *detail)
{
    out->failed = check;
    snprintf(out->detail, sizeof(out->detail), "%s", detail);
}

/* Why GnuTLS's verification failed, in the words of the failed check. */
static const char *chain_failure(unsigned status)
{
    if (status & GNUTLS_CERT_EXPIRED) {
        return "client certificate expired";
    }
    if (status & GNUTLS_CERT_NOT_ACTIVATED) {
        return "client certificate not yet valid";
    }
    if (status & (GNUTLS_CERT_SIGNER_NOT_FOUND | GNUTLS_CERT_SIGNER_NOT_CA)) {
        return "client certificate not signed by a trusted CA";
    }
    if (status & GNUTLS_CERT_PURPOSE_MISMATCH) {
        return "client certificate not for client authentication";
    }
    return "client certificate invalid";
}

/* The chain against the trust list, for client use (mu held). */
static bool verify_chain(struct rh_tls *tls, gnutls_x509_crt_t *crts,
                         unsigned n, struct rh_tls_peer *out)
{
    gnutls_typed_vdata_st purpose = {GNUTLS_DT_KEY_PURPOSE_OID,
                                     (unsigned char *)GNUTLS_KP_TLS_WWW_CLIENT,
                                     0};
    unsigned status = 0;
    int rv = gnutls_x509_trust_list_verify_crt2(tls->trust, crts, n, &purpose,
                                                1, 0, &status, NULL);
    if (rv < 0 || status != 0) {
        gnutls_datum_t text = {NULL, 0};
        gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509,
                                                     &text, 0);
        fail(out, chain_failure(status),
             rv < 0              ? gnutls_strerror(rv)
             : text.data != NULL ? (const char *)text.data
                                 : "");
        gnutls_free(text.data);
        return false;
    }
    return true;
}

/* The leaf's common name, "" when it has none. */
static void common_name(gnutls_x509_crt_t leaf, char *cn, size_t n)
{
    size_t len = n;
    if (gnutls_x509_crt_get_dn_by_oid(leaf, GNUTLS_OID_X520_COMMON_NAME, 0, 0,
                                      cn, &len) < 0) {
        cn[0] = '\0';
    }
}

/*
 * The leaf's i-th subject alternative name into san (NUL-terminated, *len
 * bytes); returns its GNUTLS_SAN_* type, 0 for one too long to be of
 * interest, or < 0 past the last one.
 */
static int san_at(gnutls_x509_crt_t leaf, int i, char san[256], size_t *len)
{
    *len = 255;
    int type =
        gnutls_x509_crt_get_subject_alt_name(leaf, (unsigned)i, san, len, NULL);
    if (type == GNUTLS_E_SHORT_MEMORY_BUFFER) {
        type = 0; /* longer than any name we match: skipped, not the end */
    }
    san[type > 0 ? *len : 0] = '\0';
    *len = type > 0 ? *len : 0;
    return type;
}

/* The member the leaf names: a URI SAN first, then the common name. */
static uint64_t named_member(gnutls_x509_crt_t leaf, const char *cn)
{
    char san[256];
    size_t len;
    for (int i = 0, type; (type = san_at(leaf, i, san, &len)) >= 0; i++) {
        if (type == GNUTLS_SAN_URI) {
            uint64_t id = rh_tls_member_of_uri(san, len);
            if (id != 0) {
                return id;
            }
        }
    }
    return rh_tls_member_of_cn(cn, strlen(cn));
}

/* The raw address bytes of sa (4 or 16), for gnutls_x509_crt_check_ip. */
static size_t addr_bytes(const struct sockaddr *sa, const unsigned char **ip)
{
    if (sa->sa_family == AF_INET) {
        *ip =
            (const unsigned char *)&((const struct sockaddr_in *)sa)->sin_addr;
        return 4;
    }
    if (sa->sa_family == AF_INET6) {
        *ip = (const unsigned char *)&((const struct sockaddr_in6 *)sa)
                  ->sin6_addr;
        return 16;
    }
    return 0;
}

/* A PTR name against a DNS SAN: equal, or under a "*." wildcard. */
static bool ptr_matches(const char *ptr, const char *san)
{
    if (strncmp(san, "*.", 2) == 0) {
        size_t n = strlen(ptr), k = strlen(san + 1);
        return n > k && strcmp(ptr + n - k, san + 1) == 0;
    }
    return strcmp(ptr, san) == 0;
}

/* etcd's isHostInDNS, reverse half: the remote address's PTR name. */
static bool ptr_is(const struct sockaddr *remote, const char *san)
{
    char name[256];
    socklen_t len = remote->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                                  : sizeof(struct sockaddr_in);
    if (getnameinfo(remote, len, name, sizeof(name), NULL, 0, NI_NAMEREQD) !=
        0) {
        return false;
    }
    size_t n = strlen(name);
    if (n > 0 && name[n - 1] == '.') {
        name[n - 1] = '\0'; /* a PTR record's trailing dot */
    }
    return ptr_matches(name, san);
}

/* etcd's isHostInDNS, forward half: the name resolves to the address. */
static bool name_resolves_to(const char *name, const struct sockaddr *remote)
{
    const unsigned char *want;
    size_t n = addr_bytes(remote, &want);
    struct addrinfo hints = {0}, *res = NULL;
    hints.ai_family = remote->sa_family;
    if (n == 0 || getaddrinfo(name, NULL, &hints, &res) != 0) {
        return false;
    }
    bool found = false;
    for (struct addrinfo *a = res; a != NULL && !found; a = a->ai_next) {
        const unsigned char *got;
        found = addr_bytes(a->ai_addr, &got) == n && memcmp(got, want, n) == 0;
    }
    freeaddrinfo(res);
    return found;
}

/*
 * etcd's checkCertSAN: a certificate with IP or DNS SANs must have an IP
 * SAN that is the address the connection comes from, or a DNS SAN that the
 * address's PTR name matches (wildcards too) or that resolves to it. The
 * lookups block the I/O thread: prefer IP SANs in peer certificates.
 */
static bool san_matches_remote(gnutls_x509_crt_t leaf,
                               const struct sockaddr *remote)
{
    const unsigned char *ip;
    size_t n = remote != NULL ? addr_bytes(remote, &ip) : 0;
    bool any_san = false;
    char san[256];
    size_t len;
    for (int i = 0, type; (type = san_at(leaf, i, san, &len)) >= 0; i++) {
        if (type == GNUTLS_SAN_IPADDRESS) {
            any_san = true;
            if (n != 0 && gnutls_x509_crt_check_ip(leaf, ip, (unsigned)n, 0)) {
                return true;
            }
        } else if (type == GNUTLS_SAN_DNSNAME) {
            any_san = true;
            if (remote != NULL &&
                (ptr_is(remote, san) || (strncmp(san, "*.", 2) != 0 &&
                                         name_resolves_to(san, remote)))) {
                return true;
            }
        }
    }
    return !any_san;
}

/* etcd's checks of the leaf, and the member it names (mu held). */
static void check_leaf(struct rh_tls *tls, gnutls_x509_crt_t leaf,
                       const struct sockaddr *remote, struct rh_tls_peer *out)
{
    if (!tls->skip_san && !san_matches_remote(leaf, remote)) {
        fail(out, "client certificate SANs do not match its address",
             "no IP SAN is, and no DNS SAN resolves to, the remote address");
        return;
    }
    char cn[256];
    common_name(leaf, cn, sizeof(cn));
    if (tls->allowed_cn != NULL && strcmp(cn, tls->allowed_cn) != 0) {
        char d[160];
        snprintf(d, sizeof(d), "CN \"%.60s\" is not the allowed \"%.60s\"", cn,
                 tls->allowed_cn);
        fail(out, "client certificate CN not allowed", d);
        return;
    }
    if (tls->allowed_hostname != NULL &&
        !gnutls_x509_crt_check_hostname(leaf, tls->allowed_hostname)) {
        fail(out, "client certificate not valid for the allowed hostname",
             tls->allowed_hostname);
        return;
    }
    out->member = named_member(leaf, cn);
    if (tls->bind_member_id && out->member == 0) {
        fail(out, "client certificate names no member",
             "bind_member_id wants a URI SAN urn:rafthttp:member:<id> or a "
             "CN that is the member ID in hex");
    }
}

/*
 * etcd 3.4 requires and verifies client certificates when client-cert
 * auth is on or a trusted CA is given (RequireAndVerifyClientCert).
 */
static bool needs_client_cert(const struct rh_tls *tls)
{
    return tls->client_cert_auth || tls->trust != NULL || tls->bind_member_id ||
           tls->allowed_cn != NULL || tls->allowed_hostname != NULL;
}

void rh_tls_check_client(struct rh_tls *tls, struct MHD_Connection *c,
                         struct rh_tls_peer *out)
{
    memset(out, 0, sizeof(*out));
    out->checked = true;
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
    gnutls_session_t s = info != NULL ? info->tls_session : NULL;
    unsigned n = 0;
    const gnutls_datum_t *raw =
        s != NULL ? gnutls_certificate_get_peers(s, &n) : NULL;
    if (raw == NULL || n == 0) {
        if (needs_client_cert(tls)) {
            fail(out, "no client certificate",
                 "client certificates are required");
        }
        return;
    }
    if (!needs_client_cert(tls)) {
        return; /* presented but not asked for: taken as etcd does */
    }
    n = n > MAX_CHAIN ? MAX_CHAIN : n;
    gnutls_x509_crt_t crts[MAX_CHAIN];
    unsigned got = 0;
    for (; got < n; got++) {
        if (gnutls_x509_crt_init(&crts[got]) < 0) {
            break;
        }
        if (gnutls_x509_crt_import(crts[got], &raw[got], GNUTLS_X509_FMT_DER) <
            0) {
            gnutls_x509_crt_deinit(crts[got]);
            break;
        }
    }
    rh_mutex_lock(&tls->mu);
    rh_tls_refresh(tls, false);
    if (got < n) {
        fail(out, "client certificate unreadable", "");
    } else if (verify_chain(tls, crts, n, out)) {
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        check_leaf(tls, crts[0], ci != NULL ? ci->client_addr : NULL, out);
    }
    rh_mutex_unlock(&tls->mu);
    for (unsigned i = 0; i < got; i++) {
        gnutls_x509_crt_deinit(crts[i]);
    }
}
