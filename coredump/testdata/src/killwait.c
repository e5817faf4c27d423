/* Says it is ready, then waits in pause() until another process kills it:
 * si_code SI_USER, and si_addr holds the sender's pid and uid. */
#include <stdio.h>
#include <unistd.h>

__attribute__((noinline)) void wait_here(void) {
	for (;;)
		pause();
}

int main(void) {
	puts("ready");
	fflush(stdout);
	wait_here();
	return 0;
}
