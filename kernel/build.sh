#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the daxfile kernel: Debian's linux-source-6.12 plus kernel/series.
#
#   kernel/build.sh [test|debug|stock]...  build the named flavours (default: test)
#   kernel/build.sh --tree              only prepare build/linux (git tree, series applied)
#   kernel/build.sh --info FLAVOUR      print what the built kernel was made from
#
# build/linux is a git tree: the commit tagged daxfile-base is the unmodified
# linux-source, and the series sits on top of it as one commit per patch.
# Edit there, commit, and run kernel/refresh to regenerate kernel/patches.
# Each flavour builds out of tree in build/kernel-FLAVOUR; a stamp records the
# linux-source version, the series hash and the config hash, so an unchanged
# rebuild is a no-op.  ccache makes a rebuild of an unchanged tree cheap.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
kdir=$top/kernel
tree=$top/build/linux
tarball=/usr/src/linux-source-6.12.tar.xz

die() { echo "kernel/build.sh: $*" >&2; exit 1; }
note() { echo "kernel/build.sh: $*" >&2; }

source_version() {
	dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null ||
		die "linux-source-6.12 is not installed; run 'make deps'"
}

series_patches() {
	sed -e '/^#/d' -e '/^[[:space:]]*$/d' -e "s|^|$kdir/patches/|" "$kdir/series"
}

series_hash() {
	{ cat "$kdir/series"; series_patches | xargs -r cat; } | sha256sum | cut -c1-16
}

git_tree() { git -C "$tree" -c user.name=daxfile -c user.email=daxfile@localhost "$@"; }

# Extract linux-source into a fresh git tree whose first commit is the base.
extract_tree() {
	local version=$1
	[ -f "$tarball" ] || die "$tarball missing; run 'make deps'"
	note "extracting linux-source-6.12 $version into build/linux"
	rm -rf "$tree" "$tree.tmp"
	mkdir -p "$tree.tmp"
	tar -xf "$tarball" -C "$tree.tmp" --strip-components=1
	mv "$tree.tmp" "$tree"
	git_tree init -q -b daxfile
	# git am after adding 80,000 loose objects starts an automatic gc,
	# which repacks the tree in the background, beside builds and VMs.
	git_tree config gc.auto 0
	# Debian's tarball carries a .gitignore that hides the whole tree.
	git_tree add -A -f .
	git_tree commit -q -m "linux-source-6.12 $version (Debian)"
	# Debian's ignore-everything rule would hide new files from git add.
	sed -i '/^# Debian packaging/,$d' "$tree/.gitignore"
	git_tree commit -q -a -m "Drop Debian's packaging .gitignore rules for development"
	git_tree tag -f daxfile-base >/dev/null
	echo "$version" >"$tree/.git/daxfile-source-version"
}

