/* Waits for a byte on stdin, then writes through NULL: a test can replace
 * the executable on disk while the process runs, as an update does. */
#include <unistd.h>

__attribute__((noinline)) void crash(volatile int *p) { *p = 1; }

int main(void) {
	char c;
	(void)read(0, &c, 1);
	crash(0);
	return 0;
}
