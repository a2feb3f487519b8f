#!/bin/bash
# SPDX-License-Identifier: MIT
# Description: bad media under a static file: an entry added to the pmem
# disk's badblocks list is mapped to the right file offset by
# `daxfile check --badblocks`; reads of it fail; a sub-page pwrite is
# refused; a whole-page pwrite is the repair (when the platform can
# clear poison).  Runs in the VM on /mnt/pmem; prints TAP.
#
# The entry is added by writing "SECTOR COUNT" to the disk's sysfs
# badblocks file (block/genhd.c accepts it): QEMU's NVDIMM has no error
# injection, so `ndctl inject-error` cannot make one.  The entry is
# the driver's own record; the media itself is fine, which is why the
# repair path is only as real as the platform's Clear Error command.
DAXFILE=${DAXFILE:-tools/daxfile}
MNT=${MNT:-/mnt/pmem}
dev=${DAXFILE_PMEM_DEV:-/dev/pmem0}
n=0 failed=0

echo "TAP version 13"
if [ ! -x "$DAXFILE" ]; then
	echo "1..0 # SKIP $DAXFILE not built"
	exit 0
fi
bbfile=/sys/class/block/${dev##*/}/badblocks
if [ ! -w "$bbfile" ]; then
	echo "1..0 # SKIP no writable $bbfile"
	exit 0
fi
echo "1..8"
ok() { n=$((n + 1)); echo "ok $n - $1"; }
nok() { n=$((n + 1)); echo "not ok $n - $1"; failed=$((failed + 1)); }
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }
f=$MNT/badblocks-$$
# The list entry can't be removed but by a repair, and a freed block
# under it would fail whichever test got it next.  So a file that still
# has bad blocks stays, static (so never freed), under a hidden name.
cleanup() {
	if "$DAXFILE" check --badblocks "$f" >/dev/null 2>&1; then
		"$DAXFILE" disable "$f" 2>/dev/null
		rm -f "$f"
	elif [ -e "$f" ]; then
		mv "$f" "$MNT/.badblocks-quarantine-$$" &&
			echo "# kept $MNT/.badblocks-quarantine-$$: it holds the bad range"
	fi
}
trap cleanup EXIT

"$DAXFILE" create -q "$f" 4M 2>&1 | sed 's/^/# /'
"$DAXFILE" check --badblocks "$f" >/tmp/bb.out 2>&1
rc=$?
if [ $rc = 0 ] && grep -q "no bad blocks" /tmp/bb.out; then
	ok "a clean file has no bad blocks"
else
	nok "clean file: exit $rc: $(cat /tmp/bb.out)"
fi

# The device address of file offset 2 MiB, from check's extent list.
off=$((2 << 20))
phys=$("$DAXFILE" check --json "$f" | tr '{' '\n' |
	awk -F'[:,]' -v off=$off '/"offset"/ {
		for (i = 1; i < NF; i++) {
			if ($i ~ /"offset"/) o = $(i + 1)
			if ($i ~ /"length"/) l = $(i + 1)
			if ($i ~ /"physical"/) p = $(i + 1)
		}
		if (o <= off && off < o + l) { print p + off - o; exit }
	}')
start=$(cat "/sys/class/block/${dev##*/}/start" 2>/dev/null || echo 0)
[ -n "$phys" ] || { nok "no extent at 2 MiB"; exit 1; }
sector=$((phys / 512 + start))
echo "# file offset $off is at device byte $phys, disk sector $sector"
echo "$sector 8" >"$bbfile" || { nok "cannot add to $bbfile"; exit 1; }
echo "# $bbfile: $(tr '\n' ' ' <"$bbfile")"

out=$("$DAXFILE" check --badblocks "$f" 2>&1)
rc=$?
if [ $rc = 3 ] && echo "$out" | grep -q "bad: offset 0x200000, 4096 bytes (disk sector $sector)"; then
	ok "check --badblocks maps the entry to offset 2 MiB, 4096 bytes"
else
	nok "check --badblocks: exit $rc: $out"
fi
out=$("$DAXFILE" check --badblocks --json "$f")
echo "$out" | grep -q "\"offset\":$off,\"length\":4096,\"sector\":$sector" &&
	ok "the JSON says the same" || nok "json: $out"

if dd if="$f" of=/dev/null bs=4096 skip=512 count=1 2>/tmp/dd.err; then
	nok "a read of the bad page succeeded"
else
	ok "a read of the bad page fails: $(head -1 /tmp/dd.err)"
fi
# A fault on the listed page, through a fresh mapping: SIGBUS.
xfs_io -c "mmap -r 0 4m" -c "mread -v 2m 8" "$f" >/tmp/mm.out 2>&1
rc=$?
if [ $rc = 135 ] || [ $rc = 138 ] || grep -qi "bus error" /tmp/mm.out; then
	ok "a mapped read of the bad page gets SIGBUS"
else
	nok "a mapped read of the bad page: exit $rc: $(head -3 /tmp/mm.out)"
fi
if dd if=/dev/zero of="$f" bs=512 seek=4097 count=1 conv=notrunc 2>/tmp/dd.err; then
	nok "a sub-page write into the bad page succeeded"
else
	ok "a sub-page write into the bad page is refused: $(head -1 /tmp/dd.err)"
fi
# The repair: a whole, page-aligned pwrite.  The driver clears poison
# through the platform's Clear Error command, then the list entry.
if dd if=/dev/zero of="$f" bs=4096 seek=512 count=1 conv=notrunc 2>/tmp/dd.err; then
	out=$("$DAXFILE" check --badblocks "$f" 2>&1)
	if [ $? = 0 ]; then
		ok "a whole-page pwrite repaired the range"
	else
		nok "the write succeeded but the range is still bad: $out"
	fi
else
	skip "a whole-page pwrite repairs the range" \
	     "this platform cannot clear poison: $(head -1 /tmp/dd.err)"
fi
# Whatever happened, the file is still static and the rest reads fine.
if dd if="$f" of=/dev/null bs=4096 count=512 2>/dev/null &&
   "$DAXFILE" status "$f" | grep -q "static: *yes"; then
	ok "the rest of the file reads, and it is still static"
else
	nok "the file around the bad page: $("$DAXFILE" status "$f" 2>&1 | head -3)"
fi
[ $failed = 0 ]
