/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the in-place workload (crash_inplace.c) and its checker
 * (crash_check.c) agree on: where each slot lives in the file and what
 * its content is at a given version.
 *
 * The file is cut into 8 KiB cells; slot i lives in cell i.  Slot
 * classes rotate: i % 3 == 0 is one aligned 8-byte word, 1 is 64 bytes,
 * 2 is 4 KiB.  Inside its cell a slot sits at a pseudo-random 8-byte
 * aligned offset, so 64-byte slots straddle cache lines and 4 KiB slots
 * straddle pages.  Every 8-byte word of a slot's content is a hash of
 * (slot, version, word index): the checker can tell, word by word,
 * which version a word belongs to, and so tell new, old and torn apart.
 * A version is (epoch << 32 | n): epoch is the run, n counts that run's
 * updates of the slot from 1.
 */
#ifndef CRASH_COMMON_H
#define CRASH_COMMON_H

#include <stdint.h>

#define CELL_SIZE	8192ULL

static inline uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

static inline uint64_t slot_len(uint64_t slot)
{
	static const uint64_t len[3] = { 8, 64, 4096 };

	return len[slot % 3];
}

static inline uint64_t slot_off(uint64_t slot)
{
	uint64_t room = (CELL_SIZE - slot_len(slot)) / 8 + 1;

	return slot * CELL_SIZE + mix64(slot ^ 0x5a5a5a5a5a5aULL) % room * 8;
}

/* Word k of slot's content at version ver; never 0 (0 = never written). */
static inline uint64_t slot_word(uint64_t slot, uint64_t ver, uint64_t k)
{
	uint64_t w = mix64(slot * 0x9e3779b97f4a7c15ULL ^
			   mix64(ver + 0x632be59bd9b4e019ULL) ^
			   k * 0xd6e8feb86659fd93ULL);

	return w ? w : 1;
}

/* The checksum an acknowledgement carries: over the whole content. */
static inline uint64_t slot_sum(const uint64_t *words, uint64_t n)
{
	uint64_t s = 0x243f6a8885a308d3ULL;

	for (uint64_t k = 0; k < n; k++)
		s = mix64(s ^ words[k]);
	return s;
}

#endif /* CRASH_COMMON_H */
