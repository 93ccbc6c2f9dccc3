/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rafthttp-node's --data-dir, checked once at start, before anything else
 * runs, so that a directory the transport could not save snapshots in is
 * a usage error (exit status 2) and not a snapshot refused much later.
 */
#ifndef RH_NODE_DATA_DIR_H
#define RH_NODE_DATA_DIR_H

/*
 * Creates dir and its missing parents (mode 0700), then checks that it is
 * a directory we can create files in. Returns 0, or -1 after one line on
 * stderr saying which of these failed and why.
 */
int node_data_dir_prepare(const char *dir);

#endif /* RH_NODE_DATA_DIR_H */
