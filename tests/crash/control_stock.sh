#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Description: the power-cut controls on stock fsdax (no daxfile).
#  1. A store through a plain mmap into a fallocated file is lost when power
#     is cut before the filesystem commits the unwritten-to-written
#     conversion: the bytes read back 00.  This proves the harness sees loss.
#  2. The same workload with msync(MS_SYNC) before the cut keeps the store:
#     the bytes read back cd.  This proves the read-back sees what survives.
#
#   tests/crash/control_stock.sh ext4|xfs
set -u

fs=${1:?usage: control_stock.sh ext4|xfs}
top=$(cd "$(dirname "$0")/../.." && pwd)
img=$(mktemp -p "$top/build" control-XXXXXX.img)
trap 'rm -f "$img"' EXIT
n=0 failed=0

# cut_and_read SYNC_CMD: store 0xcd through mmap, run SYNC_CMD, cut power,
# reboot on the image and print the first 8 bytes of the file in hex.
cut_and_read() {
	local rc out
	"$top/vm/run" -q --fs "$fs" --pmem "$img" --powercut-on DAXFILE-CUT -- \
		sh -c "cd /mnt/pmem &&
		       xfs_io -f -c 'falloc 0 4m' -c fsync a && sync &&
		       xfs_io -c 'mmap -w 0 4m' -c 'mwrite -S 0xcd 0 4096' $1 a &&
		       echo DAXFILE-CUT && sleep 30"
	rc=$?
	if [ $rc != 0 ]; then
		echo "power cut did not happen (vm/run exit $rc)"
		return
	fi
	out=$("$top/vm/run" --fs "$fs" --pmem "$img" --reuse -- \
		od -An -tx1 -N8 /mnt/pmem/a) || { echo "read-back failed: $out"; return; }
	echo "$out" | tr -d ' \n'
}

check() {	# check NAME EXPECTED GOT
	n=$((n + 1))
	echo "# $1: first bytes after the cut: '$3' (cd = kept, 00 = lost)"
	if [ "$3" = "$2" ]; then
		echo "ok $n - control_stock $fs: $1"
	else
		echo "not ok $n - control_stock $fs: $1: expected '$2'"
		failed=1
	fi
}

check "plain mmap store without sync is lost" 0000000000000000 "$(cut_and_read '')"
check "mmap store with msync survives" cdcdcdcdcdcdcdcd "$(cut_and_read "-c 'msync -s 0 4096'")"
exit $failed
