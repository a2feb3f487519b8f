#!/bin/bash
# SPDX-License-Identifier: MIT
# Description: the patched xfs_repair on a static-DAX inode that shares
# blocks without the REFLINK flag (an image edited offline): phase 3 sees
# no REFLINK flag, phase 4 learns from the refcount records that the
# blocks are shared.  xfs_repair -n must report the static inode, and
# repairing must clear its flag, not leave STATIC_DAX and REFLINK
# together.  Unmounts /mnt/pmem and mounts it again.  xfs only; prints TAP.
top=$(cd "$(dirname "$0")/../.." && pwd)
DAXFILE=${DAXFILE:-$top/tools/daxfile}
MNT=${MNT:-/mnt/pmem}
a=$MNT/shared-a-$$ b=$MNT/shared-b-$$ keep=$MNT/shared-static-$$
# shellcheck source=tests/guest/fsprogs_checks.sh
. "$top/tests/guest/fsprogs_checks.sh"

echo "TAP version 13"
if [ "$(stat -f -c %T "$MNT")" != xfs ]; then
	echo "1..0 # SKIP reflink and xfs_repair are xfs's"; exit 0
fi
require_patched xfs_repair

dev=$(findmnt -no SOURCE "$MNT")
opts=${DAXFILE_MOUNT_OPTIONS:-dax}
# A static file, so that the feature bit is set; and two files sharing.
"$DAXFILE" create -q "$keep" 4M --align 4K || { echo "1..0 # SKIP cannot create a static file"; exit 0; }
xfs_io -f -c "pwrite -q 0 1m" -c fsync "$a" &&
	cp --reflink=always "$a" "$b" || { echo "1..0 # SKIP no reflink here"; exit 0; }
ino=$(stat -c %i "$a")
umount "$MNT" || { echo "Bail out! cannot unmount $MNT"; exit 1; }

xfs_db -x -c "inode $ino" -c "write v3.static_dax 1" \
	-c "write v3.static_dax_align 12" -c "write v3.reflink 0" "$dev" >/dev/null
out=$(xfs_repair -n "$dev" 2>&1); rc=$?
t "xfs_repair -n reports a static inode that shares blocks" \
	"$([ $rc != 0 ] && printf '%s\n' "$out" | grep -q "inode $ino is static-dax but shares blocks"; echo $?)" "$out"
out=$(xfs_repair "$dev" 2>&1)
t "repairing clears its flag" \
	"$(printf '%s\n' "$out" | grep -q "clearing static-dax flag"; echo $?)" "$out"
flags=$(xfs_db -r -c "inode $ino" -c "print v3.static_dax v3.reflink" "$dev" 2>&1)
t "and leaves it reflinked, not static" \
	"$(printf '%s\n' "$flags" | tr '\n' ' ' | grep -q "static_dax = 0 .*reflink = 1"; echo $?)" "$flags"
out=$(xfs_repair -n "$dev" 2>&1); rc=$?
t "the next check is clean" "$rc" "$out"

mount -o "$opts" "$dev" "$MNT" || { echo "Bail out! cannot mount $MNT again"; exit 1; }
"$DAXFILE" disable "$keep" >/dev/null
rm -f "$a" "$b" "$keep"
echo "1..$n"
exit $((failed > 0))
