/* The comparator faults while libc's qsort calls it. */
#include <stdlib.h>

static int *volatile bad;

static int cmp(const void *a, const void *b) { return *(const int *)a - *(const int *)b + *bad; }

int main(void) {
	int v[64];
	for (int i = 0; i < 64; i++)
		v[i] = 64 - i;
	qsort(v, 64, sizeof v[0], cmp);
	return v[0];
}
