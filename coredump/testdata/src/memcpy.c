/* memcpy into an unmapped page: the fault is in the ifunc glibc chose for
 * this CPU. */
#include <stdlib.h>
#include <string.h>

char *volatile dst = (char *)0x1000;

__attribute__((noinline)) void copy_out(const char *src, size_t n) { memcpy(dst, src, n); }

int main(int argc, char **argv) {
	(void)argv;
	size_t n = 4096 * (size_t)argc;
	char *src = calloc(1, n);
	copy_out(src, n);
	return 0;
}
