// SPDX-License-Identifier: MIT
/* Description: every flush variant runs over any range without changing data, and flags are validated */
#include <stdint.h>

#include "test.h"

static void check_flags(void)
{
	char a[64] = "x", b[64];

	errno = 0;
	EXPECT(!daxfile_memcpy_persist(b, a, 8, 1U << 20) && errno == EINVAL,
	       "unknown flag accepted (errno %d)", errno);
	EXPECT(strstr(daxfile_errmsg(), "unknown flags"), "errmsg '%s'",
	       daxfile_errmsg());
	errno = 0;
	EXPECT(!daxfile_memset_persist(b, 0, 8, DAXFILE_MEM_NONTEMPORAL |
				       DAXFILE_MEM_TEMPORAL) &&
	       errno == EINVAL, "NT|T accepted");
	EXPECT(daxfile_memcpy_persist(b, a, 0, 0) == b, "len 0");
	EXPECT(daxfile_memset_persist(b, 1, 0, DAXFILE_MEM_NODRAIN) == b,
	       "len 0 set");
}

int main(int argc, char **argv)
{
	static const char *const variants[] = {
		"clflush", "clflushopt", "clwb", "none",
	};
	const char *want = getenv("DAXFILE_FLUSH");
	size_t n = 1 << 20;
	unsigned char *buf, *ref;

	(void)argc;
	if (!want)
		return t_each_variant(argv, "DAXFILE_FLUSH", variants, 4);
	if (strcmp(daxfile_flush_variant(), want)) {
		fprintf(stderr, "# CPU lacks %s (got %s)\n", want,
			daxfile_flush_variant());
		return T_SKIP;
	}
	buf = malloc(n);
	ref = malloc(n);
	ASSERT(buf && ref, "out of memory");
	for (size_t i = 0; i < n; i++)
		buf[i] = (unsigned char)(i * 7);
	memcpy(ref, buf, n);
	for (size_t off = 0; off < 130; off++)
		for (size_t len = 0; len < 300; len += 1 + len / 8)
			EXPECT(!daxfile_persist(buf + off, len),
			       "persist +%zu len %zu: %s", off, len,
			       daxfile_errmsg());
	EXPECT(!daxfile_flush(buf, n), "flush 1 MiB");
	daxfile_drain();
	EXPECT(!memcmp(buf, ref, n), "flush changed data");
	uint64_t word = 0;
	EXPECT(!daxfile_persist_u64(&word, 42) && word == 42, "persist_u64");
	check_flags();
	free(buf);
	free(ref);
	return t_result();
}
