/* A library whose constructor aborts: the stack holds libc's abort and
   raise above ld.so's call_init and _dl_init, so naming every frame takes
   the debug files of both. */
#include <stdlib.h>

__attribute__((constructor, noinline)) static void init_abort(void) { abort(); }

int table_value(void) { return 0; }
