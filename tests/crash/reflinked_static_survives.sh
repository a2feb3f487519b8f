#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Description: issue 10's reproducer across a power cut.  On xfs, a file
# is filled and fsynced, reflinked to a copy, 4 KiB at its offset 0 is
# rewritten (copy-on-write, which leaves the rest of the cowextsize
# preallocation in the CoW fork) and fsynced, and the copy is deleted.
# daxfile enable must then succeed, and a plain store through a shared
# mapping at offset 64 KiB must survive a power cut taken right after it:
# the block map the store went through must be the durable one.  Today
# the store's fault takes the copy-on-write path and remaps the block in
# a transaction nobody commits, so the old bytes read back.
#
# After the reboot the marker and the bytes around it are checked, the
# file must be enabled again, and xfs_repair -n must find nothing.
#
# The power-cut model keeps everything the guest CPU stored (caches in the
# persistence domain), so this tests metadata durability, not whether
# userspace flushed its cache lines.
#
#   tests/crash/reflinked_static_survives.sh ext4|xfs
#
# ext4 has no reflink: there it prints a TAP skip.  VMRUN_ARGS adds vm/run
# options, e.g. VMRUN_ARGS="--kernel debug".
set -u

fs=${1:?usage: reflinked_static_survives.sh ext4|xfs}
name="reflinked_static_survives $fs"
top=$(cd "$(dirname "$0")/../.." && pwd)
daxfile=$(realpath "${DAXFILE:-$top/tools/daxfile}")

if [ "$fs" != xfs ]; then
	echo "ok 1 - $name # SKIP reflink and CoW forks are xfs's"
	exit 0
fi
"$top/fsprogs/build" --check "$name" || exit 1
[ -x "$daxfile" ] || make -s -C "$top/tools" >&2 || {
	echo "not ok 1 - $name: cannot build $daxfile"
	exit 1
}
img=$(mktemp -p "$top/build" reflinked-XXXXXX.img)
trap 'rm -f "$img"' EXIT

# Boot 1: the reproducer, the store, the cut.  Every step says how it
# went; the cut comes only after the store.
boot1=$(cat <<EOF
set -u
cd /mnt/pmem || exit 1
block0() { xfs_io -c 'fiemap 0 4096' a | awk 'NR == 2 { print \$3 }'; }
# The CoW fork shows on XFS_DEBUG kernels only; elsewhere this says -.
cow() {
	m=\$(xfs_io -c 'bmap -c' a 2>&1)
	case \$m in
	*"Invalid argument"*) echo - ;;
	*) echo "\$m" | grep -E '^[[:space:]]*[0-9]+:' | grep -cv hole ;;
	esac
}
xfs_io -f -c 'falloc 0 16m' -c 'pwrite -q -S 0xab 0 16m' -c fsync a &&
cp --reflink=always a b &&
echo "BLOCK0-BEFORE \$(block0)" &&
xfs_io -c 'pwrite -q -S 0x11 0 4k' -c fsync a &&
echo "BLOCK0-AFTER \$(block0)" &&
rm b || { echo "STEP-FAILED reproducer"; exit 1; }
echo "COW-EXTENTS-BEFORE \$(cow)"
if ! out=\$("$daxfile" enable a 2>&1); then
	echo "ENABLE-FAILED \$out"
	exit 1
fi
echo "ENABLED"
echo "COW-EXTENTS-AFTER \$(cow)"
xfs_io -c 'bmap -v' a | sed 's/^/MAP-BEFORE /'
xfs_io -c 'mmap -w 0 16m' -c 'mwrite -S 0xcd 65536 4096' a ||
	{ echo "STEP-FAILED store"; exit 1; }
xfs_io -c 'bmap -v' a | sed 's/^/MAP-AFTER /'
echo DAXFILE-CUT
sleep 60
EOF
)

# Boot 2: what survived.
boot2=$(cat <<EOF
cd /mnt/pmem || exit 1
for off in 0 4096 61440 65536 69632 131072; do
	echo "AT \$off \$(od -An -tx1 -j \$off -N8 a | tr -d ' \n')"
done
if out=\$("$daxfile" enable a 2>&1) && "$daxfile" disable a >/dev/null 2>&1
then echo "REENABLE-OK"
else echo "REENABLE-FAILED \$out"
fi
cd /
umount /mnt/pmem || echo "UMOUNT-FAILED"
if out=\$(xfs_repair -n "\$DAXFILE_PMEM_DEV" 2>&1); then
	echo "REPAIR-OK"
else
	echo "REPAIR-FAILED"
	echo "\$out" | head -20
fi
EOF
)

# shellcheck disable=SC2086
out1=$("$top/vm/run" ${VMRUN_ARGS:-} --fs "$fs" --pmem "$img" \
	--powercut-on DAXFILE-CUT --timeout 600 -- sh -c "$boot1" 2>&1)
rc1=$?
echo "$out1" | grep -E 'BLOCK0|COW-EXTENTS|ENABLE|STEP-FAILED|MAP-' | sed 's/^/# /'
if [ $rc1 != 0 ]; then
	echo "not ok 1 - $name: no power cut after the store (vm/run exit $rc1)"
	echo "$out1" | tail -20 | sed 's/^/# /'
	exit 1
fi
# The rewrite of block 0 must have been copy-on-write (it moved), or
# the run reproduces nothing.
b0=$(echo "$out1" | sed -n 's/^BLOCK0-BEFORE //p')
b1=$(echo "$out1" | sed -n 's/^BLOCK0-AFTER //p')
if [ -z "$b0" ] || [ "$b0" = "$b1" ] ||
   echo "$out1" | grep -q '^COW-EXTENTS-BEFORE 0$'; then
	echo "not ok 1 - $name: the rewrite at 0 was not copy-on-write ($b0 -> $b1); it reproduces nothing"
	exit 1
fi

# shellcheck disable=SC2086
out2=$("$top/vm/run" ${VMRUN_ARGS:-} --fs "$fs" --pmem "$img" --reuse \
	--timeout 600 -- sh -c "$boot2" 2>&1)
rc2=$?
echo "$out2" | grep -E '^(AT|REENABLE|UMOUNT|REPAIR)' | sed 's/^/# /'

want() {	# want OFFSET BYTE: the 8 bytes at OFFSET are all BYTE
	echo "$out2" | grep -q "^AT $1 $2$2$2$2$2$2$2$2\$"
}

why=
[ $rc2 = 0 ] || why="$why; reboot: vm/run exit $rc2"
want 65536 cd || why="$why; the store at 64 KiB was lost"
want 0 11 || why="$why; the fsynced write at 0 was lost"
for off in 4096 61440 69632 131072; do
	want $off ab || why="$why; the bytes at $off changed"
done
echo "$out2" | grep -q '^REENABLE-OK' || why="$why; cannot enable again after the reboot"
echo "$out2" | grep -q '^REPAIR-OK' || why="$why; xfs_repair -n found problems"
if [ -z "$why" ]; then
	echo "ok 1 - $name: the store into the once-reflinked static file survived the power cut"
	exit 0
fi
echo "not ok 1 - $name: ${why#; }"
echo "$out2" | grep -vE '^(AT|REENABLE|REPAIR)' | tail -20 | sed 's/^/# /'
exit 1
