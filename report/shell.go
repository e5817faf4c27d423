package report

import (
	"strings"

	"github.com/elfdoctor/elfdoctor/internal/shellquote"
)

// Commands in reports and advice are pasted into shells, so every word
// that comes from the input goes through shellquote, and file names get
// the prefix that keeps them file names: "./" before a name that starts
// with "-" (a command would read it as an option) and, for a program run
// by name, before one without a slash (the shell would search PATH for
// it instead of running the file in the current directory).

// argWord is a file given as an argument, quoted.
func argWord(path string) string {
	if strings.HasPrefix(path, "-") {
		path = "./" + path
	}
	return shellquote.Word(path)
}

// progWord is a file run as the program of a command, quoted.
func progWord(path string) string {
	if !strings.Contains(path, "/") {
		path = "./" + path
	}
	return shellquote.Word(path)
}

// command joins words the caller has already quoted with argWord,
// progWord or shellquote.Word, and literal words of elfdoctor's own
// (subcommands, flags, placeholders such as PRISTINE).
func command(words ...string) string { return strings.Join(words, " ") }
