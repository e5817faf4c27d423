// A crash inside a namespaced method, for demangling.
#include <cstdio>

namespace shapes {
struct Canvas {
	int *pixels = nullptr;
	__attribute__((noinline)) void paint(int x) { pixels[x] = 7; }
};
} // namespace shapes

int main() {
	shapes::Canvas c;
	c.paint(3);
	std::puts("unreachable");
	return 0;
}
