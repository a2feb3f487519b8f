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
 * updates of the slot from 1; see ver32() for the bits a word keeps.
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

/*
 * A version in 32 bits: epoch (12 bits) and n (20 bits).  Every word
 * carries it, so a word says which version it belongs to, and a torn
 * slot can be taken apart word by word whatever versions the guest
 * reached after the last acknowledgement the host saw.
 */
static inline uint32_t ver32(uint64_t ver)
{
	return (uint32_t)((ver >> 32 & 0xfff) << 20 | (ver & 0xfffff));
}

static inline uint64_t ver64(uint32_t v)
{
	return (uint64_t)(v >> 20) << 32 | (v & 0xfffff);
}

/* Word k of slot's content at version ver (n >= 1): never 0. */
static inline uint64_t slot_word(uint64_t slot, uint64_t ver, uint64_t k)
{
	uint64_t h = mix64(slot * 0x9e3779b97f4a7c15ULL ^
			   mix64(ver32(ver) + 0x632be59bd9b4e019ULL) ^
			   k * 0xd6e8feb86659fd93ULL);

	return (uint64_t)ver32(ver) << 32 | (h & 0xffffffff);
}

/* The version word k of slot belongs to, or 0 if it is no valid word. */
static inline uint64_t word_ver(uint64_t slot, uint64_t w, uint64_t k)
{
	uint64_t ver = ver64((uint32_t)(w >> 32));

	if (!(ver & 0xfffff) || slot_word(slot, ver, k) != w)
		return 0;
	return ver;
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
