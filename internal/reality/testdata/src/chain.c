// The middle of a chain (libchain.so): it needs libbase.so, found through
// its own DT_RPATH $ORIGIN (the old tag, which ld.so searches before
// LD_LIBRARY_PATH), binds base_value at its default version through its
// PLT, reads libbase's variable through its GOT, defines shared_name as
// libbase does (the first object in the search order wins), and exports
// a variable the program copies.
int base_value(void);
extern int base_counter;
int chain_var = 5;
static int chain_seen;
__attribute__((constructor)) static void chain_init(void) { chain_seen = base_value(); }
int shared_name(void) { return 20; }
int chain_value(void) { return chain_seen * 10 + base_value() + base_counter; }
