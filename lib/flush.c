// SPDX-License-Identifier: MIT
/*
 * Cache-line write-back variants.  Built with -mclflushopt -mclwb; each
 * is only called when CPUID says the instruction exists (see persist.c).
 */
#include <immintrin.h>

#include "internal.h"

/* The first cache line of [addr, addr + len), and the end. */
static inline uintptr_t line_start(const void *addr)
{
	return (uintptr_t)addr & ~(uintptr_t)(DAXFILE_CACHELINE - 1);
}

/* Serialising and invalidating: the slowest, but on every x86-64. */
void daxfile__flush_clflush(const void *addr, size_t len)
{
	for (uintptr_t p = line_start(addr); p < (uintptr_t)addr + len;
	     p += DAXFILE_CACHELINE)
		_mm_clflush((const void *)p);
}

/* Weakly ordered; daxfile_drain()'s sfence orders it. */
void daxfile__flush_clflushopt(const void *addr, size_t len)
{
	for (uintptr_t p = line_start(addr); p < (uintptr_t)addr + len;
	     p += DAXFILE_CACHELINE)
		_mm_clflushopt((void *)p);
}

/* Like clflushopt, but may keep the line cached for later reads. */
void daxfile__flush_clwb(const void *addr, size_t len)
{
	for (uintptr_t p = line_start(addr); p < (uintptr_t)addr + len;
	     p += DAXFILE_CACHELINE)
		_mm_clwb((void *)p);
}

/* eADR: the caches are inside the persistence domain. */
void daxfile__flush_none(const void *addr, size_t len)
{
	(void)addr;
	(void)len;
}

/*
 * flush + fence in one call, for daxfile_get_persist_fn(): no registry,
 * no indirect call.  The fence stays on eADR, to order the stores.
 */
#define PERSIST_FN(name)						\
int daxfile__persist_##name(const void *addr, size_t len)		\
{									\
	if (len)							\
		daxfile__flush_##name(addr, len);			\
	_mm_sfence();							\
	return 0;							\
}

PERSIST_FN(clflush)
PERSIST_FN(clflushopt)
PERSIST_FN(clwb)
PERSIST_FN(none)
