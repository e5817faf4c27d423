// The user of libtls.so: it prints the marker first, then reads the
// library's thread-local variable directly (initial-exec) and through
// the library's function.
#include <stdio.h>
int tls_get(void);
extern __thread int shared_tls;
int main(void) {
	puts("elfdoctor-started");
	fflush(stdout);
	printf("%d\n", tls_get() + shared_tls);
	return 0;
}
