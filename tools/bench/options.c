// SPDX-License-Identifier: Apache-2.0
/*
 * The command line of rafthttp-bench: one handler per option, then the
 * checks that need all of them (external mode wants a role, our URL and
 * the peer's; the sweep runs in one process; defaults depend on the
 * mode). The flags and their defaults are the shared spec's, so gobench
 * and rafthttp-bench take the same command lines. Every complaint is one
 * line on stderr naming the option and the value; the caller exits 2.
 *
 * Peer TLS takes etcd's flag names (--peer-cert-file...). With them every
 * transport of the process serves and dials https; in one process both
 * members present the same certificate, which is why --peer-bind-member-id
 * (a certificate names its member) only runs in external mode, where each
 * side passes its own.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../common/cli.h"
#include "common/common.h"
#include "rafthttp.h"

#include "options.h"

#define UNSET UINT64_MAX /* size, count and window not given */

static const char *const usage_text[] = {
    "usage: " PROG " [--mode MODE] [--size BYTES] [--count N] [options]",
    "       " PROG " --sweep [--sweep-scale F] [--plot FILE.png]",
    "       " PROG " --role send|recv --listen URL --peer-url URL [options]",
    "",
    "Measures etcd's raft transport (rafthttp) in C: two transports in one",
    "process over loopback (member 1 sends, member 2 receives), or one",
    "against a peer in another process (rafthttp-bench or gobench, etcd's",
    "Go rafthttp, with the same flags).",
    "",
    "Modes (--mode):",
    "  stream     MsgApp with one entry of --size bytes, at most --window",
    "             sent and not yet delivered (default)",
    "  rtt        MsgHeartbeat 1->2 answered by MsgHeartbeatResp, one at a",
    "             time, after 1000 warm-up round trips; latency percentiles",
    "  pipeline   as stream, with no stream ever up: every message is a",
    "             POST /raft (window at most the pipeline queue, 64)",
    "  snapshot   one MsgSnap with --size bytes of database, timed until the",
    "             receiver processed it (written and synced) and the sender",
    "             heard it finished",
    "  mixed      heartbeat round trips (at least --count, default 100)",
    "             while a MsgApp stream (--bulk-size, window 512) and a",
    "             snapshot of --size bytes (default 1 GiB) go to the same",
    "             peer; the run lasts as long as the snapshot",
    "",
    "Options (sizes take a K, M or G suffix, powers of 1024):",
    "  --size BYTES        entry bytes, or snapshot bytes (default 64)",
    "  --count N           messages, or round trips (default 1000000; rtt:",
    "                      100000)",
    "  --window N          most MsgApp sent and not delivered (default 512;",
    "                      clamped to 16 MiB / (size + 64), and said so)",
    "  --bulk-size BYTES   mixed: the MsgApp stream's entry size (16 KiB)",
    "  --snapshot BYTES    the same as --mode snapshot --size BYTES",
    "  --no-fsync          the receiver does not sync snapshots",
    "  --json              one JSON object per run on stdout",
    "  --csv               one CSV line per run, after a header line",
    "  --progress          a progress line on stderr even if not a tty",
    "  --sweep             stream mode at 64 B, 1 KiB, 16 KiB, 256 KiB and",
    "                      1 MiB, then one rtt run",
    "  --sweep-scale F     multiply the sweep's counts by F (default 1)",
    "  --plot FILE.png     with --sweep: MB/s and messages/s by entry size,",
    "                      by gnuplot, axes from zero, titled with the",
    "                      counts and the machine; the data stay in",
    "                      FILE.dat, the script in FILE.gp",
    "  --plot-with CSV     add another sweep's CSV (e.g. gobench --csv) to",
    "                      the plot, named by its impl column: go (or",
    "                      go-X.Y.Z) is \"etcd [X.Y.Z] rafthttp (Go)\"",
    "  --plot-with-version X.Y.Z",
    "                      the etcd version of --plot-with's go rows",
    "",
    "Peer TLS (etcd's flags; with them every run is over https, and in one",
    "process both members present the same certificate):",
    "  --peer-cert-file F        the certificate (chain) a member presents,",
    "                            as server and as client",
    "  --peer-key-file F         its private key",
    "  --peer-trusted-ca-file F  the CAs peers' certificates chain to",
    "                            (without it, the system's CAs); with it, as",
    "                            in etcd 3.4, servers require client certs",
    "  --peer-client-cert-auth   servers require a client certificate (and",
    "                            that its SANs name the address it comes",
    "                            from, as etcd)",
    "  --peer-cert-allowed-cn CN a client certificate must have this CN",
    "  --peer-bind-member-id     a certificate must name its member (URI SAN",
    "                            urn:rafthttp:member:<id in hex>); external",
    "                            mode only, each side with its own",
    "  --experimental-peer-skip-client-san-verification",
    "                            do not match client certificates' SANs",
    "                            against their address (etcd's flag)",
    "  --tls-compare             run each run (each sweep item) twice, over",
    "                            plain HTTP then over TLS; one process only",
    "  The switches above also take =true or =false, as etcd's do.",
    "",
    "External mode (one transport; the other side is another process):",
    "  --role send|recv    this side's part",
    "  --listen URL        where this side listens (http://127.0.0.1:7001;",
    "                      https://... with the TLS flags)",
    "  --peer-url URL      where the other side listens (http or https, as",
    "                      --listen)",
    "  --local-id HEX --peer-id HEX --cluster-id HEX",
    "                      IDs in hex as etcd prints them, no 0x (defaults:",
    "                      sender 1, receiver 2, cluster 1000)",
    "",
    "  --help              show this text",
    "  --version           show the versions: this program's, and the etcd",
    "                      releases it speaks to",
    "",
    "Options also take --name=VALUE. Exit status: 0 after a clean run, 1",
    "when a run failed, stalled or received messages other than those sent,",
    "2 on bad arguments.",
};

