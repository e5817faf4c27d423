/* memcpy into NULL: the fault is in the ifunc glibc chose for this CPU. */
#include <string.h>

static char src[4096];

__attribute__((noinline)) void copy_out(char *dst) { memcpy(dst, src, sizeof src); }

int main(void) {
	char *volatile dst = 0;
	copy_out(dst);
	return 0;
}
