// A C++ program (gxx-pie), built with the host's g++ headers against the
// oldest root's libstdc++: many versions of two libraries (GLIBCXX_3.4,
// 3.4.9, 3.4.21, CXXABI_1.3, 1.3.9, GCC_3.0), a global object built before
// main by calling into libstdc++, a vtable, an exception thrown through
// libgcc_s's unwinder, and a template's static member, which g++ makes a
// STB_GNU_UNIQUE symbol.
#include <iostream>
#include <string>
#include <stdexcept>
struct Shape { virtual ~Shape() {} virtual int area() const = 0; };
struct Square : Shape { int s; explicit Square(int s) : s(s) {} int area() const override { return s * s; } };
template <typename T> struct Counter { static inline int n = 0; };
static std::string greeting = std::string("elfdoctor-") + "started";
int main(int argc, char **) {
	std::cout << greeting << std::endl;
	Counter<int>::n += argc;
	Shape *s = new Square(argc + 1);
	int a = s->area();
	delete s;
	try {
		if (a > 0) throw std::runtime_error("thrown");
	} catch (const std::exception &e) {
		std::cout << e.what() << " " << a << " " << Counter<int>::n << std::endl;
	}
	return 0;
}
