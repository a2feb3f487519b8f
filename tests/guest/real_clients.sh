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

# traced NAME CMD...: run CMD; on failure show its output, then run it
# again under strace (when there is one) to name the calls that failed.
# (Only then: without seccomp filtering, strace slows fio to a crawl
# under TCG.)
traced() {
	local name=$1 out rc
	shift
	out=$("$@" 2>&1)
	rc=$?
	if [ $rc = 0 ]; then
		ok "$name"
		return 0
	fi
	not_ok "$name (exit $rc)"
	printf '%s\n' "$out" | tail -15 | sed 's/^/#   /'
	if command -v strace >/dev/null; then
		timeout 300 strace -f -qq -o "$trace" -e status=failed \
			-e trace=openat,ftruncate,truncate,fallocate,mmap,pwrite64,write,unlink,rename \
			"$@" >/dev/null 2>&1
		echo "#   the same again under strace; the calls that failed:"
		grep -E '= -1 E' "$trace" | grep -vE 'ENOENT|EACCES' |
			tail -10 | sed 's/^/#     /'
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
	"$DAXFILE" disable "$d/probe" >/dev/null 2>&1
	rm -rf "$d" "$trace"
}
trap cleanup EXIT

if [ ! -x "$DAXFILE" ]; then
	for _ in $(seq 8); do skip "real clients" "$DAXFILE not built"; done
	exit 0
fi
mkdir -p "$d" || exit 1

# make_static NAME FILE SIZE: daxfile create, and it must be static.
make_static() {
	local out
	out=$("$DAXFILE" create "$2" "$3" 2>&1)
	if "$DAXFILE" status "$2" 2>&1 | grep -q 'static: *yes'; then
		ok "$1"
		return 0
	fi
	not_ok "$1"
	printf '%s\n' "$out" | sed 's/^/#   /'
	"$DAXFILE" status "$2" 2>&1 | sed 's/^/#   /'
	return 1
}

"$DAXFILE" create "$d/probe" 4M >/dev/null 2>&1
case $("$DAXFILE" status "$d/probe" 2>&1) in
*"no daxctl"*|*"not supported here"*)
	for _ in $(seq 8); do skip "real clients" "no static-DAX files here"; done
	exit 0 ;;
esac
"$DAXFILE" disable "$d/probe" >/dev/null 2>&1
rm -f "$d/probe"
make_static "daxfile create makes a static 32 MiB file" "$d/pool" 32M

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
	make_static "daxfile create makes a static 4 MiB file for fio" \
		"$d/fio" 4M
	traced "fio libpmem engine: random writes on the static file" \
		fio --name=static --ioengine=libpmem --filename="$d/fio" \
		    --size=4m --bs=4k --rw=randwrite --io_size=1m
	static_now "fio file still static" "$d/fio"
fi

echo "# real clients: $((n - failed)) of $n passed"
[ $failed = 0 ]
