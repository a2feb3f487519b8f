#!/bin/sh
# SPDX-License-Identifier: MIT
# Description: the patched e2fsprogs and xfsprogs (fsprogs/build) on images crafted offline: a whole static-dax file passes fsck silently, broken ones are reported (-n) and cleared (repair), and Debian's own e2fsck and xfs_repair refuse the feature bit
#
# No kernel needed: debugfs and xfs_db set the on-disk bits that daxctl()
# would, and a preloaded shim fakes FS_XFLAG_STATIC_DAX for lsattr,
# xfs_io lsattr and e4defrag.  xfs_fsr needs a mounted xfs: not here.
top=$(cd "$(dirname "$0")/../.." && pwd)
root=$top/build/fsprogs/root
if ! [ -x "$root/usr/sbin/e2fsck" ] || ! [ -x "$root/sbin/xfs_repair" ]; then
	echo "# build/fsprogs absent: run 'make fsprogs' (fsprogs/build)" >&2
	exit 77
fi
E2FSCK=$root/usr/sbin/e2fsck
DEBUGFS=$root/usr/sbin/debugfs
MKE2FS=$root/usr/sbin/mke2fs
DUMPE2FS=$root/usr/sbin/dumpe2fs
XFS_REPAIR=$root/sbin/xfs_repair
MKFS_XFS=$root/sbin/mkfs.xfs
XFS_DB=$root/usr/sbin/xfs_db
# Debian's own, which must refuse the feature bit.
STOCK_E2FSCK=/usr/sbin/e2fsck
STOCK_XFS_REPAIR=/usr/sbin/xfs_repair

dir=${DAXFILE_TEST_DIR:-/dev/shm}
[ -w "$dir" ] || dir=/tmp
d=$(mktemp -d "$dir/fsprogs-test.XXXXXX")
trap 'rm -rf "$d"' EXIT
fails=0

fail() {
	echo "FAIL: $*" >&2
	fails=$((fails + 1))
}

# expect STATUS CMD...: run CMD, its output in $d/out, check its exit status
expect() {
	want=$1
	shift
	"$@" >"$d/out" 2>&1
	got=$?
	if [ "$got" != "$want" ]; then
		fail "$*: exit $got, want $want; output:"
		sed 's/^/    /' "$d/out" | head -30 >&2
	fi
}

# says PATTERN / quiet PATTERN: the last command's output has / lacks it
says() {
	grep -q -- "$1" "$d/out" || {
		fail "no '$1' in:"
		sed 's/^/    /' "$d/out" | head -30 >&2
	}
}
quiet() {
	! grep -q -- "$1" "$d/out" || {
		fail "unexpected '$1' in:"
		sed 's/^/    /' "$d/out" | head -30 >&2
	}
}

debugfs_w() {
	"$DEBUGFS" -w -f - "$1" >"$d/debugfs.out" 2>&1 ||
		fail "debugfs on $1: $(cat "$d/debugfs.out")"
}

head -c 1M /dev/urandom >"$d/data" || exit 1

# --- ext4 ---
img=$d/ext4.img
"$MKE2FS" -q -F -t ext4 -b 4096 "$img" 64M >/dev/null || { echo "mke2fs failed" >&2; exit 1; }

# The field without the feature: reported, and cleared.
debugfs_w "$img" <<-EOT
	write $d/data early
	sif early static_dax 0x8015
EOT
expect 4 "$E2FSCK" -fn "$img"
says "is static-dax but the static_dax feature is not set"
expect 1 "$E2FSCK" -fy "$img"
expect 0 "$E2FSCK" -fn "$img"

# A whole, written, extent-mapped file made static: silent.
debugfs_w "$img" <<-EOT
	feature static_dax
	write $d/data good
	sif good static_dax 0x8015
EOT
expect 0 "$E2FSCK" -fn "$img"
quiet "static-dax"
expect 0 "$DEBUGFS" -R "stat good" "$img"
says "Static DAX: yes, align 2097152"
expect 0 "$DUMPE2FS" -h "$img"
says "Filesystem features:.* static_dax"

