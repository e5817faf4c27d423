#include <stdio.h>
static inline __attribute__((always_inline)) void poke(int *p, int v)
{
	*(volatile int *)p = v;
}
static inline __attribute__((always_inline)) void outer(int *p, int v)
{
	poke(p + 1, v * 2);
}
__attribute__((noinline)) void work(int *p)
{
	outer(p, 21);
}
int main(void)
{
	work((int *)0);
	puts("unreachable");
	return 0;
}
