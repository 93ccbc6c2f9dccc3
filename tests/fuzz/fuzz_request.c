// SPDX-License-Identifier: Apache-2.0
/*
 * Fuzz: the request checks of the /raft handlers. The input is split at
 * newlines into method, path, X-Server-Version, X-Min-Cluster-Version,
 * X-Etcd-Cluster-ID and X-Raft-To; a missing line is a missing header.
 */
#include <string.h>

#include "fuzz_common.h"
#include "http/http.h"

#define N_FIELDS 6

static void check_verdict(bool ok, const struct rh_verdict *v)
{
    if (ok) {
        fuzz_require(v->status == 0);
        return;
    }
    fuzz_require(v->status == 400 || v->status == 404 || v->status == 405 ||
                 v->status == 412);
    fuzz_require(v->body != NULL && v->body[0] != '\0');
    fuzz_require((v->status == 405) == (v->allow != NULL));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = '\0';
    const char *fields[N_FIELDS] = {NULL};
    char *p = text;
    for (int i = 0; i < N_FIELDS && p != NULL; i++) {
        fields[i] = p;
        p = strchr(p, '\n');
        if (p != NULL) {
            *p++ = '\0';
        }
    }
    struct rafthttp_config cfg;
    rafthttp_config_init(&cfg);
    cfg.local_id = 0x1d022bfa869d1d4;
    cfg.cluster_id = 0x8f96cf29dba10d9;
    struct rh_local_identity local;
    fuzz_require(rh_local_identity_init(&local, &cfg) == 0);
    struct rh_request req = {fields[0], fields[1], fields[2],
                             fields[3], fields[4], fields[5]};
    struct rh_verdict v;
    (void)rh_route_path(req.path);
    check_verdict(rh_check_post_request(&local, &req, &v), &v);
    enum rh_stream_type type;
    uint64_t from;
    check_verdict(rh_check_stream_request(&local, &req, &type, &from, &v), &v);
    check_verdict(rh_check_recipient(&local, &req, &v), &v);
    uint64_t id;
    if (fields[0] != NULL && rafthttp_id_parse(fields[0], &id) == 0) {
        char buf[RAFTHTTP_ID_STRLEN];
        uint64_t back;
        fuzz_require(rafthttp_id_parse(rafthttp_id_format(id, buf), &back) ==
                     0);
        fuzz_require(back == id);
    }
    free(text);
    return 0;
}
