/* The program calls abort() itself. */
#include <stdlib.h>

__attribute__((noinline)) void give_up(int code) {
	if (code)
		abort();
}

int main(void) {
	give_up(1);
	return 0;
}
