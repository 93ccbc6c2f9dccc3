// SPDX-License-Identifier: Apache-2.0
/*
 * The command line of rafthttp-node: one handler per option, then the
 * checks that need all of them (required options, peer IDs against our
 * own, the --send-snapshot target against the peers). Every complaint is
 * one line on stderr naming the option (as the user spelt it: ours or
 * etcd's name for it) and the value; the caller exits with status 2.
 *
 * etcd's names are aliases of ours, so that a member's command line can
 * be an etcd member's with the client flags left out: --listen-peer-urls
 * and --initial-advertise-peer-urls take comma-separated lists (a repeated
 * --listen or --advertise each), --listen-metrics-urls is --metrics-listen
 * (one URL), and --initial-cluster-state is checked but changes nothing,
 * as this member keeps no raft log to bootstrap from or join with.
 *
 * URLs are checked by the library itself (rafthttp_config_validate), so
 * that what passes here is what the transport and add_peer accept; the
 * --metrics-listen URL, which is ours, by node_metrics_url_parse. The
 * --send-snapshot file is opened at startup by the caller, not here.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../common/cli.h"
#include "common/common.h"
#include "metrics_http.h"
#include "options.h"

static const char *const usage_text[] = {
    "usage: " PROG " --id HEX --cluster-id HEX --listen URL [options]",
    "       " PROG " --name NAME --initial-cluster NAME=URL,... --listen URL",
    "                     [options]",
    "",
    "Runs one raft member's transport (etcd 3.4 rafthttp) with a built-in",
    "follower that grants votes and acknowledges appends, heartbeats and",
    "snapshots. It can send one snapshot database to a peer and serve the",
    "transport's metrics. Status, snapshot and summary lines go to stdout,",
    "the log to stderr.",
    "",
    "  --id HEX                   this member's ID (not 0)",
    "  --cluster-id HEX           the cluster's ID (not 0)",
    "  --listen URL               serve peers at http(s)://IP:PORT",
    "                             (repeatable)",
    "  --advertise URL            announce this URL to peers (repeatable;",
    "                             default: the --listen URLs)",
    "  --peer HEX=URL[,URL...]    a peer and its URLs (repeatable)",
    "  --name NAME                etcd's flags instead of --id, --cluster-id",
    "  --initial-cluster N=URL,.. and --peer: IDs computed as etcd does, and",
    "  --initial-cluster-token T  the members served at /members (default",
    "                             token: etcd-cluster)",
    "  --data-dir DIR             snapshot directory, created if missing",
    "                             and checked writable at start (as etcd,",
    "                             by writing and removing DIR/.touch):",
    "                             received snapshots are saved there as",
    "                             <16 hex digits of index>.snap.db (without",
    "                             it, snapshots from peers are refused)",
    "  --send-snapshot HEX=FILE   once peer HEX is active, send FILE to it",
    "                             as a snapshot database (at most once)",
    "  --metrics-listen URL       serve GET /metrics (Prometheus) and",
    "                             GET /v2/stats/leader at http://HOST:PORT",
    "                             (port 0: any free port, printed)",
    "  --log-level LEVEL          debug, info (default), warn or error",
    "  --logger zap|capnslog      the log's form: zap's JSON lines, as",
    "                             etcd's --logger zap, or one text line per",
    "                             event with key=value fields (default)",
    "  --log-outputs OUT[,OUT..]  stderr (default), stdout, default",
    "                             (stderr) or a file path (appended)",
    "  --status-interval SECONDS  print peer status every SECONDS (0: off)",
    "  --duration SECONDS         exit after SECONDS (0: at SIGINT/SIGTERM)",
    "  --peer-delay SECONDS       add the peers only after SECONDS (test:",
    "                             until then peers reach us by pipeline)",
    "  --etcd-version X.Y.Z       the etcd server version this member",
    "                             announces (X-Server-Version, GET /version's",
    "                             etcdserver); "
    "default " RAFTHTTP_DEFAULT_SERVER_VERSION ". etcd's leader",
    "                             raises the cluster version to the lowest",
    "                             member's X.Y: next to etcd 3.5 members, say",
    "                             3.5.x to let the cluster reach 3.5",
    "  --cluster-version X.Y.Z    GET /version's etcdcluster (default X.Y.0",
    "                             of --etcd-version)",
    "",
    "TLS between peers (etcd's flags; https:// URLs need them):",
    "  --peer-cert-file FILE      our certificate (PEM), server and client",
    "  --peer-key-file FILE       its key (PEM)",
    "  --peer-trusted-ca-file F   CAs that peers' certificates chain to",
    "  --peer-client-cert-auth    require and check client certificates",
    "  --peer-cert-allowed-cn CN  accept only client certificates with CN",
    "  --peer-cert-allowed-hostname H   ... valid for host name H",
    "  --peer-bind-member-id      certificates must name the member ID they",
    "                             speak for (URI SAN urn:rafthttp:member:<hex>",
    "                             or CN <hex>); beyond etcd",
    "  --peer-tls-min-version V   1.2 (default) or 1.3",
    "  --experimental-peer-skip-client-san-verification",
    "                             do not match client certificates' SANs",
    "                             against their address (etcd's flag)",
    "",
    "etcd's names for our flags (--name, --initial-cluster, --data-dir and",
    "--initial-cluster-token above are etcd's too):",
    "  --listen-peer-urls URL[,URL...]   as --listen, once per URL",
    "  --initial-advertise-peer-urls URL[,URL...]",
    "                             as --advertise, once per URL",
    "  --listen-metrics-urls URL  as --metrics-listen (one URL only)",
    "  --initial-cluster-state new|existing",
    "                             checked, otherwise without effect: this",
    "                             member keeps no raft log to bootstrap or",
    "                             to fetch, and computes its IDs from",
    "                             --initial-cluster either way. To join as",
    "                             a member etcdctl member add created, give",
    "                             the IDs it printed with --id, --cluster-id",
    "                             and --peer instead",
    "",
    "  --help                     show this text",
    "  --version                  show the versions: this program's, and",
    "                             the etcd releases it speaks to",
    "",
    "Options also take --name=VALUE. Exit status: 0 after a clean stop,",
    "1 on a runtime error, 2 on bad arguments (a --data-dir that is not a",
    "writable directory, or a --send-snapshot FILE that cannot be read,",
    "among them).",
};

void node_options_usage(FILE *out)
{
    cli_print_lines(out, usage_text,
                    sizeof(usage_text) / sizeof(usage_text[0]));
}

/* Reports a bad argument; returns -1 for the caller to pass on. */
static int bad_arg(const char *opt, const char *value, const char *why)
{
    return cli_bad_arg(PROG, opt, value, why);
}

