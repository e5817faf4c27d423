// A library with thread-local storage: a PT_TLS of its own in the static
// TLS block (it is loaded at start-up), and the TLS relocations that
// reach it: DTPMOD64 and DTPOFF64 for its own accesses, TPOFF64 in its
// user for shared_tls.
static __thread int seed = 9;
__thread int shared_tls = 4;

int tls_get(void) { return seed + shared_tls; }
