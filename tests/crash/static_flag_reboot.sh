#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Description: the static-dax state is a property of the file on disk.
# Four boots on one pmem image, then two on a new one:
#   1. patched kernel, fresh filesystem: no feature bit until the first
#      static file, and Debian's own fsck checks it clean before then (the
#      upgrade path); `daxfile create` makes a static, 2 MiB-aligned file
#      and a pmlog log owned by an unprivileged user; then a clean power
#      off.
#   2. the same image attached as virtio-pmem, an asynchronous DAX device
#      where flushes alone do not make stores durable: the file is still
#      static on disk, but daxfile_open() gives MSYNC mode and says why,
#      DAXFILE_REQUIRE_STATIC fails, and `daxfile status` predicts msync.
#   3. patched kernel again: with nothing re-enabling them, the files are
#      static (GET, statx, status), with their alignment; truncate,
#      fallocate and reflink are refused from the first moment; an
#      unprivileged daxfile_open() gets STATIC mode; the patched fsck
#      checks the filesystem clean, and Debian's unpatched one refuses it;
#      with the map broken offline, the kernel refuses a write into it and
#      reports corruption (no WARN), and the patched fsck reports it.
#   4. the stock kernel (the same config without the series): it mounts
#      the filesystem read-only only.
#   5. a new image, power cut right after its first static file;
#   6. the stock kernel, without replaying the journal, still refuses to
#      mount it read-write: the feature bit reached the home superblock.
#
#   tests/crash/static_flag_reboot.sh ext4|xfs
#
# VMRUN_ARGS adds vm/run options (e.g. "--vmlinux FILE"); STOCK_VMLINUX
# names the stock kernel (default build/kernel-stock/vmlinux; boots 4-6
# are skipped, saying so, without it, or with STOCK_VMLINUX=none: a run on
# the debug kernel leaves the stock kernel's boots to the test kernel's
# run).  Prints TAP.
set -u

fs=${1:?usage: static_flag_reboot.sh ext4|xfs}
top=$(cd "$(dirname "$0")/../.." && pwd)
make -s -C "$top/tests/crash" >&2 || exit 1
stock=${STOCK_VMLINUX:-$top/build/kernel-stock/vmlinux}
img=$(mktemp -p "$top/build" flag-XXXXXX.img)
out=$(mktemp -p "$top/build" flag-XXXXXX.out)
trap 'rm -f "$img" "$out"' EXIT
name=static_flag_reboot
# shellcheck source=tests/crash/boots.sh
. "$top/tests/crash/boots.sh"


echo "TAP version 13"

# The first image is made on an NVDIMM without labels: virtio-pmem has
# none, so boot 2 finds the same namespace and filesystem on it.
# ---- boot 1 -------------------------------------------------------------
vm --no-labels -- sh -c '
	dev=$(findmnt -no SOURCE /mnt/pmem)
	tools/daxfile status --json /mnt/pmem/. >/dev/null 2>&1
	touch /mnt/pmem/plain && tools/daxfile status --json /mnt/pmem/plain
	umount /mnt/pmem && '"$fsck_stock"' "$dev" >/dev/null 2>&1 &&
		echo STOCK-FSCK-CLEAN-BEFORE
	mount -o dax "$dev" /mnt/pmem || exit 1
	tools/daxfile create -q /mnt/pmem/db 8M --align 2M || exit 1
	examples/pmlog create /mnt/pmem/log 4M >/dev/null || exit 1
	chown 4242:4242 /mnt/pmem/log
	tools/daxfile status --json /mnt/pmem/db
	echo BOOT1-DONE'
t "$(booted BOOT1-DONE; echo $?)" "boot 1: create a static file and a log"
t "$(grep -q '"feature":false' "$out"; echo $?)" \
	"no feature bit before the first static file"
t "$(has STOCK-FSCK-CLEAN-BEFORE; echo $?)" \
	"Debian's unpatched fsck checks it clean before then"
show_failures

# ---- boot 2 -------------------------------------------------------------
# The same media behind an asynchronous DAX device: the map is still
# frozen, but a store is durable only once the host is asked to flush,
# which only msync does.  Nothing may claim STATIC here.
vm --reuse --virtio-pmem -- sh -c '
	ls -d /sys/bus/virtio/drivers/virtio_pmem/virtio* >/dev/null 2>&1 &&
		echo ASYNC-DEVICE
	tools/daxfile status --json /mnt/pmem/db
	setpriv --reuid 4242 --regid 4242 --clear-groups \
		build/tests/crash/open_mode /mnt/pmem/log 2>&1
	build/tests/crash/open_mode --require-static /mnt/pmem/log 2>&1 ||
		echo REQUIRE-STATIC-REFUSED
	echo BOOT2-DONE'
