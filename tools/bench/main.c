// SPDX-License-Identifier: Apache-2.0
/*
 * rafthttp-bench: etcd's raft transport in C under the workloads of the
 * spec it shares with gobench (etcd's Go rafthttp): MsgApp throughput
 * over the stream or the pipeline, heartbeat round trips, a snapshot,
 * and heartbeats under bulk traffic; in one process, or against a peer
 * process of either program. See options.c for the command line and
 * run.h for how a run is put together.
 *
 * Exit status: 0 after clean runs, 1 when a run failed, stalled or
 * received messages other than those sent, 2 on bad arguments.
 */
#include <stdio.h>

#include "../common/cli.h"
#include "options.h"
#include "run.h"
#include "sweep.h"

int main(int argc, char **argv)
{
    struct bench_opts o;
    if (bench_options_parse(&o, argc, argv) != 0) {
        return EXIT_USAGE;
    }
    if (o.help) {
        bench_options_usage(stdout);
        return EXIT_OK;
    }
    if (o.version) {
        cli_print_version(stdout, PROG);
        return EXIT_OK;
    }
    if (o.sweep) {
        return bench_sweep_run(&o, stdout);
    }
    struct bench_result res[2];
    size_t n;
    bench_report_begin(stdout, o.format);
    return bench_run_variants(&o, o.mode, o.size, o.count, stdout, res, &n);
}
