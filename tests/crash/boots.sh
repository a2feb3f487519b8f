# SPDX-License-Identifier: GPL-2.0
#
# Sourced by the tests that boot one pmem image several times
# (static_flag_*.sh): a TAP line per check, and the guest's output.
# The caller sets name, fs, top, img and out.

# The checks below run the patched fsck in the guest.
"$top/fsprogs/build" --check "$name" || exit 1

n=0 failed=0

# The fsck commands: Debian's own (in /sbin), and the patched ones PATH
# finds first in the guest (vm/run puts build/fsprogs/root first).
case $fs in
ext4)	fsck_stock="/sbin/e2fsck -fn"; fsck_ours="e2fsck -fn"
	fsck_fix="e2fsck -fy" ;;
xfs)	fsck_stock="/sbin/xfs_repair -n"; fsck_ours="xfs_repair -n"
	fsck_fix="xfs_repair" ;;
esac

t() {	# t OK? TEXT: one TAP line; OK? is 0 for a pass
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $n - $name $fs: $2"
	else
		echo "not ok $n - $name $fs: $2"
		failed=$((failed + 1))
	fi
}

# has MARKER: did the guest print it?
has() { grep -q -- "$1" "$out"; }

vm() {	# vm [vm/run options] -- CMD: the guest's output into $out, and
	# vm/run's status into $vm_rc (125 for a kernel splat, 0 for a cut)
	# shellcheck disable=SC2086
	(cd "$top" && vm/run ${VMRUN_ARGS:-} --fs "$fs" --pmem "$img" "$@") \
		>"$out" 2>&1
	vm_rc=$?
	return $vm_rc
}

# booted MARKER: the boot ended well (no splat) and the guest printed MARKER.
booted() { [ "$vm_rc" = 0 ] && has "$1"; }

# The last lines the guest printed, as TAP comments, after a failed check.
show_failures() { [ "$failed" = 0 ] || sed 's/^/# /' "$out" | tail -20; }
