// Sends itself SIGSEGV with tgkill, as a program giving up on a check of
// its own might: no instruction faults.
#define _GNU_SOURCE
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

__attribute__((noinline)) void give_up(int why) {
	if (why)
		syscall(SYS_tgkill, getpid(), gettid(), SIGSEGV);
}

int main(int argc, char **argv) {
	(void)argv;
	give_up(argc);
	return 0;
}
