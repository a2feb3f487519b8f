// SPDX-License-Identifier: MIT
/*
 * Description: every persist call into a DAXFILE_RDONLY map fails with
 * EBADF before it stores anything, and none of them crashes
 */
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "test.h"

#define FILE_SIZE	(4U << 20)

static char path[300];
static char *ro;

/* Run one call in a child: a SIGSEGV there is a failure, not a crash. */
#define IN_CHILD(what, expr) do {					\
	pid_t pid_ = fork();						\
	int st_;							\
									\
	ASSERT(pid_ >= 0, "fork: %m");					\
	if (!pid_) {							\
		errno = 0;						\
		_exit((expr) ? 0 : 1);					\
	}								\
	ASSERT(waitpid(pid_, &st_, 0) == pid_, "waitpid: %m");		\
	EXPECT(WIFEXITED(st_) && !WEXITSTATUS(st_), "%s: %s", what,	\
	       WIFSIGNALED(st_) ? strsignal(WTERMSIG(st_)) :		\
	       "did not fail with EBADF");				\
} while (0)

static bool unchanged(void)
{
	for (size_t i = 0; i < FILE_SIZE; i += 4096)
		if (ro[i] != 'a' || ro[i + 4095] != 'a')
			return false;
	return true;
}

static bool is_ebadf_ptr(void *ret)
{
	return !ret && errno == EBADF &&
	       strstr(daxfile_errmsg(), "read-only") != NULL;
}

int main(void)
{
	static const unsigned int flags[] = {
		0, DAXFILE_MEM_NODRAIN, DAXFILE_MEM_NOFLUSH,
		DAXFILE_MEM_NONTEMPORAL, DAXFILE_MEM_TEMPORAL,
	};
	static const size_t lens[] = { 1, 8, 64, 255, 256, 4096, 65536 };
	struct daxfile *w, *r;
	char *src, *buf, what[128];

	snprintf(path, sizeof(path), "%s/daxfile-rdonly-%d", t_scratch_dir(),
		 getpid());
	w = daxfile_create(path, FILE_SIZE, NULL);
	ASSERT(w, "create %s: %s", path, daxfile_errmsg());
	memset(daxfile_addr(w), 'a', FILE_SIZE);
	ASSERT(!daxfile_persist(daxfile_addr(w), FILE_SIZE), "persist: %s",
	       daxfile_errmsg());
	r = daxfile_open(path, DAXFILE_RDONLY);
	ASSERT(r, "open read-only: %s", daxfile_errmsg());
	ro = daxfile_addr(r);
	src = malloc(65536);
	ASSERT(src, "malloc");
	memset(src, 'b', 65536);

	for (size_t f = 0; f < sizeof(flags) / sizeof(flags[0]); f++) {
		for (size_t l = 0; l < sizeof(lens) / sizeof(lens[0]); l++) {
			char *dst = ro + 4096 + 3;
			size_t n = lens[l];
			unsigned int fl = flags[f];

			snprintf(what, sizeof(what), "memcpy len %zu flags 0x%x",
				 n, fl);
			IN_CHILD(what, is_ebadf_ptr(
				daxfile_memcpy_persist(dst, src, n, fl)));
			snprintf(what, sizeof(what), "memmove len %zu flags 0x%x",
				 n, fl);
			IN_CHILD(what, is_ebadf_ptr(
				daxfile_memmove_persist(dst, src, n, fl)));
			snprintf(what, sizeof(what), "memset len %zu flags 0x%x",
				 n, fl);
			IN_CHILD(what, is_ebadf_ptr(
				daxfile_memset_persist(dst, 'c', n, fl)));
		}
	}
	/* A range that only starts in the map, and one that only ends in it. */
	IN_CHILD("memcpy over the map's end", is_ebadf_ptr(
		daxfile_memcpy_persist(ro + FILE_SIZE - 8, src, 8, 0)));
	buf = malloc(8192);
	ASSERT(buf, "malloc");
	IN_CHILD("persist", daxfile_persist(ro + 10, 100) == -1 &&
		 errno == EBADF);
	IN_CHILD("flush", daxfile_flush(ro, FILE_SIZE) == -1 &&
		 errno == EBADF);
	IN_CHILD("persist_u64", daxfile_persist_u64((uint64_t *)(void *)ro,
						    7) == -1 &&
		 errno == EBADF);
	EXPECT(unchanged(), "a refused call stored into the read-only map");

	/* Writable memory still works while the read-only map exists. */
	EXPECT(daxfile_memcpy_persist(buf, src, 8192, 0) == buf, "%s",
	       daxfile_errmsg());
	EXPECT(daxfile_memset_persist(daxfile_addr(w), 'd', 300, 0) ==
	       daxfile_addr(w), "writable map: %s", daxfile_errmsg());
	EXPECT(ro[0] == 'd', "the writable map's store not seen");

	free(buf);
	free(src);
	daxfile_close(r);
	daxfile_close(w);
	unlink(path);
	return t_result();
}
