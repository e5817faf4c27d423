// Sends itself SIGSEGV, as a program giving up on a check of its own
// might: with tgkill (SI_TKILL), or with sigqueue (SI_QUEUE) when given
// an argument. No instruction faults.
#define _GNU_SOURCE
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

__attribute__((noinline)) void give_up(int how) {
	if (how > 1) {
		union sigval v = {.sival_int = 42};
		sigqueue(getpid(), SIGSEGV, v);
	}
	syscall(SYS_tgkill, getpid(), gettid(), SIGSEGV);
}

int main(int argc, char **argv) {
	(void)argv;
	give_up(argc);
	return 0;
}
