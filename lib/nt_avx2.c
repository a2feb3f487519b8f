// SPDX-License-Identifier: MIT
/* Streaming copies with 32-byte AVX2 stores; built with -mavx2. */
#include <immintrin.h>

#include "internal.h"

#define NT_ISA	avx2

typedef __m256i nt_vec;

static inline void nt_line(char *d, const char *s)
{
	__m256i a = _mm256_loadu_si256((const __m256i *)s);
	__m256i b = _mm256_loadu_si256((const __m256i *)(s + 32));

	_mm256_stream_si256((__m256i *)d, a);
	_mm256_stream_si256((__m256i *)(d + 32), b);
}

static inline nt_vec nt_splat(int c)
{
	return _mm256_set1_epi8((char)c);
}

static inline void nt_set_line(char *d, nt_vec v)
{
	_mm256_stream_si256((__m256i *)d, v);
	_mm256_stream_si256((__m256i *)(d + 32), v);
}

#include "nt_body.h"
