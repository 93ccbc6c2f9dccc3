/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Shared by the command-line tools (rafthttp-node, rafthttp-bench,
 * rafthttp-dump): usage text, argument errors in one format, --version,
 * and the values they all parse the same way (member and cluster IDs in
 * hex as etcd prints them, peer URLs, etcd's boolean flags). No state;
 * any thread.
 */
#ifndef RH_TOOLS_CLI_H
#define RH_TOOLS_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* The etcd releases whose peer protocol the tools speak. */
#define CLI_ETCD_VERSIONS "3.4 and 3.5"

/* Why an ID was refused, in every tool. */
#define CLI_ID_WHY "not a hex ID (1 to 16 hex digits)"

/* Prints n lines, each followed by a newline. */
void cli_print_lines(FILE *out, const char *const *lines, size_t n);

/*
 * "PROG: OPT 'VALUE': WHY" (or without the value) and a --help hint on
 * stderr. Returns -1 for the caller to pass on.
 */
int cli_bad_arg(const char *prog, const char *opt, const char *value,
                const char *why);

/* True if the library takes url as a peer or listen URL (https too: the
 * tools check the scheme against their TLS flags themselves). */
bool cli_url_valid(const char *url);

/*
 * A member or cluster ID as etcd prints it: 1 to 16 hex digits, no "0x"
 * (rafthttp_id_parse), and not 0. On error the same words in every tool:
 * "PROG: OPT 'S': " CLI_ID_WHY. Returns 0 or -1.
 */
int cli_parse_id(const char *prog, const char *opt, const char *s,
                 uint64_t *id);

/*
 * --version: the tool, the library's version and the etcd releases it
 * speaks to, on two lines.
 */
void cli_print_version(FILE *out, const char *prog);

/* etcd's boolean flags: --name alone (v NULL), or =true / =false. */
int cli_parse_bool(const char *prog, const char *opt, const char *v, bool *out);

#endif /* RH_TOOLS_CLI_H */
