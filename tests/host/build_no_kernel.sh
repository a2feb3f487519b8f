#!/bin/sh
# SPDX-License-Identifier: MIT
# Description: plain "make" builds the userspace in a copy of the tree with no kernel tree, and says what it skipped; the guest suite then refuses, naming what it needs
#
# Copies the tracked sources (not build/, not kernel/) to a scratch
# directory and runs the top-level "make" there, so the real tree's build
# is neither used nor disturbed.
top=$(cd "$(dirname "$0")/../.." && pwd)
command -v git >/dev/null || { echo "# no git" >&2; exit 77; }
git -C "$top" rev-parse --git-dir >/dev/null 2>&1 ||
	{ echo "# not a git checkout" >&2; exit 77; }
dir=${DAXFILE_TEST_DIR:-/dev/shm}
[ -w "$dir" ] || dir=/tmp
d=$(mktemp -d "$dir/nokernel.XXXXXX")
trap 'rm -rf "$d"' EXIT
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }

(cd "$top" && git ls-files -z |
	grep -zv '^build/\|^kernel/' | xargs -0 tar -cf - 2>/dev/null) |
	tar -xf - -C "$d" || { echo "# cannot copy the tree" >&2; exit 77; }
[ -e "$d/build/linux" ] && { fail "the copy has a kernel tree"; exit 1; }

out=$(make -C "$d" -s 2>&1)
rc=$?
[ $rc = 0 ] || { fail "make without a kernel tree: exit $rc"; echo "$out" | tail -15 | sed 's/^/    /' >&2; }
echo "$out" | grep -q "tests/guest: skipped.*kselftest_harness.h.*make kernel" ||
	fail "make did not say it skipped the guest tests: $(echo "$out" | tail -3)"
for b in lib/libdaxfile.so lib/libdaxfile.a tools/daxfile examples/pmlog; do
	[ -e "$d/$b" ] || fail "make built no $b"
done

# "make test" needs them: REQUIRE_KERNEL_TREE=1 turns the skip into an error.
out=$(make -C "$d/tests/guest" -s REQUIRE_KERNEL_TREE=1 2>&1)
rc=$?
[ $rc != 0 ] || fail "REQUIRE_KERNEL_TREE=1 without a kernel tree succeeded"
echo "$out" | grep -q "kselftest_harness.h" || fail "no reason given: $out"

# The in-VM runner, faced with nothing built, says what it needs.
out=$(DAXFILE_FS=ext4 "$d/tests/guest/run" 2>&1)
rc=$?
[ $rc != 0 ] || fail "tests/guest/run with no tests built passed"
echo "$out" | grep -q "make kernel" || fail "tests/guest/run did not say what it needs: $out"

[ $fails -eq 0 ] && exit 0
echo "$fails expectation(s) failed" >&2
exit 1
