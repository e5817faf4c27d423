/* Touches 160 MiB of heap, then faults: a core well over 100 MB. */
#include <stdlib.h>
#include <string.h>

int main(void) {
	char *p = malloc(160 << 20);
	memset(p, 1, 160 << 20);
	*(volatile int *)8 = 1;
	return p[3];
}
