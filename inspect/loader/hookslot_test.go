package loader_test

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/elfdoctor/elfdoctor/inspect/loader"
	"github.com/elfdoctor/elfdoctor/internal/damage"
	"github.com/elfdoctor/elfdoctor/internal/reality"
)

// oldInit is the _init of crti.o before glibc called __gmon_start__
// through %rax: it tests the GOT slot, then calls through the PLT. lld
// then writes a JUMP_SLOT for the undefined weak __gmon_start__, which
// the test keeps from ever being called.
const oldInit = `	.text
	.globl	old_init
	.type	old_init, @function
old_init:
	subq	$8, %rsp
	movq	__gmon_start__@GOTPCREL(%rip), %rax
	testq	%rax, %rax
	je	1f
	call	__gmon_start__@PLT
1:	addq	$8, %rsp
	ret
	.weak	__gmon_start__
	.section	.note.GNU-stack,"",@progbits
`

// TestHookSlots runs the two healthy programs that bound the rule for a
// PLT slot naming an undefined start-file hook (hookSlot): a guarded
// call through it in an old-style _init starts, and is predicted to; a
// call through it nothing guards jumps to 0, and is predicted to.
func TestHookSlots(t *testing.T) {
	reality.NeedTools(t, "clang", "ld.lld")
	dir := t.TempDir()
	reality.WriteSource(t, dir, "main.c", "#include <stdio.h>\nint main(void) { puts(\""+damage.Marker+"\"); fflush(stdout); return 0; }\n")
	reality.WriteSource(t, dir, "oldinit.s", oldInit)
	reality.WriteSource(t, dir, "unguarded.c", "#include <stdio.h>\nextern void __gmon_start__(void) __attribute__((weak));\n"+
		"int main(void) { puts(\""+damage.Marker+"\"); fflush(stdout); __gmon_start__(); return 0; }\n")
	clang := func(args ...string) {
		cmd := exec.Command("clang", append([]string{"-O1", "-fuse-ld=lld"}, args...)...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("clang %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	clang("-o", "old-init", "main.c", "oldinit.s", "-Wl,-init,old_init")
	clang("-o", "unguarded", "unguarded.c")
	for _, tc := range []struct {
		name    string
		outcome loader.Outcome
	}{
		{"old-init", loader.OutcomeStarts},
		{"unguarded", loader.OutcomeFirstCall},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, tc.name)
			if out, err := exec.Command("readelf", "-rW", p).Output(); err != nil || !strings.Contains(string(out), "R_X86_64_JUMP_SLOT") || !strings.Contains(string(out), "__gmon_start__") {
				t.Fatalf("lld wrote no JUMP_SLOT for __gmon_start__ in %s (%v):\n%s", tc.name, err, out)
			}
			res, _ := reality.RunCase(t, reality.Case{Name: tc.name, Dir: dir, Path: p})
			if res.Outcome != tc.outcome {
				t.Errorf("%s: predicted %s, want %s\n%s", tc.name, res.Outcome, tc.outcome, reality.Describe(res))
			}
		})
	}
}
