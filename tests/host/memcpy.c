// SPDX-License-Identifier: MIT
/* Description: memcpy/memmove_persist match memmove for every small size, alignment, overlap and copy variant */
#include <stdint.h>

#include "test.h"

#define MAXSMALL	320
#define PAD		128
#define BUF		(MAXSMALL + 4 * PAD)

static unsigned char src[BUF], dst[BUF], ref[BUF];

static void fill(unsigned char *p, size_t n, unsigned int seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (unsigned char)(seed + i * 131 + (i >> 8));
}

static const unsigned int modes[] = {
	0, DAXFILE_MEM_NONTEMPORAL, DAXFILE_MEM_TEMPORAL,
	DAXFILE_MEM_NODRAIN | DAXFILE_MEM_NONTEMPORAL,
};

/* Non-overlapping copies: all sizes x all src/dst offsets in a line. */
static void small_copies(void)
{
	fill(src, BUF, 7);
	for (unsigned int m = 0; m < sizeof(modes) / sizeof(modes[0]); m++)
	for (size_t len = 0; len <= MAXSMALL; len++)
	for (size_t so = 0; so < 64; so++)
	for (size_t d0 = 0; d0 < 64; d0++) {
		size_t dof = PAD + d0;

		fill(dst, BUF, (unsigned int)(len + d0));
		memcpy(ref, dst, BUF);
		memcpy(ref + dof, src + PAD + so, len);
		if (daxfile_memcpy_persist(dst + dof, src + PAD + so, len,
					   modes[m]) != dst + dof) {
			EXPECT(0, "returned wrong pointer");
			return;
		}
		if (memcmp(dst, ref, BUF)) {
			size_t i = 0;

			while (dst[i] == ref[i])
				i++;
			EXPECT(0, "variant %s flags 0x%x len %zu src+%zu dst+%zu: first bad byte at %zd from dst",
			       daxfile_copy_variant(), modes[m], len, so, d0,
			       (ssize_t)i - (ssize_t)dof);
			return;
		}
	}
}

static const int shifts[] = {
	0, 1, -1, 2, -2, 7, -7, 8, -8, 15, -15, 16, -16, 31, -31, 32, -32,
	33, -33, 63, -63, 64, -64, 65, -65, 127, -127, 128, -128, 129, -129,
};

/* Overlapping moves in one buffer, both directions. */
static void overlapping_moves(void)
{
	unsigned char *buf = dst;

	for (unsigned int m = 0; m < sizeof(modes) / sizeof(modes[0]); m++)
	for (size_t len = 0; len <= MAXSMALL; len += len < 80 ? 1 : 7)
	for (size_t a = 0; a < 64; a++)
	for (unsigned int s = 0; s < sizeof(shifts) / sizeof(shifts[0]); s++) {
		size_t so = 2UL * PAD + a;
		size_t dof = (size_t)((long)so + shifts[s]);

		fill(buf, BUF, (unsigned int)(len * 3 + a));
		memcpy(ref, buf, BUF);
		memmove(ref + dof, ref + so, len);
		daxfile_memmove_persist(buf + dof, buf + so, len, modes[m]);
		if (memcmp(buf, ref, BUF)) {
			EXPECT(0, "variant %s flags 0x%x memmove len %zu src+%zu shift %d",
			       daxfile_copy_variant(), modes[m], len, a,
			       shifts[s]);
			return;
		}
	}
}

/*
 * Big copies, several MiB, at a few alignments and overlaps, with the
 * default flags (non-temporal at this size) and temporal ones (copied
 * and flushed block by block: 1 KiB blocks below 2 MiB, 4 KiB from
 * there, so sizes on both sides of the switch).  Overlaps are less than
 * a line, between the two block sizes, and more than a 4 KiB block, both
 * ways.
 */
static void large_copies(void)
{
	static const size_t sizes[] = {
		4096, 65536 + 13, (1 << 20) - 1, (2 << 20) - 1, 2 << 20,
		3 << 20, (8 << 20) + 71,
	};
	static const unsigned int flags[] = { 0, DAXFILE_MEM_TEMPORAL };
	static const size_t shifts[] = { 40, 1024 + 40, 4096 + 40, 3 * 4096 + 1 };
	size_t max = (8 << 20) + 71 + 2 * PAD + 4 * 4096;
	unsigned char *s = malloc(max), *d = malloc(max), *r = malloc(max);

	ASSERT(s && d && r, "out of memory");
	fill(s, max, 3);
	for (unsigned int f = 0; f < sizeof(flags) / sizeof(flags[0]); f++)
	for (unsigned int i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
	for (size_t a = 0; a < 64; a += 21)
	for (unsigned int k = 0; k < sizeof(shifts) / sizeof(shifts[0]); k++) {
		size_t len = sizes[i], sh = shifts[k];

		memset(d, 0xa5, max);
		memset(r, 0xa5, max);
		memcpy(r + PAD + a, s + 5, len);
		daxfile_memcpy_persist(d + PAD + a, s + 5, len, flags[f]);
		EXPECT(!memcmp(d, r, max), "variant %s flags 0x%x large copy %zu +%zu",
		       daxfile_copy_variant(), flags[f], len, a);
		/* Guard bytes stay on both sides of every move. */
		memcpy(r, d, max);
		memmove(r + PAD + a, r + PAD + a + sh, len);
		daxfile_memmove_persist(d + PAD + a, d + PAD + a + sh, len,
					flags[f]);
		EXPECT(!memcmp(d, r, max), "variant %s flags 0x%x large move down %zu by %zu",
		       daxfile_copy_variant(), flags[f], len, sh);
		memmove(r + PAD + a + sh, r + PAD + a, len);
		daxfile_memmove_persist(d + PAD + a + sh, d + PAD + a, len,
					flags[f]);
		EXPECT(!memcmp(d, r, max), "variant %s flags 0x%x large move up %zu by %zu",
		       daxfile_copy_variant(), flags[f], len, sh);
	}
	free(s);
	free(d);
	free(r);
}

int main(int argc, char **argv)
{
	static const char *const variants[] = { "sse2", "avx2", "avx512f" };
	const char *want = getenv("DAXFILE_COPY");

	(void)argc;
	if (!want)
		return t_each_variant(argv, "DAXFILE_COPY", variants, 3);
	if (strcmp(daxfile_copy_variant(), want)) {
		fprintf(stderr, "# CPU lacks %s (got %s)\n", want,
			daxfile_copy_variant());
		return T_SKIP;
	}
	small_copies();
	overlapping_moves();
	large_copies();
	return t_result();
}
