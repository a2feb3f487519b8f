/* SPDX-License-Identifier: GPL-2.0 */
/*
 * flushcheck: the flush-tracking test mode.  A program linked against
 * the instrumented libdaxfile (tests/crash/flushcheck.mk) registers its
 * persistent mapping, and calls flushcheck_ack() just before it
 * acknowledges an update; see flushcheck.c.
 */
#ifndef FLUSHCHECK_H
#define FLUSHCHECK_H

#include <stdint.h>

/* Track [addr, addr + len): its current content counts as persistent. */
void flushcheck_register(void *addr, uint64_t len);

/*
 * Every byte of [addr, addr + len) (len 0: every registered mapping)
 * must be what a flush issued after its last store captured, and a
 * fence must have followed that flush.  Exits with status 86 if not.
 */
void flushcheck_ack(const void *addr, uint64_t len);

/* Called by the instrumented daxfile_drain() before its sfence. */
void flushcheck__fence(void);

#endif /* FLUSHCHECK_H */
