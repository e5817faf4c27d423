// The user of libchain.so, which brings libbase.so: the program's lookups
// search both, and copies libchain's variable (a COPY relocation).
#include <stdio.h>
int chain_value(void);
int shared_name(void);
extern int chain_var;
int main(void) {
	puts("elfdoctor-started");
	fflush(stdout);
	printf("%d %d %d\n", chain_value(), shared_name(), chain_var);
	return 0;
}
