// The layout of a Bun single-file executable: a big initialised payload at
// the end of the RW segment, so FileSiz == MemSiz and there is no zero-fill
// and no slack after the segment.
#include <stdio.h>
__attribute__((section(".bun"), used)) char payload[PAYLOAD] = {1};
int main(void) {
	if (payload[0] == 1)
		puts("elfdoctor-started");
	fflush(stdout);
	return 0;
}