static int parse_id(const char *opt, const char *s, uint64_t *id)
{
    return cli_parse_id(PROG, opt, s, id);
}

static int parse_seconds(const char *opt, const char *s, uint64_t *out)
{
    char *end = NULL;
    if (s[0] < '0' || s[0] > '9') {
        return bad_arg(opt, s, "not a number of seconds");
    }
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (end == s || *end != '\0') {
        return bad_arg(opt, s, "not a number of seconds");
    }
    if (errno == ERANGE || v > NODE_MAX_SECONDS) {
        return bad_arg(opt, s, "too long (at most ten years)");
    }
    *out = (uint64_t)v;
    return 0;
}

static int add_url(const char *opt, const char *url, const char **list,
                   size_t *n)
{
    if (!cli_url_valid(url)) {
        return bad_arg(opt, url, "invalid URL (want http://HOST:PORT)");
    }
    if (*n == NODE_MAX_URLS) {
        return bad_arg(opt, url, "too many URLs");
    }
    list[(*n)++] = url;
    return 0;
}

/* Splits s ("URL,URL", a copy of v) in place onto list, checking each. */
static int split_urls(const char *opt, const char *v, char *s,
                      const char **list, size_t *n)
{
    for (;;) {
        char *comma = strchr(s, ',');
        if (comma != NULL) {
            *comma = '\0';
        }
        if (s[0] == '\0') {
            return bad_arg(opt, v, "empty URL in the list");
        }
        if (add_url(opt, s, list, n) != 0) {
            return -1;
        }
        if (comma == NULL) {
            return 0;
        }
        s = comma + 1;
    }
}

