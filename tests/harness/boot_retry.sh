#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# vm/run boots again when the kernel dies before the guest's init runs (an
# emulator flake: none of daxfile's code has run), and never when it dies
# once init has started: that is a failure to report.
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
out=$(mktemp)
trap 'rm -f "$out"' EXIT
n=0 failed=0

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
# test kernel has no sysrq to crash it for real).
"$top/vm/run" --timeout 300 -- sh -c \
	'echo "Kernel panic - not syncing: daxfile harness test" >/dev/kmsg; poweroff -f' \
	>"$out" 2>&1
rc=$?
check "a kernel that dies after init is not booted again" \
	eval '! grep -q "booting again" "$out"'
check "and is reported with the harness status" eval '[ $rc = 125 ]'

"$top/vm/run" --timeout 300 -- true >"$out" 2>&1
rc=$?
check "a healthy boot runs the command once" \
	eval '[ $rc = 0 ] && ! grep -q "booting again" "$out"'
exit $failed
