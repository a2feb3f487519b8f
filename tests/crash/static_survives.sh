#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Description: a static-DAX file keeps an mmap store across a power cut.
# The workload is the stock control's (a fallocated file, one mmap store,
# power cut right after), with the zeroes written and daxctl() enabling
# static mode before the store.  Nothing calls fsync, msync or sync after
# the zeroes are written: daxctl() must make the block map durable itself,
# and the helper flushes the stored lines with clwb + sfence.
#
# The power-cut model keeps everything the guest CPU stored (caches in the
# persistence domain), so this tests metadata durability, not whether
# userspace flushed its cache lines.
#
#   tests/crash/static_survives.sh ext4|xfs
set -u

fs=${1:?usage: static_survives.sh ext4|xfs}
top=$(cd "$(dirname "$0")/../.." && pwd)
tool=$top/build/tests/crash/static_store
[ -x "$tool" ] || make -s -C "$top/tests/crash" >&2 || {
	echo "not ok 1 - static_survives $fs: cannot build $tool"
	exit 1
}
img=$(mktemp -p "$top/build" static-XXXXXX.img)
trap 'rm -f "$img"' EXIT

# Boot 1: written zeroes (no fsync), daxctl(), one mmap store, power cut.
"$top/vm/run" -q --fs "$fs" --pmem "$img" --powercut-on DAXFILE-CUT -- \
	sh -c "cd /mnt/pmem &&
	       xfs_io -f -c 'falloc 0 4m' -c 'pwrite -q -S 0 0 4m' a &&
	       $tool store a"
rc=$?
if [ $rc != 0 ]; then
	echo "not ok 1 - static_survives $fs: the power cut did not happen (vm/run exit $rc)"
	exit 1
fi

# Boot 2: the data is there and the file is still static-eligible.
out=$("$top/vm/run" -q --fs "$fs" --pmem "$img" --reuse -- \
	sh -c "od -An -tx1 -N8 /mnt/pmem/a; $tool check /mnt/pmem/a")
rc=$?
bytes=$(echo "$out" | head -1 | tr -d ' \n')
echo "# after the cut the first bytes read '$bytes' (cd = kept, 00 = lost)"
echo "$out" | sed -n '2,$s/^/# /p'
if [ $rc = 0 ] && [ "$bytes" = cdcdcdcdcdcdcdcd ] &&
   echo "$out" | grep -q DAXFILE-OK; then
	echo "ok 1 - static_survives $fs: the static-DAX mmap store survived the power cut"
else
	echo "not ok 1 - static_survives $fs: read '$bytes' (vm/run exit $rc)"
	exit 1
fi
