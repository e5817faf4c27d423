package reality

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/elfdoctor/elfdoctor/internal/damage"
)

// VendorProgram is a real program as its vendor ships it, nothing built
// or tuned here: what a user rewrites with patchelf. It is run with Args,
// and its main has run when it prints Marker.
type VendorProgram struct {
	Name   string
	Path   func(tb testing.TB) string
	Args   []string
	Marker string
	// Host says it runs only on this machine: it needs what the glibc
	// roots of the differential fuzzer do not have (Debian's node needs
	// libnode, libuv, OpenSSL...).
	Host bool
}

// BunReport is the Bun of the original report.
const BunReport = "1.3.14"

func npmProgram(spec, file string) func(tb testing.TB) string {
	return func(tb testing.TB) string { return NpmFile(tb, spec, file) }
}

func debProgram(suite, pkg, file string) func(tb testing.TB) string {
	return func(tb testing.TB) string { return DebFile(tb, suite, pkg, file) }
}

func bunRuntime(version string) func(tb testing.TB) string {
	return func(tb testing.TB) string { return BunCompiled(tb, version, "").Bun }
}

// VendorPrograms are open-source programs from the npm registry and
// Debian, linked by the toolchains vendors use: Rust (Biome, ast-grep,
// dprint, Deno), Zig and lld (Bun, the runtime and a single-file
// application, whose RW segment has FileSiz == MemSiz as in the original
// report), Clang (the Dart VM that Sass ships, RPATH $ORIGIN, ld.so
// among its DT_NEEDED), Go with cgo (Debian's containerd, a 48 MB
// ET_EXEC) and GCC (Debian's Node.js). None is one the replay was
// written against: they hold check to the files users have.
var VendorPrograms = []VendorProgram{
	{Name: "biome-2.6.9", Path: npmProgram("@biomejs/cli-linux-x64@2.6.9", "package/biome"), Args: []string{"--version"}, Marker: "2.6.9"},
	{Name: "ast-grep-0.51.1", Path: npmProgram("@ast-grep/cli-linux-x64-gnu@0.51.1", "package/ast-grep"), Args: []string{"--version"}, Marker: "0.51.1"},
	{Name: "dprint-0.57.4", Path: npmProgram("@dprint/linux-x64-glibc@0.57.4", "package/dprint"), Args: []string{"--version"}, Marker: "0.57.4"},
	{Name: "deno-2.9.6", Path: npmProgram("@deno/linux-x64-glibc@2.9.6", "package/deno"), Args: []string{"--version"}, Marker: "deno 2.9.6"},
	{Name: "dart-3.13.7", Path: npmProgram("sass-embedded-linux-x64@1.108.2", "package/dart-sass/src/dart"), Args: []string{"--version"}, Marker: "Dart SDK version: 3.13.7"},
	{Name: "containerd-1.6.20-debian", Path: debProgram("bookworm", "containerd", "usr/bin/containerd"), Args: []string{"--version"}, Marker: "containerd github.com/containerd/containerd 1.6.20"},
	{Name: "bun-1.1.45", Path: bunRuntime("1.1.45"), Args: []string{"--version"}, Marker: "1.1.45"},
	{Name: "bun-1.2.23", Path: bunRuntime("1.2.23"), Args: []string{"--version"}, Marker: "1.2.23"},
	{Name: "bun-1.4.5", Path: bunRuntime("1.4.5"), Args: []string{"--version"}, Marker: "1.4.5"},
	// JavaScriptCore stops the application (WTFCrash, SIGILL) without
	// /dev/urandom and friends, which the fuzzer's roots do not have;
	// the runtimes' --version does not start it.
	{Name: "bun-" + BunReport + "-app", Path: func(tb testing.TB) string { return BunCompiled(tb, BunReport, "").App }, Marker: damage.Marker, Host: true},
	{Name: "node-debian", Path: func(tb testing.TB) string {
		NeedTools(tb, "node")
		return "/usr/bin/node"
	}, Args: []string{"--version"}, Marker: "v", Host: true},
}

// GoneLibgcc is a Nix store path that is not there: an absolute
// DT_NEEDED left behind when the store path is garbage-collected.
const GoneLibgcc = "/nix/store/00000000000000000000000000000000-gcc-13.3.0-lib/lib/libgcc_s.so.1"

// Rewrite is what a NixOS user does to a file, as the patchelf
// invocations of it; ld is the loader the rewrite points the file at.
type Rewrite struct {
	Name string
	Runs func(ld string) [][]string
}

// ProgramRewrites are the rewrites of a vendor program.
var ProgramRewrites = []Rewrite{
	{"nixos", func(ld string) [][]string {
		return [][]string{{"--set-interpreter", ld, "--set-rpath", NixRpath}}
	}},
	{"force-rpath", func(ld string) [][]string {
		return [][]string{{"--set-interpreter", ld, "--force-rpath", "--set-rpath", NixRpath}}
	}},
	{"add-needed", func(ld string) [][]string {
		return [][]string{{"--set-interpreter", ld, "--add-needed", "libm.so.6"}}
	}},
	// An installer that applies the rewrite again after each update,
	// with a new store path each time: five calls, not RepatchRuns'
	// eighteen, which on the 100 MB programs cost minutes.
	{"repatched", func(ld string) [][]string {
		var runs [][]string
		for i := 1; i <= 3; i++ {
			runs = append(runs, []string{"--set-interpreter", ld, "--set-rpath", fmt.Sprintf("%s:/nix/store/round%d/lib", NixRpath, i)})
		}
		return append(runs, []string{"--add-needed", "libm.so.6"}, []string{"--replace-needed", "libm.so.6", "libdl.so.2"})
	}},
	{"store-path-gone", func(ld string) [][]string {
		return [][]string{{"--set-interpreter", ld, "--replace-needed", "libgcc_s.so.1", GoneLibgcc}}
	}},
}

