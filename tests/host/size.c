// SPDX-License-Identifier: MIT
/*
 * Description: daxfile_parse_size() and daxfile_format_size(): the one
 * size syntax, its refusals (sign, space, junk, overflow) and round trips
 */
#include <inttypes.h>
#include <stdint.h>

#include "test.h"

struct good {
	const char	*s;
	uint64_t	v;
};

static const struct good good[] = {
	{ "0", 0 },
	{ "4096", 4096 },
	{ "007", 7 },
	{ "4K", 4096 }, { "4k", 4096 }, { "4KiB", 4096 }, { "4KB", 4096 },
	{ "4kb", 4096 }, { "4 KiB", 4096 },
	{ "2M", 2U << 20 }, { "2 MiB", 2U << 20 }, { "3gb", 3ULL << 30 },
	{ "1T", 1ULL << 40 }, { "1P", 1ULL << 50 }, { "15E", 15ULL << 60 },
	{ "512B", 512 }, { "512 B", 512 }, { "512b", 512 },
	{ "18446744073709551615", UINT64_MAX },
	{ "16777215T", 16777215ULL << 40 },
};

static const char *const bad_inval[] = {
	"", " 1", "\t-5", "\t5", "\n5", "-5", "+5", "-0", " -1M", "0x10",
	"1M ", "1 ", "1  M", "1 M ", "4Mx", "4MiBx", "4MiB ", "4MIB", "4iB",
	"4Q", "1.5M", "1,024", "K", "M1", "1KK", "1BB", "1 bytes",
};

static const char *const bad_range[] = {
	"18446744073709551616",
	"99999999999999999999",
	"16E", "16777216T", "17179869184G", "18014398509481984K",
};

int main(void)
{
	char buf[DAXFILE_SIZE_STRLEN], small[6];
	uint64_t v, seed = 0x9e3779b97f4a7c15ULL;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		v = 12345;
		EXPECT(!daxfile_parse_size(good[i].s, &v) && v == good[i].v,
		       "'%s': got %" PRIu64 ", want %" PRIu64 " (%s)",
		       good[i].s, v, good[i].v, daxfile_errmsg());
	}
	for (size_t i = 0; i < sizeof(bad_inval) / sizeof(bad_inval[0]); i++) {
		v = 12345;
		errno = 0;
		EXPECT(daxfile_parse_size(bad_inval[i], &v) == -1 &&
		       errno == EINVAL && v == 12345,
		       "'%s' accepted as %" PRIu64 " (errno %d)",
		       bad_inval[i], v, errno);
		EXPECT(strstr(daxfile_errmsg(), "invalid size"),
		       "message: %s", daxfile_errmsg());
	}
	for (size_t i = 0; i < sizeof(bad_range) / sizeof(bad_range[0]); i++) {
		errno = 0;
		EXPECT(daxfile_parse_size(bad_range[i], &v) == -1 &&
		       errno == ERANGE, "'%s' not ERANGE (errno %d)",
		       bad_range[i], errno);
	}
	errno = 0;
	EXPECT(daxfile_parse_size(NULL, &v) == -1 && errno == EINVAL,
	       "NULL string");

	/* Exact units, largest first. */
	EXPECT(!strcmp(daxfile_format_size(0, buf, sizeof(buf)), "0 B"),
	       "%s", buf);
	EXPECT(!strcmp(daxfile_format_size(4097, buf, sizeof(buf)), "4097 B"),
	       "%s", buf);
	EXPECT(!strcmp(daxfile_format_size(2U << 20, buf, sizeof(buf)),
		       "2 MiB"), "%s", buf);
	EXPECT(!strcmp(daxfile_format_size(3U << 19, buf, sizeof(buf)),
		       "1536 KiB"), "%s", buf);
	EXPECT(!strcmp(daxfile_format_size(1ULL << 63, buf, sizeof(buf)),
		       "8 EiB"), "%s", buf);
	EXPECT(!strcmp(daxfile_format_size(UINT64_MAX, buf, sizeof(buf)),
		       "18446744073709551615 B"), "%s", buf);
	errno = 0;
	EXPECT(!daxfile_format_size(123456, small, sizeof(small)) &&
	       errno == ERANGE && !small[0], "short buffer: '%s'", small);
	EXPECT(daxfile_format_size(1024, small, sizeof(small)) &&
	       !strcmp(small, "1 KiB"), "'%s'", small);
	errno = 0;
	EXPECT(!daxfile_format_size(1, NULL, 0) && errno == ERANGE,
	       "NULL buffer");

	/* Whatever is printed reads back as the same number. */
	for (int i = 0; i < 200000; i++) {
		uint64_t n, back = 0;

		seed ^= seed << 13;
		seed ^= seed >> 7;
		seed ^= seed << 17;
		/* Mostly round numbers, which take the unit paths. */
		n = seed >> (seed & 63);
		if (i & 1)
			n <<= (seed >> 8) % 64;
		ASSERT(daxfile_format_size(n, buf, sizeof(buf)),
		       "%" PRIu64 ": %s", n, daxfile_errmsg());
		EXPECT(!daxfile_parse_size(buf, &back) && back == n,
		       "%" PRIu64 " printed '%s', read back %" PRIu64,
		       n, buf, back);
		if (t_failures > 10)
			break;
	}
	return t_result();
}
