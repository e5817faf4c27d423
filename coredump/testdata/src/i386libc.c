// i386libc: a dynamically linked 32-bit x86 program that crashes inside
// libc.so.6, for TestI386SharedLibraries (gcc -m32, run under
// qemu-i386). memfrob writes through the null pointer it is given; the
// frames are memfrob in libc, then scramble and main in the program.
#define _GNU_SOURCE
#include <string.h>

__attribute__((noinline)) void scramble(char *p, int n) { memfrob(p, n); }

int main(int argc, char **argv) {
	scramble(argc > 5 ? argv[0] : (char *)0, 64);
	return 0;
}
