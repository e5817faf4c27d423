/* dlopen's libplugin.so from the executable's directory and calls it. */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>
#include <libgen.h>

int main(int argc, char **argv) {
	(void)argc;
	char path[4096];
	snprintf(path, sizeof path, "%s/libplugin.so", dirname(strdup(argv[0])));
	void *h = dlopen(path, RTLD_NOW);
	if (!h)
		return 2;
	void (*run)(int) = (void (*)(int))dlsym(h, "plugin_run");
	if (!run)
		return 3;
	run(5);
	return 0;
}
