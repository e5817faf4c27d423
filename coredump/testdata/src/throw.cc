// An exception nobody catches: std::terminate, then abort.
#include <stdexcept>

__attribute__((noinline)) void validate(int v) {
	if (v < 0)
		throw std::runtime_error("negative value");
}

__attribute__((noinline)) void load(int v) { validate(v); }

int main() {
	load(-1);
	return 0;
}
