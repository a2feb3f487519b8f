#!/bin/sh
# SPDX-License-Identifier: MIT
# Description: daxfile(1) argument parsing, exit codes and one-line error messages
#
# Runs $DAXFILE (default tools/daxfile) and prints one line per failed
# expectation; exits 0, 1, or 77 when the binary is missing.
DAXFILE=${DAXFILE:-$(dirname "$0")/../../tools/daxfile}
[ -x "$DAXFILE" ] || { echo "# no $DAXFILE" >&2; exit 77; }
dir=${DAXFILE_TEST_DIR:-/dev/shm}
[ -w "$dir" ] || dir=/tmp
f=$dir/daxfile-tool-$$
fails=0

# expect STATUS PATTERN ARGS...: exit status and a line of stdout+stderr
expect() {
	want=$1 pat=$2
	shift 2
	out=$("$DAXFILE" "$@" 2>&1)
	got=$?
	if [ "$got" != "$want" ]; then
		echo "FAIL: daxfile $*: exit $got, want $want; output:" >&2
		echo "$out" | sed 's/^/    /' >&2
		fails=$((fails + 1))
	elif [ -n "$pat" ] && ! printf '%s\n' "$out" | grep -q -- "$pat"; then
		echo "FAIL: daxfile $*: no '$pat' in:" >&2
		echo "$out" | sed 's/^/    /' >&2
		fails=$((fails + 1))
	fi
}

expect 2 "Usage: daxfile COMMAND"
expect 0 "Usage: daxfile COMMAND" --help
expect 0 "flush" --version
expect 2 "unknown command 'frob'" frob
for c in create enable disable status check convert; do
	expect 0 "Usage: daxfile $c" $c --help
	expect 0 "Usage: daxfile $c" help $c
	expect 2 "daxfile $c: unknown option '--bogus'" $c --bogus
done
expect 2 "expected PATH and SIZE" create
expect 2 "expected PATH and SIZE" create "$f"
expect 2 "invalid size '12Q'" create "$f" 12Q
expect 2 "unknown option '-1'" create "$f" -1M
expect 2 "invalid size '0'" create "$f" 0
expect 2 "invalid size '99999999999999999999'" create "$f" 99999999999999999999
# The library's one parser: no space or sign in front, nothing after.
tab=$(printf '\t')
for s in "$tab-5" "$tab""5" " 1M" "+4M" "4Mx" "4M " "0x400000" "16E"; do
	expect 2 "invalid size '$s'" create "$f" "$s"
done
[ -e "$f" ] && { echo "FAIL: a refused size created $f" >&2; fails=$((fails + 1)); rm -f "$f"; }
expect 2 "invalid alignment ' 2M'" create "$f" 4M --align " 2M"
expect 2 "invalid alignment '3M'" create "$f" 6M --align 3M
expect 2 "invalid alignment '2G'" create "$f" 2G --align 2G
expect 2 "'--align' needs a value" create "$f" 2M --align
expect 2 "expected PATH" enable
expect 2 "unknown option '--align'" disable "$f" --align 2M
expect 2 "expected PATH" status "$f" extra

