#!/bin/sh
# SPDX-License-Identifier: MIT
# Description: convert, enable --fill and create --force leave alone a file in use or not a regular file
#
# A file another process holds an flock(2) on (PMDK and pmlog hold one while
# a pool or log is open) may be written at any moment: `convert` would copy
# a stale image over it and `enable --fill` could write zeroes over new data,
# so both must refuse with "in use" and change nothing.  `create --force`
# replaces regular files only: a FIFO, a device node or a symlink at the
# name stays what it was.  Prints one line per failed expectation.
DAXFILE=${DAXFILE:-$(dirname "$0")/../../tools/daxfile}
[ -x "$DAXFILE" ] || { echo "# no $DAXFILE" >&2; exit 77; }
command -v flock >/dev/null || { echo "# no flock(1)" >&2; exit 77; }
dir=$(mktemp -d "${DAXFILE_TEST_DIR:-/tmp}/daxfile-in-use.XXXXXX") || exit 1
trap 'kill $holder 2>/dev/null; rm -rf "$dir"' EXIT
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }

# hold FILE: an exclusive flock on FILE, held by a background process.
hold() {
	flock -x "$1" sleep 60 &
	holder=$!
	sleep 0.3
}
release() { kill "$holder" 2>/dev/null; wait "$holder" 2>/dev/null; }

# convert of a locked file: refused, original untouched, nothing left over
head -c 4194304 /dev/urandom >"$dir/pool"
sum=$(md5sum <"$dir/pool")
ino=$(stat -c %i "$dir/pool")
hold "$dir/pool"
out=$("$DAXFILE" convert "$dir/pool" 2>&1) && fail "convert of a locked file succeeded"
echo "$out" | grep -q "in use" || fail "convert: no 'in use' in: $out"
release
[ "$(md5sum <"$dir/pool")" = "$sum" ] || fail "convert changed the locked file"
[ "$(stat -c %i "$dir/pool")" = "$ino" ] || fail "convert replaced the locked file"
ls -A "$dir" | grep -q '^\.daxfile-' && fail "convert left a temporary file"

# enable --fill of a locked sparse file: refused before any block is written
truncate -s 8M "$dir/sparse"
hold "$dir/sparse"
out=$("$DAXFILE" enable --fill "$dir/sparse" 2>&1) && fail "enable --fill of a locked file succeeded"
echo "$out" | grep -q "in use" || fail "enable --fill: no 'in use' in: $out"
release
[ "$(stat -c %b "$dir/sparse")" = 0 ] || fail "enable --fill allocated blocks of a locked file"

# create --force over what is not a regular file: refused, left alone
mkfifo "$dir/fifo"
ln -s pool "$dir/link"
for t in fifo link; do
	out=$("$DAXFILE" create "$dir/$t" 4M --force 2>&1) && fail "create --force replaced the $t"
	echo "$out" | grep -q "not a regular file" || fail "create --force $t: no 'not a regular file' in: $out"
done
[ -p "$dir/fifo" ] || fail "the FIFO is gone"
[ -L "$dir/link" ] || fail "the symlink is gone"
[ "$(md5sum <"$dir/pool")" = "$sum" ] || fail "create --force through a symlink changed its target"
if [ "$(id -u)" = 0 ] && mknod "$dir/null" c 1 3 2>/dev/null; then
	"$DAXFILE" create "$dir/null" 4M --force >/dev/null 2>&1 && fail "create --force replaced a device node"
	[ -c "$dir/null" ] || fail "the device node is gone"
fi
ls -A "$dir" | grep -q '^\.daxfile-' && fail "create --force left a temporary file"

[ $fails = 0 ]
