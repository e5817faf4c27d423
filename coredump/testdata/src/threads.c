/* The second thread faults while the main thread waits in join. */
#include <pthread.h>
#include <stddef.h>

__attribute__((noinline)) void worker_fault(volatile int *p) { *p = 1; }

static void *worker(void *arg) {
	(void)arg;
	worker_fault((volatile int *)0x10);
	return NULL;
}

int main(void) {
	pthread_t t[3];
	for (int i = 0; i < 3; i++)
		pthread_create(&t[i], NULL, worker, NULL);
	for (int i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	return 0;
}