static int opt_peer(struct node_opts *o, const char *v)
{
    const char *opt = "--peer";
    const char *eq = strchr(v, '=');
    char id[RAFTHTTP_ID_STRLEN + 8];
    if (eq == NULL || eq == v) {
        return bad_arg(opt, v, "want HEX=URL[,URL...]");
    }
    if (o->n_peers == NODE_MAX_PEERS) {
        return bad_arg(opt, v, "too many peers");
    }
    struct node_peer *p = &o->peers[o->n_peers];
    size_t id_len = (size_t)(eq - v);
    if (id_len >= sizeof(id)) {
        return bad_arg(opt, v, CLI_ID_WHY);
    }
    memcpy(id, v, id_len);
    id[id_len] = '\0';
    int n = snprintf(p->spec, sizeof(p->spec), "%s", eq + 1);
    if (n < 0 || (size_t)n >= sizeof(p->spec)) {
        return bad_arg(opt, v, "URL list too long");
    }
    if (parse_id(opt, id, &p->id) != 0 ||
        split_urls(opt, v, p->spec, p->urls, &p->n_urls) != 0) {
        return -1;
    }
    o->n_peers++;
    return 0;
}

static int opt_id(struct node_opts *o, const char *v)
{
    return parse_id("--id", v, &o->id);
}

static int opt_cluster_id(struct node_opts *o, const char *v)
{
    return parse_id("--cluster-id", v, &o->cluster_id);
}

static int opt_listen(struct node_opts *o, const char *v)
{
    return add_url("--listen", v, o->listen, &o->n_listen);
}

static int opt_advertise(struct node_opts *o, const char *v)
{
    return add_url("--advertise", v, o->advertise, &o->n_advertise);
}

/* etcd's comma-separated URL flags: a copy of v, split onto list. */
static int add_url_list(struct node_opts *o, const char *opt, const char *v,
                        const char **list, size_t *n)
{
    size_t len = strlen(v) + 1;
    if (len > sizeof(o->url_pool) - o->url_pool_used) {
        return bad_arg(opt, v, "URL list too long");
    }
    char *copy = o->url_pool + o->url_pool_used;
    memcpy(copy, v, len);
    o->url_pool_used += len;
    return split_urls(opt, v, copy, list, n);
}

static int opt_listen_peer_urls(struct node_opts *o, const char *v)
{
    return add_url_list(o, "--listen-peer-urls", v, o->listen, &o->n_listen);
}

static int opt_advertise_peer_urls(struct node_opts *o, const char *v)
{
    return add_url_list(o, "--initial-advertise-peer-urls", v, o->advertise,
                        &o->n_advertise);
}

static int opt_cluster_state(struct node_opts *o, const char *v)
{
    if (strcmp(v, "new") != 0 && strcmp(v, "existing") != 0) {
        return bad_arg("--initial-cluster-state", v, "want new or existing");
    }
    o->cluster_state = v;
    return 0;
}

static int opt_data_dir(struct node_opts *o, const char *v)
{
    if (v[0] == '\0') {
        return bad_arg("--data-dir", v, "empty directory name");
    }
    o->data_dir = v;
    return 0;
}

