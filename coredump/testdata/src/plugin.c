/* A shared library whose function faults: linked or dlopen'd. */
struct request { int *slot; };

__attribute__((noinline)) void plugin_store(struct request *r, int v) { *r->slot = v; }

void plugin_run(int v) {
	struct request r = {0};
	plugin_store(&r, v);
}
