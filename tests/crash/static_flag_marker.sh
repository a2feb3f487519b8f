#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Description: a power cut between a durable block map and a durable
# record.  Enable makes the map and size durable, then commits the flag
# (daxfile_record()); disable commits the flag's removal.  A cut at a
# random moment almost never lands between the two, so the kernel is
# stopped there: fail_function makes daxfile_record() fail, and the power
# is cut while nothing else has been written.  Four boots on one image:
#   1. write a file (no fsync), enable it with the record failing: enable
#      fails, the file is not static; cut.
#   2. the file is ordinary with its size and every byte (the map was made
#      durable before the record), no feature bit, the patched fsck checks
#      it clean; enable now works; clean power off.
#   3. disable it with the record failing: disable fails, the file stays
#      static; cut.
#   4. the file is static, fsck checks it clean, disable now works.
#
#   tests/crash/static_flag_marker.sh ext4|xfs
#
# VMRUN_ARGS adds vm/run options (e.g. "--vmlinux FILE").  Prints TAP; skips
# on a kernel without CONFIG_FAIL_FUNCTION.
set -u

fs=${1:?usage: static_flag_marker.sh ext4|xfs}
top=$(cd "$(dirname "$0")/../.." && pwd)
img=$(mktemp -p "$top/build" marker-XXXXXX.img)
out=$(mktemp -p "$top/build" marker-XXXXXX.out)
trap 'rm -f "$img" "$out"' EXIT
name=static_flag_marker
# shellcheck source=tests/crash/boots.sh
. "$top/tests/crash/boots.sh"


# Make the next daxfile_record() fail with EIO, once.  verbose 0: the
# default dumps a stack, which the harness would count as a splat.
arm='
	ff=/sys/kernel/debug/fail_function
	[ -d $ff ] || { echo NO-FAIL-FUNCTION; exit 0; }
	# Its kprobe handler takes the RNG lock in int3, which lockdep reports.
	[ -e /proc/lockdep ] && { echo LOCKDEP-KERNEL; exit 0; }
	echo daxfile_record >$ff/inject || exit 1
	printf %#x -5 >$ff/daxfile_record/retval
	echo 0 >$ff/verbose; echo 100 >$ff/probability
	echo 0 >$ff/interval; echo 1 >$ff/times'
# The file as its bytes, size and state say it is.
look='
	f=/mnt/pmem/f
	echo "SIZE=$(stat -c %s $f) OTHER=$(tr -d Z <$f | wc -c)"
	tools/daxfile status --json $f'
# Unmount, check with the patched fsck (first in PATH), mount again.
check='
	dev=$(findmnt -no SOURCE /mnt/pmem)
	umount /mnt/pmem && '"$fsck_ours"' "$dev" >/tmp/fsck.out 2>&1 &&
		echo FSCK-CLEAN || sed "s/^/fsck: /" /tmp/fsck.out | head -20
	mount -o dax "$dev" /mnt/pmem || exit 1'

echo "TAP version 13"

# ---- boot 1: enable, stopped at the record --------------------------------
vm --powercut-on @CUT -- sh -c '
	head -c 4M /dev/zero | tr "\0" Z >/mnt/pmem/f || exit 1
	tools/daxfile status --json /mnt/pmem/.
	'"$arm"'
	tools/daxfile enable /mnt/pmem/f 2>&1 && echo ENABLE-SUCCEEDED
	tools/daxfile status --json /mnt/pmem/f
	echo @CUT'
rc=$vm_rc
if has NO-FAIL-FUNCTION; then
	echo "1..0 # SKIP the kernel has no fail_function (CONFIG_FAIL_FUNCTION)"
	exit 0
fi
if has LOCKDEP-KERNEL; then
	echo "1..0 # SKIP fail_function under lockdep: its handler takes the RNG lock in int3, which lockdep reports"
	exit 0
fi
t "$([ $rc = 0 ]; echo $?)" "boot 1: power cut with enable stopped at the record"
t "$(! has ENABLE-SUCCEEDED && grep -qi 'input/output error' "$out"; echo $?)" \
	"enable fails with the record's error"
t "$(grep -q '"static":false' "$out"; echo $?)" "and leaves the file ordinary"
show_failures

# ---- boot 2 -------------------------------------------------------------
vm --reuse -- sh -c "$look$check"'
	tools/daxfile enable /mnt/pmem/f && echo ENABLED
	echo BOOT2-DONE'
t "$(booted BOOT2-DONE; echo $?)" "boot 2: reboot on the same image"
t "$(grep -q '"static":false' "$out"; echo $?)" "the file is ordinary"
t "$(grep -q '"feature":false' "$out"; echo $?)" "and no feature bit was set"
t "$(has 'SIZE=4194304 OTHER=0'; echo $?)" \
	"its size and every byte survived: the map was durable before the record"
t "$(has FSCK-CLEAN; echo $?)" "the patched fsck checks it clean"
t "$(has ENABLED; echo $?)" "enable works now"
show_failures

# ---- boot 3: disable, stopped at the record -------------------------------
vm --reuse --powercut-on @CUT -- sh -c "$arm"'
	tools/daxfile disable /mnt/pmem/f 2>&1 && echo DISABLE-SUCCEEDED
	tools/daxfile status --json /mnt/pmem/f
	echo @CUT'
rc=$vm_rc
t "$([ $rc = 0 ]; echo $?)" "boot 3: power cut with disable stopped at the record"
t "$(! has DISABLE-SUCCEEDED && grep -qi 'input/output error' "$out"; echo $?)" \
	"disable fails with the record's error"
t "$(grep -q '"static":true' "$out"; echo $?)" "and the file stays static"
show_failures

# ---- boot 4 -------------------------------------------------------------
vm --reuse -- sh -c "$look$check"'
	tools/daxfile disable /mnt/pmem/f && echo DISABLED
	echo BOOT4-DONE'
t "$(booted BOOT4-DONE; echo $?)" "boot 4: reboot on the same image"
t "$(grep -q '"static":true' "$out"; echo $?)" "the file is static"
t "$(has 'SIZE=4194304 OTHER=0'; echo $?)" "with its size and every byte"
t "$(has FSCK-CLEAN; echo $?)" "the patched fsck checks it clean"
t "$(has DISABLED; echo $?)" "disable works now"
show_failures
echo "1..$n"
[ $failed = 0 ]