static int opt_send_snapshot(struct node_opts *o, const char *v)
{
    const char *opt = "--send-snapshot";
    const char *eq = strchr(v, '=');
    char id[RAFTHTTP_ID_STRLEN + 8];
    if (o->snap_file != NULL) {
        return bad_arg(opt, v, "given more than once");
    }
    if (eq == NULL || eq == v || eq[1] == '\0') {
        return bad_arg(opt, v, "want HEX=FILE");
    }
    size_t id_len = (size_t)(eq - v);
    if (id_len >= sizeof(id)) {
        return bad_arg(opt, v, CLI_ID_WHY);
    }
    memcpy(id, v, id_len);
    id[id_len] = '\0';
    if (parse_id(opt, id, &o->snap_to) != 0) {
        return -1;
    }
    o->snap_file = eq + 1;
    return 0;
}

/* --metrics-listen, or etcd's --listen-metrics-urls with one URL. */
static int metrics_listen(struct node_opts *o, const char *opt, const char *v)
{
    char host[METRICS_HOST_LEN];
    unsigned port;
    if (o->metrics_listen != NULL) {
        return bad_arg(opt, v, "given more than once");
    }
    if (strchr(v, ',') != NULL) {
        return bad_arg(opt, v, "one URL only (metrics are served at one)");
    }
    if (node_metrics_url_parse(v, host, sizeof(host), &port) != 0) {
        return bad_arg(opt, v, "invalid URL (want http://HOST:PORT)");
    }
    o->metrics_listen = v;
    return 0;
}

static int opt_metrics_listen(struct node_opts *o, const char *v)
{
    return metrics_listen(o, "--metrics-listen", v);
}

static int opt_listen_metrics_urls(struct node_opts *o, const char *v)
{
    return metrics_listen(o, "--listen-metrics-urls", v);
}

static int opt_log_level(struct node_opts *o, const char *v)
{
    for (int i = RAFTHTTP_LOG_DEBUG; i <= RAFTHTTP_LOG_ERROR; i++) {
        enum rafthttp_log_level level = (enum rafthttp_log_level)i;
        if (strcasecmp(v, rh_log_level_name(level)) == 0) {
            o->log_level = level;
            return 0;
        }
    }
    return bad_arg("--log-level", v, "want debug, info, warn or error");
}

static int opt_logger(struct node_opts *o, const char *v)
{
    if (strcmp(v, "zap") == 0 || strcmp(v, "capnslog") == 0) {
        o->log_format = v[0] == 'z' ? RAFTHTTP_LOG_JSON : RAFTHTTP_LOG_TEXT;
        return 0;
    }
    return bad_arg("--logger", v, "want zap or capnslog");
}

static int opt_log_outputs(struct node_opts *o, const char *v)
{
    if (v[0] == '\0') {
        return bad_arg("--log-outputs", v, "want stderr, stdout or a path");
    }
    o->log_outputs = v;
    return 0;
}

static int opt_peer_delay(struct node_opts *o, const char *v)
{
    return parse_seconds("--peer-delay", v, &o->peer_delay_s);
}

static int opt_name(struct node_opts *o, const char *v)
{
    o->name = v;
    return 0;
}

static int opt_initial_cluster(struct node_opts *o, const char *v)
{
    o->initial_cluster = v;
    return 0;
}

static int opt_cluster_token(struct node_opts *o, const char *v)
{
    o->cluster_token = v;
    return 0;
}

static int opt_status_interval(struct node_opts *o, const char *v)
{
    return parse_seconds("--status-interval", v, &o->status_interval_s);
}

static int opt_duration(struct node_opts *o, const char *v)
{
    return parse_seconds("--duration", v, &o->duration_s);
}

static int opt_cert(struct node_opts *o, const char *v)
{
    o->tls.cert_file = v;
    return 0;
}

static int opt_key(struct node_opts *o, const char *v)
{
    o->tls.key_file = v;
    return 0;
}

static int opt_ca(struct node_opts *o, const char *v)
{
    o->tls.trusted_ca_file = v;
    return 0;
}

static int opt_allowed_cn(struct node_opts *o, const char *v)
{
    o->tls.allowed_cn = v;
    return 0;
}

static int opt_allowed_host(struct node_opts *o, const char *v)
{
    o->tls.allowed_hostname = v;
    return 0;
}

