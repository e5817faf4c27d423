/* The program the loader-crash tests damage; it never gets to run. */
#include <stdio.h>

int main(void) {
	puts("hello");
	return 0;
}
