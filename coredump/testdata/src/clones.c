/* At -O2 GCC specialises these static functions into clones named
 * .constprop.N, .isra.N and .part.N, and moves an unlikely path to .cold. */
#include <stdio.h>
#include <stdlib.h>

struct buf { int len; int *data; char pad[64]; };

static int *volatile nowhere;

static __attribute__((noinline)) int sum_at(struct buf b, int scale) {
	int s = 0;
	for (int i = 0; i < b.len; i++)
		s += b.data[i] * scale;
	return s;
}

static __attribute__((noinline)) void rarely(int v) {
	if (__builtin_expect(v > 1000, 0)) {
		fprintf(stderr, "rare value %d\n", v);
		*nowhere = v;
	}
}

int main(int argc, char **argv) {
	(void)argv;
	struct buf b = {4, NULL, {0}};
	int d[4] = {1, 2, 3, 4};
	b.data = d;
	int s = sum_at(b, 3);
	rarely(s * 100 + argc);
	return s;
}
