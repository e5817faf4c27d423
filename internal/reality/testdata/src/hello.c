// The test program of the differential fuzzer: it prints the marker from
// main and flushes it at once, so a crash in the finalisers after main
// (DT_FINI_ARRAY) still shows that main ran. getenv and strlen give it a
// few more relocations and symbols to damage.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void) {
	const char *p = getenv("PATH");
	printf("elfdoctor-started %zu\n", p ? strlen(p) : 0);
	fflush(stdout);
	return 0;
}
