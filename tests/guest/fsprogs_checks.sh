# SPDX-License-Identifier: MIT
#
# Sourced by the guest tests of the patched e2fsprogs and xfsprogs
# (fsprogs_show_and_skip.sh, xfs_repair_shared_static.sh).  The caller
# sets top; n and failed count the checks.

n=0 failed=0

# Skip unless PATH finds TOOL in the patched build (vm/run puts it first).
require_patched() {
	case $(command -v "$1") in
	"$top"/build/fsprogs/root/*) ;;
	*) echo "1..0 # SKIP the patched fsprogs are not built (make fsprogs)"; exit 0 ;;
	esac
}

t() {	# t NAME OK? OUTPUT: one TAP line; OK? is 0 for a pass
	n=$((n + 1))
	if [ "$2" = 0 ]; then
		echo "ok $n - $1"
	else
		echo "not ok $n - $1"
		printf '%s\n' "$3" | sed 's/^/# /'
		failed=$((failed + 1))
	fi
}
