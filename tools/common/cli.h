/*
 * Shared by the command-line tools (rafthttp-node, rafthttp-bench): usage
 * text, argument errors in one format, and the values both parse the same
 * way (peer URLs, etcd's boolean flags). No state; any thread.
 */
#ifndef RH_TOOLS_CLI_H
#define RH_TOOLS_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

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

/* etcd's boolean flags: --name alone (v NULL), or =true / =false. */
int cli_parse_bool(const char *prog, const char *opt, const char *v, bool *out);

#endif /* RH_TOOLS_CLI_H */
