// The test program with thread-local storage: its PT_TLS initialisation
// image (count's 7), which ld.so copies into the first thread's block
// before any initialiser runs, gives the fuzzer a program TLS segment to
// damage. It prints the marker as hello.c does.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static __thread int count = 7;

int main(void) {
	const char *p = getenv("PATH");
	printf("elfdoctor-started %zu %d\n", p ? strlen(p) : 0, count);
	fflush(stdout);
	return 0;
}
