#!/bin/bash
# SPDX-License-Identifier: MIT
# Description: on an asynchronous DAX device (virtio-pmem, vm/run
# --virtio-pmem) daxfile(1) never claims MAP_SYNC or STATIC: create ends
# in msync mode, status predicts msync and says why, check names the
# device.  Skips on synchronous pmem.  Runs on /mnt/pmem; prints TAP.
DAXFILE=${DAXFILE:-tools/daxfile}
MNT=${MNT:-/mnt/pmem}
f=$MNT/async-$$
n=0 failed=0

echo "TAP version 13"
if ! ls -d /sys/bus/virtio/drivers/virtio_pmem/virtio* >/dev/null 2>&1; then
	echo "1..0 # SKIP no virtio-pmem device (vm/run --virtio-pmem makes one)"
	exit 0
fi
echo "1..5"

t() {	# t NAME STATUS PATTERN CMD...
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

t "create falls back to msync" 0 "mode msync" "$DAXFILE" create "$f" 4M --align 4K
t "create --require-static refuses" 1 "asynchronous\|not supported\|EOPNOTSUPP\|refuses" \
	"$DAXFILE" create "$f" 4M --align 4K --force --require-static
t "status predicts msync" 0 "mode: *msync" "$DAXFILE" status "$f"
t "status says why" 0 "mode reason: .*asynchronous" "$DAXFILE" status "$f"
t "check names the device" 3 "asynchronous" "$DAXFILE" check "$f"
rm -f "$f"
echo "# $((n - failed)) passed, $failed failed"
[ $failed -eq 0 ]
