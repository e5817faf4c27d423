// Package shellquote turns input-derived words into text a person can
// paste into a POSIX shell or bash and get exactly one word back. Every
// command elfdoctor prints (advice, a report's "Reproduce" lines, a
// wrapper script) builds its words with Word or Command: a file named
// `app;touch X`, an RPATH holding `$ORIGIN` or `$(cmd)` must stay data.
//
// Quoting is mvdan.cc/sh/v3/syntax's, the reference the project's design
// names, rather than our own escaping.
package shellquote

import (
	"strings"

	"mvdan.cc/sh/v3/syntax"
)

// Word quotes s for bash so that it is read back as the single word s.
// Words that need no quoting are returned unchanged. Strings the shell
// cannot represent at all (a NUL byte) are quoted with the NUL removed,
// since no argv element can hold one either.
func Word(s string) string {
	s = strings.ReplaceAll(s, "\x00", "")
	q, err := syntax.Quote(s, syntax.LangBash)
	if err != nil {
		// Quote refuses only NUL bytes, removed above; single quotes
		// with the standard '\'' escape are a safe fallback.
		return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
	}
	return q
}

// Command quotes each word and joins them with spaces.
func Command(words ...string) string {
	q := make([]string, len(words))
	for i, w := range words {
		q[i] = Word(w)
	}
	return strings.Join(q, " ")
}

// POSIXWord quotes s for a POSIX sh (dash, busybox sh), which has no
// $'...' escapes: words Word would write that way are single-quoted
// instead, which keeps every byte but NUL.
func POSIXWord(s string) string {
	s = strings.ReplaceAll(s, "\x00", "")
	q, err := syntax.Quote(s, syntax.LangPOSIX)
	if err != nil {
		return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
	}
	return q
}
