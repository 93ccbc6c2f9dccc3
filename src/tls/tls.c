// SPDX-License-Identifier: Apache-2.0
/*
 * TLS configuration, and reloading what changed on disk.
 *
 * The server certificate and the trust list are reloaded lazily: at most
 * once a second, when a handshake or a client check needs them, each file
 * is stat()ed and reloaded if its inode, size or mtime changed (an
 * operator's `mv new.pem cert.pem` or an in-place rewrite). A file that
 * fails to load keeps the previous generation in use and logs why. The
 * client side needs none of this: libcurl reads the files for every new
 * connection.
 */
#define _POSIX_C_SOURCE 200809L

#include <dirent.h>
#include <stdio.h>
#include <string.h>

#include "tls_impl.h"

#define REFRESH_MS 1000

/* A copy, or NULL for an absent or empty setting (or no memory). */
static char *dup_or_null(const struct rafthttp_allocator *a, const char *s)
{
    return s == NULL || s[0] == '\0' ? NULL : rh_strdup(a, s);
}

static bool stamp_of(const char *path, struct rh_file_stamp *st)
{
    struct stat sb;
    if (path == NULL || stat(path, &sb) != 0) {
        return false;
    }
    *st = (struct rh_file_stamp){sb.st_dev, sb.st_ino, sb.st_size, sb.st_mtim};
    return true;
}

static bool stamp_same(const struct rh_file_stamp *a,
                       const struct rh_file_stamp *b)
{
    return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
           a->mtime.tv_sec == b->mtime.tv_sec &&
           a->mtime.tv_nsec == b->mtime.tv_nsec;
}

static void gen_free(struct rh_tls *tls, struct rh_tls_gen *g)
{
    for (unsigned i = 0; i < g->n_pcerts; i++) {
        gnutls_pcert_deinit(&g->pcerts[i]);
    }
    if (g->key != NULL) {
        gnutls_privkey_deinit(g->key);
    }
    rh_free(tls->alloc, g);
}

/* Loads cert_file and key_file into a new generation; NULL with why. */
static struct rh_tls_gen *load_gen(struct rh_tls *tls, char *why, size_t n)
{
    struct rh_tls_gen *g = rh_calloc(tls->alloc, 1, sizeof(*g));
    gnutls_datum_t key = {NULL, 0};
    int rv = g == NULL ? GNUTLS_E_MEMORY_ERROR : 0;
    if (rv == 0) {
        unsigned max = sizeof(g->pcerts) / sizeof(g->pcerts[0]);
        rv = gnutls_pcert_list_import_x509_file(g->pcerts, &max, tls->cert_file,
                                                GNUTLS_X509_FMT_PEM, NULL, NULL,
                                                0);
        g->n_pcerts = rv >= 0 ? max : 0;
    }
    if (rv >= 0) {
        rv = gnutls_load_file(tls->key_file, &key);
    }
    if (rv >= 0) {
        rv = gnutls_privkey_init(&g->key);
    }
    if (rv >= 0) {
        rv = gnutls_privkey_import_x509_raw(g->key, &key, GNUTLS_X509_FMT_PEM,
                                            NULL, 0);
    }
    gnutls_free(key.data);
    if (rv < 0) {
        snprintf(why, n, "%s", gnutls_strerror(rv));
        if (g != NULL) {
            gen_free(tls, g);
        }
        return NULL;
    }
    return g;
}

static int load_trust(struct rh_tls *tls, gnutls_x509_trust_list_t *out)
{
    gnutls_x509_trust_list_t tl;
    int rv = gnutls_x509_trust_list_init(&tl, 0);
    if (rv < 0) {
        return rv;
    }
    int added = 0;
    if (tls->ca_file != NULL) {
        rv = gnutls_x509_trust_list_add_trust_file(tl, tls->ca_file, NULL,
                                                   GNUTLS_X509_FMT_PEM, 0, 0);
        added += rv > 0 ? rv : 0;
    }
    if (rv >= 0 && tls->ca_dir != NULL) {
        rv = gnutls_x509_trust_list_add_trust_dir(tl, tls->ca_dir, NULL,
                                                  GNUTLS_X509_FMT_PEM, 0, 0);
        added += rv > 0 ? rv : 0;
    }
    if (rv < 0 || added == 0) {
        gnutls_x509_trust_list_deinit(tl, 1);
        return rv < 0 ? rv : GNUTLS_E_NO_CERTIFICATE_FOUND;
    }
    *out = tl;
    return 0;
}

