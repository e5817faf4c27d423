/* A stand-in for nix-ld's shim: run as PT_INTERP, it execs the loader
 * named by NIX_LD on the program, with NIX_LD_LIBRARY_PATH as its
 * --library-path, as nix-ld does. No libc: it runs before any loader. */
typedef unsigned long u64;
static long sys3(long n, long a, long b, long c) {
	long r;
	__asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
	return r;
}
static int prefix(const char *s, const char *p) { while (*p) if (*s++ != *p++) return 0; return 1; }
static u64 len(const char *s) { u64 n = 0; while (s[n]) n++; return n; }
static void die(const char *m) { sys3(1, 2, (long)m, len(m)); sys3(60, 127, 0, 0); }
void start(u64 *sp) {
	long argc = (long)sp[0];
	char **argv = (char **)(sp + 1), **envp = argv + argc + 1, **e = envp;
	const char *ld = 0, *path = 0, *exe = 0;
	for (; *e; e++) {
		if (prefix(*e, "NIX_LD=")) ld = *e + 7;
		if (prefix(*e, "NIX_LD_LIBRARY_PATH=")) path = *e + 20;
	}
	for (u64 *a = (u64 *)(e + 1); a[0]; a += 2)
		if (a[0] == 31) exe = (const char *)a[1]; /* AT_EXECFN */
	if (!ld) die("cannot execute binary: NIX_LD is not set\n");
	char *nargv[64];
	int n = 0;
	nargv[n++] = (char *)ld;
	if (path) { nargv[n++] = "--library-path"; nargv[n++] = (char *)path; }
	nargv[n++] = (char *)exe;
	for (long i = 1; i < argc && n < 63; i++) nargv[n++] = argv[i];
	nargv[n] = 0;
	sys3(59, (long)ld, (long)nargv, (long)envp);
	die("cannot execute NIX_LD\n");
}
__asm__(".globl _start\n_start:\n mov %rsp, %rdi\n and $-16, %rsp\n call start\n hlt\n");
