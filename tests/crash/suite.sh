#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Description: the power-cut suite's short round for make test, on one
# filesystem: 10 cuts of the daxfile workloads 1-4, 3 of the stock
# control and 3 of the MAP_SYNC variant, a cut during mount recovery,
# the harness's bad cases (a cut during mkfs, a cut that never comes),
# and, once (with ext4), the host-side flush-tracking and checker tests.
# Small files (64 MiB in-place, 32 MiB threaded, 64 MiB log) keep it to
# a few minutes per filesystem; make crash runs the 1 GiB long rounds.
#
#   tests/crash/suite.sh ext4|xfs     (CRASH_SEED=S replays a seed)
set -u

fs=${1:?usage: suite.sh ext4|xfs}
here=$(cd "$(dirname "$0")" && pwd)
seed=${CRASH_SEED:-$(( $(date +%s) % 1000000 ))}
rc=0

if [ "$fs" = ext4 ]; then
	"$here/hostcheck" --seed "$seed" || rc=1
fi
"$here/run" --fs "$fs" --quick --odd --seed "$seed" --cuts 10 --controls 3 || rc=1
exit $rc