# Real files: $dir is page cache, so mode msync and check says no.
expect 1 "^daxfile: $f: size 3145728 is not a multiple of the alignment 2 MiB" create "$f" 3M
[ -e "$f" ] && { echo "FAIL: failed create left $f" >&2; fails=$((fails + 1)); }
expect 0 "$f: 4 MiB, align 2 MiB, mode msync" create "$f" 4M
expect 0 "" create -q "$f" 4m --force
expect 1 "^daxfile: $f: the file exists" create "$f" 4M
expect 0 "mode msync" create "$f" 8MiB --align 4K --force
expect 0 "mode: *msync" status "$f"
expect 0 '"mode":"msync"' status --json "$f"
expect 0 '"filesystem":' status "$f" --json
# tmpfs has no FIEMAP: "cannot be checked" is exit 1, as --help says.
expect 0 "1 if PATH cannot be checked" check --help
expect 1 "^daxfile: $f: .*FIEMAP" check "$f"
expect 1 "^daxfile: $f: .*FIEMAP" check --json "$f"
expect 1 "^daxfile: /dev/null: not a regular file" check /dev/null
expect 1 "^daxfile: $dir: is a directory" check "$dir"
# status: a regular file or an error, never a full status for the rest
expect 1 "^daxfile: /dev/null: not a regular file" status /dev/null
expect 1 "^daxfile: $dir: is a directory" status "$dir"
expect 1 "^daxfile: $dir: is a directory" status --json "$dir"
expect 0 "layout alignment: *unknown" status "$f"
expect 0 "mode reason: *the file is not DAX" status "$f"
expect 2 "unknown option '--fill'" disable "$f" --fill
expect 2 "expected PATH" convert
expect 0 "^$f: converted, mode msync" convert "$f"
expect 1 "^daxfile: $f: static-dax is required" convert "$f" --require-static
expect 1 "^daxfile: $dir: .*not a regular file" convert "$dir"
expect 1 "^daxfile: $dir/nonexistent-$$: No such file or directory" status "$dir/nonexistent-$$"
expect 1 "^daxfile: $dir/nonexistent-$$: " check "$dir/nonexistent-$$"
expect 1 "^daxfile: $f: .*daxctl" enable "$f"
expect 1 "^daxfile: $f: .*daxctl" disable "$f"
expect 1 "^daxfile: $f: " create "$f" 4M --require-static --force
# The issue's repro: a failed --force leaves the original as it was.
echo precious >"$f"
expect 1 "^daxfile: $f: static-dax is required" create "$f" 4M --force --require-static
[ "$(cat "$f" 2>/dev/null)" = precious ] ||
	{ echo "FAIL: a failed create --force destroyed $f" >&2; fails=$((fails + 1)); }
rm -f "$f"

# JSON: status and check share keys and conventions, and stay valid JSON
# for a path that is not UTF-8.  check needs FIEMAP: use a disk directory.
json_ok() {	# json_ok KEYS... < json: every key present, valid JSON
	python3 -c 'import json, sys
o = json.loads(sys.stdin.buffer.read().decode("utf-8", "strict"))
missing = [k for k in sys.argv[1:] if k not in o]
sys.exit("missing keys %s in %s" % (missing, o) if missing else 0)' "$@"
}
ddir=${DAXFILE_TEST_DISK_DIR:-/var/tmp}
bad=$(printf '%s/daxfile-tool-\377\376-%s' "$ddir" $$)
if "$DAXFILE" create -q "$bad" 4M; then
	for c in status check; do
		out=$("$DAXFILE" $c --json "$bad")
		st=$?
		[ $c = status ] && [ $st != 0 ] && { echo "FAIL: status --json: exit $st" >&2; fails=$((fails + 1)); }
		printf '%s' "$out" | json_ok path path_bytes size filesystem dax static ||
			{ echo "FAIL: $c --json on a non-UTF-8 path: $out" >&2; fails=$((fails + 1)); }
	done
	"$DAXFILE" status --json "$bad" | json_ok guaranteed_alignment layout_alignment mode mode_reason ||
		{ echo "FAIL: status --json keys" >&2; fails=$((fails + 1)); }
	"$DAXFILE" check --json "$bad" | json_ok checked_alignment extents eligible reasons ||
		{ echo "FAIL: check --json keys" >&2; fails=$((fails + 1)); }
	# An all-hole file has no alignment at all.
	rm -f "$bad"
	truncate -s 4M "$bad"
	expect 0 "layout alignment: *none (hole at offset 0x0" status "$bad"
	expect 3 "hole at offset 0x0" check "$bad"
	rm -f "$bad"
else
	echo "# $ddir: cannot create files there; JSON path checks skipped" >&2
fi

# The progress line never wraps, however narrow the terminal.
for cols in 20 40 79; do
	out=$(script -qec "stty cols $cols; '$DAXFILE' create '$f' 64M --force" /dev/null | tr '\r' '\n' | grep -a 'creating\|%')
	long=$(printf '%s\n' "$out" | sed 's/\x1b\[K//g' | awk -v c=$cols 'length($0) >= c')
	if [ -z "$out" ] || [ -n "$long" ]; then
		echo "FAIL: progress at $cols columns: '$out'" >&2
		fails=$((fails + 1))
	fi
done
rm -f "$f"

mkdir "$f"
expect 1 "^daxfile: $f: the path names a directory" create "$f" 4M
expect 1 "^daxfile: $f: the path names a directory" create "$f" 4M --force
rmdir "$f" || { echo "FAIL: create --force removed the directory" >&2; fails=$((fails + 1)); }

[ $fails -eq 0 ] && exit 0
echo "$fails expectation(s) failed" >&2
exit 1
