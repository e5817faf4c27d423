/* __builtin_trap() compiles to ud2: SIGILL at a known instruction. */
__attribute__((noinline)) void unreachable_state(void) { __builtin_trap(); }

int main(void) {
	unreachable_state();
	return 0;
}
