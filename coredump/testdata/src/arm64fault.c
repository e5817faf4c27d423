// arm64fault: aarch64 loads and stores through bad pointers, one
// addressing mode per case, for TestArm64Fault; and two instructions the
// CPU may refuse, for TestArm64SIGILL. There is no libc:
//
//	clang --target=aarch64-linux-gnu -nostdlib -static -fuse-ld=lld -O1
//
// and the test runs it under qemu-aarch64, whose guest cores it reads.
// The first letter of argv[1] picks the case. Every address is a constant
// the test knows, in memory nothing maps (or, for the literal load, past
// the end of the program's image). The instructions are written in
// assembly so that the addressing mode is the one named; each faulting
// function calls sink afterwards, so it saves the link register and its
// CFI leads back to run and _start.
//
// qemu's guest cores have no NT_SIGINFO note, so the program reports the
// siginfo of a SIGSEGV itself: a handler writes "siginfo SIGNO CODE ADDR"
// in hex to stderr and returns with the default action restored (the
// handler is SA_RESETHAND); the instruction runs again, faults again with
// the same registers, and qemu dumps the core.

typedef unsigned long u64;

// _start: argc at [sp], argv above it. The CFI marks x30 undefined: this
// is the outermost frame.
__asm__(".text\n"
	".globl _start\n"
	".type _start, %function\n"
	"_start:\n"
	"	.cfi_startproc\n"
	"	.cfi_undefined x30\n"
	"	mov x29, #0\n"
	"	ldr x0, [sp]\n"
	"	add x1, sp, #8\n"
	"	bl run\n"
	"	mov x8, #93\n" // exit(run's value)
	"	svc #0\n"
	"	.cfi_endproc\n"
	".size _start, .-_start\n");

__attribute__((noinline)) void sink(u64 v) { __asm__ volatile("" ::"r"(v)); }

