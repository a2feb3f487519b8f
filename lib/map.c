// SPDX-License-Identifier: MIT
/*
 * Mapping files, and the registry that lets the address-based persist
 * calls find maps that need msync (MSYNC mode) or must not be stored
 * into (read-only).  Only such maps are counted, so with none of them
 * the persist fast path pays one relaxed load; with any, every call
 * takes the registry's read lock, which daxfile_get_persist_fn(3)
 * avoids by knowing its map.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <unistd.h>

#include "internal.h"
#include "syscall.h"

#ifndef MAP_SHARED_VALIDATE
#define MAP_SHARED_VALIDATE	0x03
#endif
#ifndef MAP_SYNC
#define MAP_SYNC		0x80000
#endif

static pthread_rwlock_t registry_lock = PTHREAD_RWLOCK_INITIALIZER;
static struct daxfile *registry;
static atomic_uint special_maps;	/* read-only or MSYNC */
static atomic_uint rdonly_maps;

static bool is_special(const struct daxfile *df)
{
	return df->rdonly || df->mode == DAXFILE_MODE_MSYNC;
}

static void registry_add(struct daxfile *df)
{
	pthread_rwlock_wrlock(&registry_lock);
	df->next = registry;
	registry = df;
	if (is_special(df))
		atomic_fetch_add(&special_maps, 1);
	if (df->rdonly)
		atomic_fetch_add(&rdonly_maps, 1);
	pthread_rwlock_unlock(&registry_lock);
}

static void registry_del(struct daxfile *df)
{
	struct daxfile **pp;

	pthread_rwlock_wrlock(&registry_lock);
	for (pp = &registry; *pp; pp = &(*pp)->next) {
		if (*pp == df) {
			*pp = df->next;
			if (is_special(df))
				atomic_fetch_sub(&special_maps, 1);
			if (df->rdonly)
				atomic_fetch_sub(&rdonly_maps, 1);
			break;
		}
	}
	pthread_rwlock_unlock(&registry_lock);
}

/*
 * Reserve size + 2 MiB of address space, then map the file at the first
 * 2 MiB boundary inside it, so the kernel can use PMD (huge) faults.
 */