// VendorAddon is a Node-API addon from the npm registry: File of the
// package Spec, put at Dir (relative to a node_modules-like tree) with
// the packages it loads from there (Beside), as npm lays them out.
type VendorAddon struct {
	Name, Spec, File string
	Dir              string
	Beside           []NpmPlaced
}

// NpmPlaced is File of the npm package Spec, put at Dst in the tree.
type NpmPlaced struct{ Spec, File, Dst string }

// VendorAddons are Node-API addons from the npm registry: Rust through
// napi-rs, the way most ship today, and C++ through node-addon-api
// (Parcel's watcher; sharp, whose RPATH of five $ORIGIN paths finds
// libvips in the package npm installs beside it).
var VendorAddons = []VendorAddon{
	{Name: "swc-1.16.22", Spec: "@swc/core-linux-x64-gnu@1.16.22", File: "package/swc.linux-x64-gnu.node"},
	{Name: "oxlint-1.43.0", Spec: "@oxlint/linux-x64-gnu@1.43.0", File: "package/oxlint.linux-x64-gnu.node"},
	{Name: "lightningcss-1.33.0", Spec: "lightningcss-linux-x64-gnu@1.33.0", File: "package/lightningcss.linux-x64-gnu.node"},
	{Name: "rollup-4.70.0", Spec: "@rollup/rollup-linux-x64-gnu@4.70.0", File: "package/rollup.linux-x64-gnu.node"},
	{Name: "tailwindcss-oxide-4.3.5", Spec: "@tailwindcss/oxide-linux-x64-gnu@4.3.5", File: "package/tailwindcss-oxide.linux-x64-gnu.node"},
	{Name: "parcel-watcher-2.6.0", Spec: "@parcel/watcher-linux-x64-glibc@2.6.0", File: "package/watcher.node"},
	{Name: "sharp-0.35.6", Spec: "@img/sharp-linux-x64@0.35.6", File: "package/lib/sharp-linux-x64-0.35.6.node",
		Dir: "node_modules/@img/sharp-linux-x64/lib",
		Beside: []NpmPlaced{{"@img/sharp-libvips-linux-x64@1.3.5", "package/lib/libvips-cpp.so.8.18.8",
			"node_modules/@img/sharp-libvips-linux-x64/lib/libvips-cpp.so.8.18.8"}}},
}

// Lay puts the addon's neighbours (Beside) into the tree at root and
// returns the directory the addon itself goes in.
func (a VendorAddon) Lay(tb testing.TB, root string) string {
	tb.Helper()
	for _, b := range a.Beside {
		src := NpmFile(tb, b.Spec, b.File)
		dst := filepath.Join(root, b.Dst)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			tb.Fatal(err)
		}
		// A link, not a copy: libvips is 19 MB and never rewritten.
		if err := os.Link(src, dst); err != nil {
			tb.Fatal(err)
		}
	}
	dir := filepath.Join(root, a.Dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		tb.Fatal(err)
	}
	return dir
}

// AddonRewrites are the rewrites of an addon: it has no interpreter, so
// only its library search and its needs change.
var AddonRewrites = []Rewrite{
	{"set-rpath", func(string) [][]string { return [][]string{{"--set-rpath", NixRpath}} }},
	{"force-rpath", func(string) [][]string { return [][]string{{"--force-rpath", "--set-rpath", NixRpath}} }},
	{"add-needed", func(string) [][]string { return [][]string{{"--add-needed", "libm.so.6"}} }},
	{"repatched", func(string) [][]string {
		return [][]string{
			{"--set-rpath", NixRpath}, {"--add-needed", "libm.so.6"}, {"--add-rpath", "/nix/store/extra1/lib"},
			{"--set-rpath", NixRpath + ":/nix/store/round2/lib"}, {"--add-needed", "libpthread.so.0"},
			{"--replace-needed", "libm.so.6", "libdl.so.2"}, {"--add-rpath", "/nix/store/extra3/lib"},
		}
	}},
	{"store-path-gone", func(string) [][]string { return [][]string{{"--replace-needed", "libgcc_s.so.1", GoneLibgcc}} }},
}

// VendorCopy is one copy of a vendor file: pristine (no Rewrite), or
// rewritten one way by one patchelf release (Patchelf, an argv prefix).
type VendorCopy struct {
	Name     string
	Patchelf []string
	Rewrite  *Rewrite
}

// VendorCopies are the pristine copy and every rewrite by both patchelf
// releases (Patchelfs), in a stable order.
func VendorCopies(tb testing.TB, rewrites []Rewrite) []VendorCopy {
	pes := Patchelfs(tb)
	names := make([]string, 0, len(pes))
	for n := range pes {
		names = append(names, n)
	}
	sort.Strings(names)
	copies := []VendorCopy{{Name: "pristine"}}
	for _, n := range names {
		for i := range rewrites {
			copies = append(copies, VendorCopy{n + "/" + rewrites[i].Name, pes[n], &rewrites[i]})
		}
	}
	return copies
}

// Write makes the copy of src in dir, the rewrite pointing the file at
// the loader ld, and returns its path and its name for a log, prefixed
// with prefix and marked when patchelf died (Rewritten).
func (c VendorCopy) Write(tb testing.TB, prefix, src, dir, ld string) (dst, name string) {
	tb.Helper()
	dst = filepath.Join(dir, filepath.Base(src))
	name = prefix + "/" + c.Name
	var runs [][]string
	if c.Rewrite != nil {
		runs = c.Rewrite.Runs(ld)
	}
	if Rewritten(tb, c.Patchelf, src, dst, runs) {
		name += " (patchelf died)"
	}
	return dst, name
}
