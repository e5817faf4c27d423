// i386fault: faults of a 32-bit x86 program for TestI386Cores, built
// with gcc -m32 -static and run under qemu-i386 (this machine's kernel
// runs no i386 programs). argv[1] picks the case: "l" loads 200 bytes
// below a pointer nothing maps, "d" divides by zero.
//
// qemu's guest cores have no NT_SIGINFO note, so a handler reports the
// siginfo it received ("siginfo SIGNO CODE ADDR" in hex on stderr) and
// returns with the default action restored (SA_RESETHAND): the
// instruction runs again, faults again with the same registers, and qemu
// dumps the core.
#include <signal.h>
#include <string.h>
#include <unistd.h>

static char *hex(char *p, unsigned long v) {
	*p++ = '0';
	*p++ = 'x';
	for (int i = 28; i >= 0; i -= 4)
		*p++ = "0123456789abcdef"[(v >> i) & 15];
	return p;
}

static void report(int sig, siginfo_t *si, void *uc) {
	char buf[64], *p = buf;
	(void)uc;
	memcpy(p, "siginfo ", 8);
	p = hex(p + 8, (unsigned long)sig);
	*p++ = ' ';
	p = hex(p, (unsigned long)si->si_code);
	*p++ = ' ';
	p = hex(p, (unsigned long)si->si_addr);
	*p++ = '\n';
	write(2, buf, p - buf);
}

__attribute__((noinline)) int below(const int *p) { return p[-50] + 1; }

__attribute__((noinline)) int ratio(int total, int parts) { return total / parts; }

__attribute__((noinline)) int work(char c, int n) {
	if (c == 'd')
		return ratio(100, n - 1) + 2;
	return below((const int *)0x20000000) + n;
}

int main(int argc, char **argv) {
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = report;
	sa.sa_flags = SA_SIGINFO | SA_RESETHAND;
	sigaction(SIGSEGV, &sa, 0);
	sigaction(SIGFPE, &sa, 0);
	return work(argc > 1 ? argv[1][0] : 'l', argc - 1) + 3;
}
