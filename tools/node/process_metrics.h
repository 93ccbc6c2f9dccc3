/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Prometheus process metrics for rafthttp-node's /metrics, named, typed
 * and explained as the Go client's process collector writes them (the
 * ones an etcd member serves beside its etcd_* metrics), so that the same
 * dashboards and alerts read a C member:
 *   process_cpu_seconds_total       user + system CPU, seconds (counter)
 *   process_max_fds                 the soft RLIMIT_NOFILE
 *   process_open_fds                entries of /proc/self/fd
 *   process_resident_memory_bytes   resident set, bytes
 *   process_start_time_seconds      since the Unix epoch
 *   process_virtual_memory_bytes    virtual memory size, bytes
 * Read from /proc/self/stat, /proc/stat (boot time), /proc/self/fd and
 * getrlimit at each call; a value that cannot be read is left out, as the
 * Go client leaves out what procfs does not give it. Any thread.
 */
#ifndef RH_NODE_PROCESS_METRICS_H
#define RH_NODE_PROCESS_METRICS_H

#include <stddef.h>

/* Room for the whole text, with a margin. */
#define PROCESS_METRICS_LEN 2048

/*
 * Writes the metrics into buf (cap bytes, at least PROCESS_METRICS_LEN for
 * all of them; NUL-terminated) and returns the text's length.
 */
size_t node_process_metrics(char *buf, size_t cap);

#endif /* RH_NODE_PROCESS_METRICS_H */
