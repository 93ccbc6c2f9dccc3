/* The /members list of rafthttp-node; see membership.h. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "membership.h"

#define MAX_MEMBERS 64
#define MEMBER_JSON 1024

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct {
    uint64_t id;
    char json[MEMBER_JSON];
} members[MAX_MEMBERS];
static size_t n_members;

int node_membership_set(uint64_t id, const char *json, size_t len)
{
    if (len >= MEMBER_JSON) {
        return -1;
    }
    pthread_mutex_lock(&mu);
    size_t k = 0;
    while (k < n_members && members[k].id != id) {
        k++;
    }
    int rv = 0;
    if (k == n_members && n_members == MAX_MEMBERS) {
        rv = -1;
    } else {
        if (k == n_members) {
            n_members++;
        }
        members[k].id = id;
        memcpy(members[k].json, json, len);
        members[k].json[len] = '\0';
    }
    pthread_mutex_unlock(&mu);
    return rv;
}

void node_membership_remove(uint64_t id)
{
    pthread_mutex_lock(&mu);
    for (size_t k = 0; k < n_members; k++) {
        if (members[k].id == id) {
            members[k] = members[--n_members];
            break;
        }
    }
    pthread_mutex_unlock(&mu);
}

size_t node_membership_json(char *out, size_t cap)
{
    pthread_mutex_lock(&mu);
    size_t at = 0;
    int ok = n_members > 0 && cap > 2;
    if (ok) {
        out[at++] = '[';
    }
    for (size_t k = 0; ok && k < n_members; k++) {
        size_t len = strlen(members[k].json);
        if (at + len + 3 > cap) {
            ok = 0;
            break;
        }
        if (k > 0) {
            out[at++] = ',';
        }
        memcpy(out + at, members[k].json, len);
        at += len;
    }
    pthread_mutex_unlock(&mu);
    if (!ok) {
        return 0;
    }
    out[at++] = ']';
    out[at] = '\0';
    return at;
}

size_t node_membership_peer_urls(const char *json, size_t len, char *buf,
                                 size_t cap, const char **urls, size_t max)
{
    static const char key[] = "\"peerURLs\":[";
    if (len >= cap) {
        return 0;
    }
    memcpy(buf, json, len);
    buf[len] = '\0';
    char *p = strstr(buf, key);
    size_t n = 0;
    if (p == NULL) {
        return 0;
    }
    p += sizeof(key) - 1;
    while (n < max && *p == '"') {
        char *end = strchr(p + 1, '"');
        if (end == NULL) {
            break;
        }
        *end = '\0';
        urls[n++] = p + 1;
        p = end + 1;
        if (*p == ',') {
            p++;
        }
    }
    return n;
}
