// SPDX-License-Identifier: Apache-2.0
/* Command-line helpers shared by the tools (see cli.h). */
#include <string.h>

#include "cli.h"
#include "rafthttp.h"

void cli_print_lines(FILE *out, const char *const *lines, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        fprintf(out, "%s\n", lines[i]);
    }
}

int cli_bad_arg(const char *prog, const char *opt, const char *value,
                const char *why)
{
    if (value != NULL) {
        fprintf(stderr, "%s: %s '%s': %s\n", prog, opt, value, why);
    } else {
        fprintf(stderr, "%s: %s: %s\n", prog, opt, why);
    }
    fprintf(stderr, "Try '%s --help'.\n", prog);
    return -1;
}

bool cli_url_valid(const char *url)
{
    static const struct rafthttp_tls any_tls; /* https is syntax here */
    struct rafthttp_config cfg;
    rafthttp_config_init(&cfg);
    cfg.tls = &any_tls;
    cfg.local_id = 1;
    cfg.cluster_id = 1;
    cfg.peer_urls = &url;
    cfg.n_peer_urls = 1;
    return rafthttp_config_validate(&cfg) == 0;
}

int cli_parse_id(const char *prog, const char *opt, const char *s, uint64_t *id)
{
    uint64_t v = 0;
    if (rafthttp_id_parse(s, &v) != 0) {
        return cli_bad_arg(prog, opt, s, CLI_ID_WHY);
    }
    if (v == 0) {
        return cli_bad_arg(prog, opt, s, "the ID must not be 0");
    }
    *id = v;
    return 0;
}

void cli_print_version(FILE *out, const char *prog)
{
    fprintf(out, "%s (rafthttp-c %s)\n", prog, rafthttp_version_string());
    fprintf(out, "speaks etcd's peer protocol (rafthttp) with etcd %s\n",
            CLI_ETCD_VERSIONS);
}

int cli_parse_bool(const char *prog, const char *opt, const char *v, bool *out)
{
    if (v == NULL || strcmp(v, "true") == 0) {
        *out = true;
    } else if (strcmp(v, "false") == 0) {
        *out = false;
    } else {
        return cli_bad_arg(prog, opt, v, "want true or false");
    }
    return 0;
}
