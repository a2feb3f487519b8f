#!/bin/bash
# SPDX-License-Identifier: MIT
# Description: daxfile(1) in the VM: create/enable/disable/status, and
# check's verdicts on files made with holes, unwritten extents and
# misaligned extents.  Runs on /mnt/pmem from the repo root; prints TAP.
DAXFILE=${DAXFILE:-tools/daxfile}
MNT=${MNT:-/mnt/pmem}
d=$MNT/daxfile-tool-$$
n=0 failed=0

echo "TAP version 13"
if [ ! -x "$DAXFILE" ]; then
	echo "1..0 # SKIP $DAXFILE not built"
	exit 0
fi
echo "1..10"
mkdir -p "$d" || exit 1

# t NAME WANT_STATUS PATTERN CMD...: one TAP line per expectation.
t() {
	name=$1 want=$2 pat=$3
	shift 3
	n=$((n + 1))
	out=$("$@" 2>&1)
	got=$?
	if [ "$got" = "$want" ] && printf '%s\n' "$out" | grep -q -- "$pat"; then
		echo "ok $n - $name"
	else
		echo "not ok $n - $name (exit $got, want $want, pattern '$pat')"
		printf '%s\n' "$out" | sed 's/^/# /'
		failed=$((failed + 1))
	fi
}

skip() {
	n=$((n + 1))
	echo "ok $n - $1 # SKIP $2"
}

# On a kernel without daxctl only the FIEMAP checks can run.
nosys=
"$DAXFILE" disable "$d/.probe" 2>&1 | grep -q "no daxctl" && nosys=1
# ts NAME ...: like t, but needs daxctl(2).
ts() {
	if [ -n "$nosys" ]; then
		skip "$1" "kernel has no daxctl"
	else
		t "$@"
	fi
}

if [ -n "$nosys" ]; then
	t "create falls back to map_sync" 0 "mode map_sync" \
		"$DAXFILE" create "$d/f" 8M --align 4K
else
	t "create makes a static file" 0 "mode static" \
		"$DAXFILE" create "$d/f" 8M --align 4K
fi
ts "status says static" 0 "static: *yes" "$DAXFILE" status "$d/f"
ts "disable" 0 "" "$DAXFILE" disable "$d/f"
ts "check passes a written file" 0 "would succeed" "$DAXFILE" check "$d/f"
ts "enable" 0 "" "$DAXFILE" enable "$d/f"

truncate -s 4M "$d/hole"
dd if=/dev/zero of="$d/hole" bs=4k count=1 conv=notrunc,fsync 2>/dev/null
t "check reports a hole" 3 "hole" "$DAXFILE" check "$d/hole"

fallocate -l 4M "$d/unwritten"
t "check reports unwritten" 3 "unwritten" "$DAXFILE" check "$d/unwritten"
ts "enable explains unwritten" 1 \
	"daxfile: $d/unwritten: extent at offset 0x0 is unwritten" \
	"$DAXFILE" enable "$d/unwritten"

# Two files written 4 KiB at a time in turn get interleaved blocks.  One
# xfs_io switches between them: 512 processes take minutes on the debug
# kernel under TCG.
steps=()
for i in $(seq 0 255); do
	for f in 0 1; do
		steps+=(-c "file $f" -c "pwrite -q -S 0 $((i * 4096)) 4k" -c fsync)
	done
done
xfs_io -f -c "open -f $d/m2" "${steps[@]}" "$d/m1" >/dev/null
al=$("$DAXFILE" status --json "$d/m1" | sed -n 's/.*"layout_alignment":\([0-9]*\).*/\1/p')
if [ -n "$al" ] && [ "$al" -lt 1048576 ]; then
	a2=$((al * 2))
	t "check reports misaligned extents" 3 "misaligned" \
		"$DAXFILE" check "$d/m1" --align $a2
	ts "enable explains misalignment" 1 "aligned" \
		"$DAXFILE" enable "$d/m1" --align $a2
else
	skip "check reports misaligned extents" "extents came out aligned ($al)"
	skip "enable explains misalignment" "extents came out aligned ($al)"
fi

for f in "$d"/*; do "$DAXFILE" disable "$f" >/dev/null 2>&1; done
rm -rf "$d"
echo "# $((n - failed)) passed, $failed failed"
[ $failed -eq 0 ]
