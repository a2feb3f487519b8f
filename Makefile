# SPDX-License-Identifier: GPL-2.0
#
# daxfile: the top level only delegates.  See README.md.

ROUNDS ?= 10

all: userspace

# Debian packages the project needs, only those missing.
deps:
	scripts/install-deps

# The patched kernel, both flavours (rebuilt only when something changed).
kernel: deps
	kernel/build.sh test debug

# The patched e2fsprogs and xfsprogs the guest runs (ditto).  After deps:
# both install packages, and apt runs one at a time.
fsprogs: deps
	fsprogs/build

userspace:
	$(MAKE) -C lib
	$(MAKE) -C tools
	$(MAKE) -C examples
	$(MAKE) -C tests/host
	$(MAKE) -C tests/guest
	$(MAKE) -C tests/crash
	$(if $(wildcard bench/Makefile),$(MAKE) -C bench)

# Everything from a fresh machine: deps, kernels, build, host and VM suites.
# tests/run installs the deps itself, and reports a failure there in its
# summary; but it is Python, which install-deps installs.
test:
	@command -v python3 >/dev/null || scripts/install-deps
	tests/run

# make test, and every guest test on both kernels, the on-disk state's
# racing first enables on the debug kernel and the stock-kernel power-cut
# controls (tests/run's EXTENDED_CRASH): more than CI's 90 minutes.
test-extended:
	@command -v python3 >/dev/null || scripts/install-deps
	tests/run --extended

demo: deps
	kernel/build.sh test
	$(MAKE) userspace
	examples/demo

# The guest checks each cut with fsck: Debian's e2fsck and xfs_repair
# refuse a filesystem with the static_dax feature, fsprogs/build's don't.
crash: deps fsprogs
	kernel/build.sh test
	$(MAKE) userspace
	tests/crash/run --rounds $(ROUNDS)

# The counts boot the debug flavour: its tracepoints count journal handles
# and DAX faults (bench/README.md).
bench: deps
	kernel/build.sh test debug
	$(MAKE) userspace
	bench/run

lint: deps
	scripts/lint

# Upstream xfstests on the patched and the stock kernel, ext4 and xfs on
# pmem: a table, and a non-zero exit on any regression.  See README.md.
# fstests checks each filesystem after each test (fsprogs: as for crash).
fstests: deps fsprogs
	kernel/build.sh test stock
	tests/fstests/build
	tests/fstests/run $(FSTESTS_ARGS)

# checkpatch --strict over the series, and a build of every patch in turn.
checkpatch: deps
	kernel/check-series

install:
	$(MAKE) -C lib install
	$(MAKE) -C tools install

clean:
	-$(MAKE) -C lib clean
	-$(MAKE) -C tools clean
	-$(MAKE) -C examples clean
	-$(MAKE) -C tests/host clean
	-$(MAKE) -C tests/guest clean
	-$(MAKE) -C tests/crash clean
	$(if $(wildcard bench/Makefile),-$(MAKE) -C bench clean)

.PHONY: all deps kernel fsprogs userspace test test-extended demo crash bench lint fstests checkpatch install clean
