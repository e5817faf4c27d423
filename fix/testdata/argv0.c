/* Prints the name it was started by, as a multi-call binary reads it. */
#include <stdio.h>

int main(int argc, char **argv) {
	(void)argc;
	printf("argv0=%s\n", argv[0]);
	puts("elfdoctor-started");
	return 0;
}
