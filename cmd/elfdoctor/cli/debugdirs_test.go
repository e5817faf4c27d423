package cli

import (
	"context"
	"debug/elf"
	"encoding/binary"
	"encoding/hex"
	"path/filepath"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/elfdoctor/elfdoctor/internal/reality"
)

// cmdGlibcRoot VAR SUITE sets VAR to a root file system holding Debian
// SUITE's libc6 and its debug files (libc6-dbg, under usr/lib/debug),
// fetched from apt's configured mirror with the suite swapped and cached
// (internal/reality.DebianRoot).
func cmdGlibcRoot(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: glibcroot VAR SUITE")
	}
	pkgs := append(append([]string(nil), reality.RootPackages...), reality.DebugPackages...)
	g, err := reality.DebianRoot(context.Background(), args[1], pkgs)
	if err != nil {
		ts.Fatalf("%s's glibc with its debug files (scripts/install-test-deps installs apt-get and dpkg-deb; apt's mirror must answer): %v", args[1], err)
	}
	ts.Setenv(args[0], g.Root)
}

// cmdDebugFile VAR DIR FILE sets VAR to where gdb looks for FILE's debug
// file under the debug-file directory DIR: DIR/.build-id/xx/rest.debug,
// from FILE's own build-id note.
func cmdDebugFile(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: debugfile VAR DIR FILE")
	}
	f, err := elf.Open(ts.MkAbs(args[2]))
	ts.Check(err)
	defer f.Close()
	s := f.Section(".note.gnu.build-id")
	if s == nil {
		ts.Fatalf("%s: no .note.gnu.build-id", args[2])
	}
	b, err := s.Data()
	ts.Check(err)
	// namesz, descsz, type, "GNU\0", then the id.
	if len(b) < 16 || binary.LittleEndian.Uint32(b) != 4 || int(binary.LittleEndian.Uint32(b[4:])) > len(b)-16 {
		ts.Fatalf("%s: malformed build-id note", args[2])
	}
	id := hex.EncodeToString(b[16 : 16+binary.LittleEndian.Uint32(b[4:])])
	ts.Setenv(args[0], filepath.Join(args[1], ".build-id", id[:2], id[2:]+".debug"))
}
