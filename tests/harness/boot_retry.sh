#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# vm/run boots again when the kernel dies before the guest's init runs (an
# emulator flake: none of daxfile's code has run), and never when it dies
# once init has started: that is a failure to report.
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
out=$(mktemp)
runs=$(mktemp -d -p "$top/build")
trap 'rm -rf "$out" "$runs"' EXIT
n=0 failed=0

# How many boots got as far as the command (a line each in $runs/runs).
command_runs() { cat "$runs/runs" 2>/dev/null | wc -l; }

check() {	# check DESCRIPTION COMMAND...
	n=$((n + 1))
	if "${@:2}"; then
		echo "ok $n - $1"
	else
		echo "not ok $n - $1"
		sed 's/^/#   /' "$out"
		failed=1
	fi
}

echo "1..5"

# A missing init= panics the kernel before any userspace: deterministic.
"$top/vm/run" --timeout 300 --append "init=/daxfile-no-such-init" -- true \
	>"$out" 2>&1
rc=$?
check "a boot that dies before init is tried three times" \
	test "$(grep -c 'booting again' "$out")" = 2
check "and still fails with the harness status, naming the panic" \
	eval '[ $rc = 125 ] && grep -q "Requested init /daxfile-no-such-init" "$out"'

# A kernel that reports a panic and stops once the command runs (the
# test kernel has no sysrq to crash it for real).  Each boot that gets
# as far as the command leaves a line in $runs: one boot may die early
# and be retried (the emulator flake the retry is for), but the command
# must run once.
"$top/vm/run" --timeout 300 --rw "$runs" -- sh -c \
	"echo ran >>$runs/runs; "'echo "Kernel panic - not syncing: daxfile harness test" >/dev/kmsg; poweroff -f' \
	>"$out" 2>&1
rc=$?
check "a kernel that dies after init is not booted again" \
	eval '[ "$(command_runs)" = 1 ]'
check "and is reported with the harness status" eval '[ $rc = 125 ]'

# An early emulator flake may cost a boot here too; the command still
# runs once.
rm -f "$runs/runs"
"$top/vm/run" --timeout 300 --rw "$runs" -- sh -c "echo ran >>$runs/runs" \
	>"$out" 2>&1
rc=$?
check "a healthy boot runs the command once" \
	eval '[ $rc = 0 ] && [ "$(command_runs)" = 1 ]'
exit $failed
