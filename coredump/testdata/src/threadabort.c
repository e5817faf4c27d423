/* A worker thread aborts while the others wait. */
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

__attribute__((noinline)) void worker_gives_up(void) { abort(); }

static void *worker(void *arg) {
	if (arg)
		worker_gives_up();
	pause();
	return NULL;
}

int main(void) {
	pthread_t t[2];
	pthread_create(&t[0], NULL, worker, NULL);
	pthread_create(&t[1], NULL, worker, (void *)1);
	pthread_join(t[1], NULL);
	return 0;
}
