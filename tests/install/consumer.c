/* A program built against the installed library, as an application is. */
#include <stdio.h>
#include <string.h>

#include <rafthttp.h>

int main(void)
{
    char id[RAFTHTTP_ID_STRLEN];
    struct rafthttp_config cfg;
    rafthttp_config_init(&cfg);
    cfg.local_id = 0x8f96cf29dba10d9;
    cfg.cluster_id = 1;
    if (rafthttp_config_validate(&cfg) != 0 ||
        strcmp(rafthttp_id_format(cfg.local_id, id), "8f96cf29dba10d9") != 0 ||
        strcmp(rafthttp_version_string(), RAFTHTTP_VERSION_STRING) != 0) {
        return 1;
    }
    printf("consumer: rafthttp %s, %s\n", rafthttp_version_string(),
           rafthttp_strerror(RAFTHTTP_ECLUSTER_MISMATCH));
    return 0;
}