static void *map_aligned(size_t size, int prot, int flags, int fd)
{
	size_t slop = size >= DAXFILE_PMD_SIZE ? DAXFILE_PMD_SIZE : 0;
	size_t resv = size + slop;
	char *base, *addr, *end;

	base = mmap(NULL, resv, PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (base == MAP_FAILED)
		return MAP_FAILED;
	addr = base;
	if (slop)
		addr = (char *)(((uintptr_t)base + slop - 1) &
				~(uintptr_t)(slop - 1));
	if (mmap(addr, size, prot, flags | MAP_FIXED, fd, 0) == MAP_FAILED) {
		int err = errno;

		munmap(base, resv);
		errno = err;
		return MAP_FAILED;
	}
	/* Hand back the reservation on either side of the map. */
	end = addr + ((size + (size_t)getpagesize() - 1) &
		      ~((size_t)getpagesize() - 1));
	if (addr > base)
		munmap(base, (size_t)(addr - base));
	if (end < base + resv)
		munmap(end, (size_t)(base + resv - end));
	return addr;
}

int daxfile__map(struct daxfile *df)
{
	int prot = df->rdonly ? PROT_READ : PROT_READ | PROT_WRITE;
	size_t size = (size_t)df->size;
	void *addr;

	if (df->mode == DAXFILE_MODE_STATIC) {
		addr = map_aligned(size, prot, MAP_SHARED, df->fd);
		if (addr == MAP_FAILED)
			goto fail;
		/*
		 * While this mapping lives the kernel keeps the file static,
		 * if it still was when the mapping was made: a disable may have
		 * raced our mmap.  GET is ordered against it.  A read-only
		 * mapping holds nothing; its mode only says how it was opened.
		 */
		if (df->rdonly ||
		    sys_daxctl(df->fd, NULL, DAXCTL_F_GET, 0) == DAXCTL_F_STATIC)
			goto mapped;
		munmap(addr, size);
		df->mode = DAXFILE_MODE_MAP_SYNC;
	}
	if (df->mode == DAXFILE_MODE_MAP_SYNC) {
		addr = map_aligned(size, prot, MAP_SHARED_VALIDATE | MAP_SYNC,
				   df->fd);
		if (addr != MAP_FAILED)
			goto mapped;
		/* Not DAX after all: the page cache is in the way. */
		if (errno != EOPNOTSUPP && errno != EINVAL)
			goto fail;
		df->mode = DAXFILE_MODE_MSYNC;
	}
	addr = map_aligned(size, prot, MAP_SHARED, df->fd);
	if (addr == MAP_FAILED)
		goto fail;
mapped:
	df->addr = addr;
	registry_add(df);
	return 0;
fail:
	daxfile__err(errno, "mmap of %zu bytes failed: %m", size);
	return -1;
}

void daxfile__unmap(struct daxfile *df)
{
	if (!df->addr)
		return;
	registry_del(df);
	munmap(df->addr, (size_t)df->size);
	df->addr = NULL;
}

static bool overlaps(const struct daxfile *df, uintptr_t start,
		     uintptr_t end)
{
	uintptr_t ms = (uintptr_t)df->addr, me = ms + df->size;

	return start < end && end > ms && start < me;
}

static int rdonly_err(void)
{
	daxfile__err(EBADF,
		     "the range lies in a read-only map; open the file without DAXFILE_RDONLY");
	return -1;
}

/* msync the part of [addr, addr + len) that lies in df; bytes covered. */
static long sync_one(const struct daxfile *df, uintptr_t start,
		     uintptr_t end)
{
	uintptr_t ms = (uintptr_t)df->addr, me = ms + df->size;
	uintptr_t s, e;

	if (!overlaps(df, start, end))
		return 0;
	if (df->rdonly)
		return rdonly_err();
	s = start > ms ? start : ms;
	e = end < me ? end : me;
	if (daxfile__msync((const void *)s, e - s))
		return -1;
	return (long)(e - s);
}

int daxfile__msync(const void *addr, size_t len)
{
	uintptr_t page = (uintptr_t)getpagesize();
	uintptr_t s = (uintptr_t)addr & ~(page - 1);

	if (msync((void *)s, (uintptr_t)addr + len - s, MS_SYNC)) {
		daxfile__err(errno, "msync failed: %m");
		return -1;
	}
	return 0;
}

int daxfile__sync_range(const void *addr, size_t len)
{
	uintptr_t start = (uintptr_t)addr, end = start + len;
	const struct daxfile *df;
	size_t covered = 0;
	long n;

	if (!atomic_load_explicit(&special_maps, memory_order_relaxed))
		return 0;
	pthread_rwlock_rdlock(&registry_lock);
	for (df = registry; df; df = df->next) {
		if (!is_special(df))
			continue;
		n = sync_one(df, start, end);
		if (n < 0) {
			pthread_rwlock_unlock(&registry_lock);
			return -1;
		}
		covered += (size_t)n;
	}
	pthread_rwlock_unlock(&registry_lock);
	return covered >= len ? 1 : 0;
}

/*
 * Before a copy stores: refuse a destination that overlaps a read-only
 * map of ours, rather than let the store fault.  Memory the library did
 * not map is the caller's, as with memcpy(3).
 */
int daxfile__check_writable(const void *addr, size_t len)
{
	uintptr_t start = (uintptr_t)addr, end = start + len;
	const struct daxfile *df;
	int ret = 0;

	if (!atomic_load_explicit(&rdonly_maps, memory_order_relaxed))
		return 0;
	pthread_rwlock_rdlock(&registry_lock);
	for (df = registry; df; df = df->next) {
		if (df->rdonly && overlaps(df, start, end)) {
			ret = rdonly_err();
			break;
		}
	}
	pthread_rwlock_unlock(&registry_lock);
	return ret;
}