static void refresh_cert(struct rh_tls *tls, bool force)
{
    struct rh_file_stamp c, k;
    if (!stamp_of(tls->cert_file, &c) || !stamp_of(tls->key_file, &k) ||
        (!force && stamp_same(&c, &tls->cert_stamp) &&
         stamp_same(&k, &tls->key_stamp))) {
        return;
    }
    char why[128];
    struct rh_tls_gen *g = load_gen(tls, why, sizeof(why));
    if (g == NULL) {
        rh_log(tls->log, RAFTHTTP_LOG_ERROR,
               "TLS: cannot load the certificate; the previous one stays",
               RH_F("cert", tls->cert_file), RH_F("key", tls->key_file),
               RH_F("error", why));
        return;
    }
    bool first = tls->gen == NULL;
    g->older = tls->gen;
    tls->gen = g;
    tls->cert_stamp = c;
    tls->key_stamp = k;
    if (!first) {
        rh_log(tls->log, RAFTHTTP_LOG_INFO,
               "TLS: certificate reloaded for new connections",
               RH_F("cert", tls->cert_file));
    }
}

static void refresh_trust(struct rh_tls *tls, bool force)
{
    struct rh_file_stamp st = {0};
    if (tls->ca_file == NULL && tls->ca_dir == NULL) {
        return;
    }
    if (tls->ca_file != NULL && !stamp_of(tls->ca_file, &st)) {
        return;
    }
    if (!force && tls->ca_dir == NULL && stamp_same(&st, &tls->ca_stamp)) {
        return;
    }
    gnutls_x509_trust_list_t tl;
    int rv = load_trust(tls, &tl);
    if (rv < 0) {
        rh_log(tls->log, RAFTHTTP_LOG_ERROR,
               "TLS: cannot load the trusted CAs; the previous ones stay",
               RH_F("error", gnutls_strerror(rv)));
        return;
    }
    if (tls->trust != NULL) {
        gnutls_x509_trust_list_deinit(tls->trust, 1);
    }
    tls->trust = tl;
    tls->ca_stamp = st;
}

void rh_tls_refresh(struct rh_tls *tls, bool force)
{
    int64_t now = rh_now_ms();
    if (!force && now - tls->checked_ms < REFRESH_MS) {
        return;
    }
    tls->checked_ms = now;
    refresh_cert(tls, force);
    refresh_trust(tls, force);
}

/* Appends the PEM certificates of one file to pem (for MEM_TRUST). */
static int append_pem_file(const char *path, struct rh_buf *pem)
{
    gnutls_datum_t d = {NULL, 0};
    if (gnutls_load_file(path, &d) < 0) {
        return -1;
    }
    int rv = 0;
    if (d.size > 0 && strstr((const char *)d.data, "BEGIN CERTIFICATE")) {
        rv = rh_buf_append(pem, d.data, d.size);
    }
    gnutls_free(d.data);
    return rv;
}

/* The CAs as one PEM text: libmicrohttpd asks clients for certificates
 * only when it is given one. */
static char *trust_pem_of(struct rh_tls *tls)
{
    struct rh_buf pem;
    rh_buf_init(&pem, tls->alloc, 64u << 20);
    int rv = tls->ca_file != NULL ? append_pem_file(tls->ca_file, &pem) : 0;
    DIR *d = tls->ca_dir != NULL ? opendir(tls->ca_dir) : NULL;
    for (struct dirent *e; rv == 0 && d != NULL && (e = readdir(d));) {
        char path[4096];
        if (e->d_name[0] != '.') {
            snprintf(path, sizeof(path), "%s/%s", tls->ca_dir, e->d_name);
            (void)append_pem_file(path, &pem); /* not every file is one */
        }
    }
    if (d != NULL) {
        closedir(d);
    }
    if (rv != 0 || pem.len == 0 || rh_buf_append(&pem, "", 1) != 0) {
        rh_buf_close(&pem);
        return NULL;
    }
    return (char *)pem.data; /* owned by tls now */
}

/* Copies every string; false when one given could not be copied. */
static bool copy_strings(struct rh_tls *tls, const struct rafthttp_tls *cfg)
{
    const char *from[] = {cfg->cert_file,       cfg->key_file,
                          cfg->trusted_ca_file, cfg->trusted_ca_dir,
                          cfg->allowed_cn,      cfg->allowed_hostname,
                          cfg->ciphers};
    char **to[] = {&tls->cert_file, &tls->key_file,   &tls->ca_file,
                   &tls->ca_dir,    &tls->allowed_cn, &tls->allowed_hostname,
                   &tls->ciphers};
    bool ok = true;
    for (size_t i = 0; i < sizeof(to) / sizeof(to[0]); i++) {
        *to[i] = dup_or_null(tls->alloc, from[i]);
        /* a CA or a check lost to a failed allocation would weaken TLS */
        ok &= *to[i] != NULL || from[i] == NULL || from[i][0] == '\0';
    }
    return ok;
}

