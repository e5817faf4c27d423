/* Integer division by zero: SIGFPE at the idiv. */
__attribute__((noinline)) int ratio(int a, int b) { return a / b; }

int main(int argc, char **argv) {
	(void)argv;
	return ratio(10, argc - 1);
}