void bench_options_usage(FILE *out)
{
    cli_print_lines(out, usage_text,
                    sizeof(usage_text) / sizeof(usage_text[0]));
}

/* Reports a bad argument; returns -1 for the caller to pass on. */
static int bad_arg(const char *opt, const char *value, const char *why)
{
    return cli_bad_arg(PROG, opt, value, why);
}

/* Digits only (strtoull would take a sign and leading blanks). */
static int parse_u64(const char *opt, const char *s, uint64_t *out)
{
    char *end = NULL;
    if (s[0] < '0' || s[0] > '9') {
        return bad_arg(opt, s, "not a number");
    }
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (end == s || *end != '\0' || errno == ERANGE) {
        return bad_arg(opt, s, "not a number");
    }
    *out = (uint64_t)v;
    return 0;
}

/* The power of two a size suffix stands for; 0 for none. */
static unsigned suffix_shift(char c)
{
    switch (c) {
    case 'k':
    case 'K':
        return 10;
    case 'm':
    case 'M':
        return 20;
    case 'g':
    case 'G':
        return 30;
    default:
        return 0;
    }
}

/* A byte count with an optional K, M or G (powers of 1024). */
static int parse_bytes(const char *opt, const char *s, uint64_t *out)
{
    char digits[32];
    size_t len = strlen(s);
    unsigned shift = len > 0 ? suffix_shift(s[len - 1]) : 0;
    if (shift > 0) {
        len--;
    }
    if (len == 0 || len >= sizeof(digits)) {
        return bad_arg(opt, s, "not a byte count");
    }
    memcpy(digits, s, len);
    digits[len] = '\0';
    uint64_t v;
    if (parse_u64(opt, digits, &v) != 0) {
        return -1;
    }
    if (v > (UINT64_MAX >> shift)) {
        return bad_arg(opt, s, "too large");
    }
    *out = v << shift;
    return 0;
}

/* Hex as etcd prints IDs, as rafthttp-node and rafthttp-dump take them. */
static int parse_id(const char *opt, const char *s, uint64_t *id)
{
    return cli_parse_id(PROG, opt, s, id);
}

static int parse_url(const char *opt, const char *s, const char **out)
{
    if (!cli_url_valid(s)) {
        return bad_arg(opt, s,
                       "invalid URL (want http://HOST:PORT or "
                       "https://HOST:PORT)");
    }
    *out = s;
    return 0;
}

static int opt_mode(struct bench_opts *o, const char *v)
{
    enum bench_mode mode = bench_mode_of(v);
    if (mode != MODE_COUNT) {
        o->mode = mode;
        return 0;
    }
    return bad_arg("--mode", v,
                   "want stream, rtt, pipeline, snapshot or mixed");
}

