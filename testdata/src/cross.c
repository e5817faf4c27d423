/* Built for big-endian targets with clang and lld; never run here. */
int cross_answer(void) { return 42; }
int cross_other(void) { return 7; }
