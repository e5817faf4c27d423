/* exit(0) through the i386 system call gate, and nothing else: whether it
   runs says whether the kernel executes 32-bit x86 programs. */
	.globl _start
	.text
_start:
	movl $1, %eax
	xorl %ebx, %ebx
	int $0x80
	.section .note.GNU-stack,"",@progbits
