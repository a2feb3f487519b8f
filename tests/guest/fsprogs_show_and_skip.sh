#!/bin/bash
# SPDX-License-Identifier: MIT
# Description: the patched e2fsprogs and xfsprogs (fsprogs/, first in the
# guest's PATH) against the kernel's FS_IOC_FSGETXATTR: `xfs_io -c lsattr`
# and, on ext4, lsattr show a static file's "Z" and not an ordinary
# file's; e4defrag (ext4) and xfs_fsr (xfs) leave a static file's blocks
# where they are and say why.  Skips without the patched tools.  Prints TAP.
top=$(cd "$(dirname "$0")/../.." && pwd)
DAXFILE=${DAXFILE:-$top/tools/daxfile}
MNT=${MNT:-/mnt/pmem}
static=$MNT/fsprogs-static-$$ plain=$MNT/fsprogs-plain-$$
# shellcheck source=tests/guest/fsprogs_checks.sh
. "$top/tests/guest/fsprogs_checks.sh"

echo "TAP version 13"
require_patched xfs_io

# The Z column of `xfs_io -c lsattr` / lsattr: the attribute letters.
has_z() { printf '%s\n' "$1" | awk '{print $1}' | grep -q Z; }
extents() { xfs_io -r -c "fiemap -v" "$1" 2>/dev/null | tail -n +2; }

cleanup() {
	"$DAXFILE" disable "$static" >/dev/null 2>&1
	rm -f "$static" "$plain"
}
trap cleanup EXIT

"$DAXFILE" create -q "$static" 8M --align 4K || { echo "1..0 # SKIP cannot create a static file"; exit 0; }
head -c 1M /dev/zero >"$plain"
fstype=$(stat -f -c %T "$MNT")

out=$(xfs_io -c lsattr "$static" 2>&1)
t "xfs_io lsattr shows Z on a static file" "$(has_z "$out"; echo $?)" "$out"
out=$(xfs_io -c lsattr "$plain" 2>&1)
t "and not on an ordinary file" "$(! has_z "$out"; echo $?)" "$out"

before=$(extents "$static")
case $fstype in
ext2/ext3)
	out=$(lsattr "$static" 2>&1)
	t "lsattr shows Z on a static file" "$(has_z "$out"; echo $?)" "$out"
	out=$(lsattr "$plain" 2>&1)
	t "and not on an ordinary file" "$(! has_z "$out"; echo $?)" "$out"
	out=$(e4defrag "$static" 2>&1)
	t "e4defrag skips a static file, saying why" \
		"$(printf '%s\n' "$out" | grep -q "static DAX"; echo $?)" "$out" ;;
xfs)
	# xfs_fsr logs to syslog unless stdin is a terminal: give it one.
	out=$(script -qec "xfs_fsr -v $static" /dev/null 2>&1)
	t "xfs_fsr skips a static file, saying why" \
		"$(printf '%s\n' "$out" | grep -q "static DAX"; echo $?)" "$out" ;;
esac
after=$(extents "$static")
t "its blocks did not move" "$([ "$before" = "$after" ]; echo $?)" "$before
---
$after"
echo "1..$n"
exit $((failed > 0))
