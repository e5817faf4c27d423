/* The program's SIGUSR1 handler dereferences NULL: the stack runs through
 * the kernel's signal frame back to the code the signal interrupted. */
#include <signal.h>
#include <stddef.h>

static volatile int *target;

__attribute__((noinline)) void on_usr1(int sig) { *target = sig; }

__attribute__((noinline)) void busy(void) { raise(SIGUSR1); }

int main(void) {
	signal(SIGUSR1, on_usr1);
	busy();
	return 0;
}
