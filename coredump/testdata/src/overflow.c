/* Unbounded recursion: the stack runs into its guard gap. */
__attribute__((noinline)) int descend(volatile char *prev, int depth) {
	volatile char frame[256];
	frame[0] = (char)depth;
	frame[255] = prev ? prev[0] : 0;
	return descend(frame, depth + 1) + frame[1];
}

int main(void) { return descend(0, 0); }