t "$(booted BOOT2-DONE && has ASYNC-DEVICE; echo $?)" \
	"boot 2: the same image as virtio-pmem (asynchronous DAX)"
t "$(grep -q '"static":true' "$out"; echo $?)" "the file is still static on disk"
t "$(grep -q '"mode":"msync","mode_reason":"[^"]*asynchronous' "$out"; echo $?)" \
	"status predicts msync mode, because the device is asynchronous"
t "$(grep -q '^mode msync' "$out" && grep -q '^reason .*asynchronous' "$out"; echo $?)" \
	"daxfile_open() gives MSYNC mode there, and says why"
t "$(has REQUIRE-STATIC-REFUSED && grep -q 'open_mode: .*asynchronous' "$out"; echo $?)" \
	"DAXFILE_REQUIRE_STATIC fails there, saying why"
show_failures

# ---- boot 3 -------------------------------------------------------------
vm --no-labels --reuse -- sh -c '
	dev=$(findmnt -no SOURCE /mnt/pmem)
	tools/daxfile status --json /mnt/pmem/db
	truncate -s 4M /mnt/pmem/db 2>/dev/null || echo TRUNCATE-REFUSED
	fallocate -p -o 0 -l 4096 /mnt/pmem/db 2>/dev/null || echo PUNCH-REFUSED
	if [ '"$fs"' = xfs ]; then
		cp --reflink=always /mnt/pmem/db /mnt/pmem/copy 2>/dev/null ||
			echo REFLINK-REFUSED
	fi
	setpriv --reuid 4242 --regid 4242 --clear-groups \
		build/tests/crash/open_mode /mnt/pmem/log 2>&1
	ino=$(stat -c %i /mnt/pmem/db)
	umount /mnt/pmem || exit 1
	# The feature bit as the superblock on the media has it.
	if [ '"$fs"' = ext4 ]; then
		dumpe2fs -h "$dev" 2>/dev/null | grep -q "^Filesystem features:.*static_dax" &&
			echo SB-HAS-FEATURE
	else
		ro=$(xfs_db -r -c "sb 0" -c "p features_ro_compat" "$dev" | sed -n "s/.*= //p")
		[ $((ro & 0x80000000)) != 0 ] && echo SB-HAS-FEATURE
	fi
	'"$fsck_ours"' "$dev" >/dev/null 2>&1 && echo OUR-FSCK-CLEAN
	'"$fsck_stock"' "$dev" >/dev/null 2>&1; echo "STOCK-FSCK-RC=$?"
	# Break the map the way an offline tool could, in a way that is fine
	# for an ordinary file: a hole (ext4), an unwritten extent (xfs).
	if [ '"$fs"' = ext4 ]; then
		debugfs -w -R "punch <$ino> 1 1" "$dev" >/dev/null 2>&1
	else
		xfs_db -x -c "inode $ino" -c "write u3.bmx[0].extentflag 1" \
			"$dev" >/dev/null 2>&1
	fi
	# The patched kernel meets the broken map: a write into the broken
	# block must be refused, and reported as corruption, not as a kernel
	# bug (a WARN would end the boot with a splat).
	if mount -o dax "$dev" /mnt/pmem; then
		dd if=/dev/zero of=/mnt/pmem/db bs=4096 seek=1 count=1 \
			conv=notrunc 2>/dev/null && echo BROKEN-WRITE-ALLOWED ||
			echo BROKEN-WRITE-REFUSED
		umount /mnt/pmem
	fi
	dmesg | grep -m1 "block map differs" | sed "s/^/KERNEL-SAYS: /"
	'"$fsck_ours"' "$dev" >/tmp/fsck.out 2>&1; echo "BROKEN-FSCK-RC=$?"
	grep -i -m1 "static" /tmp/fsck.out | sed "s/^/BROKEN-FSCK-SAYS: /"
	'"$fsck_fix"' "$dev" >/dev/null 2>&1
	'"$fsck_ours"' "$dev" >/dev/null 2>&1 && echo FIXED-FSCK-CLEAN
	echo BOOT3-DONE'
t "$(booted BOOT3-DONE; echo $?)" "boot 3: reboot on the same image, no kernel splat"
t "$(has SB-HAS-FEATURE; echo $?)" \
	"the first static file set the feature bit in the superblock"
t "$(grep -q '"static":true' "$out"; echo $?)" \
	"the file is static after the reboot, with no re-enable"
t "$(grep -q '"on_disk":true' "$out"; echo $?)" "status says it is kept on disk"
t "$(grep -q '"recorded_alignment":2097152' "$out"; echo $?)" \
	"the 2 MiB alignment it was made static with is kept"
t "$(has TRUNCATE-REFUSED; echo $?)" "truncate is refused from the first moment"
t "$(has PUNCH-REFUSED; echo $?)" "hole punch is refused from the first moment"
if [ "$fs" = xfs ]; then
	t "$(has REFLINK-REFUSED; echo $?)" "reflink is refused from the first moment"
fi
t "$(grep -q '^mode static' "$out"; echo $?)" \
	"an unprivileged daxfile_open() gets STATIC mode"
t "$(has OUR-FSCK-CLEAN; echo $?)" "the patched fsck checks it clean"
rc=$(sed -n 's/^STOCK-FSCK-RC=//p' "$out")
t "$([ -n "$rc" ] && [ "$rc" != 0 ]; echo $?)" \
	"Debian's unpatched fsck refuses it (exit ${rc:-none})"
t "$(has BROKEN-WRITE-REFUSED && has KERNEL-SAYS; echo $?)" \
	"the kernel refuses a write into a map broken offline, and reports corruption"
rc=$(sed -n 's/^BROKEN-FSCK-RC=//p' "$out")
t "$([ -n "$rc" ] && [ "$rc" != 0 ] && has BROKEN-FSCK-SAYS; echo $?)" \
	"the patched fsck reports a static file whose map was broken offline: $(sed -n 's/^BROKEN-FSCK-SAYS: //p' "$out")"
t "$(has FIXED-FSCK-CLEAN; echo $?)" "repairing clears the flag, and the next check is clean"
show_failures

# ---- boot 4 -------------------------------------------------------------
if [ -f "$stock" ]; then
	vm --vmlinux "$stock" --no-labels --reuse --mount-options ro,dax -- sh -c '
		dd if=/mnt/pmem/db of=/dev/null bs=1M 2>/dev/null &&
			echo RO-MOUNT-READS
		mount -o remount,rw /mnt/pmem 2>/dev/null || echo RW-REFUSED
		echo BOOT4-DONE'
	t "$(has RO-MOUNT-READS; echo $?)" \
		"the stock kernel mounts it read-only and reads the file"
	t "$(has RW-REFUSED; echo $?)" "the stock kernel refuses to mount it read-write"
	show_failures

	# ---- boots 5 and 6: a cut right after the first enable -------------
	# The feature bit must be in the superblock's home copy, not only in
	# the journal: a kernel without the series reads the home copy before
	# it replays the journal.  Boot 6 mounts without replaying (ext4
	# noload, xfs norecovery), then tries read-write as that kernel would.
	rm -f "$img"
	vm --powercut-on @CUT -- sh -c '
		tools/daxfile create -q /mnt/pmem/first 4M || exit 1
		echo @CUT'
	t "$([ $vm_rc = 0 ]; echo $?)" "boot 5: power cut right after the first static file"
	case $fs in
	ext4) noreplay=noload ;;
	xfs) noreplay=norecovery ;;
	esac
	vm --vmlinux "$stock" --reuse --mount-options "ro,dax,$noreplay" -- sh -c '
		dev=$(findmnt -no SOURCE /mnt/pmem)
		umount /mnt/pmem || exit 1
		if mount -o dax "$dev" /mnt/pmem 2>/dev/null; then
			echo RW-MOUNTED; umount /mnt/pmem
		else
			echo RW-REFUSED
		fi
		echo BOOT6-DONE'
	t "$(has BOOT6-DONE && has RW-REFUSED; echo $?)" \
		"after the cut, the stock kernel still refuses to mount it read-write"
	show_failures
elif [ "$stock" = none ]; then
	echo "ok $((n + 1)) - static_flag_reboot $fs: the stock kernel # SKIP boots 4-6 left out (STOCK_VMLINUX=none)"
	n=$((n + 1))
else
	echo "ok $((n + 1)) - static_flag_reboot $fs: the stock kernel # SKIP no $stock (kernel/build.sh stock)"
	n=$((n + 1))
fi
echo "1..$n"
[ $failed = 0 ]
