#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Description: reads into a long-term pinned static-DAX file survive a
# power cut (issue 13).  An io_uring fixed buffer pins the file's own pages
# (FOLL_LONGTERM, as RDMA and VFIO pin), a READ_FIXED from an O_DIRECT
# source lands in them with no bounce through DRAM, and the reader
# persists each chunk with cache flushes alone.  Two boots on one image:
#   1. pinned_read prepares a 16 MiB static file and a source of seeded
#      pseudo-random bytes, then copies the source into the registered
#      file, 64 KiB chunks in a shuffled order, printing "@ACK N" once
#      each is persistent; the power is cut after the K-th ack (K random,
#      up to 0.8 of the chunks) while it goes on copying, the pin held.
#   2. the same image: every acknowledged chunk holds the source's bytes;
#      the pin died with the power, so the file can be made ordinary; and
#      the patched fsck checks the filesystem clean.
#
#   tests/crash/pinned_read_survives.sh ext4|xfs    (CRASH_SEED=S replays)
#
# With PINNED_VIA=rdma (what rdma_write_survives.sh sets), the pin is an
# RDMA memory region instead, and each chunk comes in as an RDMA WRITE on
# the guest's soft-RoCE device (tests/rdma_loop.h), stored into the
# pinned pages by rxe's responder.
#
# The cut keeps every store the guest CPU made (tests/crash/README.md), so
# this shows that the pinned pages are the file's blocks and that its map
# is durable, not that the flushes are right.  VMRUN_ARGS adds vm/run
# options.  Prints TAP; skips on a kernel that refuses the pin as stock
# 6.12 does and has no daxfile_longterm_pin().
set -u

via=${PINNED_VIA:-io_uring}
case $via in
io_uring) sub=copy name=pinned_read_survives what="reads" ;;
rdma) sub=rdma name=rdma_write_survives what="RDMA writes" ;;
*) echo "PINNED_VIA: io_uring or rdma, not $via" >&2; exit 2 ;;
esac
fs=${1:?usage: $name.sh ext4|xfs}
top=$(cd "$(dirname "$0")/../.." && pwd)
tool=$top/build/tests/crash/pinned_read
make -s -C "$top/tests/crash" >&2 || exit 1
if [ ! -x "$tool" ]; then
	echo "1..0 # SKIP no $tool: it needs liburing and libibverbs (scripts/install-deps installs liburing-dev and libibverbs-dev)"
	exit 0
fi
img=$(mktemp -p "$top/build" pinned-XXXXXX.img)
out=$(mktemp -p "$top/build" pinned-XXXXXX.out)
acks=$(mktemp -p "$top/build" pinned-XXXXXX.acks)
trap 'rm -f "$img" "$out" "$acks"' EXIT
chmod 644 "$acks"	# the guest's root reads it through 9p
# shellcheck source=tests/crash/boots.sh
. "$top/tests/crash/boots.sh"

size=$((16 << 20))
chunks=$((size / 65536))
seed=${CRASH_SEED:-$(( $(date +%s) % 1000000 ))}
RANDOM=$seed
cut=$(( RANDOM % (chunks * 8 / 10) + 1 ))
dst=/mnt/pmem/dst src=/mnt/pmem/src

echo "TAP version 13"
echo "# seed $seed: cut after ack $cut of $chunks (replay: CRASH_SEED=$seed ${PINNED_VIA:+PINNED_VIA=$via }$0 $fs)"

# ---- boot 1: copy through the pin, cut -----------------------------------
rm -f "$img"
vm --powercut-on @POWERCUT -- sh -c "
	$tool prepare $dst $src $size $seed || exit 1
	$tool $sub $dst $src $seed $cut"
if has '^@SKIP'; then
	echo "1..0 # SKIP $(sed -n 's/^@SKIP //p' "$out" | tr -d '\r' | head -1)"
	exit 0
fi
t "$(booted @POWERCUT; echo $?)" \
	"boot 1: power cut after ack $cut of $chunks, $what in flight, the pin held (vm/run exit $vm_rc)"
cp "$out" "$acks"
show_failures
[ "$failed" = 0 ] || { echo "1..$n"; exit 1; }

# ---- boot 2: check -------------------------------------------------------
vm --reuse -- sh -c "
	$tool check $dst $src $seed $acks
	tools/daxfile disable $dst >/dev/null && echo DISABLED
	dev=\$(findmnt -no SOURCE /mnt/pmem)
	umount /mnt/pmem && $fsck_ours \"\$dev\" >/tmp/fsck.out 2>&1 &&
		echo FSCK-CLEAN || sed 's/^/fsck: /' /tmp/fsck.out | head -20
	echo BOOT2-DONE"
verdict=$(grep '^@RPINNED' "$out" | tail -1)
t "$(booted BOOT2-DONE; echo $?)" "boot 2: reboot on the same image, no kernel splat"
t "$(echo "$verdict" | grep -q ' lost=0 torn=0 .*corrupt=0' &&
     ! echo "$verdict" | grep -q ' checked=0 '; echo $?)" \
	"every acknowledged chunk is in the static file: ${verdict:-no verdict}"
t "$(has DISABLED; echo $?)" "no pin outlives the power: disable works"
t "$(has FSCK-CLEAN; echo $?)" "the patched fsck checks it clean"
show_failures
echo "1..$n"
[ "$failed" = 0 ]
