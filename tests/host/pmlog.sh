#!/bin/sh
# SPDX-License-Identifier: MIT
# Description: examples/pmlog: magic at create, refuses files not its own, one writer (flock), the library's size parser, no leaks on error paths
#
# Runs $PMLOG (default examples/pmlog; "make run" passes an ASan build,
# and then every run below is also checked for LeakSanitizer reports).
top=$(cd "$(dirname "$0")/../.." && pwd)
PMLOG=${PMLOG:-$top/examples/pmlog}
DAXFILE=${DAXFILE:-$top/tools/daxfile}
[ -x "$PMLOG" ] || { echo "# no $PMLOG" >&2; exit 77; }
command -v flock >/dev/null || { echo "# no flock(1)" >&2; exit 77; }
dir=${DAXFILE_TEST_DIR:-/dev/shm}
[ -w "$dir" ] || dir=/tmp
d=$(mktemp -d "$dir/pmlog-test.XXXXXX")
trap 'rm -rf "$d"' EXIT
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
fails=0

# expect STATUS PATTERN CMD...: exit status, a line of the output, no leak
expect() {
	want=$1 pat=$2
	shift 2
	out=$("$@" 2>&1)
	got=$?
	if [ "$got" != "$want" ]; then
		echo "FAIL: $*: exit $got, want $want; output:" >&2
		echo "$out" | head -20 | sed 's/^/    /' >&2
		fails=$((fails + 1))
	elif [ -n "$pat" ] && ! printf '%s\n' "$out" | grep -q -- "$pat"; then
		echo "FAIL: $*: no '$pat' in:" >&2
		echo "$out" | head -20 | sed 's/^/    /' >&2
		fails=$((fails + 1))
	elif printf '%s\n' "$out" | grep -q "LeakSanitizer"; then
		echo "FAIL: $*: leaks:" >&2
		echo "$out" | grep -A12 LeakSanitizer | sed 's/^/    /' >&2
		fails=$((fails + 1))
	fi
}

# First 8 bytes of a file, as a little-endian hex word.
magic() {
	od -An -tx8 -N8 "$1" | tr -d ' '
}

log=$d/log
expect 0 "created $log" "$PMLOG" create "$log" 4M
[ "$(magic "$log")" = 000031474f4c4d50 ] ||
	{ echo "FAIL: create left magic '$(magic "$log")'" >&2; fails=$((fails + 1)); }
expect 0 "verified 0 records" "$PMLOG" verify "$log"
expect 0 "^ack 1 " "$PMLOG" append "$log" --count 3 --seed 7 --max-len 100
expect 0 "verified 3 records" "$PMLOG" verify "$log"

# The library's size syntax, and nothing looser.
for s in "4Mx" " 4M" "$(printf '\t4M')" "-4M" "+4M" "0x400000" "4 M x" ""; do
	expect 2 "invalid size" "$PMLOG" create "$d/s" "$s"
	[ -e "$d/s" ] && { echo "FAIL: size '$s' created a file" >&2; fails=$((fails + 1)); rm -f "$d/s"; }
done
expect 0 "created" "$PMLOG" create "$d/s" "4 MiB"
rm -f "$d/s"

# Bad counts and stray arguments are usage errors, not defaults.
expect 2 "usage" "$PMLOG" append "$log" --count
expect 2 "usage" "$PMLOG" append "$log" --count 1 --bogus 2
expect 2 "" "$PMLOG" append "$log" --count 1x
expect 2 "" "$PMLOG" append "$log" --count -1
expect 2 "" "$PMLOG" append "$log" --max-len 5G
expect 0 "verified 3 records" "$PMLOG" verify "$log"

# Files that are not ours: zeroes (a plain static file), junk, too small.
if [ -x "$DAXFILE" ]; then
	"$DAXFILE" create -q "$d/zero" 4M 2>/dev/null ||
		{ truncate -s 4M "$d/zero"; }
else
	truncate -s 4M "$d/zero"
fi
expect 1 "not a pmlog file" "$PMLOG" append "$d/zero" --count 1
expect 1 "not a pmlog file" "$PMLOG" verify "$d/zero"
[ "$(magic "$d/zero")" = 0000000000000000 ] ||
	{ echo "FAIL: append wrote into a file that is not a log" >&2; fails=$((fails + 1)); }
head -c 4M /dev/urandom >"$d/junk"
expect 1 "not a pmlog file" "$PMLOG" append "$d/junk" --count 1
head -c 4096 /dev/zero >"$d/small"
expect 1 "too small" "$PMLOG" append "$d/small" --count 1
expect 1 "too small" "$PMLOG" verify "$d/small"
expect 1 "" "$PMLOG" append "$d/nonexistent" --count 1
expect 1 "" "$PMLOG" create "$log" 4M

# One writer at a time; readers may look while it writes.
expect 1 "another process is appending" flock "$log" "$PMLOG" append "$log" --count 1
expect 0 "verified 3 records" flock "$log" "$PMLOG" verify "$log"
expect 0 "verified 3 records" "$PMLOG" verify "$log"

[ $fails -eq 0 ] && exit 0
echo "$fails expectation(s) failed" >&2
exit 1
