/* Overruns a stack buffer; the stack protector aborts on return. */
#include <string.h>

__attribute__((noinline)) void fill(char *dst, const char *src, int n) { memcpy(dst, src, n); }

__attribute__((noinline)) int parse_name(const char *src) {
	char name[8];
	fill(name, src, 40);
	return name[0];
}

int main(void) {
	static const char input[64] = "a name much longer than eight bytes, with more";
	return parse_name(input);
}
