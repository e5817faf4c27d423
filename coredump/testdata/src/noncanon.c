// A store through a non-canonical pointer (a freed object's poison, a
// corrupted tag): x86-64 raises a general-protection fault, which Linux
// reports as SIGSEGV with si_code SI_KERNEL and si_addr 0.
#include <stdint.h>

__attribute__((noinline)) void poke(uintptr_t p) { *(volatile int *)p = 1; }

int main(void) {
	poke(0xdead000000000100);
	return 0;
}
