// SPDX-License-Identifier: MIT
/*
 * pmlog: a persistent append-only log on libdaxfile, with no fsync.
 *
 *   pmlog create FILE SIZE
 *   pmlog append FILE [--count N] [--seed S] [--max-len L]
 *   pmlog verify FILE
 *
 * Layout: a header page, then records back to back, each 8-byte aligned:
 *
 *   [seq u64][len u32][crc u32][payload, len bytes][pad to 8]
 *
 * The header's tail word is the commit point: the byte length of the
 * committed records.  An append writes the record past the tail and
 * persists it, and only then stores and persists the new tail.  The
 * tail is one aligned 8-byte store, which the CPU never tears, so after
 * a crash the log holds every record whose "ack" was printed, and
 * anything past the tail is ignored.
 *
 * "create" writes the magic before it returns, and append and verify
 * refuse any file without it: a log is never adopted from a file that
 * merely starts with zeroes.  One appender at a time: append takes an
 * exclusive flock(2), and a second one fails at once (verify only reads
 * the committed tail, so it needs no lock).
 *
 * Exit status: 0 success, 1 failure, 2 usage.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pmlog_core.h"

/* Deterministic payloads, so the crash suite can recompute them. */
static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static int cmd_append(struct pmlog *log, uint64_t count, uint64_t seed,
		      uint32_t max_len)
{
	char *buf = malloc((size_t)max_len + 8);

	if (!buf)
		return 1;
	for (uint64_t i = 0; i < count; i++) {
		uint64_t s = (seed ^ (log->next_seq * 0x9e3779b97f4a7c15ULL)) | 1;
		uint32_t len = (uint32_t)(xorshift(&s) % ((uint64_t)max_len + 1));
		uint64_t seq = log->next_seq;
		int ret;

		for (uint32_t j = 0; j < len; j += 8) {
			uint64_t v = xorshift(&s);

			memcpy(buf + j, &v, sizeof(v));
		}
		ret = pmlog_append(log, buf, len);
		if (ret) {
			fprintf(stderr, "pmlog: append %" PRIu64 ": %s\n", seq,
				ret == -ENOSPC ? "log full" : strerror(-ret));
			free(buf);
			return 1;
		}
		printf("ack %" PRIu64 " %" PRIu32 " %08" PRIx32 "\n", seq, len,
		       pmlog_last_crc(log, len));
		fflush(stdout);
	}
	free(buf);
	return 0;
}

static int usage(void)
{
	fputs("usage: pmlog create FILE SIZE\n"
	      "       pmlog append FILE [--count N] [--seed S] [--max-len L]\n"
	      "       pmlog verify FILE\n"
	      "SIZE and L take K, M, G suffixes; N and S are decimal\n",
	      stderr);
	return 2;
}

/* Decimal digits only: strtoull() would take " -1" as 2^64 - 1. */
static bool parse_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0;

	if (!*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > (UINT64_MAX - 9) / 10)
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*out = v;
	return true;
}

int main(int argc, char **argv)
{
	uint64_t count = 1, seed = 1, max_len = 4096, size;
	struct pmlog log = { 0 };
	enum daxfile_mode mode;
	int ret;

	if (argc < 3)
		return usage();
	if (!strcmp(argv[1], "create")) {
		if (argc != 4)
			return usage();
		if (daxfile_parse_size(argv[3], &size)) {
			fprintf(stderr, "pmlog: %s\n", daxfile_errmsg());
			return 2;
		}
		if (pmlog_create(argv[2], size, &mode))
			return 1;
		printf("created %s, mode %s\n", argv[2],
		       daxfile_mode_name(mode));
		return 0;
	}
	if ((argc - 3) % 2)
		return usage();
	for (int i = 3; i + 1 < argc; i += 2) {
		const char *v = argv[i + 1];
		bool ok;

		if (!strcmp(argv[i], "--count"))
			ok = parse_u64(v, &count);
		else if (!strcmp(argv[i], "--seed"))
			ok = parse_u64(v, &seed);
		else if (!strcmp(argv[i], "--max-len"))
			ok = !daxfile_parse_size(v, &max_len) &&
			     max_len <= UINT32_MAX - 8;
		else
			return usage();
		if (!ok) {
			fprintf(stderr, "pmlog: invalid %s '%s'\n", argv[i], v);
			return 2;
		}
	}
	if (!strcmp(argv[1], "append")) {
		if (pmlog_open(&log, argv[2], true))
			return 1;
		ret = cmd_append(&log, count, seed, (uint32_t)max_len);
	} else if (!strcmp(argv[1], "verify")) {
		if (pmlog_open(&log, argv[2], false))
			return 1;
		ret = pmlog_walk(&log, true) ? 1 : 0;
	} else {
		return usage();
	}
	if (daxfile_close(log.df)) {
		fprintf(stderr, "pmlog: %s: %s\n", argv[2], daxfile_errmsg());
		ret = 1;
	}
	return ret;
}
