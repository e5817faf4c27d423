package loader

import (
	"debug/elf"
	"runtime"

	"github.com/elfdoctor/elfdoctor/inspect"
)

// openELF opens an object as the process it runs in will map it: on
// this host's memory rules (hostMemory).
func openELF(path string) (*inspect.File, error) {
	f, err := inspect.Open(path)
	if err == nil {
		hostMemory(f)
	}
	return f, err
}

// hostMemory sets what this host's kernel makes of f's segment flags: an
// x86 object's PF_X-alone pages are execute-only under protection keys.
// An object of another machine runs under an emulator, whose rules are
// not replayed.
func hostMemory(f *inspect.File) {
	f.SetExecOnly(runtime.GOARCH == "amd64" && (f.Machine == elf.EM_X86_64 || f.Machine == elf.EM_386) && hostExecOnly())
}
