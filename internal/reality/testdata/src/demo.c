// A library with a real Verdef table: two versions, a symbol at each.
int demo_one(void) { return 1; }
int demo_two(void) { return 2; }
