#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Description: RDMA writes into a registered static-DAX file survive a
# power cut (issue 13): pinned_read_survives.sh with the pin an RDMA
# memory region (ibv_reg_mr on the guest's soft-RoCE device) and every
# chunk an RDMA WRITE, persisted with cache flushes alone and then
# acknowledged.
#
#   tests/crash/rdma_write_survives.sh ext4|xfs    (CRASH_SEED=S replays)
PINNED_VIA=rdma exec "$(dirname "$0")/pinned_read_survives.sh" "$@"
