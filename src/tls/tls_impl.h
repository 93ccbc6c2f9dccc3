/* SPDX-License-Identifier: Apache-2.0 */
/* The state behind struct rh_tls, shared by the module's files only. */
#ifndef RH_TLS_IMPL_H
#define RH_TLS_IMPL_H

#include <pthread.h>
#include <sys/stat.h>

#include <gnutls/gnutls.h>
#include <gnutls/abstract.h>
#include <gnutls/x509.h>

#include "tls.h"

/* What a file looked like when it was loaded: a change means reload. */
struct rh_file_stamp {
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime;
};

/* One loaded server certificate and key (kept until rh_tls_free). */
struct rh_tls_gen {
    struct rh_tls_gen *older;
    gnutls_pcert_st pcerts[8]; /* the chain we present, leaf first */
    unsigned n_pcerts;
    gnutls_privkey_t key;
};

struct rh_tls {
    const struct rafthttp_allocator *alloc;
    struct rh_logger *log;
    char *cert_file;
    char *key_file;
    char *ca_file;
    char *ca_dir;
    char *allowed_cn;
    char *allowed_hostname;
    char *ciphers;        /* OpenSSL syntax, the client's */
    char *trust_pem;      /* the CAs, for libmicrohttpd to ask for certs */
    char priorities[160]; /* GnuTLS priority string, the server's */
    bool client_cert_auth;
    bool bind_member_id;
    bool skip_san; /* skip_client_san_verify */
    bool tls13;    /* min_version "1.3" */
    unsigned handshake_ms;
    struct rh_mutex mu;     /* guards everything below (RH_LOCK_TLS) */
    struct rh_tls_gen *gen; /* newest first */
    struct rh_file_stamp cert_stamp, key_stamp, ca_stamp;
    int64_t checked_ms;             /* files last looked at */
    gnutls_x509_trust_list_t trust; /* NULL: none configured */
};

/* tls.c (mu held): reloads what changed on disk, at most once a second. */
void rh_tls_refresh(struct rh_tls *tls, bool force);

#endif /* RH_TLS_IMPL_H */
