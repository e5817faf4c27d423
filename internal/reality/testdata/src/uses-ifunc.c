// The user of libifunc.so: an indirect function of its own, which ld.so
// resolves with an R_X86_64_IRELATIVE before main, and the library's
// pick, bound through the library's resolver at the first call.
#include <stdio.h>
int pick(void);
static int local_one(void) { return 10; }
static int (*local_resolver(void))(void) { return local_one; }
static int local(void) __attribute__((ifunc("local_resolver")));
int main(void) {
	puts("elfdoctor-started");
	fflush(stdout);
	printf("%d\n", pick() + local());
	return 0;
}
