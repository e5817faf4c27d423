// Needs GLIBCXX_3.4.30 (g++ 12): std::condition_variable::wait got a new
// version in GCC 12, and a program built with it requires that one.
#include <condition_variable>
#include <cstdio>
#include <mutex>

int main(int argc, char **) {
	std::mutex m;
	std::condition_variable cv;
	std::unique_lock<std::mutex> l(m);
	while (argc > 100)
		cv.wait(l);
	std::puts("elfdoctor-started");
	return 0;
}
