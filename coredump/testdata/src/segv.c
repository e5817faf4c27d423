/* A plain NULL-pointer write three calls deep, for the unwinder. */
#include <stddef.h>

struct node { int value; struct node *next; };

__attribute__((noinline)) void store(struct node *n, int v) { n->next->value = v; }
__attribute__((noinline)) void middle(struct node *n) { store(n, 42); }
__attribute__((noinline)) void outer(struct node *n) { middle(n); }

int main(void) {
	struct node n = {1, NULL};
	outer(&n);
	return 0;
}
