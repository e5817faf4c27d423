// Unbounded recursion with a local array: at -O0 every frame keeps the
// array on the stack, addressed below the frame pointer ([rbp-0x…]).
// With an argument, the recursion runs in a thread, whose stack ends in
// glibc's PROT_NONE guard page rather than the kernel's guard gap.
#include <pthread.h>
#include <string.h>

__attribute__((noinline)) int descend(int depth, const char *s) {
	char buf[200];
	strncpy(buf, s, sizeof buf);
	buf[depth % sizeof buf] = (char)depth;
	return descend(depth + 1, buf) + buf[3];
}

static void *run(void *arg) { return (void *)(long)descend(1, arg); }

int main(int argc, char **argv) {
	if (argc > 1) {
		pthread_t t;
		pthread_create(&t, 0, run, argv[0]);
		pthread_join(t, 0);
		return 0;
	}
	return descend(argc, argv[0]);
}
