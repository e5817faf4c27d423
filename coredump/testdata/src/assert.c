/* assert() fails: glibc stores its message in __abort_msg and aborts. */
#include <assert.h>

__attribute__((noinline)) void check_balance(int balance) { assert(balance >= 0 && "balance went negative"); }

int main(void) {
	check_balance(-5);
	return 0;
}
