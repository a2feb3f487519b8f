#!/bin/bash
# SPDX-License-Identifier: MIT
# Description: a real PMDK pool (pmempool create obj, unwritten extents)
# made static with `daxfile convert` and with `daxfile enable --fill`:
# afterwards it is static, `pmempool check` finds it consistent, and
# libpmemobj reopens it and reads every object back.  Runs on /mnt/pmem
# from the repo root; prints TAP.  Needs pmdk-tools and libpmemobj-dev.
DAXFILE=${DAXFILE:-tools/daxfile}
MNT=${MNT:-/mnt/pmem}
d=$MNT/pmdk-$$
objs=200
n=0 failed=0

echo "TAP version 13"
need=
[ -x "$DAXFILE" ] || need="$DAXFILE not built"
command -v pmempool >/dev/null || need="pmempool (Debian pmdk-tools) not installed"
[ -e /usr/include/libpmemobj.h ] || need="libpmemobj-dev not installed"
if "$DAXFILE" disable "$MNT" 2>&1 | grep -q "no daxctl"; then
	need="the kernel has no daxctl(2)"
fi
if [ -n "$need" ]; then
	echo "1..0 # SKIP $need"
	exit 0
fi
obj=/tmp/objcheck-$$
if ! cc -O2 -o "$obj" tests/guest/pmdk/objcheck.c -lpmemobj; then
	echo "1..0 # SKIP cannot build tests/guest/pmdk/objcheck.c"
	exit 0
fi
echo "1..16"
mkdir -p "$d" || exit 1
# The emulated NVDIMM has no unsafe-shutdown counter for PMDK to track.
export PMEMOBJ_CONF="sds.at_create=0"

t() {	# t NAME CMD...: the command must succeed
	name=$1
	shift
	n=$((n + 1))
	if out=$("$@" 2>&1); then
		echo "ok $n - $name"
	else
		echo "not ok $n - $name (exit $?)"
		printf '%s\n' "$out" | sed 's/^/# /'
		failed=$((failed + 1))
	fi
}

tx() {	# tx NAME STATUS CMD...: the command must exit with STATUS
	name=$1 want=$2
	shift 2
	n=$((n + 1))
	out=$("$@" 2>&1)
	got=$?
	if [ "$got" = "$want" ]; then
		echo "ok $n - $name"
	else
		echo "not ok $n - $name (exit $got, want $want)"
		printf '%s\n' "$out" | sed 's/^/# /'
		failed=$((failed + 1))
	fi
}

for how in convert fill; do
	p=$d/pool-$how
	t "$how: pmempool create obj" pmempool create obj --layout=daxfile --size=32M "$p"
	t "$how: libpmemobj writes $objs objects" "$obj" fill "$p" $objs
	echo "# $how: before: $(filefrag -v "$p" 2>/dev/null | grep -c unwritten) unwritten extent lines"
	tx "$how: check says enable would fail" 3 "$DAXFILE" check "$p"
	sum=$(md5sum <"$p")
	if [ $how = convert ]; then
		t "$how: daxfile convert" "$DAXFILE" convert "$p" --require-static
	else
		t "$how: daxfile enable --fill" "$DAXFILE" enable --fill "$p"
	fi
	t "$how: the file is static" sh -c "'$DAXFILE' status '$p' | grep -q 'static: *yes'"
	t "$how: not one byte changed" sh -c "[ \"\$(md5sum <'$p')\" = '$sum' ]"
	t "$how: pmempool check is clean" sh -c "pmempool check -v '$p' | tee /dev/stderr | grep -q consistent"
	t "$how: libpmemobj reads every object back" "$obj" verify "$p" $objs
done

for f in "$d"/*; do "$DAXFILE" disable "$f" >/dev/null 2>&1; done
rm -rf "$d" "$obj"
echo "# $((n - failed)) passed, $failed failed"
[ $failed -eq 0 ]
