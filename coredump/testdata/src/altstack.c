/* A SIGSEGV handler on an alternate stack faults itself: the kernel then
 * kills the process with the nested fault, below a signal frame. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

static int *volatile null_ptr;

__attribute__((noinline)) void handler(int sig) {
	(void)sig;
	signal(SIGSEGV, SIG_DFL);
	*null_ptr = 2;
}

__attribute__((noinline)) void first_fault(void) { *null_ptr = 1; }

int main(void) {
	stack_t ss;
	memset(&ss, 0, sizeof ss);
	ss.ss_sp = malloc(1 << 16);
	ss.ss_size = 1 << 16;
	sigaltstack(&ss, 0);
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = handler;
	sa.sa_flags = SA_ONSTACK;
	sigaction(SIGSEGV, &sa, 0);
	first_fault();
	return 0;
}
