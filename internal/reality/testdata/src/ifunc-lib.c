// A library exporting an indirect function: ld.so binds pick, an
// STT_GNU_IFUNC symbol, by calling its resolver in the library and
// writing what it returns into the caller's slot.
static int pick_two(void) { return 2; }
static int (*pick_resolver(void))(void) { return pick_two; }
int pick(void) __attribute__((ifunc("pick_resolver")));
