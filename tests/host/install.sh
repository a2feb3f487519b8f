#!/bin/sh
# SPDX-License-Identifier: MIT
# Description: make install (into a DESTDIR) installs the library, headers, daxctl(2) and every page, and daxctl(2)'s SYNOPSIS and a libdaxfile program build against the installed files alone
top=$(cd "$(dirname "$0")/../.." && pwd)
dir=${DAXFILE_TEST_DIR:-/dev/shm}
[ -w "$dir" ] || dir=/tmp
d=$(mktemp -d "$dir/install.XXXXXX")
trap 'rm -rf "$d"' EXIT
dest=$d/root
prefix=/usr/local
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }

out=$(make -s -C "$top" install DESTDIR="$dest" PREFIX=$prefix 2>&1) ||
	{ fail "make install: $out"; exit 1; }
inc=$dest$prefix/include
man=$dest$prefix/share/man
for f in "$inc/daxfile.h" "$inc/linux/daxctl.h" "$inc/daxfile/daxctl.h" \
	 "$man/man2/daxctl.2" "$man/man1/daxfile.1" "$man/man3/libdaxfile.3" \
	 "$dest$prefix/lib/libdaxfile.so" "$dest$prefix/lib/libdaxfile.a" \
	 "$dest$prefix/lib/pkgconfig/libdaxfile.pc" "$dest$prefix/bin/daxfile"; do
	[ -e "$f" ] || fail "not installed: ${f#"$dest"}"
done
# Every page in the tree is installed, and every .so link resolves.
for p in "$top"/man/*.[123]; do
	s=${p##*.}
	[ -e "$man/man$s/${p##*/}" ] || fail "page not installed: man$s/${p##*/}"
done
for p in "$man"/man*/*; do
	t=$(sed -n 's/^\.so //p' "$p")
	[ -z "$t" ] || [ -e "$man/$t" ] || fail "${p#"$man"/}: .so $t is not installed"
done

# daxctl(2)'s SYNOPSIS, as printed, turned into a program: its #include
# lines, then a call to the syscall it shows.
page=$man/man2/daxctl.2
syn=$(sed -n '/^\.SH SYNOPSIS/,/^\.SH/p' "$page")
incs=$(echo "$syn" | grep -o '#include <[^>]*>')
nr=$(echo "$syn" | sed -n 's/.*syscall(\([A-Za-z_0-9]*\),.*/\1/p' | head -1)
[ -n "$incs" ] && [ -n "$nr" ] || fail "cannot read daxctl(2)'s SYNOPSIS"
{
	echo "$incs"
	echo "#include <errno.h>"
	echo "#include <stdio.h>"
	echo "int main(void)"
	echo "{"
	echo "	long r = syscall($nr, AT_FDCWD, \"/\", DAXCTL_F_GET, 0);"
	printf '\tprintf("%%ld %%d\\n", r, r < 0 ? errno : 0);\n'
	echo "	return 0;"
	echo "}"
} >"$d/syn.c"
# Only the installed headers: nothing from the source tree.
if cc -std=gnu11 -Wall -Werror -D_GNU_SOURCE -I"$inc" -o "$d/syn" "$d/syn.c" \
	2>"$d/err"; then
	"$d/syn" >/dev/null || fail "the SYNOPSIS program failed to run"
else
	fail "daxctl(2)'s SYNOPSIS does not compile against the installed headers:"
	sed 's/^/    /' "$d/err" | head -8 >&2
fi

# A libdaxfile program, with the flags pkg-config gives for the install.
cat >"$d/app.c" <<'C'
#include <daxfile.h>
#include <stdio.h>

int main(void)
{
	char buf[DAXFILE_SIZE_STRLEN];

	printf("%s %s %u\n", daxfile_version(NULL, NULL, NULL),
	       daxfile_format_size(2 << 20, buf, sizeof(buf)),
	       DAXCTL_F_STATIC);
	return 0;
}
C
flags=$(PKG_CONFIG_PATH=$dest$prefix/lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=$dest \
	pkg-config --cflags --libs libdaxfile 2>&1) || fail "pkg-config: $flags"
if cc -Wall -Werror -o "$d/app" "$d/app.c" $flags 2>"$d/err"; then
	got=$(LD_LIBRARY_PATH=$dest$prefix/lib "$d/app")
	[ "$got" = "$(make -s --no-print-directory -C "$top/lib" print-version) 2 MiB 4" ] ||
		fail "installed app printed '$got'"
else
	fail "a libdaxfile program does not build against the install:"
	sed 's/^/    /' "$d/err" | head -8 >&2
fi

[ $fails -eq 0 ] && exit 0
echo "$fails expectation(s) failed" >&2
exit 1
