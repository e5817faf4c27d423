/* Maps locale data files (not ELF) before it crashes: the module list
   must show them as data, not as unreadable modules. */
#include <locale.h>
#include <stdio.h>

int main(void) {
	if (!setlocale(LC_ALL, "C.UTF-8"))
		return 2;
	printf("%s\n", setlocale(LC_CTYPE, NULL));
	fflush(stdout);
	*(volatile int *)8 = 1;
	return 0;
}
