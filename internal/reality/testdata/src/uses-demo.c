// The user of libdemo.so: it binds a symbol at each of its versions.
#include <stdio.h>
int demo_one(void);
int demo_two(void);
int main(void) {
	if (demo_one() + demo_two() == 3)
		puts("elfdoctor-started");
	fflush(stdout);
	return 0;
}
