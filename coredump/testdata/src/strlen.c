/* strlen(NULL): the fault is inside libc's optimised strlen. */
#include <string.h>

__attribute__((noinline)) size_t measure(const char *s) { return strlen(s); }

int main(void) {
	const char *volatile s = 0;
	return (int)measure(s);
}