static bool copy_config(struct rh_tls *tls, const struct rafthttp_tls *cfg)
{
    tls->client_cert_auth = cfg->client_cert_auth;
    tls->bind_member_id = cfg->bind_member_id;
    tls->skip_san = cfg->skip_client_san_verify;
    tls->tls13 =
        cfg->min_version != NULL && strcmp(cfg->min_version, "1.3") == 0;
    tls->handshake_ms =
        cfg->handshake_timeout_ms > 0 ? cfg->handshake_timeout_ms : 5000;
    snprintf(tls->priorities, sizeof(tls->priorities), "%s",
             tls->tls13 ? "SECURE128:-VERS-ALL:+VERS-TLS1.3"
                        : "SECURE128:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:"
                          "-CIPHER-ALL:+AES-128-GCM:+AES-256-GCM:"
                          "+CHACHA20-POLY1305:-KX-ALL:+ECDHE-ECDSA:"
                          "+ECDHE-RSA");
    return copy_strings(tls, cfg);
}

static const char *check_config(const struct rafthttp_tls *cfg)
{
    if (cfg->cert_file == NULL || cfg->key_file == NULL) {
        return "a certificate and a key are required";
    }
    if (cfg->min_version != NULL && strcmp(cfg->min_version, "1.2") != 0 &&
        strcmp(cfg->min_version, "1.3") != 0) {
        return "min_version must be \"1.2\" or \"1.3\"";
    }
    bool have_ca = cfg->trusted_ca_file != NULL || cfg->trusted_ca_dir != NULL;
    if ((cfg->client_cert_auth || cfg->allowed_cn != NULL ||
         cfg->allowed_hostname != NULL || cfg->bind_member_id) &&
        !have_ca) {
        return "checking peers' certificates needs a trusted CA";
    }
    return NULL;
}

int rh_tls_new(const struct rafthttp_allocator *a,
               const struct rafthttp_tls *cfg, struct rh_logger *log,
               struct rh_tls **out, char *err, size_t errlen)
{
    const char *bad = check_config(cfg);
    if (bad != NULL) {
        snprintf(err, errlen, "tls: %s", bad);
        return RAFTHTTP_EINVAL;
    }
    struct rh_tls *tls = rh_calloc(a, 1, sizeof(*tls));
    if (tls == NULL) {
        return RAFTHTTP_ENOMEM;
    }
    tls->alloc = a;
    tls->log = log;
    rh_mutex_init(&tls->mu, RH_LOCK_TLS);
    if (!copy_config(tls, cfg)) {
        rh_tls_free(tls);
        return RAFTHTTP_ENOMEM;
    }
    rh_tls_refresh(tls, true);
    bool want_trust = tls->ca_file != NULL || tls->ca_dir != NULL;
    if (want_trust) {
        tls->trust_pem = trust_pem_of(tls);
    }
    if (tls->gen == NULL ||
        (want_trust && (tls->trust == NULL || tls->trust_pem == NULL))) {
        snprintf(err, errlen, "tls: cannot load %s",
                 tls->gen == NULL ? "the certificate or its key"
                                  : "the trusted CAs");
        rh_tls_free(tls);
        return RAFTHTTP_EINVAL;
    }
    *out = tls;
    return 0;
}

void rh_tls_free(struct rh_tls *tls)
{
    if (tls == NULL) {
        return;
    }
    while (tls->gen != NULL) {
        struct rh_tls_gen *g = tls->gen;
        tls->gen = g->older;
        gen_free(tls, g);
    }
    if (tls->trust != NULL) {
        gnutls_x509_trust_list_deinit(tls->trust, 1);
    }
    char *strs[] = {tls->cert_file, tls->key_file,   tls->ca_file,
                    tls->ca_dir,    tls->allowed_cn, tls->allowed_hostname,
                    tls->ciphers,   tls->trust_pem};
    for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
        rh_free(tls->alloc, strs[i]);
    }
    rh_mutex_destroy(&tls->mu);
    rh_free(tls->alloc, tls);
}

bool rh_tls_binds_member(const struct rh_tls *tls)
{
    return tls->bind_member_id;
}

/* A member ID in hex, 1 to 16 digits, nothing else; 0 when not one. */
static uint64_t hex_id(const char *s, size_t len)
{
    if (len == 0 || len > 16) {
        return 0;
    }
    uint64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        int d = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
        if (d < 0) {
            return 0;
        }
        v = v << 4 | (uint64_t)d;
    }
    return v;
}

uint64_t rh_tls_member_of_uri(const char *uri, size_t len)
{
    static const char prefix[] = "urn:rafthttp:member:";
    size_t n = sizeof(prefix) - 1;
    if (len <= n || strncmp(uri, prefix, n) != 0) {
        return 0;
    }
    return hex_id(uri + n, len - n);
}

uint64_t rh_tls_member_of_cn(const char *cn, size_t len)
{
    return hex_id(cn, len);
}