# Debian's e2fsck refuses the filesystem, and leaves it alone.
for opt in -fn -fy -p; do
	"$STOCK_E2FSCK" $opt "$img" >"$d/out" 2>&1
	rc=$?
	[ $((rc & 8)) = 8 ] || fail "stock e2fsck $opt: exit $rc, want 8 (operational error) set"
	says "has unsupported feature(s): FEATURE_R31"
done
expect 0 "$E2FSCK" -fn "$img"
quiet "static-dax"

# Broken ones: a hole, an unwritten extent, a directory, a bad alignment.
debugfs_w "$img" <<-EOT
	write $d/data holey
	punch holey 100 110
	write $d/data unwritten
	punch unwritten 100 110
	fallocate unwritten 100 110
	mkdir dir
	write $d/data badalign
	sif holey static_dax 0x8015
	sif unwritten static_dax 0x8015
	sif dir static_dax 0x8015
	sif badalign static_dax 0x8030
EOT
expect 4 "$E2FSCK" -fn "$img"
says "is static-dax but has a hole at logical block 100"
says "is static-dax but has an unwritten extent at logical block 100"
says "is static-dax but is not a regular file"
says "is static-dax but its static-dax field (0x8030) is invalid"
[ "$(grep -c "static-dax" "$d/out")" = 4 ] || fail "e2fsck -fn: not 4 static-dax reports"
expect 1 "$E2FSCK" -fy "$img"
says "Clear flag? yes"
expect 0 "$E2FSCK" -fn "$img"
quiet "static-dax"
expect 0 "$DEBUGFS" -R "stat good" "$img"
says "Static DAX: yes"
expect 0 "$DEBUGFS" -R "stat holey" "$img"
quiet "Static DAX"

# --- xfs ---
img=$d/xfs.img
head -c 4M /dev/urandom >"$d/data4"
cat >"$d/proto" <<-EOT
	/dev/null
	0 0
	d--755 0 0
	early ---644 0 0 $d/data4
	good ---644 0 0 $d/data4
	short ---644 0 0 $d/data4
	unwritten ---644 0 0 $d/data4
	reflinked ---644 0 0 $d/data4
	badalign ---644 0 0 $d/data4
	dir d--755 0 0
	\$
	\$
EOT
truncate -s 320M "$img"
"$MKFS_XFS" -q -f -p "$d/proto" "$img" || { echo "mkfs.xfs failed" >&2; exit 1; }

ino() {
	"$XFS_DB" -r -c "path /$1" -c "print v3.inumber" "$img" | sed 's/.* = //'
}
db_w() {
	"$XFS_DB" -x "$@" "$img" >"$d/db.out" 2>&1 ||
		fail "xfs_db $*: $(cat "$d/db.out")"
}

# The flag without the feature: reported, and cleared.
db_w -c "inode $(ino early)" -c "write v3.static_dax 1"
expect 1 "$XFS_REPAIR" -n "$img"
says "is static-dax but the static-dax feature is not set, would clear"
expect 0 "$XFS_REPAIR" "$img"
expect 0 "$XFS_REPAIR" -n "$img"
quiet "static-dax"

# Set the feature as the kernel does, on the primary superblock only.
ro=$("$XFS_DB" -r -c "sb 0" -c "print features_ro_compat" "$img" | sed 's/.* = //')
db_w -c "sb 0" -c "write features_ro_compat $(printf '%#x' $((ro | 0x80000000)))"
db_w -c "inode $(ino good)" -c "write v3.static_dax 1" -c "write v3.static_dax_align 21"
expect 0 "$XFS_DB" -r -c version -c "inode $(ino good)" \
	-c "print v3.static_dax v3.static_dax_align" "$img"
says "STATIC_DAX"
says "v3.static_dax = 1"
says "v3.static_dax_align = 21"
expect 0 "$XFS_REPAIR" -n "$img"
quiet "static-dax"
quiet "feature mismatch"

# Debian's xfs_repair refuses the filesystem, and leaves it alone.
for opt in -n ""; do
	expect 1 "$STOCK_XFS_REPAIR" $opt "$img"
	says "Superblock has unknown compat/rocompat/incompat features (0x0/0x80000000/0x0)"
	says "Found unsupported filesystem features.  Exiting now."
done
expect 0 "$XFS_REPAIR" -n "$img"
quiet "static-dax"

