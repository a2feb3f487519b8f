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

