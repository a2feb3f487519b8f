#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Description: a static-DAX file keeps an mmap store across a power cut.
# The workload is the stock control's (a fallocated file, one mmap store,
# power cut right after), with the zeroes written and daxctl() enabling
# static mode before the store.  Nothing calls fsync, msync or sync after
# the zeroes are written: daxctl() must make the block map durable itself;
# the helper flushes the stored lines with clwb (or clflushopt) + sfence.
# The same workload without daxctl() is then run as a control and its
# result reported as a comment: on stock fsdax it loses the store (and,
# without the fsync daxctl() implies, even the file).
#
# The power-cut model keeps everything the guest CPU stored (caches in the
# persistence domain), so this tests metadata durability, not whether
# userspace flushed its cache lines.
#
#   tests/crash/static_survives.sh ext4|xfs
#
# VMRUN_ARGS adds vm/run options, e.g. VMRUN_ARGS="--kernel debug" or
# VMRUN_ARGS="--vmlinux build/kernel-dev/vmlinux".  STATIC_STORE names
# the guest helper (default build/tests/crash/static_store).
set -u

fs=${1:?usage: static_survives.sh ext4|xfs}
top=$(cd "$(dirname "$0")/../.." && pwd)
tool=${STATIC_STORE:-$top/build/tests/crash/static_store}
[ -x "$tool" ] || make -s -C "$top/tests/crash" >&2 || {
	echo "not ok 1 - static_survives $fs: cannot build $tool"
	exit 1
}
img=$(mktemp -p "$top/build" static-XXXXXX.img)
trap 'rm -f "$img"' EXIT

prepare="cd /mnt/pmem && xfs_io -f -c 'falloc 0 4m' -c 'pwrite -q -S 0 0 4m' a"

# Boot 1 runs $1 after the preparation and is cut at DAXFILE-CUT; boot 2
# prints the first 8 bytes of the file, then runs $2.  Sets $bytes, $out.
cut_and_check() {
	local rc

	rm -f "$img"
	# shellcheck disable=SC2086
	"$top/vm/run" -q ${VMRUN_ARGS:-} --fs "$fs" --pmem "$img" \
		--powercut-on DAXFILE-CUT -- sh -c "$prepare && $1" 2>/dev/null
	rc=$?
	if [ $rc != 0 ]; then
		bytes="(no power cut: vm/run exit $rc)"
		out=
		return 1
	fi
	# shellcheck disable=SC2086
	out=$("$top/vm/run" ${VMRUN_ARGS:-} --fs "$fs" --pmem "$img" --reuse -- \
		sh -c "od -An -tx1 -N8 /mnt/pmem/a 2>&1; $2" 2>/dev/null)
	rc=$?
	bytes=$(echo "$out" | head -1 | tr -d ' \n')
	return $rc
}

cut_and_check "$tool store a" "$tool check /mnt/pmem/a"
rc=$?
echo "# static: after the cut the first bytes read '$bytes' (cd = kept)"
echo "$out" | sed -n '2,$s/^/# /p'
if [ $rc = 0 ] && [ "$bytes" = cdcdcdcdcdcdcdcd ] &&
   echo "$out" | grep -q DAXFILE-OK; then
	result="ok 1 - static_survives $fs: the static-DAX mmap store survived the power cut"
else
	result="not ok 1 - static_survives $fs: read '$bytes' (vm/run exit $rc)"
fi

cut_and_check "xfs_io -c 'mmap -w 0 4m' -c 'mwrite -S 0xcd 0 4096' a &&
	       echo DAXFILE-CUT && sleep 30" true
echo "# control, same workload without daxctl(): read '$bytes'"

echo "$result"
case $result in ok*) exit 0 ;; *) exit 1 ;; esac
