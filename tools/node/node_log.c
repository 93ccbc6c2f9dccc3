// SPDX-License-Identifier: Apache-2.0
/* rafthttp-node's log sink; see node_log.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "node_log.h"

#define PROG "rafthttp-node"

/* Adds one output named by name (len bytes). */
static int add_output(struct node_log *l, const char *name, size_t len)
{
    char path[4096];
    if (len == 0 || len >= sizeof(path) || l->n == NODE_LOG_MAX_OUTPUTS) {
        fprintf(stderr, PROG ": --log-outputs: %s\n",
                len == 0 ? "an empty output" : "too many outputs or too long");
        return -1;
    }
    memcpy(path, name, len);
    path[len] = '\0';
    FILE *f = NULL;
    bool owned = false;
    if (strcmp(path, "stderr") == 0 || strcmp(path, "default") == 0) {
        f = stderr;
    } else if (strcmp(path, "stdout") == 0) {
        f = stdout;
    } else {
        f = fopen(path, "a");
        owned = true;
        if (f == NULL) {
            fprintf(stderr, PROG ": --log-outputs: cannot open %s: %s\n", path,
                    strerror(errno));
            return -1;
        }
    }
    l->out[l->n] = f;
    l->owned[l->n++] = owned;
    return 0;
}

int node_log_open(struct node_log *l, const char *outputs,
                  enum rafthttp_log_format format)
{
    memset(l, 0, sizeof(*l));
    l->format = format;
    pthread_mutex_init(&l->mu, NULL);
    const char *p = outputs != NULL ? outputs : "stderr";
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma != NULL ? (size_t)(comma - p) : strlen(p);
        if (add_output(l, p, len) != 0) {
            node_log_close(l);
            return -1;
        }
        if (comma == NULL) {
            return 0;
        }
        p = comma + 1;
    }
}

void node_log_close(struct node_log *l)
{
    for (size_t i = 0; i < l->n; i++) {
        if (l->owned[i]) {
            fclose(l->out[i]);
        }
    }
    l->n = 0;
    pthread_mutex_destroy(&l->mu);
}

void node_log_write(enum rafthttp_log_level level, const char *msg,
                    const struct rafthttp_log_field *fields, size_t n_fields,
                    void *ud)
{
    struct node_log *l = ud;
    char line[4096];
    size_t len = rafthttp_log_format(l->format, level, msg, fields, n_fields,
                                     line, sizeof(line));
    pthread_mutex_lock(&l->mu);
    for (size_t i = 0; i < l->n; i++) {
        fprintf(l->out[i], "%s%s\n", line, len >= sizeof(line) ? "..." : "");
        fflush(l->out[i]);
    }
    pthread_mutex_unlock(&l->mu);
}
