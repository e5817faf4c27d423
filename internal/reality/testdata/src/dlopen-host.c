// The process a library is checked in as dlopen loads it: it loads its
// argument as Node.js loads an addon (RTLD_LAZY), prints dlerror() and
// exits 1 when that fails, and prints the marker when it loads. It calls
// nothing in the library.
#include <dlfcn.h>
#include <stdio.h>

int main(int argc, char **argv) {
	if (argc != 2)
		return 2;
	if (!dlopen(argv[1], RTLD_LAZY)) {
		fprintf(stderr, "%s\n", dlerror());
		return 1;
	}
	puts("elfdoctor-started");
	fflush(stdout);
	return 0;
}
