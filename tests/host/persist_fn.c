// SPDX-License-Identifier: MIT
/*
 * Description: daxfile_get_persist_fn() and daxfile_granularity(); one
 * read-only map makes every daxfile_persist() take the registry lock,
 * a map's own persist function takes none (counted with --wrap)
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/mman.h>

#include "test.h"

#define N	1000

static atomic_long rdlocks;

/* Linked with -Wl,--wrap=pthread_rwlock_rdlock: the library's calls. */
int __real_pthread_rwlock_rdlock(pthread_rwlock_t *l);
int __wrap_pthread_rwlock_rdlock(pthread_rwlock_t *l);
int __wrap_pthread_rwlock_rdlock(pthread_rwlock_t *l)
{
	atomic_fetch_add(&rdlocks, 1);
	return __real_pthread_rwlock_rdlock(l);
}

int main(void)
{
	char path[300], *buf, *p, *hole;
	struct daxfile *w, *r;
	daxfile_persist_fn fn;
	long before;

	snprintf(path, sizeof(path), "%s/daxfile-pfn-%d", t_scratch_dir(),
		 getpid());
	buf = aligned_alloc(64, 4096);
	ASSERT(buf, "malloc");

	/* No special map: neither path locks. */
	before = rdlocks;
	for (int i = 0; i < N; i++)
		EXPECT(!daxfile_persist(buf, 64), "%s", daxfile_errmsg());
	EXPECT(rdlocks == before, "%ld locks with no special map",
	       rdlocks - before);

	w = daxfile_create(path, 2 << 20, NULL);
	ASSERT(w, "create: %s", daxfile_errmsg());
	r = daxfile_open(path, DAXFILE_RDONLY);
	ASSERT(r, "open read-only: %s", daxfile_errmsg());

	/* A page-cache file: MSYNC mode, page granularity, msync persist. */
	EXPECT(daxfile_mode(w) == DAXFILE_MODE_MSYNC, "mode %s",
	       daxfile_mode_name(daxfile_mode(w)));
	EXPECT(daxfile_granularity(w) == DAXFILE_GRANULARITY_PAGE,
	       "granularity %d", daxfile_granularity(w));
	EXPECT(daxfile_granularity(r) == DAXFILE_GRANULARITY_PAGE,
	       "read-only granularity %d", daxfile_granularity(r));
	errno = 0;
	EXPECT(daxfile_granularity(NULL) == 0 && errno == EINVAL, "NULL");

	errno = 0;
	EXPECT(!daxfile_get_persist_fn(r) && errno == EBADF,
	       "read-only map got a persist function (errno %d)", errno);
	EXPECT(strstr(daxfile_errmsg(), "read-only"), "%s", daxfile_errmsg());
	errno = 0;
	EXPECT(!daxfile_get_persist_fn(NULL) && errno == EINVAL, "NULL map");
	fn = daxfile_get_persist_fn(w);
	ASSERT(fn, "persist fn: %s", daxfile_errmsg());

	/* The process-wide call now looks the address up every time... */
	before = rdlocks;
	for (int i = 0; i < N; i++)
		EXPECT(!daxfile_persist(buf, 64), "%s", daxfile_errmsg());
	fprintf(stderr, "# daxfile_persist(): %ld registry locks in %d calls "
		"with one read-only map open\n", rdlocks - before, N);
	EXPECT(rdlocks - before == N, "%ld locks", rdlocks - before);

	/* ...the map's own function never does, and still persists. */
	p = daxfile_addr(w);
	before = rdlocks;
	for (int i = 0; i < N; i++) {
		p[(size_t)i * 64] = (char)i;
		EXPECT(!fn(p + (size_t)i * 64, 1), "fn: %s", daxfile_errmsg());
	}
	EXPECT(!fn(p, 0), "len 0");
	EXPECT(rdlocks == before, "%ld locks through the map's function",
	       rdlocks - before);
	fprintf(stderr, "# daxfile_get_persist_fn(): %ld locks in %d calls\n",
		rdlocks - before, N);
	/* msync's own errors come through: here, an unmapped page. */
	hole = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT(hole != MAP_FAILED && !munmap(hole, 4096), "mmap: %m");
	errno = 0;
	EXPECT(fn(hole, 64) == -1 && errno == ENOMEM,
	       "msync of an unmapped page (errno %d)", errno);
	EXPECT(strstr(daxfile_errmsg(), "msync"), "%s", daxfile_errmsg());
	EXPECT(((char *)daxfile_addr(r))[64] == 1, "store not visible");

	/* Without special maps, the CPU persist for DAX maps is the default. */
	daxfile_close(r);
	daxfile_close(w);
	before = rdlocks;
	EXPECT(!daxfile_persist(buf, 64), "%s", daxfile_errmsg());
	EXPECT(!daxfile_persist_u64((uint64_t *)(void *)buf, 5) &&
	       *(uint64_t *)(void *)buf == 5, "persist_u64");
	EXPECT(rdlocks == before, "locks after close");
	unlink(path);
	free(buf);
	return t_result();
}
