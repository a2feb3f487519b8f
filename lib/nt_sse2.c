// SPDX-License-Identifier: MIT
/* Streaming copies with 16-byte SSE2 stores: any x86-64. */
#include <emmintrin.h>

#include "internal.h"

#define NT_ISA	sse2

typedef __m128i nt_vec;

static inline void nt_line(char *d, const char *s)
{
	__m128i a = _mm_loadu_si128((const __m128i *)s);
	__m128i b = _mm_loadu_si128((const __m128i *)(s + 16));
	__m128i c = _mm_loadu_si128((const __m128i *)(s + 32));
	__m128i e = _mm_loadu_si128((const __m128i *)(s + 48));

	_mm_stream_si128((__m128i *)d, a);
	_mm_stream_si128((__m128i *)(d + 16), b);
	_mm_stream_si128((__m128i *)(d + 32), c);
	_mm_stream_si128((__m128i *)(d + 48), e);
}

static inline nt_vec nt_splat(int c)
{
	return _mm_set1_epi8((char)c);
}

static inline void nt_set_line(char *d, nt_vec v)
{
	_mm_stream_si128((__m128i *)d, v);
	_mm_stream_si128((__m128i *)(d + 16), v);
	_mm_stream_si128((__m128i *)(d + 32), v);
	_mm_stream_si128((__m128i *)(d + 48), v);
}

#include "nt_body.h"
