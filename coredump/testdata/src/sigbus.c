/* Maps a file, truncates it under the mapping, then reads past the new end. */
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

int main(void) {
	int fd = open("data.bin", O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || ftruncate(fd, 8192) != 0)
		return 2;
	volatile char *p = mmap(0, 8192, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED || ftruncate(fd, 0) != 0)
		return 3;
	return p[4096];
}
