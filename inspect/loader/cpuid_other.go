//go:build !amd64

package loader

// hostX86 is only asked on an x86-64 host (subdirs): elsewhere ld.so's
// x86 features are not this machine's to read.
func hostX86() (level int, platform string) { return 1, "" }

// hostExecOnly: x86 protection keys are not this machine's.
func hostExecOnly() bool { return false }
