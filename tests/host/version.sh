#!/bin/sh
# SPDX-License-Identifier: MIT
# Description: one version: daxfile.h's macros, daxfile_version(), the soname, libdaxfile.pc and daxfile --version agree
top=$(cd "$(dirname "$0")/../.." && pwd)
DAXFILE=${DAXFILE:-$top/tools/daxfile}
[ -x "$DAXFILE" ] || { echo "# no $DAXFILE" >&2; exit 77; }
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }

hdr=$(awk '/^#define DAXFILE_VERSION_(MAJOR|MINOR|PATCH)[ \t]/ { v = v sep $3; sep = "." }
	END { print v }' "$top/include/daxfile.h")
echo "$hdr" | grep -qE '^[0-9]+\.[0-9]+\.[0-9]+$' ||
	fail "daxfile.h: no DAXFILE_VERSION_MAJOR/MINOR/PATCH (got '$hdr')"

make -s -C "$top/lib" libdaxfile.so libdaxfile.pc >/dev/null || fail "lib build"
pc=$(sed -n 's/^Version: //p' "$top/lib/libdaxfile.pc")
[ "$pc" = "$hdr" ] || fail "libdaxfile.pc says '$pc', daxfile.h '$hdr'"

soname=$(readelf -d "$top/lib/libdaxfile.so" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[ "$soname" = "libdaxfile.so.${hdr%%.*}" ] ||
	fail "soname '$soname', want libdaxfile.so.${hdr%%.*}"

tool=$("$DAXFILE" --version | awk 'NR == 1 { print $2 }')
[ "$tool" = "$hdr" ] || fail "daxfile --version says '$tool', daxfile.h '$hdr'"

# The runtime call, through the shared library the soname names.
tmp=$(mktemp -d)
cat >"$tmp/v.c" <<'C'
#include <stdio.h>
#include <daxfile.h>
int main(void)
{
	unsigned int a = 99, b = 99, c = 99;
	const char *s = daxfile_version(&a, &b, &c);

	printf("%s %u.%u.%u %d.%d.%d\n", s, a, b, c, DAXFILE_VERSION_MAJOR,
	       DAXFILE_VERSION_MINOR, DAXFILE_VERSION_PATCH);
	return daxfile_version(NULL, NULL, NULL) != s;
}
C
if cc -Wall -Werror -I"$top/include" -o "$tmp/v" "$tmp/v.c" \
	-L"$top/lib" -ldaxfile 2>"$tmp/err"; then
	run=$(LD_LIBRARY_PATH=$top/lib "$tmp/v") || fail "daxfile_version() pointers"
	[ "$run" = "$hdr $hdr $hdr" ] || fail "runtime '$run', want '$hdr' three times"
else
	fail "daxfile_version() does not build: $(head -3 "$tmp/err")"
fi
rm -rf "$tmp"

[ $fails -eq 0 ] && exit 0
echo "$fails expectation(s) failed" >&2
exit 1
