/* A tiny program that needs glibc, so it has GLIBC_2.x version needs. */
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv) {
	(void)argv;
	char buf[32];
	snprintf(buf, sizeof buf, "hello %d", argc);
	puts(strlen(buf) > 0 ? buf : "?");
	return 0;
}
