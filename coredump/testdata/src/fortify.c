/* With _FORTIFY_SOURCE the overflowing strcpy is caught: __chk_fail aborts. */
#include <string.h>

__attribute__((noinline)) int name_len(const char *src) {
	char name[8];
	strcpy(name, src);
	return (int)strlen(name);
}

int main(int argc, char **argv) {
	(void)argc;
	(void)argv;
	const char *volatile s = "a name longer than eight bytes";
	return name_len(s);
}