# Reset the tree to the base and apply the series with git am.
apply_series() {
	local hash=$1
	note "applying kernel/series ($hash)"
	git_tree am --abort >/dev/null 2>&1 || true
	git_tree checkout -q -f -B daxfile daxfile-base
	git_tree clean -q -fdx
	mapfile -t patches < <(series_patches)
	if [ ${#patches[@]} -gt 0 ]; then
		git_tree am -q --whitespace=nowarn "${patches[@]}" ||
			die "a patch in kernel/series does not apply to linux-source-6.12 $(source_version); see 'git -C build/linux am --show-current-patch'"
	fi
	attach_notes "${patches[@]}"
	git_tree rev-parse HEAD >"$tree/.git/daxfile-applied"
	echo "$hash" >"$tree/.git/daxfile-series"
}

# git am drops what a patch says below "---"; put its "Notes:" back on the
# commit, so that kernel/refresh writes the patch out unchanged.
attach_notes() {
	local i=0 commits patch notes
	mapfile -t commits < <(git_tree rev-list --reverse daxfile-base..HEAD)
	for patch in "$@"; do
		notes=$(sed -n '/^---$/,/^ .* | /{/^Notes:$/,/^$/{/^Notes:$/d;s/^    //;p}}' "$patch")
		if [ -n "$notes" ]; then
			git_tree notes add -f -m "$notes" "${commits[$i]}" 2>/dev/null
		fi
		i=$((i + 1))
	done
}

# Bring build/linux to "base + series".  A developer's own commits on top
# of the applied series are kept: the tree is then built as it is.
prepare_tree() {
	local version hash applied
	version=$(source_version)
	hash=$(series_hash)
	if [ "$(cat "$tree/.git/daxfile-source-version" 2>/dev/null)" != "$version" ]; then
		extract_tree "$version"
	fi
	[ "$(cat "$tree/.git/daxfile-series" 2>/dev/null)" = "$hash" ] && return 0
	applied=$(cat "$tree/.git/daxfile-applied" 2>/dev/null || true)
	if [ -n "$applied" ] && [ "$(git_tree rev-parse HEAD)" != "$applied" ] &&
	   [ -z "${KERNEL_RESET:-}" ]; then
		die "build/linux has commits that kernel/patches lacks, and kernel/series changed too; run kernel/refresh to keep them, or KERNEL_RESET=1 to drop them"
	fi
	apply_series "$hash"
}

# The tree's identity for the stamp: the series, or the dev's HEAD.
tree_id() {
	echo "$(cat "$tree/.git/daxfile-source-version") $(git_tree rev-parse HEAD) $(git_tree status --porcelain -uno | sha256sum | cut -c1-16)"
}

configure() {
	local flavour=$1 out=$2
	make -s -C "$tree" O="$out" tinyconfig >/dev/null
	"$tree/scripts/kconfig/merge_config.sh" -m -O "$out" "$out/.config" \
		"$kdir/configs/base.config" "$kdir/configs/$flavour.config" >/dev/null
	make -s -C "$tree" O="$out" olddefconfig >/dev/null
	check_config "$out/.config" "$kdir/configs/base.config" "$kdir/configs/$flavour.config"
}

# Kconfig silently drops options whose dependencies are unmet; say so.
check_config() {
	local config=$1 frag line sym want have bad=0
	shift
	for frag in "$@"; do
		while read -r line; do
			case "$line" in
			CONFIG_*=n) sym=${line%%=*}; want="# $sym is not set" ;;
			CONFIG_*=*) sym=${line%%=*}; want=$line ;;
			*) continue ;;
			esac
			have=$(grep -E "^$sym=|^# $sym is not set" "$config" || true)
			if [ "$have" != "$want" ] && ! { [ -z "$have" ] && [ "${line#*=}" = n ]; }; then
				note "config: $(basename "$frag") asks for $line, the kernel has '${have:-nothing}'"
				bad=1
			fi
		done <"$frag"
	done
	[ $bad = 0 ] || die "the config fragments do not apply cleanly"
}

