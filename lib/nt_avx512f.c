// SPDX-License-Identifier: MIT
/* Streaming copies with 64-byte AVX-512F stores; built with -mavx512f. */
#include <immintrin.h>

#include "internal.h"

#define NT_ISA	avx512f

typedef __m512i nt_vec;

static inline void nt_line(char *d, const char *s)
{
	_mm512_stream_si512((__m512i *)d, _mm512_loadu_si512(s));
}

static inline nt_vec nt_splat(int c)
{
	return _mm512_set1_epi32((int)(0x01010101U * (unsigned char)c));
}

static inline void nt_set_line(char *d, nt_vec v)
{
	_mm512_stream_si512((__m512i *)d, v);
}

#include "nt_body.h"
