// Unbounded recursion with a local array: at -O0 every frame keeps the
// array on the stack, addressed below the frame pointer ([rbp-0x…]).
#include <string.h>

__attribute__((noinline)) int descend(int depth, const char *s) {
	char buf[200];
	strncpy(buf, s, sizeof buf);
	buf[depth % sizeof buf] = (char)depth;
	return descend(depth + 1, buf) + buf[3];
}

int main(int argc, char **argv) {
	return descend(argc, argv[0]);
}
