// SPDX-License-Identifier: MIT
/* Description: memset_persist matches memset for every small size, alignment and copy variant, and for MiB sizes */
#include "test.h"

#define MAXSMALL	600
#define PAD		128
#define BUF		(MAXSMALL + 3 * PAD)

static unsigned char dst[BUF], ref[BUF];

static void check_one(unsigned char *d, unsigned char *r, size_t bufsz,
		      size_t off, size_t len, int c, unsigned int flags)
{
	memset(d, 0x5a, bufsz);
	memset(r, 0x5a, bufsz);
	memset(r + off, c, len);
	if (daxfile_memset_persist(d + off, c, len, flags) != d + off)
		EXPECT(0, "wrong return value");
	else if (memcmp(d, r, bufsz))
		EXPECT(0, "variant %s flags 0x%x len %zu off %zu c 0x%x",
		       daxfile_copy_variant(), flags, len, off, c);
}

int main(int argc, char **argv)
{
	static const char *const variants[] = { "sse2", "avx2", "avx512f" };
	static const unsigned int modes[] = {
		0, DAXFILE_MEM_NONTEMPORAL, DAXFILE_MEM_TEMPORAL,
		DAXFILE_MEM_NOFLUSH,
	};
	const char *want = getenv("DAXFILE_COPY");
	size_t big = (6 << 20) + 2 * PAD;
	unsigned char *d, *r;

	(void)argc;
	if (!want)
		return t_each_variant(argv, "DAXFILE_COPY", variants, 3);
	if (strcmp(daxfile_copy_variant(), want))
		return T_SKIP;
	for (unsigned int m = 0; m < 4 && !t_failures; m++)
		for (size_t len = 0; len <= MAXSMALL && !t_failures; len++)
			for (size_t a = 0; a < 64; a++)
				check_one(dst, ref, BUF, PAD + a, len,
					  (int)(len & 0xff) ^ 0x80, modes[m]);
	d = malloc(big);
	r = malloc(big);
	ASSERT(d && r, "out of memory");
	for (size_t a = 0; a < 64; a += 9) {
		check_one(d, r, big, PAD + a, (6 << 20) - a, 0, 0);
		check_one(d, r, big, PAD + a, (1 << 20) + a, 0xff,
			  DAXFILE_MEM_NONTEMPORAL);
		/* Temporal: set and flushed block by block, 1 KiB blocks
		 * below 2 MiB and 4 KiB ones from there. */
		check_one(d, r, big, PAD + a, (64 << 10) + 1021 + a, 0x5d,
			  DAXFILE_MEM_TEMPORAL);
		check_one(d, r, big, PAD + a, (3 << 20) + 4093 + a, 0x3c,
			  DAXFILE_MEM_TEMPORAL);
	}
	free(d);
	free(r);
	return t_result();
}