static long syscall4(long nr, long a, long b, long c, long d) {
	register long x8 __asm__("x8") = nr;
	register long x0 __asm__("x0") = a;
	register long x1 __asm__("x1") = b;
	register long x2 __asm__("x2") = c;
	register long x3 __asm__("x3") = d;
	__asm__ volatile("svc #0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2), "r"(x3) : "memory");
	return x0;
}

static char *hex(char *p, u64 v) {
	*p++ = '0';
	*p++ = 'x';
	for (int i = 60; i >= 0; i -= 4)
		*p++ = "0123456789abcdef"[(v >> i) & 15];
	return p;
}

// siginfo_t on LP64: si_signo, si_errno, si_code as ints, si_addr at 16.
static void report(int sig, void *si, void *uc) {
	char buf[80], *p = buf;
	int *ints = si;
	for (const char *s = "siginfo "; *s; s++)
		*p++ = *s;
	p = hex(p, (u64)ints[0]);
	*p++ = ' ';
	p = hex(p, (u64)(long)ints[2]);
	*p++ = ' ';
	p = hex(p, *(u64 *)((char *)si + 16));
	*p++ = '\n';
	syscall4(64, 2, (long)buf, p - buf, 0); // write
}

// The return from a handler: rt_sigreturn.
__asm__(".text\n"
	".type sigreturn, %function\n"
	"sigreturn:\n"
	"	mov x8, #139\n"
	"	svc #0\n");
extern void sigreturn(void);

static void catch_segv(void) {
	struct {
		void (*handler)(int, void *, void *);
		u64 flags;
		void (*restorer)(void);
		u64 mask;
	} sa = {report, 0x4 | 0x04000000 | 0x80000000, sigreturn, 0}; // SA_SIGINFO|SA_RESTORER|SA_RESETHAND
	syscall4(134, 11, (long)&sa, 0, sizeof sa.mask); // rt_sigaction(SIGSEGV, &sa, NULL, 8)
}

// Base plus scaled immediate: faults at base+16.
__attribute__((noinline)) u64 load_imm(u64 base) {
	u64 v;
	__asm__ volatile("ldr %0, [%1, #16]" : "=r"(v) : "r"(base) : "memory");
	sink(v);
	return v;
}

// Register offset, shifted: faults at base+i*8.
__attribute__((noinline)) u64 load_reg(u64 base, u64 i) {
	u64 v;
	__asm__ volatile("ldr %0, [%1, %2, lsl #3]" : "=r"(v) : "r"(base), "r"(i) : "memory");
	sink(v);
	return v;
}

// 32-bit index, sign-extended and scaled: faults at base+i*4 with i < 0.
__attribute__((noinline)) u64 load_sxtw(u64 base, int i) {
	unsigned v;
	__asm__ volatile("ldr %w0, [%1, %w2, sxtw #2]" : "=r"(v) : "r"(base), "r"(i) : "memory");
	sink(v);
	return v;
}

// Store pair, pre-indexed: faults at base-32, and base is not written
// back.
__attribute__((noinline)) u64 store_pair(u64 base, u64 a, u64 b) {
	__asm__ volatile("stp %1, %2, [%0, #-32]!" : "+r"(base) : "r"(a), "r"(b) : "memory");
	sink(base);
	return base;
}

// Load pair, post-indexed: faults at base itself, before the write-back.
__attribute__((noinline)) u64 load_pair_post(u64 base) {
	u64 a, b;
	__asm__ volatile("ldp %0, %1, [%2], #16" : "=&r"(a), "=&r"(b), "+r"(base) : : "memory");
	sink(a + b + base);
	return a;
}

// PC-relative literal load, 256 KiB past itself: beyond the program's
// image, which is a few KiB.
__attribute__((noinline)) u64 load_literal(void) {
	u64 v;
	__asm__ volatile("ldr %0, . + 0x40000" : "=r"(v) : : "memory");
	sink(v);
	return v;
}

// An Armv8.1 atomic (LSE), which the Go decoder does not know: faults at
// base.
__attribute__((noinline)) u64 atomic_add(u64 base, u64 a) {
	u64 old;
	__asm__ volatile(".arch_extension lse\n"
			 "ldaddal %2, %0, [%1]"
			 : "=&r"(old)
			 : "r"(base), "r"(a)
			 : "memory");
	sink(old);
	return old;
}

// A leaf: no frame record, x30 still holds the return address and the CFI
// has no rule for it. Faults at base+8.
__attribute__((noinline)) u64 leaf_load(u64 base) {
	u64 v;
	__asm__ volatile("ldr %0, [%1, #8]" : "=r"(v) : "r"(base) : "memory");
	return v;
}

// An SVE instruction, add z0.s, z0.s, z0.s, written as a word so that no
// assembler flag is needed: SIGILL on a CPU without SVE.
__attribute__((noinline)) u64 sve_add(void) {
	__asm__ volatile(".inst 0x04a00000" ::: "memory");
	sink(1);
	return 1;
}

// The permanently undefined instruction: SIGILL on every CPU.
__attribute__((noinline)) u64 undefined(void) {
	__asm__ volatile("udf #0" ::: "memory");
	sink(2);
	return 2;
}

// A handler that faults itself, for the signal frame: the second SIGSEGV
// arrives while the first is blocked, so it kills the program inside the
// handler, whose return address is the sigreturn trampoline.
__attribute__((noinline)) static void fault_again(int sig, void *si, void *uc) {
	sink(*(volatile u64 *)0x10000600 + (u64)sig);
}

static void fault_in_handler(void) {
	struct {
		void (*handler)(int, void *, void *);
		u64 flags;
		void (*restorer)(void);
		u64 mask;
	} sa = {fault_again, 0x4 | 0x04000000, sigreturn, 0}; // SA_SIGINFO|SA_RESTORER
	syscall4(134, 11, (long)&sa, 0, sizeof sa.mask);
}

u64 run(long argc, char **argv) {
	if (argc < 2)
		return 0;
	catch_segv();
	switch (argv[1][0]) {
	case 'i':
		return load_imm(0x10000000);
	case 'r':
		return load_reg(0x10000000, 5);
	case 'w':
		return load_sxtw(0x10000100, -4);
	case 'p':
		return store_pair(0x10000040, 1, 2);
	case 'o':
		return load_pair_post(0x10000200);
	case 'l':
		return load_literal();
	case 'a':
		return atomic_add(0x10000300, 1);
	case 'f':
		return leaf_load(0x10000400) + 1;
	case 's':
		return sve_add();
	case 'u':
		return undefined();
	case 'h':
		fault_in_handler();
		return load_imm(0x10000000);
	}
	return 0;
}
