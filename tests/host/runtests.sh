#!/bin/sh
# SPDX-License-Identifier: MIT
# Run host tests and print TAP: ok / not ok / ok # SKIP, one per test.
# Usage: runtests.sh TEST...  (binaries or executable scripts)
# Each test gets TIMEOUT seconds (default 300); its stderr is shown,
# indented, when it fails so the log says why.
timeout=${TIMEOUT:-300}
n=0 pass=0 fail=0 skip=0
echo "1..$#"
for t in "$@"; do
	n=$((n + 1))
	name=$(basename "$t")
	log=$(mktemp)
	timeout "$timeout" "$t" >"$log" 2>&1
	rc=$?
	case $rc in
	0)	echo "ok $n - $name"; pass=$((pass + 1)) ;;
	77)	why=$(grep -m1 '^#' "$log" | sed 's/^# *//')
		echo "ok $n - $name # SKIP ${why:-precondition missing}"
		skip=$((skip + 1)) ;;
	*)	echo "not ok $n - $name (exit $rc)"
		sed 's/^/# /' "$log" | head -60
		fail=$((fail + 1)) ;;
	esac
	rm -f "$log"
done
echo "host: $pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ]
