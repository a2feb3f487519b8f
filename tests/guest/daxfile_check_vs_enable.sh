#!/bin/bash
# SPDX-License-Identifier: MIT
# Description: `daxfile check` and the kernel agree: on deliberately made
# layouts (holes, unwritten, shared, split and merged runs, misaligned
# starts, lengths and sizes), check --align A exits 0 exactly when
# `daxfile enable --align A` succeeds, and status's layout alignment is
# the largest A that works.  Runs on /mnt/pmem (ext4 or xfs); prints TAP.
#
# Needs a kernel with daxctl(2) and root; DAXFILE picks the tool (to run
# an older build against the same layouts).
DAXFILE=${DAXFILE:-tools/daxfile}
MNT=${MNT:-/mnt/pmem}
FS=${DAXFILE_FS:-$(stat -f -c %T "$MNT")}
d=$MNT/check-vs-enable-$$
# Every tool run is an exec under TCG: the default set fits the suite's
# per-test timeout; DAXFILE_CHECK_ALL=1 runs every layout and alignment.
if [ -n "${DAXFILE_CHECK_ALL:-}" ]; then
	aligns="4096 8192 65536 2097152"
else
	aligns="4096 8192 2097152"
fi
n=0 failed=0 agreed=0

echo "TAP version 13"
if [ ! -x "$DAXFILE" ]; then
	echo "1..0 # SKIP $DAXFILE not built"
	exit 0
fi
mkdir -p "$d" || exit 1
if "$DAXFILE" disable "$d" 2>&1 | grep -q "no daxctl"; then
	echo "1..0 # SKIP the kernel has no daxctl(2)"
	exit 0
fi

spacer=0
# Take the next free block(s) in a separate file: what is allocated next
# for the file under test is then not contiguous with what came before.
gap() {
	local blocks=${1:-1}

	xfs_io -f -c "pwrite -q -S 0x11 $((spacer * 4096)) $((blocks * 4096))" \
		-c fsync "$d/spacer" >/dev/null
	spacer=$((spacer + blocks))
}

w() {	# w FILE OFFSET LENGTH: written, durable data
	xfs_io -f -c "pwrite -q -S 0x5a $2 $3" -c fsync "$1" >/dev/null
}

# The layouts.  Each function makes $d/$1.
layout_written() { w "$d/$1" 0 4M; }
layout_hole() { truncate -s 4M "$d/$1"; w "$d/$1" 0 1M; w "$d/$1" 3M 1M; }
layout_all_hole() { truncate -s 4M "$d/$1"; }
layout_unwritten() { xfs_io -f -c "falloc 0 4M" -c fsync "$d/$1" >/dev/null; }
layout_part_unwritten() {
	xfs_io -f -c "falloc 0 4M" -c "pwrite -q 0 2M" -c fsync "$d/$1" >/dev/null
}
layout_filled_hole() {	# a hole written later: a run of its own
	truncate -s 4M "$d/$1"; w "$d/$1" 0 2M; gap 3; w "$d/$1" 2M 2M
}
# The issue's repro: two 4 KiB extents whose addresses agree with their
# offsets modulo 8 KiB, but each run is 4 KiB long.
layout_split_4k_congruent() { w "$d/$1" 0 4k; gap 2; w "$d/$1" 4k 4k; }
layout_split_4k() { w "$d/$1" 0 4k; gap 1; w "$d/$1" 4k 4k; }
layout_split_64k() { w "$d/$1" 0 64k; gap 5; w "$d/$1" 64k 64k; }
layout_misaligned_start() { gap 1; w "$d/$1" 0 64k; }
layout_misaligned_length() { w "$d/$1" 0 2052k; gap 1; w "$d/$1" 2052k 2044k; }
layout_odd_size() { w "$d/$1" 0 2052k; }
layout_empty() { : >"$d/$1"; }
# ext4's extents hold at most 128 MiB: a 136 MiB file is two or more
# extents, contiguous on the device, that map as one run.
layout_merged_runs() { w "$d/$1" 0 136M; }
layout_shared() {
	w "$d/$1" 0 4M
	cp --reflink=always "$d/$1" "$d/$1.copy" 2>/dev/null
}
layout_once_shared() {	# reflinked, CoW-written, copy deleted
	w "$d/$1" 0 4M
	cp --reflink=always "$d/$1" "$d/$1.copy" 2>/dev/null &&
		w "$d/$1" 0 4k && rm -f "$d/$1.copy"
}

if [ -n "${DAXFILE_CHECK_ALL:-}" ]; then
	layouts="merged_runs written hole all_hole unwritten part_unwritten
		 filled_hole split_4k_congruent split_4k split_64k
		 misaligned_start misaligned_length odd_size empty"
else
	layouts="merged_runs written hole unwritten split_4k_congruent
		 misaligned_length odd_size empty"
fi
[ "$FS" = xfs ] && layouts="$layouts shared once_shared"
# Only ext4 caps an extent (at 128 MiB); on xfs the big file is one run.
[ "$FS" = xfs ] && layouts=${layouts#merged_runs }

count=0
for l in $layouts; do count=$((count + $(echo $aligns | wc -w) + 1)); done
echo "1..$count"

extents() {	# one-line summary of the extents, for the log
	"$DAXFILE" check "$1" 2>/dev/null |
		awk '$1 ~ /^0x/ { printf "%s+%s@%s,%s ", $1, $2, $3, $4 }'
}

for l in $layouts; do
	f=$d/$l
	"layout_$l" "$l"
	[ -n "${DAXFILE_CHECK_ALL:-}" ] && echo "# $l: $(extents "$f")"
	worked=
	for a in $aligns; do
		n=$((n + 1))
		out=$("$DAXFILE" check --align "$a" "$f" 2>&1)
		c=$?
		eout=$("$DAXFILE" enable --align "$a" "$f" 2>&1)
		e=$?
		[ $e = 0 ] && worked="$worked $a"
		[ $e = 0 ] && "$DAXFILE" disable "$f"
		if { [ $c = 0 ] && [ $e = 0 ]; } || { [ $c = 3 ] && [ $e = 1 ]; }; then
			echo "ok $n - $FS $l --align $a: check $c, enable $e"
			agreed=$((agreed + 1))
		else
			echo "not ok $n - $FS $l --align $a: check exits $c, enable exits $e"
			printf '%s\n' "$out" "$eout" | sed 's/^/#   /'
			dmesg | grep daxctl | tail -2 | sed 's/^/#   kernel: /'
			failed=$((failed + 1))
		fi
	done
	# status: enable --align A works exactly for A <= layout alignment.
	n=$((n + 1))
	got=$("$DAXFILE" status --json "$f" 2>/dev/null |
	      sed -n 's/.*"layout_alignment":\([0-9][0-9]*\|null\).*/\1/p')
	[ "$got" = null ] && got=0
	want=
	for a in $aligns; do
		[ "${got:-0}" -ge "$a" ] 2>/dev/null && want="$want $a"
	done
	if [ -n "$got" ] && [ "$want" = "$worked" ]; then
		echo "ok $n - $FS $l: status layout alignment $got"
	else
		echo "not ok $n - $FS $l: status says layout alignment '${got:-?}'; enable worked for:${worked:- none}"
		failed=$((failed + 1))
	fi
done

for f in "$d"/*; do "$DAXFILE" disable "$f" >/dev/null 2>&1; done
rm -rf "$d"
echo "# $FS: check and enable agreed on $agreed layout/alignment pairs; $((n - failed)) of $n passed"
[ $failed -eq 0 ]
