/* At -O2 step_two jumps to fault_here instead of calling it: no return
 * address of step_two is left on the stack. */
#include <stddef.h>

int *volatile sink;

__attribute__((noinline)) void fault_here(int v) { *sink = v; }
__attribute__((noinline)) void step_two(int v) { fault_here(v + 1); }
__attribute__((noinline)) int step_one(int v) {
	step_two(v * 2);
	return v;
}

int main(int argc, char **argv) {
	(void)argv;
	return step_one(argc);
}