static int opt_role(struct bench_opts *o, const char *v)
{
    if (strcmp(v, "send") == 0) {
        o->role = ROLE_SEND;
    } else if (strcmp(v, "recv") == 0) {
        o->role = ROLE_RECV;
    } else {
        return bad_arg("--role", v, "want send or recv");
    }
    return 0;
}

static int opt_size(struct bench_opts *o, const char *v)
{
    return parse_bytes("--size", v, &o->size);
}

/* The older form of --mode snapshot --size BYTES (scripts/demo.sh). */
static int opt_snapshot(struct bench_opts *o, const char *v)
{
    o->mode = MODE_SNAPSHOT;
    return parse_bytes("--snapshot", v, &o->size);
}

static int opt_bulk_size(struct bench_opts *o, const char *v)
{
    if (parse_bytes("--bulk-size", v, &o->bulk_size) != 0) {
        return -1;
    }
    if (o->bulk_size > BENCH_MAX_MSG_SIZE) {
        return bad_arg("--bulk-size", v, "at most 16 MiB");
    }
    return 0;
}

static int opt_count(struct bench_opts *o, const char *v)
{
    if (parse_u64("--count", v, &o->count) != 0) {
        return -1;
    }
    if (o->count == 0 || o->count > BENCH_MAX_COUNT) {
        return bad_arg("--count", v, "want 1 to 1000000000");
    }
    o->count_given = true;
    return 0;
}

static int opt_window(struct bench_opts *o, const char *v)
{
    if (parse_u64("--window", v, &o->window) != 0) {
        return -1;
    }
    if (o->window == 0 || o->window > BENCH_MAX_WINDOW) {
        return bad_arg("--window", v, "want 1 to 1000000");
    }
    return 0;
}

static int opt_corrupt_every(struct bench_opts *o, const char *v)
{
    if (parse_u64("--corrupt-every", v, &o->corrupt_every) != 0) {
        return -1;
    }
    if (o->corrupt_every == 0) {
        return bad_arg("--corrupt-every", v, "want 1 or more");
    }
    return 0;
}

static int opt_sweep_scale(struct bench_opts *o, const char *v)
{
    char *end = NULL;
    errno = 0;
    double f = strtod(v, &end);
    if (end == v || *end != '\0' || errno != 0 || !isfinite(f) || f <= 0 ||
        f > 1000) {
        return bad_arg("--sweep-scale", v, "want a number above 0, to 1000");
    }
    o->sweep_scale = f;
    return 0;
}

static int opt_listen(struct bench_opts *o, const char *v)
{
    return parse_url("--listen", v, &o->listen);
}

static int opt_peer_url(struct bench_opts *o, const char *v)
{
    return parse_url("--peer-url", v, &o->peer_url);
}

static int opt_local_id(struct bench_opts *o, const char *v)
{
    return parse_id("--local-id", v, &o->local_id);
}

static int opt_peer_id(struct bench_opts *o, const char *v)
{
    return parse_id("--peer-id", v, &o->peer_id);
}

static int opt_cluster_id(struct bench_opts *o, const char *v)
{
    return parse_id("--cluster-id", v, &o->cluster_id);
}

static int opt_plot(struct bench_opts *o, const char *v)
{
    if (v[0] == '\0') {
        return bad_arg("--plot", v, "empty file name");
    }
    o->plot = v;
    return 0;
}

static int opt_plot_with_version(struct bench_opts *o, const char *v)
{
    struct rh_semver sv;
    if (rh_semver_parse(v, &sv) != 0) {
        return bad_arg("--plot-with-version", v, "not a version (want X.Y.Z)");
    }
    o->plot_with_version = v;
    return 0;
}

static int opt_plot_with(struct bench_opts *o, const char *v)
{
    if (v[0] == '\0') {
        return bad_arg("--plot-with", v, "empty file name");
    }
    o->plot_with = v;
    return 0;
}

/* A file the TLS library will read: it must be readable now. */
static int parse_file(const char *opt, const char *v, const char **out)
{
    if (v[0] == '\0') {
        return bad_arg(opt, v, "empty file name");
    }
    if (access(v, R_OK) != 0) {
        return bad_arg(opt, v, strerror(errno));
    }
    *out = v;
    return 0;
}

