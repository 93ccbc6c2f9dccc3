// SPDX-License-Identifier: Apache-2.0
/*
 * The modes of rafthttp-bench, one row each: what runs, which parts of the
 * workload a mode has (a MsgApp flow, round trips, a snapshot), and its
 * defaults. This is the only place that tells the modes apart; the rest of
 * the tool asks bench_mode_info().
 */
#include <string.h>

#include "options.h"
#include "run.h"

static const struct bench_mode_info modes[MODE_COUNT] = {
    [MODE_STREAM] = {.name = "stream",
                     .run = bench_mode_stream,
                     .msgapp = true,
                     .default_size = 64,
                     .default_count = 1000000},
    [MODE_RTT] = {.name = "rtt",
                  .run = bench_mode_rtt,
                  .rtt = true,
                  .default_size = 64,
                  .default_count = 100000},
    [MODE_PIPELINE] = {.name = "pipeline",
                       .run = bench_mode_stream,
                       .msgapp = true,
                       .pipeline_only = true,
                       .default_size = 64,
                       .default_count = 1000000},
    [MODE_SNAPSHOT] = {.name = "snapshot",
                       .run = bench_mode_snapshot,
                       .snapshot = true,
                       .default_size = 64,
                       .default_count = 1},
    [MODE_MIXED] = {.name = "mixed",
                    .run = bench_mode_mixed,
                    .msgapp = true,
                    .rtt = true,
                    .snapshot = true,
                    .bulk_entries = true,
                    .one_process = true,
                    .default_size = BENCH_DEFAULT_MIXED_SIZE,
                    .default_count = BENCH_DEFAULT_MIXED_COUNT},
};

const struct bench_mode_info *bench_mode_info(enum bench_mode mode)
{
    return &modes[mode < MODE_COUNT ? mode : MODE_STREAM];
}

enum bench_mode bench_mode_of(const char *name)
{
    for (int i = 0; i < MODE_COUNT; i++) {
        if (strcmp(name, modes[i].name) == 0) {
            return (enum bench_mode)i;
        }
    }
    return MODE_COUNT;
}

const char *bench_mode_name(enum bench_mode mode)
{
    return mode < MODE_COUNT ? modes[mode].name : "?";
}
