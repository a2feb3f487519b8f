# SPDX-License-Identifier: GPL-2.0
#
# The flush-tracking build (see flushcheck/flushcheck.c): libdaxfile's
# objects built again, with daxfile_drain's sfence instrumented, and the
# in-place workload and examples/pmlog linked against them with the
# library's flush variants, streaming movers and msync shortcut wrapped.
#
#   make -C tests/crash -f flushcheck.mk

top := ../..
out := $(top)/build/tests/crash/fc
lib := $(top)/lib

CFLAGS ?= -O2 -g
FC_CFLAGS := $(CFLAGS) -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE \
	     -I$(top)/include -I$(top)/include/uapi -I$(lib) -Iflushcheck

LIBSRCS := syscall.c errmsg.c file.c map.c check.c flush.c size.c version.c \
	   badblocks.c \
	   nt_sse2.c nt_avx2.c nt_avx512f.c
ISA_flush := -mclflushopt -mclwb
ISA_nt_avx2 := -mavx2
ISA_nt_avx512f := -mavx512f
LIBOBJS := $(patsubst %.c,$(out)/%.o,$(LIBSRCS)) $(out)/persist.o

WRAPS := $(foreach f,clflush clflushopt clwb none,daxfile__flush_$(f)) \
	 $(foreach i,sse2 avx2 avx512f,daxfile__memmove_nt_$(i) daxfile__memset_nt_$(i)) \
	 daxfile__sync_range daxfile_open fflush
WRAPFLAGS := $(foreach w,$(WRAPS),-Wl,--wrap=$(w))
DEPS := $(wildcard $(lib)/*.h $(top)/include/*.h) flushcheck/flushcheck.h

all: $(out)/crash_inplace $(out)/pmlog

$(out):
	mkdir -p $@

$(out)/%.o: $(lib)/%.c $(DEPS) | $(out)
	$(CC) $(FC_CFLAGS) $(ISA_$*) -c -o $@ $<

# The one fence in the library, in daxfile_drain(): call the tracker
# first.  Fail the build if the pattern is gone rather than test nothing.
$(out)/persist.c: $(lib)/persist.c | $(out)
	sed -e 's|#include "internal.h"|&\n#include "flushcheck.h"|' \
	    -e 's|__asm__ volatile("sfence" : : : "memory");|flushcheck__fence(); &|' \
	    $< >$@.tmp
	test "$$(grep -c 'flushcheck__fence();' $@.tmp)" = 1
	test "$$(grep -c 'sfence' $(lib)/*.c $(lib)/*.h | awk -F: '{s += $$2} END {print s}')" = 2
	mv $@.tmp $@

$(out)/persist.o: $(out)/persist.c $(DEPS)
	$(CC) $(FC_CFLAGS) -c -o $@ $<

$(out)/flushcheck.o: flushcheck/flushcheck.c $(DEPS) | $(out)
	$(CC) $(FC_CFLAGS) -c -o $@ $<

$(out)/crash_inplace: crash_inplace.c crash_common.h $(LIBOBJS) $(out)/flushcheck.o
	$(CC) $(FC_CFLAGS) -DFLUSHCHECK -I. -o $@ $< $(out)/flushcheck.o \
		$(LIBOBJS) $(WRAPFLAGS) -lpthread

$(out)/pmlog: $(top)/examples/pmlog.c $(top)/examples/pmlog_core.c \
	      $(top)/examples/pmlog_core.h $(LIBOBJS) $(out)/flushcheck.o
	$(CC) $(FC_CFLAGS) -o $@ $(filter %.c,$^) $(out)/flushcheck.o \
		$(LIBOBJS) $(WRAPFLAGS) -lpthread

clean:
	rm -rf $(out)

.PHONY: all clean
