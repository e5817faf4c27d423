/* A library whose constructor faults: ld.so runs it in _dl_init, before
   the program's entry point. */
static int *volatile table; /* volatile: the compiler must not drop the store */

__attribute__((constructor, noinline)) static void init_table(void) { table[1] = 5; }

int table_value(void) { return table[1]; }
