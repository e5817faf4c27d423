// Waits to be killed: prints "ready" once its handler-free wait begins.
#include <stdio.h>
#include <unistd.h>

__attribute__((noinline)) void wait_for_work(void) {
	puts("ready");
	fflush(stdout);
	for (;;)
		pause();
}

int main(void) {
	wait_for_work();
	return 0;
}
