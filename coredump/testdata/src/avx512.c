/* Needs AVX-512F (built with -mavx512f): on a CPU without it, SIGILL. */
#include <immintrin.h>
#include <stdio.h>

__attribute__((noinline)) int sum16(const int *p)
{
	__m512i v = _mm512_loadu_si512(p);
	v = _mm512_add_epi32(v, v);
	return _mm512_reduce_add_epi32(v);
}

int main(void)
{
	int a[16] = {1};
	printf("%d\n", sum16(a));
	return 0;
}