static int opt_peer_cert_file(struct bench_opts *o, const char *v)
{
    return parse_file("--peer-cert-file", v, &o->tls.cert_file);
}

static int opt_peer_key_file(struct bench_opts *o, const char *v)
{
    return parse_file("--peer-key-file", v, &o->tls.key_file);
}

static int opt_peer_trusted_ca_file(struct bench_opts *o, const char *v)
{
    return parse_file("--peer-trusted-ca-file", v, &o->tls.trusted_ca_file);
}

static int opt_peer_cert_allowed_cn(struct bench_opts *o, const char *v)
{
    if (v[0] == '\0') {
        return bad_arg("--peer-cert-allowed-cn", v, "empty common name");
    }
    o->tls.allowed_cn = v;
    return 0;
}

static int opt_peer_client_cert_auth(struct bench_opts *o, const char *v)
{
    return cli_parse_bool(PROG, "--peer-client-cert-auth", v,
                          &o->tls.client_cert_auth);
}

static int opt_peer_bind_member_id(struct bench_opts *o, const char *v)
{
    return cli_parse_bool(PROG, "--peer-bind-member-id", v,
                          &o->tls.bind_member_id);
}

static int opt_peer_skip_san(struct bench_opts *o, const char *v)
{
    return cli_parse_bool(PROG,
                          "--experimental-peer-skip-client-san-verification", v,
                          &o->tls.skip_client_san_verify);
}

struct bench_option {
    const char *name;
    int (*apply)(struct bench_opts *o, const char *value);
    bool flag; /* takes no separate value (only --name=VALUE) */
};

static const struct bench_option options[] = {
    {"--mode", opt_mode, false},
    {"--role", opt_role, false},
    {"--size", opt_size, false},
    {"--snapshot", opt_snapshot, false},
    {"--bulk-size", opt_bulk_size, false},
    {"--count", opt_count, false},
    {"--window", opt_window, false},
    {"--listen", opt_listen, false},
    {"--peer-url", opt_peer_url, false},
    {"--local-id", opt_local_id, false},
    {"--peer-id", opt_peer_id, false},
    {"--cluster-id", opt_cluster_id, false},
    {"--sweep-scale", opt_sweep_scale, false},
    {"--plot", opt_plot, false},
    {"--plot-with", opt_plot_with, false},
    {"--plot-with-version", opt_plot_with_version, false},
    {"--peer-cert-file", opt_peer_cert_file, false},
    {"--peer-key-file", opt_peer_key_file, false},
    {"--peer-trusted-ca-file", opt_peer_trusted_ca_file, false},
    {"--peer-cert-allowed-cn", opt_peer_cert_allowed_cn, false},
    {"--peer-client-cert-auth", opt_peer_client_cert_auth, true},
    {"--peer-bind-member-id", opt_peer_bind_member_id, true},
    {"--experimental-peer-skip-client-san-verification", opt_peer_skip_san,
     true},
    {"--corrupt-every", opt_corrupt_every, false},
};

/* Options without a value; true if arg was one of them. */
static bool apply_switch(struct bench_opts *o, const char *arg)
{
    if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
        o->help = true;
    } else if (strcmp(arg, "--version") == 0) {
        o->version = true;
    } else if (strcmp(arg, "--json") == 0) {
        o->format = FORMAT_JSON;
    } else if (strcmp(arg, "--csv") == 0) {
        o->format = FORMAT_CSV;
    } else if (strcmp(arg, "--no-fsync") == 0) {
        o->fsync = false;
    } else if (strcmp(arg, "--progress") == 0) {
        o->progress = true;
    } else if (strcmp(arg, "--sweep") == 0) {
        o->sweep = true;
    } else if (strcmp(arg, "--tls-compare") == 0) {
        o->tls_compare = true;
    } else {
        return false;
    }
    return true;
}

/* The option named by arg ("--name" or "--name=value"), or NULL. */
static const struct bench_option *find_option(const char *arg)
{
    size_t len = strcspn(arg, "=");
    for (size_t i = 0; i < sizeof(options) / sizeof(options[0]); i++) {
        if (strlen(options[i].name) == len &&
            strncmp(arg, options[i].name, len) == 0) {
            return &options[i];
        }
    }
    return NULL;
}

