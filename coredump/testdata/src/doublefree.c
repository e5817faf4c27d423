/* free() twice: glibc's allocator detects it and aborts. */
#include <stdlib.h>
#include <string.h>

__attribute__((noinline)) void release(char *p) { free(p); }

int main(void) {
	char *p = malloc(64);
	strcpy(p, "x");
	release(p);
	release(p);
	return 0;
}
