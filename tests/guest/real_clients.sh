#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Description: real persistent-memory software on static files, unchanged
# (issue 10, section 9).  PMDK's pmempool creates an obj pool on a file
# made by daxfile create, a libpmemobj program runs a transaction in it,
# pmempool check finds it consistent; fio's libpmem engine runs a job on
# another static file of the job's size; both files are still static at
# the end.  Each client runs under strace when it is there, so a failure
# names the system call that failed.  Runs in the VM on /mnt/pmem from the
# repo root (tests/guest/run); prints TAP.
DAXFILE=${DAXFILE:-tools/daxfile}
PMEMOBJ_TX=${PMEMOBJ_TX:-build/tests/guest/clients/pmemobj_tx}
MNT=${MNT:-/mnt/pmem}
d=$MNT/real-clients-$$
trace=$(mktemp)
n=0 failed=0

echo "TAP version 13"
echo "1..8"

ok() { n=$((n + 1)); echo "ok $n - $1"; }
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }
not_ok() {
	n=$((n + 1))
	echo "not ok $n - $1"
	failed=$((failed + 1))
}

# traced NAME CMD...: run CMD (under strace if there is one); on failure
# show its output and the calls that failed on files.
traced() {
	local name=$1 out rc
	shift
	if command -v strace >/dev/null; then
		out=$(strace -f -qq -o "$trace" --seccomp-bpf \
			-e trace=%file,%desc -e status=failed "$@" 2>&1)
	else
		: >"$trace"
		out=$("$@" 2>&1)
	fi
	rc=$?
	if [ $rc = 0 ]; then
		ok "$name"
		return 0
	fi
	not_ok "$name (exit $rc)"
	printf '%s\n' "$out" | tail -15 | sed 's/^/#   /'
	if [ -s "$trace" ]; then
		echo "#   system calls that failed (strace):"
		grep -vE 'ENOENT|ENOTTY|ENXIO|EAGAIN' \
			"$trace" | grep -E '= -1 E' | tail -10 | sed 's/^/#     /'
	fi
	return 1
}

# static_now NAME FILE: daxctl(GET) says FILE is static.
static_now() {
	if "$DAXFILE" status "$2" 2>&1 | grep -q 'static: *yes'; then
		ok "$1"
	else
		not_ok "$1"
		"$DAXFILE" status "$2" 2>&1 | sed 's/^/#   /'
	fi
}

cleanup() {
	"$DAXFILE" disable "$d/pool" >/dev/null 2>&1
	"$DAXFILE" disable "$d/fio" >/dev/null 2>&1
	rm -rf "$d" "$trace"
}
trap cleanup EXIT

if [ ! -x "$DAXFILE" ]; then
	for i in $(seq 8); do skip "real clients" "$DAXFILE not built"; done
	exit 0
fi
mkdir -p "$d" || exit 1
if ! "$DAXFILE" create "$d/pool" 32M 2>&1 | grep -q 'mode static'; then
	for i in $(seq 8); do skip "real clients" "no static-DAX files here"; done
	exit 0
fi
ok "daxfile create makes a static 32 MiB file"

# ---- PMDK ----
if ! command -v pmempool >/dev/null; then
	for c in "pmempool create obj" "libpmemobj transaction" "pmempool check" \
		 "pool file still static"; do
		skip "$c" "pmempool not installed (Debian: pmdk-tools)"
	done
else
	if traced "pmempool create obj on the existing static file" \
		pmempool create obj --layout=daxfile-test "$d/pool"; then
		if [ ! -x "$PMEMOBJ_TX" ]; then
			skip "libpmemobj transaction" \
			     "$PMEMOBJ_TX not built (Debian: libpmemobj-dev)"
		else
			traced "libpmemobj: open, transaction, close, reopen" \
				"$PMEMOBJ_TX" "$d/pool" daxfile-test
		fi
		traced "pmempool check says consistent" \
			pmempool check "$d/pool"
	else
		skip "libpmemobj transaction" "there is no pool"
		skip "pmempool check" "there is no pool"
	fi
	static_now "pool file still static" "$d/pool"
fi

# ---- fio ----
if ! command -v fio >/dev/null; then
	for c in "create the fio file" "fio libpmem job" "fio file still static"; do
		skip "$c" "fio not installed"
	done
elif ! fio --enghelp 2>/dev/null | grep -qw libpmem; then
	for c in "create the fio file" "fio libpmem job" "fio file still static"; do
		skip "$c" "this fio has no libpmem engine"
	done
else
	if "$DAXFILE" create "$d/fio" 16M 2>&1 | grep -q 'mode static'; then
		ok "daxfile create makes a static 16 MiB file for fio"
	else
		not_ok "daxfile create makes a static 16 MiB file for fio"
	fi
	traced "fio libpmem engine: random writes on the static file" \
		fio --name=static --ioengine=libpmem --filename="$d/fio" \
		    --size=16m --bs=4k --rw=randwrite --io_size=2m \
		    --output-format=terse
	static_now "fio file still static" "$d/fio"
fi

echo "# real clients: $((n - failed)) of $n passed"
[ $failed = 0 ]