static int opt_min_version(struct node_opts *o, const char *v)
{
    if (strcmp(v, "1.2") != 0 && strcmp(v, "1.3") != 0) {
        return bad_arg("--peer-tls-min-version", v, "want 1.2 or 1.3");
    }
    o->tls.min_version = v;
    return 0;
}

static int opt_client_cert_auth(struct node_opts *o, const char *v)
{
    return cli_parse_bool(PROG, "--peer-client-cert-auth", v,
                          &o->tls.client_cert_auth);
}

static int opt_skip_san(struct node_opts *o, const char *v)
{
    return cli_parse_bool(PROG,
                          "--experimental-peer-skip-client-san-verification", v,
                          &o->tls.skip_client_san_verify);
}

/* A strict semver, as X-Server-Version and /version need it. */
static int parse_version(const char *opt, const char *v, const char **out)
{
    struct rh_semver sv;
    if (rh_semver_parse(v, &sv) != 0) {
        return bad_arg(opt, v, "not a version (want X.Y.Z)");
    }
    *out = v;
    return 0;
}

static int opt_etcd_version(struct node_opts *o, const char *v)
{
    return parse_version("--etcd-version", v, &o->server_version);
}

static int opt_cluster_version(struct node_opts *o, const char *v)
{
    return parse_version("--cluster-version", v, &o->cluster_version);
}

static int opt_bind_member(struct node_opts *o, const char *v)
{
    return cli_parse_bool(PROG, "--peer-bind-member-id", v,
                          &o->tls.bind_member_id);
}

struct node_option {
    const char *name;
    int (*apply)(struct node_opts *o, const char *value);
    bool flag; /* takes no separate value (only --name=VALUE) */
};

static const struct node_option options[] = {
    {"--id", opt_id, false},
    {"--cluster-id", opt_cluster_id, false},
    {"--listen", opt_listen, false},
    {"--advertise", opt_advertise, false},
    {"--peer", opt_peer, false},
    {"--data-dir", opt_data_dir, false},
    {"--send-snapshot", opt_send_snapshot, false},
    {"--metrics-listen", opt_metrics_listen, false},
    {"--log-level", opt_log_level, false},
    {"--logger", opt_logger, false},
    {"--log-outputs", opt_log_outputs, false},
    {"--status-interval", opt_status_interval, false},
    {"--duration", opt_duration, false},
    {"--peer-delay", opt_peer_delay, false},
    {"--etcd-version", opt_etcd_version, false},
    {"--cluster-version", opt_cluster_version, false},
    {"--name", opt_name, false},
    {"--initial-cluster", opt_initial_cluster, false},
    {"--initial-cluster-token", opt_cluster_token, false},
    {"--listen-peer-urls", opt_listen_peer_urls, false},
    {"--initial-advertise-peer-urls", opt_advertise_peer_urls, false},
    {"--listen-metrics-urls", opt_listen_metrics_urls, false},
    {"--initial-cluster-state", opt_cluster_state, false},
    {"--peer-cert-file", opt_cert, false},
    {"--peer-key-file", opt_key, false},
    {"--peer-trusted-ca-file", opt_ca, false},
    {"--peer-cert-allowed-cn", opt_allowed_cn, false},
    {"--peer-cert-allowed-hostname", opt_allowed_host, false},
    {"--peer-tls-min-version", opt_min_version, false},
    {"--peer-client-cert-auth", opt_client_cert_auth, true},
    {"--peer-bind-member-id", opt_bind_member, true},
    {"--experimental-peer-skip-client-san-verification", opt_skip_san, true},
};

/* The option named by arg ("--name" or "--name=value"), or NULL. */
static const struct node_option *find_option(const char *arg)
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
static int parse_one(struct node_opts *o, int argc, char **argv, int *i)
{
    const char *arg = argv[*i];
    if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
        o->help = true;
        return 0;
    }
    if (strcmp(arg, "--version") == 0) {
        o->version = true;
        return 0;
    }
    if (arg[0] != '-') {
        return bad_arg(arg, NULL, "unexpected argument");
    }
    const struct node_option *opt = find_option(arg);
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

