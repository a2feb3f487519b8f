/* SPDX-License-Identifier: MIT */
/*
 * pmlog_core: the persistent append-only log of examples/pmlog, for the
 * pmlog program and for bench/daxbench's application comparison, so that
 * both run the same log.  The layout and the commit rule are described
 * in pmlog.c.
 */
#ifndef PMLOG_CORE_H
#define PMLOG_CORE_H

#include <stdbool.h>
#include <stdint.h>

#include "daxfile.h"

#define PMLOG_MAGIC	0x31474f4c4d50ULL	/* "PMLOG1" */
#define DATA_OFF	4096

struct pmlog_hdr {
	uint64_t	magic;
	uint64_t	pad[7];		/* keep tail in its own cache line */
	uint64_t	tail;		/* commit word: bytes of records */
};

struct pmlog_rec {
	uint64_t	seq;
	uint32_t	len;
	uint32_t	crc;		/* over seq, len and payload */
};

struct pmlog {
	struct daxfile		*df;
	struct pmlog_hdr	*hdr;
	char			*data;
	uint64_t		cap;		/* bytes for records */
	uint64_t		next_seq;
};

/* Records: 8-byte aligned, header included. */
uint64_t pmlog_rec_size(uint32_t len);
/* Walk the committed records; print them if asked.  -1 if corrupt. */
int pmlog_walk(struct pmlog *log, bool print);
/* Map path and check that it is a log; writers also take the lock. */
int pmlog_open(struct pmlog *log, const char *path, bool writer);
/*
 * A new file, whose magic is durable before this returns; *mode (if not
 * NULL) says how libdaxfile mapped it.
 */
int pmlog_create(const char *path, uint64_t size, enum daxfile_mode *mode);
/* Make one record durable, then commit it: 0 or -errno (-ENOSPC: full). */
int pmlog_append(struct pmlog *log, const void *buf, uint32_t len);
/* The crc of the last committed record of len bytes (for acks). */
uint32_t pmlog_last_crc(const struct pmlog *log, uint32_t len);

#endif
