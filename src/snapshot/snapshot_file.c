// SPDX-License-Identifier: Apache-2.0
/*
 * Snapshot database files, as etcd's Snapshotter.SaveDBFrom: a temporary
 * file in the snapshot directory, then fsync, rename to
 * <index as 16 hex digits>.snap.db, and (beyond etcd) an fsync of the
 * directory so the rename itself survives a crash.
 *
 * Failure modes: the directory cannot be created or written, the disk is
 * full or fails (write, fsync, rename): RAFTHTTP_EIO with the reason in
 * f->err, and the temporary file is deleted. An existing final file is
 * kept and the new one dropped, as etcd does (the upload still succeeds).
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "snapshot.h"

void rh_snap_db_name(uint64_t index, char out[RH_SNAP_NAME_LEN])
{
    snprintf(out, RH_SNAP_NAME_LEN, "%016llx.snap.db",
             (unsigned long long)index);
}

static int fail(struct rh_snap_file *f, const char *what)
{
    snprintf(f->err, sizeof(f->err), "%s: %s", what, strerror(errno));
    return RAFTHTTP_EIO;
}

int rh_snap_file_open(struct rh_snap_file *f, const char *dir)
{
    f->fd = -1;
    f->err[0] = '\0';
    snprintf(f->dir, sizeof(f->dir), "%s", dir);
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        return fail(f, "create snapshot directory");
    }
    snprintf(f->tmp, sizeof(f->tmp), "%s/tmpXXXXXX", dir);
    f->fd = mkstemp(f->tmp);
    if (f->fd < 0) {
        return fail(f, "create temporary file");
    }
    return 0;
}

int rh_snap_file_write(struct rh_snap_file *f, const uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(f->fd, p, n);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            if (w == 0) {
                errno = EIO;
            }
            return fail(f, "write snapshot");
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int sync_dir(struct rh_snap_file *f)
{
    int fd = open(f->dir, O_RDONLY | O_DIRECTORY);
    if (fd < 0) {
        return fail(f, "open snapshot directory");
    }
    int rv = fsync(fd) == 0 ? 0 : fail(f, "fsync snapshot directory");
    close(fd);
    return rv;
}

int rh_snap_file_commit(struct rh_snap_file *f, uint64_t index, bool sync,
                        char *path, size_t path_len)
{
    char name[RH_SNAP_NAME_LEN];
    rh_snap_db_name(index, name);
    snprintf(path, path_len, "%s/%s", f->dir, name);
    if (sync && fsync(f->fd) != 0) {
        int rv = fail(f, "fsync snapshot");
        rh_snap_file_discard(f);
        return rv;
    }
    int rv = close(f->fd) == 0 ? 0 : fail(f, "close snapshot");
    f->fd = -1;
    struct stat st;
    if (rv == 0 && stat(path, &st) == 0) {
        unlink(f->tmp); /* etcd keeps the file it has */
        return 0;
    }
    if (rv == 0 && rename(f->tmp, path) != 0) {
        rv = fail(f, "rename snapshot");
    }
    if (rv != 0) {
        unlink(f->tmp);
        return rv;
    }
    return sync ? sync_dir(f) : 0;
}

void rh_snap_file_discard(struct rh_snap_file *f)
{
    if (f->fd >= 0) {
        close(f->fd);
        f->fd = -1;
    }
    unlink(f->tmp);
}
