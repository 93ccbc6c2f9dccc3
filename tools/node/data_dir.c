// SPDX-License-Identifier: Apache-2.0
/*
 * The --data-dir check of rafthttp-node (see data_dir.h), as etcd checks
 * its own data directory (fileutil.IsDirWriteable): the directory is made
 * if missing, then a file named .touch is written in it and removed. The
 * write is what counts: access(W_OK) says yes to root whatever the mode,
 * and knows nothing of a full or read-only mount.
 *
 * Failure modes, each one line on stderr naming the directory:
 *   1. the path is longer than PATH_MAX-ish (4096 bytes);
 *   2. a component cannot be made (mkdir: a parent is a file, permission,
 *      read-only file system...);
 *   3. the path exists and is not a directory;
 *   4. .touch cannot be created, written or removed.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "data_dir.h"
#include "options.h"

#define DATA_DIR_PATH_LEN 4096

static int data_dir_fail(const char *dir, const char *what, int err)
{
    if (err != 0) {
        fprintf(stderr, PROG ": --data-dir '%s': %s: %s\n", dir, what,
                strerror(err));
    } else {
        fprintf(stderr, PROG ": --data-dir '%s': %s\n", dir, what);
    }
    return -1;
}

/* mkdir -p: each component of path in turn (path is a writable copy). */
static int make_parents(const char *dir, char *path)
{
    for (char *p = path + 1;; p++) {
        char c = *p;
        if (c != '/' && c != '\0') {
            continue;
        }
        *p = '\0';
        if (mkdir(path, 0700) != 0 && errno != EEXIST) {
            int err = errno;
            char what[DATA_DIR_PATH_LEN + 32];
            snprintf(what, sizeof(what), "cannot create %s", path);
            return data_dir_fail(dir, what, err);
        }
        *p = c;
        if (c == '\0') {
            return 0;
        }
    }
}

/* Writes and removes path/.touch, as etcd does. */
static int touch_file(const char *dir, const char *path)
{
    char touch[DATA_DIR_PATH_LEN + 8];
    snprintf(touch, sizeof(touch), "%s/.touch", path);
    int fd = open(touch, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        return data_dir_fail(dir, "not writable", errno);
    }
    int err = close(fd) != 0 ? errno : 0;
    if (unlink(touch) != 0 && err == 0) {
        err = errno;
    }
    return err != 0 ? data_dir_fail(dir, "not writable", err) : 0;
}

int node_data_dir_prepare(const char *dir)
{
    char path[DATA_DIR_PATH_LEN];
    int n = snprintf(path, sizeof(path), "%s", dir);
    if (n <= 0 || (size_t)n >= sizeof(path)) {
        return data_dir_fail(dir, "path too long", 0);
    }
    if (make_parents(dir, path) != 0) {
        return -1;
    }
    struct stat sb;
    if (stat(path, &sb) != 0) {
        return data_dir_fail(dir, "cannot stat", errno);
    }
    if (!S_ISDIR(sb.st_mode)) {
        return data_dir_fail(dir, "not a directory", 0);
    }
    return touch_file(dir, path);
}
