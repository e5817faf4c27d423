/* A shared library with two versions (see demo.map), one symbol at each,
 * and demo_get defined at both, so the file has a real Verdef table. */
int demo_one(void) { return 1; }
int demo_two(void) { return 2; }

int demo_get_v1(void) { return 10; }
int demo_get_v2(void) { return 20; }
__asm__(".symver demo_get_v1, demo_get@DEMO_1.0");
__asm__(".symver demo_get_v2, demo_get@@DEMO_2.0");
