/* Needs DEMO_2.0 of libdemo.so.1 and GLIBC versions of libc. */
#include <stdio.h>
int demo_one(void);
int demo_two(void);
int demo_get(void);

int main(void) {
	printf("demo %d %d %d\n", demo_one(), demo_two(), demo_get());
	return 0;
}
