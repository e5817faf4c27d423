// The bottom of a chain of libraries (libbase.so, needed by libchain.so,
// not by the program): one name defined at two versions (the default and
// an older one), a variable the middle library reads, a name the middle
// library defines too, and a constructor ld.so must run before the
// middle library's, which calls into this one.
int base_ready;
int base_counter = 7;
__attribute__((constructor)) static void base_init(void) { base_ready = 1; }
int base_value_old(void) { return 1; }
int base_value_new(void) { return base_ready ? 2 : 100; }
__asm__(".symver base_value_old, base_value@BASE_1.0");
__asm__(".symver base_value_new, base_value@@BASE_2.0");
int shared_name(void) { return 30; }