# Broken ones: a hole below EOF, an unwritten extent, reflinked, a
# directory, a bad alignment.
db_w -c "inode $(ino short)" -c "write v3.static_dax 1" -c "write core.size 8388608" \
	-c "inode $(ino unwritten)" -c "write v3.static_dax 1" -c "write u3.bmx[0].extentflag 1" \
	-c "inode $(ino reflinked)" -c "write v3.static_dax 1" -c "write v3.reflink 1" \
	-c "inode $(ino dir)" -c "write v3.static_dax 1" \
	-c "inode $(ino badalign)" -c "write v3.static_dax 1" -c "write v3.static_dax_align 40"
expect 1 "$XFS_REPAIR" -n "$img"
says "inode $(ino short) is static-dax but has a hole below its size, would clear static-dax flag"
says "inode $(ino unwritten) is static-dax but has unwritten extents, would clear"
says "inode $(ino reflinked) is static-dax but is reflinked, would clear"
says "inode $(ino dir) is static-dax but is not a regular file, would clear"
says "inode $(ino badalign) is static-dax but its alignment is invalid, would clear"
quiet "inode $(ino good) is static-dax"
expect 0 "$XFS_REPAIR" "$img"
says "clearing static-dax flag"
expect 0 "$XFS_REPAIR" -n "$img"
quiet "static-dax"
expect 0 "$XFS_DB" -r -c "inode $(ino good)" -c "print v3.static_dax" \
	-c "inode $(ino short)" -c "print v3.static_dax v3.static_dax_align" "$img"
says "v3.static_dax = 1"
says "v3.static_dax = 0"
says "v3.static_dax_align = 0"

# --- what reads FS_XFLAG_STATIC_DAX, with the kernel's answer faked ---
# An LD_PRELOAD shim adds the flag to every FS_IOC_FSGETXATTR answer, so
# lsattr, xfs_io lsattr and e4defrag take their static-DAX paths without
# the daxfile kernel.  e4defrag wants a file on ext4: the build directory.
cat >"$d/shim.c" <<-'EOT'
	#define _GNU_SOURCE
	#include <dlfcn.h>
	#include <stdarg.h>
	#include <string.h>
	#include <linux/fs.h>

	int ioctl(int fd, unsigned long req, ...)
	{
		int (*real)(int, unsigned long, void *) = dlsym(RTLD_NEXT, "ioctl");
		struct fsxattr *fsx;
		va_list ap;
		void *arg;

		va_start(ap, req);
		arg = va_arg(ap, void *);
		va_end(ap);
		/* xfsprogs passes the request as an int: compare 32 bits */
		if ((unsigned int)req != FS_IOC_FSGETXATTR)
			return real(fd, req, arg);
		fsx = arg;
		if (real(fd, req, arg))
			memset(fsx, 0, sizeof(*fsx));
		fsx->fsx_xflags |= 0x40000000;
		return 0;
	}
EOT
if ! ${CC:-cc} -shared -fPIC -o "$d/shim.so" "$d/shim.c" -ldl 2>"$d/out"; then
	echo "# no C compiler for the FS_IOC_FSGETXATTR shim: $(head -1 "$d/out")" >&2
	[ $fails -eq 0 ]
	exit
fi
f=$(mktemp -p "$top/build" fsprogs-test.XXXXXX)
trap 'rm -rf "$d" "$f"' EXIT
head -c 256k /dev/urandom >"$f"
expect 0 env LD_PRELOAD="$d/shim.so" "$root/usr/bin/lsattr" "$f"
says "^-*e-*Z $f"
expect 0 env LD_PRELOAD="$d/shim.so" "$root/usr/bin/lsattr" -l "$f"
says "Static_DAX"
expect 0 "$root/usr/bin/lsattr" "$f"
quiet "^[^ ]*Z"	# the flags column only: mktemp's name may hold a Z
expect 0 env LD_PRELOAD="$d/shim.so" "$root/usr/sbin/xfs_io" -c lsattr -c "lsattr -v" "$f"
says "^-*Z-* $f"
says "static-dax"
if [ "$(stat -f -c %T "$f")" = ext2/ext3 ]; then
	LD_PRELOAD="$d/shim.so" "$root/usr/sbin/e4defrag" -v "$f" >"$d/out" 2>&1
	says "File is static DAX, its blocks must not move"
fi

[ $fails -eq 0 ]
