/* Needs AVX2 (built with -mavx2): on a CPU without it, SIGILL. */
#include <immintrin.h>
#include <stdio.h>

__attribute__((noinline)) int sum8(const int *p)
{
	__m256i v = _mm256_loadu_si256((const __m256i *)p);
	v = _mm256_add_epi32(v, v);
	int out[8];
	_mm256_storeu_si256((__m256i *)out, v);
	return out[0] + out[7];
}

int main(void)
{
	int a[8] = {1, 2, 3, 4, 5, 6, 7, 8};
	printf("%d\n", sum8(a));
	return 0;
}
