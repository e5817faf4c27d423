// i386sighandler: a 32-bit x86 program that crashes inside a signal
// handler, for TestI386SignalFrames (built with gcc -m32 and run under
// qemu-i386, which builds the signal frames as the kernel does).
// argv[1] picks the handler: "rt" installs it with SA_SIGINFO, so glibc
// returns through __restore_rt (rt_sigreturn, a struct rt_sigframe with a
// ucontext), "plain" without, through __restore (sigreturn, a struct
// sigframe with the sigcontext inline). work() executes ud2; the SIGILL
// handler then writes through a null pointer, and the SIGSEGV, not
// blocked in the handler, dumps the core.
#include <signal.h>
#include <string.h>

volatile int *target;

__attribute__((noinline)) void poke(int v) { *target = v; }

__attribute__((noinline)) void on_ill(int sig) { poke(sig + 1); }

__attribute__((noinline)) void on_ill_info(int sig, siginfo_t *si, void *uc) {
	(void)si;
	(void)uc;
	poke(sig + 2);
}

__attribute__((noinline)) int work(int n) {
	if (n > 0)
		__builtin_trap();
	return n;
}

int main(int argc, char **argv) {
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	if (argc > 1 && strcmp(argv[1], "rt") == 0) {
		sa.sa_sigaction = on_ill_info;
		sa.sa_flags = SA_SIGINFO;
	} else {
		sa.sa_handler = on_ill;
	}
	sigaction(SIGILL, &sa, 0);
	return work(argc) + 1;
}
