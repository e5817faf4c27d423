// Integer division by a zero that comes from input, and INT_MIN / -1,
// which x86 refuses with the same divide error.
#include <limits.h>
#include <stdlib.h>

__attribute__((noinline)) int ratio(int total, int parts) { return total / parts; }

int main(int argc, char **argv) {
	if (argc > 1 && argv[1][0] == 'o')
		return ratio(INT_MIN, -argc / 2);
	return ratio(100, argc - 1);
}