/* Applies argv[*i] (and its value, maybe argv[*i + 1]). */
static int parse_one(struct bench_opts *o, int argc, char **argv, int *i,
                     bool *json_and_csv)
{
    const char *arg = argv[*i];
    enum bench_format before = o->format;
    if (apply_switch(o, arg)) {
        *json_and_csv |= before != FORMAT_TABLE && o->format != before;
        return 0;
    }
    if (arg[0] != '-') {
        return bad_arg(arg, NULL, "unexpected argument");
    }
    const struct bench_option *opt = find_option(arg);
    if (opt == NULL) {
        return bad_arg(arg, NULL, "unknown option");
    }
    const char *eq = strchr(arg, '=');
    if (eq != NULL) {
        return opt->apply(o, eq + 1);
    }
    if (opt->flag) {
        return opt->apply(o, NULL);
    }
    if (*i + 1 >= argc) {
        return bad_arg(opt->name, NULL, "missing value");
    }
    (*i)++;
    return opt->apply(o, argv[*i]);
}

/* External mode: all three of role, listen and peer-url, or none. */
static int check_external(struct bench_opts *o)
{
    bool external = o->peer_url != NULL;
    if (!external) {
        if (o->role != ROLE_BOTH) {
            return bad_arg("--role", NULL, "needs --peer-url");
        }
        if (o->listen != NULL || o->local_id != 0 || o->peer_id != 0) {
            return bad_arg("--listen, --local-id, --peer-id", NULL,
                           "need --peer-url (external mode)");
        }
        return 0;
    }
    if (o->role == ROLE_BOTH) {
        return bad_arg("--peer-url", NULL, "needs --role send or recv");
    }
    if (o->listen == NULL) {
        return bad_arg("--peer-url", NULL,
                       "needs --listen (the peer dials us back)");
    }
    if (bench_mode_info(o->mode)->one_process) {
        return bad_arg("--mode", bench_mode_name(o->mode),
                       "runs in one process only");
    }
    if (o->sweep) {
        return bad_arg("--sweep", NULL, "runs in one process only");
    }
    bool send = o->role == ROLE_SEND;
    o->local_id =
        o->local_id != 0 ? o->local_id : (send ? BENCH_SEND_ID : BENCH_RECV_ID);
    o->peer_id =
        o->peer_id != 0 ? o->peer_id : (send ? BENCH_RECV_ID : BENCH_SEND_ID);
    if (o->local_id == o->peer_id) {
        return bad_arg("--peer-id", NULL, "must differ from --local-id");
    }
    return 0;
}

bool bench_options_tls(const struct bench_opts *o)
{
    return o->tls.cert_file != NULL;
}

/* The first TLS flag given besides --peer-cert-file, or NULL. */
static const char *tls_flag_given(const struct bench_opts *o)
{
    const struct rafthttp_tls *t = &o->tls;
    const struct {
        bool given;
        const char *name;
    } flags[] = {
        {t->key_file != NULL, "--peer-key-file"},
        {t->trusted_ca_file != NULL, "--peer-trusted-ca-file"},
        {t->client_cert_auth, "--peer-client-cert-auth"},
        {t->allowed_cn != NULL, "--peer-cert-allowed-cn"},
        {t->bind_member_id, "--peer-bind-member-id"},
        {t->skip_client_san_verify,
         "--experimental-peer-skip-client-san-verification"},
        {o->tls_compare, "--tls-compare"},
    };
    for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
        if (flags[i].given) {
            return flags[i].name;
        }
    }
    return NULL;
}

/* External mode: https URLs with the TLS flags, http ones without. */
static int check_scheme(const char *opt, const char *url, bool tls)
{
    bool https = strncmp(url, "https://", 8) == 0;
    if (tls && !https) {
        return bad_arg(opt, url,
                       "the TLS flags (--peer-cert-file) want an https:// "
                       "URL");
    }
    if (!tls && https) {
        return bad_arg(opt, url,
                       "an https:// URL needs the TLS flags "
                       "(--peer-cert-file, --peer-key-file)");
    }
    return 0;
}