void node_options_fill_config(const struct node_opts *o,
                              const struct rafthttp_raft_ops *ops, void *ud,
                              struct rafthttp_config *cfg)
{
    rafthttp_config_init(cfg);
    cfg->local_id = o->id;
    cfg->cluster_id = o->cluster_id;
    cfg->listen_urls = o->listen;
    cfg->n_listen_urls = o->n_listen;
    cfg->peer_urls = o->advertise;
    cfg->n_peer_urls = o->n_advertise;
    cfg->snapshot_dir = o->data_dir; /* NULL: snapshots are refused */
    cfg->raft_ops = ops;
    cfg->raft_user_data = ud;
    cfg->log = NULL; /* the caller routes it (node_log.c) */
    cfg->log_format = o->log_format;
    cfg->members_json = o->members_json[0] != '\0' ? o->members_json : NULL;
    cfg->log_level = o->log_level;
    if (o->server_version != NULL) {
        cfg->server_version = o->server_version;
    }
    cfg->cluster_version = o->cluster_version; /* NULL: X.Y.0 of it */
    cfg->tls =
        o->tls.cert_file != NULL || o->tls.key_file != NULL ? &o->tls : NULL;
}

/* The --send-snapshot target must be one of the --peer IDs. */
static int check_snap_to(const struct node_opts *o)
{
    char a[RAFTHTTP_ID_STRLEN];
    if (o->snap_file == NULL) {
        return 0;
    }
    for (size_t i = 0; i < o->n_peers; i++) {
        if (o->peers[i].id == o->snap_to) {
            return 0;
        }
    }
    rafthttp_id_format(o->snap_to, a);
    return bad_arg("--send-snapshot", a, "not the ID of a --peer");
}

static int check_peers(const struct node_opts *o)
{
    char a[RAFTHTTP_ID_STRLEN];
    for (size_t i = 0; i < o->n_peers; i++) {
        uint64_t id = o->peers[i].id;
        rafthttp_id_format(id, a);
        if (id == o->id) {
            return bad_arg("--peer", a, "a peer cannot have our own --id");
        }
        for (size_t j = 0; j < i; j++) {
            if (o->peers[j].id == id) {
                return bad_arg("--peer", a, "duplicate peer ID");
            }
        }
    }
    return 0;
}

/* Checks what no single option can; fills the defaults. */
static int check_opts(struct node_opts *o)
{
    struct rafthttp_config cfg;
    if (o->initial_cluster != NULL && node_cluster_opts_resolve(o) != 0) {
        return -1;
    }
    if (o->id == 0) {
        return bad_arg("--id", NULL, "required");
    }
    if (o->cluster_id == 0) {
        return bad_arg("--cluster-id", NULL, "required");
    }
    if (o->n_listen == 0) {
        return bad_arg("--listen (or --listen-peer-urls)", NULL, "required");
    }
    if (o->n_advertise == 0) {
        memcpy(o->advertise, o->listen, sizeof(o->listen));
        o->n_advertise = o->n_listen;
    }
    if (check_peers(o) != 0 || check_snap_to(o) != 0) {
        return -1;
    }
    node_options_fill_config(o, NULL, NULL, &cfg);
    if (rafthttp_config_validate(&cfg) != 0) {
        return bad_arg("configuration", NULL, "rejected by the library");
    }
    return 0;
}

int node_options_parse(struct node_opts *o, int argc, char **argv)
{
    memset(o, 0, sizeof(*o));
    o->log_level = RAFTHTTP_LOG_INFO;
    for (int i = 1; i < argc; i++) {
        if (parse_one(o, argc, argv, &i) != 0) {
            return -1;
        }
    }
    return o->help || o->version ? 0 : check_opts(o);
}
