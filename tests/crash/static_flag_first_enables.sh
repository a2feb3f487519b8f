#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Description: concurrent first enables on a new filesystem.  The first
# static file sets the static_dax feature, and no flag may be durable
# before the feature is: a second enable that sees the feature in memory
# while the first is still writing it out must wait (ext4: until the home
# superblock has it; xfs: it logs the feature again with its own flag).
# In one boot, ROUNDS times: mkfs, then four processes make four files
# static at once while another writes metadata; every enable succeeds, the
# patched fsck checks the filesystem clean, and after a remount all four
# files are static and the feature is set.  On the debug kernel this is
# also lockdep's look at the first-enable locking.
#
# The window itself (a flag committed between the first enable's feature
# commit and its checkpoint) is too short to hit on purpose, and reading
# the superblock off a mounted device writes back its dirty copy first:
# this test cannot show the race, only that the path is sound.
#
#   tests/crash/static_flag_first_enables.sh ext4|xfs
#
# VMRUN_ARGS adds vm/run options.  Prints TAP.
set -u

fs=${1:?usage: static_flag_first_enables.sh ext4|xfs}
top=$(cd "$(dirname "$0")/../.." && pwd)
rounds=${ROUNDS:-8}
make -s -C "$top/tests/crash" >&2 || exit 1
img=$(mktemp -p "$top/build" first-XXXXXX.img)
out=$(mktemp -p "$top/build" first-XXXXXX.out)
trap 'rm -f "$img" "$out"' EXIT
name=static_flag_first_enables
# shellcheck source=tests/crash/boots.sh
. "$top/tests/crash/boots.sh"

case $fs in
ext4) mkfs="mkfs.ext4 -F -q -b 4096" ;;
xfs) mkfs="mkfs.xfs -f -q" ;;
esac

echo "TAP version 13"
vm -- sh -c '
	dev=$(findmnt -no SOURCE /mnt/pmem)
	r=0
	while [ $r -lt '"$rounds"' ]; do
		r=$((r + 1))
		umount /mnt/pmem || exit 1
		'"$mkfs"' "$dev" || exit 1
		mount -o dax "$dev" /mnt/pmem || exit 1
		mkdir /mnt/pmem/load
		(i=0; while [ $i -lt 200 ]; do : >/mnt/pmem/load/$i; i=$((i + 1)); done) &
		build/tests/crash/first_enables \
			/mnt/pmem/a /mnt/pmem/b /mnt/pmem/c /mnt/pmem/d |
			sed "s/^/ROUND-$r: /"
		wait
		umount /mnt/pmem || exit 1
		'"$fsck_ours"' "$dev" >/dev/null 2>&1 || echo "ROUND-$r: FSCK-DIRTY"
		mount -o dax "$dev" /mnt/pmem || exit 1
		for f in a b c d; do
			tools/daxfile status --json /mnt/pmem/$f
		done | grep "\"static\":true" | grep -c "\"feature\":true" |
			sed "s/^/ROUND-$r: STATIC-AFTER-REMOUNT /"
	done
	echo FIRST-DONE'
t "$(booted FIRST-DONE; echo $?)" "$rounds rounds of four concurrent first enables, no kernel splat"
oks=$(grep -c 'ROUND-[0-9]*: ok ' "$out")
t "$([ "$oks" = $((rounds * 4)) ]; echo $?)" "every enable succeeded ($oks of $((rounds * 4)))"
t "$(! grep -q FSCK-DIRTY "$out"; echo $?)" "the patched fsck checks each round clean"
kept=$(grep -c 'STATIC-AFTER-REMOUNT 4$' "$out")
t "$([ "$kept" = "$rounds" ]; echo $?)" \
	"after a remount, all four files are static and the feature is set ($kept of $rounds rounds)"
[ "$failed" = 0 ] || grep -v ': ok ' "$out" | sed 's/^/# /' | tail -20
echo "1..$n"
[ "$failed" = 0 ]
