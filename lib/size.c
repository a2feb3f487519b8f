// SPDX-License-Identifier: MIT
/*
 * The one size parser and the one size formatter: the library's messages,
 * daxfile(1), the examples and the benchmarks all read and print sizes
 * through these, so "2M" means the same thing everywhere and every printed
 * size reads back as the same number.
 *
 * Units are binary (K = 1024) whatever their spelling, as dd, truncate
 * and fallocate have it.  strtoull() is not used: it skips leading
 * whitespace and accepts a sign, so "\t-5" became 2^64 - 5.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include "internal.h"

static const char unit_letters[] = "KMGTPE";	/* 2^10 .. 2^60 */

/* The shift for a unit letter, 0 if c is none. */
static unsigned int unit_shift(char c)
{
	for (unsigned int i = 0; unit_letters[i]; i++)
		if (c == unit_letters[i] || c == unit_letters[i] + 'a' - 'A')
			return 10 * (i + 1);
	return 0;
}

static int bad_size(int err, const char *s, const char *why)
{
	daxfile__err(err, "invalid size '%.64s': %s", s, why);
	return -1;
}

int daxfile_parse_size(const char *s, uint64_t *bytes)
{
	const char *p = s;
	unsigned int shift = 0;
	uint64_t v = 0;

	if (!s || !bytes)
		return bad_size(EINVAL, s ? s : "(null)", "no string");
	if (*p < '0' || *p > '9')
		return bad_size(EINVAL, s, "it must start with a digit");
	for (; *p >= '0' && *p <= '9'; p++) {
		unsigned int d = (unsigned int)(*p - '0');

		if (v > (UINT64_MAX - d) / 10)
			return bad_size(ERANGE, s, "more than 2^64 - 1 bytes");
		v = v * 10 + d;
	}
	/* One space may separate the number from its unit, as printed. */
	if (*p == ' ' && p[1])
		p++;
	shift = unit_shift(*p);
	if (shift) {
		p++;
		if (!strcmp(p, "iB") || !strcmp(p, "B") || !strcmp(p, "b"))
			p += strlen(p);
	} else if (*p == 'B' || *p == 'b') {
		p++;
	}
	if (*p)
		return bad_size(EINVAL, s,
				"expected a number and a unit: B, K, M, G, T, P or E, KiB or KB");
	if (shift && v > (UINT64_MAX >> shift))
		return bad_size(ERANGE, s, "more than 2^64 - 1 bytes");
	*bytes = v << shift;
	return 0;
}

char *daxfile_format_size(uint64_t n, char *buf, size_t len)
{
	static const char *const unit[] = {
		"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB",
	};
	unsigned int i = 0;
	int ret;

	if (!buf || !len) {
		daxfile__err(ERANGE, "no room to format a size");
		return NULL;
	}
	/* The largest unit that divides n: the text reads back exactly. */
	while (n && !(n & 1023) && i < 6) {
		n >>= 10;
		i++;
	}
	ret = snprintf(buf, len, "%" PRIu64 " %s", n, unit[i]);
	if (ret < 0 || (size_t)ret >= len) {
		buf[0] = '\0';
		daxfile__err(ERANGE, "%zu bytes are too few for a size", len);
		return NULL;
	}
	return buf;
}