/* The TLS flags together, and with the URLs and the mode of running. */
static int check_tls(const struct bench_opts *o)
{
    const struct rafthttp_tls *t = &o->tls;
    bool tls = bench_options_tls(o);
    if (o->role != ROLE_BOTH &&
        (check_scheme("--listen", o->listen, tls) != 0 ||
         check_scheme("--peer-url", o->peer_url, tls) != 0)) {
        return -1;
    }
    if (!tls) {
        const char *flag = tls_flag_given(o);
        return flag != NULL ? bad_arg(flag, NULL, "needs --peer-cert-file") : 0;
    }
    if (t->key_file == NULL) {
        return bad_arg("--peer-cert-file", t->cert_file,
                       "needs --peer-key-file");
    }
    if (t->trusted_ca_file == NULL &&
        (t->client_cert_auth || t->allowed_cn != NULL || t->bind_member_id)) {
        return bad_arg(t->client_cert_auth     ? "--peer-client-cert-auth"
                       : t->allowed_cn != NULL ? "--peer-cert-allowed-cn"
                                               : "--peer-bind-member-id",
                       NULL,
                       "checking peers' certificates needs "
                       "--peer-trusted-ca-file");
    }
    if (t->bind_member_id && o->role == ROLE_BOTH) {
        return bad_arg("--peer-bind-member-id", NULL,
                       "in one process both members present the same "
                       "certificate, which names one member; use it in "
                       "external mode (--role), each side with its own");
    }
    if (o->tls_compare && o->role != ROLE_BOTH) {
        return bad_arg("--tls-compare", NULL, "runs in one process only");
    }
    return 0;
}

static int check_sweep(const struct bench_opts *o)
{
    if (o->plot != NULL && !o->sweep) {
        return bad_arg("--plot", o->plot, "needs --sweep");
    }
    if (o->plot_with != NULL && o->plot == NULL) {
        return bad_arg("--plot-with", o->plot_with, "needs --plot");
    }
    if (o->plot_with_version != NULL && o->plot_with == NULL) {
        return bad_arg("--plot-with-version", o->plot_with_version,
                       "needs --plot-with");
    }
    if (o->sweep && o->mode != MODE_STREAM) {
        return bad_arg("--sweep", NULL,
                       "runs stream and rtt itself: "
                       "no --mode");
    }
    return 0;
}

/* The spec's defaults, which depend on the mode. */
static int fill_sizes(struct bench_opts *o)
{
    const struct bench_mode_info *mi = bench_mode_info(o->mode);
    bool bulk = mi->snapshot; /* --size is the snapshot's */
    if (o->size == UNSET) {
        o->size = mi->default_size;
    }
    if (!bulk && o->size > BENCH_MAX_MSG_SIZE) {
        return bad_arg("--size", NULL, "at most 16 MiB for one entry");
    }
    if (bulk && (o->size == 0 || o->size > BENCH_MAX_SNAPSHOT)) {
        return bad_arg("--size", NULL, "a snapshot takes 1 B to 1 TiB");
    }
    bool only_snapshot = mi->snapshot && !mi->msgapp;
    if (only_snapshot && o->count_given && o->count != 1) {
        return bad_arg("--count", NULL, "snapshot mode sends one snapshot");
    }
    if (!o->count_given) {
        o->count = mi->default_count;
    }
    if (o->window == UNSET) {
        o->window = 512;
    }
    return 0;
}

static void set_defaults(struct bench_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->mode = MODE_STREAM;
    o->role = ROLE_BOTH;
    o->format = FORMAT_TABLE;
    o->size = UNSET;
    o->count = UNSET;
    o->window = UNSET;
    o->bulk_size = BENCH_DEFAULT_BULK_SIZE;
    o->cluster_id = BENCH_CLUSTER_ID;
    o->fsync = true;
    o->sweep_scale = 1.0;
}

int bench_options_parse(struct bench_opts *o, int argc, char **argv)
{
    bool json_and_csv = false;
    set_defaults(o);
    for (int i = 1; i < argc; i++) {
        if (parse_one(o, argc, argv, &i, &json_and_csv) != 0) {
            return -1;
        }
    }
    if (o->help || o->version) {
        return 0;
    }
    if (json_and_csv) {
        return bad_arg("--json", NULL, "choose one of --json and --csv");
    }
    if (check_external(o) != 0 || check_tls(o) != 0 || check_sweep(o) != 0) {
        return -1;
    }
    return fill_sizes(o);
}
