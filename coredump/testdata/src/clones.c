/* At -O2 GCC specialises sum_at for its one constant argument and passes
 * the struct's fields separately: the code is sum_at.constprop.0.isra.0,
 * whose debug information still names sum_at. */
struct buf { int len; int *data; char pad[64]; };

int *volatile nowhere;

static __attribute__((noinline)) int sum_at(struct buf b, int scale) {
	int s = 0;
	for (int i = 0; i < b.len; i++)
		s += b.data[i] * scale;
	return s;
}

int main(void) {
	struct buf b = {4, nowhere, {0}};
	return sum_at(b, 3);
}