build_flavour() {
	local flavour=$1 out=$top/build/kernel-$1 stamp want
	[ -f "$kdir/configs/$flavour.config" ] || die "unknown flavour '$flavour' (test or debug)"
	want="$(tree_id) $(cat "$kdir/configs/base.config" "$kdir/configs/$flavour.config" | sha256sum | cut -c1-16)"
	stamp=$out/daxfile.stamp
	if [ -f "$out/vmlinux" ] && [ -f "$out/arch/x86/boot/bzImage" ] &&
	   [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
		note "$flavour kernel is up to date"
		return 0
	fi
	rm -f "$stamp"
	mkdir -p "$out"
	configure "$flavour" "$out"
	note "building the $flavour kernel (log: build/kernel-$flavour/build.log)"
	local start=$SECONDS
	# vm/run boots vmlinux through PVH; the KASAN kernel triple-faults on
	# that path before its console is up, so it boots from bzImage.
	if ! make -C "$tree" O="$out" -j"$(nproc)" CC="ccache gcc" vmlinux bzImage \
		>"$out/build.log" 2>&1; then
		grep -E 'error|Error' "$out/build.log" | head -20 >&2
		die "the $flavour kernel failed to build; full log: $out/build.log"
	fi
	write_info "$flavour" "$out"
	echo "$want" >"$stamp"
	note "$flavour kernel built in $((SECONDS - start))s"
}

# Flavour "stock": the unpatched linux-source with the test flavour's config
# minus what only the series provides (CONFIG_DAXFILE*): the baseline that
# make fstests compares the patched kernel with.  It builds daxfile-base in a
# git worktree of its own, build/linux-stock, so build/linux (where the series
# is developed) is never touched.  Same stamp and ccache logic as the others.
build_stock() {
	local out=$top/build/kernel-stock wt=$top/build/linux-stock stamp want base
	if ! git -C "$wt" rev-parse -q --verify HEAD >/dev/null 2>&1; then
		rm -rf "$wt"
		git_tree worktree prune
		git_tree worktree add -q --detach "$wt" daxfile-base
	fi
	git -C "$wt" checkout -q -f --detach daxfile-base
	git -C "$wt" clean -q -fdx
	mkdir -p "$out"
	base=$out/base-stock.config
	grep -v '^CONFIG_DAXFILE' "$kdir/configs/base.config" >"$base"
	want="$(source_version) $(git -C "$wt" rev-parse HEAD) $(cat "$base" "$kdir/configs/test.config" | sha256sum | cut -c1-16)"
	stamp=$out/daxfile.stamp
	if [ -f "$out/vmlinux" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
		note "stock kernel is up to date"
		return 0
	fi
	rm -f "$stamp"
	make -s -C "$wt" O="$out" tinyconfig >/dev/null
	"$wt/scripts/kconfig/merge_config.sh" -m -O "$out" "$out/.config" \
		"$base" "$kdir/configs/test.config" >/dev/null
	make -s -C "$wt" O="$out" olddefconfig >/dev/null
	check_config "$out/.config" "$base" "$kdir/configs/test.config"
	note "building the stock kernel (log: build/kernel-stock/build.log)"
	local start=$SECONDS
	if ! make -C "$wt" O="$out" -j"$(nproc)" CC="ccache gcc" vmlinux \
		>"$out/build.log" 2>&1; then
		grep -E 'error|Error' "$out/build.log" | head -20 >&2
		die "the stock kernel failed to build; full log: $out/build.log"
	fi
	{
		echo "flavour: stock"
		echo "linux-source-6.12: $(source_version)"
		echo "kernelrelease: $(make -s -C "$wt" O="$out" kernelrelease)"
		echo "head: $(git -C "$wt" rev-parse HEAD) (daxfile-base, no series)"
	} >"$out/BUILD-INFO"
	echo "$want" >"$stamp"
	note "stock kernel built in $((SECONDS - start))s"
}

write_info() {
	local out=$2
	{
		echo "flavour: $1"
		echo "linux-source-6.12: $(source_version)"
		echo "kernelrelease: $(make -s -C "$tree" O="$out" kernelrelease)"
		echo "series: $(cat "$tree/.git/daxfile-series")"
		echo "head: $(git_tree rev-parse HEAD)"
		echo "patches: $(git_tree rev-list --count daxfile-base..HEAD)"
	} >"$out/BUILD-INFO"
}

command -v ccache >/dev/null || die "ccache is not installed; run 'make deps'"
# Paths relative to the checkout, so another clone of the repo hits the cache.
export CCACHE_BASEDIR=$top CCACHE_NOHASHDIR=1 CCACHE_SLOPPINESS=time_macros
export KBUILD_BUILD_TIMESTAMP='2024-11-17 00:00:00' KBUILD_BUILD_USER=daxfile
export KBUILD_BUILD_HOST=daxfile

# One build at a time: several developers' scripts may call us at once.
mkdir -p "$top/build"
exec 9>"$top/build/.kernel-build.lock"
flock 9

case "${1:-}" in
--tree) prepare_tree; exit 0 ;;
--info) cat "$top/build/kernel-${2:-test}/BUILD-INFO"; exit 0 ;;
esac

# stock alone needs only the extracted base, not the series applied.
if [ "$*" != stock ] ||
   [ "$(cat "$tree/.git/daxfile-source-version" 2>/dev/null)" != "$(source_version)" ]; then
	prepare_tree
fi
for flavour in "${@:-test}"; do
	if [ "$flavour" = stock ]; then build_stock; else build_flavour "$flavour"; fi
done
