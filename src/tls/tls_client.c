// SPDX-License-Identifier: Apache-2.0
/*
 * The client side of peer TLS, on libcurl with OpenSSL.
 *
 * libcurl checks the server's certificate against the trusted CAs (or the
 * system's when none are configured) and the peer URL's host name or IP
 * address, as Go's crypto/tls does for etcd; it reads our certificate, key
 * and CAs for every new connection (no CA cache), so files replaced on disk
 * take effect without a restart.
 *
 * bind_member_id: an OpenSSL verify callback, installed through
 * CURLOPT_SSL_CTX_FUNCTION, fails the handshake when the server's leaf
 * certificate does not name the member we dial; the request never leaves.
 * The callback runs on the thread that runs the transfer; its rh_tls_bind
 * lives as long as the transfer.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "tls_impl.h"

/* TLS 1.2 suites by default: forward secret, AEAD (as Go's defaults). */
static const char default_ciphers[] =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

static int bind_index = -1;
static pthread_once_t bind_once = PTHREAD_ONCE_INIT;

static void make_bind_index(void)
{
    bind_index = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, NULL);
}

/* The member the server's leaf names: a URI SAN, then the common name. */
static uint64_t leaf_member(X509 *leaf)
{
    uint64_t id = 0;
    GENERAL_NAMES *sans =
        X509_get_ext_d2i(leaf, NID_subject_alt_name, NULL, NULL);
    for (int i = 0; sans != NULL && id == 0 && i < sk_GENERAL_NAME_num(sans);
         i++) {
        const GENERAL_NAME *g = sk_GENERAL_NAME_value(sans, i);
        if (g->type == GEN_URI) {
            const ASN1_IA5STRING *u = g->d.uniformResourceIdentifier;
            id = rh_tls_member_of_uri((const char *)u->data, (size_t)u->length);
        }
    }
    GENERAL_NAMES_free(sans);
    if (id == 0) {
        char cn[128];
        int n = X509_NAME_get_text_by_NID(X509_get_subject_name(leaf),
                                          NID_commonName, cn, sizeof(cn));
        id = n > 0 ? rh_tls_member_of_cn(cn, (size_t)n) : 0;
    }
    return id;
}

static int verify_member(int ok, X509_STORE_CTX *sctx)
{
    if (!ok || X509_STORE_CTX_get_error_depth(sctx) != 0) {
        return ok;
    }
    SSL *ssl =
        X509_STORE_CTX_get_ex_data(sctx, SSL_get_ex_data_X509_STORE_CTX_idx());
    const struct rh_tls_bind *b =
        ssl != NULL ? SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), bind_index)
                    : NULL;
    if (b == NULL) {
        return ok;
    }
    uint64_t named = leaf_member(X509_STORE_CTX_get_current_cert(sctx));
    if (named == b->member) {
        return 1;
    }
    char a[RAFTHTTP_ID_STRLEN], c[RAFTHTTP_ID_STRLEN];
    rh_log(b->tls->log, RAFTHTTP_LOG_WARN,
           "TLS: server certificate names another member; hanging up",
           RH_F("check", "server certificate member"),
           RH_F("dialled", rafthttp_id_format(b->member, a)),
           RH_F("named", rafthttp_id_format(named, c)));
    X509_STORE_CTX_set_error(sctx, X509_V_ERR_APPLICATION_VERIFICATION);
    return 0;
}

static CURLcode on_ssl_ctx(CURL *easy, void *ctx, void *ud)
{
    (void)easy;
    pthread_once(&bind_once, make_bind_index);
    if (bind_index < 0 || !SSL_CTX_set_ex_data(ctx, bind_index, ud)) {
        return CURLE_SSL_CERTPROBLEM;
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, verify_member);
    return CURLE_OK;
}

int rh_tls_client_setup(struct rh_tls *tls, CURL *easy,
                        struct rh_tls_bind *bind, long connect_ms)
{
    CURLcode rc = CURLE_OK;
#define SET(opt, val)                                                          \
    do {                                                                       \
        if (rc == CURLE_OK) {                                                  \
            rc = curl_easy_setopt(easy, opt, val);                             \
        }                                                                      \
    } while (0)
    SET(CURLOPT_SSLCERT, tls->cert_file);
    SET(CURLOPT_SSLKEY, tls->key_file);
    if (tls->ca_file != NULL) {
        SET(CURLOPT_CAINFO, tls->ca_file);
    }
    if (tls->ca_dir != NULL) {
        SET(CURLOPT_CAPATH, tls->ca_dir);
    }
    SET(CURLOPT_SSL_VERIFYPEER, 1L);
    SET(CURLOPT_SSL_VERIFYHOST, 2L);
    SET(CURLOPT_CA_CACHE_TIMEOUT, 0L); /* rotated CAs: read each time */
    SET(CURLOPT_SSLVERSION, tls->tls13 ? (long)CURL_SSLVERSION_TLSv1_3
                                       : (long)CURL_SSLVERSION_TLSv1_2);
    SET(CURLOPT_SSL_CIPHER_LIST,
        tls->ciphers != NULL ? tls->ciphers : default_ciphers);
    SET(CURLOPT_CONNECTTIMEOUT_MS, connect_ms + (long)tls->handshake_ms);
    if (tls->bind_member_id) {
        bind->tls = tls;
        SET(CURLOPT_SSL_CTX_FUNCTION, on_ssl_ctx);
        SET(CURLOPT_SSL_CTX_DATA, bind);
    }
#undef SET
    return rc == CURLE_OK ? 0 : RAFTHTTP_EINVAL;
}
