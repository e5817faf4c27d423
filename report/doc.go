package report

import (
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/elfdoctor/elfdoctor/inspect"
)

// doc is one report being written. The builders in inspect.go and diff.go
// describe a report as a sequence of blocks; textDoc and mdDoc decide how
// each block looks. Strings may mark literal spans with code(); plain text
// is escaped by each renderer for its medium.
type doc interface {
	// title is the first line: what the file is, or the verdict.
	title(s string)
	// kv writes aligned "key value" lines.
	kv(rows [][2]string)
	// heading starts a block.
	heading(s string)
	// para writes a sentence; strong ones are bold.
	para(s string, strong bool)
	// list writes bullets; problem bullets are red in colour text.
	list(items []string, problem bool)
	table(t table)
	// next writes the "what to do next" block.
	next(items []string)
	// literals names words (file paths) that Markdown sets as code when
	// they appear in plain text.
	literals(words ...string)
	flush(w io.Writer) error
}

type table struct {
	header []string
	rows   []tableRow
	// marks adds a change-marker column in text; Markdown makes changed
	// rows bold instead.
	marks bool
}

type tableRow struct {
	cells   []string
	changed bool
	// hl, when set on a changed row, says which cells differ from the
	// other side; Markdown bolds only those (and the first cell).
	hl []bool
}

// Literal spans are delimited by two control characters that clean()
// escapes, so text taken from a file cannot open or close one.
const (
	codeOpen  = "\x02"
	codeClose = "\x03"
)

// code marks s as a literal: a path, an address, a name from the file.
func code(s string) string { return codeOpen + clean(s) + codeClose }

// cmdMark starts a literal that plain text keeps in backquotes: a
// command or name a sentence quotes, which would run into the words
// around it without them. clean() escapes it in anything from a file.
const cmdMark = "\x01"

// quoted marks s as a literal quoted in backquotes in plain text.
func quoted(s string) string { return codeOpen + cmdMark + clean(s) + codeClose }

// literal is a literal span's text, and whether plain text quotes it.
func literal(sp string) (string, bool) {
	if t, ok := strings.CutPrefix(sp, cmdMark); ok {
		return t, true
	}
	return sp, false
}

// size is a byte count as "0xe0028 (896 KiB)", the hex part a literal.
func size(n uint64) string { return code(hexOf(n)) + " (" + inspect.HumanSize(n) + ")" }

func hexOf(n uint64) string { return "0x" + strconv.FormatUint(n, 16) }

// spans splits a string built with code() into alternating plain and
// literal spans, starting with plain.
func spans(s string) []string {
	var out []string
	for {
		i := strings.Index(s, codeOpen)
		if i < 0 {
			return append(out, s)
		}
		j := strings.Index(s[i:], codeClose)
		if j < 0 {
			return append(out, s[:i], s[i+1:])
		}
		out = append(out, s[:i], s[i+1:i+j])
		s = s[i+j+1:]
	}
}

// clean escapes what must not reach a terminal or a page verbatim: C0 and
// C1 control characters (escape sequences), invalid UTF-8, and the Unicode
// bidirectional controls that can make text read differently than it is.
func clean(s string) string {
	ok := true
	for _, r := range s {
		if needsEscape(r) {
			ok = false
			break
		}
	}
	if ok && utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r < 0x80 && needsEscape(r):
			fmt.Fprintf(&b, `\x%02x`, r)
		case needsEscape(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

func needsEscape(r rune) bool {
	return r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) ||
		(r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) || r == 0x200e || r == 0x200f ||
		r == utf8.RuneError
}

// plainText renders s for a terminal: literal spans lose their marks.
func plainText(s string) string {
	var b strings.Builder
	for i, sp := range spans(s) {
		if t, q := literal(sp); i%2 == 1 && q {
			b.WriteString("`" + clean(t) + "`")
			continue
		}
		b.WriteString(clean(sp))
	}
	return b.String()
}

// Colour, used only when Options.Color is set.
const (
	ansiBold   = "\x1b[1m"
	ansiRed    = "\x1b[31m"
	ansiYellow = "\x1b[33m"
	ansiReset  = "\x1b[0m"
)

var (
	hexWord  = lazyRegexp(`^0x[0-9a-fA-F]+$`)
	libWord  = lazyRegexp(`^[A-Za-z0-9_.+-]+\.so(\.[0-9]+)*$`)
	sectWord = lazyRegexp(`^\.[A-Za-z_][A-Za-z0-9_.$@-]*$`)
)

// isLiteral reports whether a word of a plain message is better set as
// code in Markdown: addresses, paths, section and library names, and
// identifiers such as DT_VERNEED, GLIBC_2.34 or vn_next.
func isLiteral(w string, known map[string]bool) bool {
	switch {
	case w == "":
		return false
	case known[w], hexWord().MatchString(w), libWord().MatchString(w), sectWord().MatchString(w):
		return true
	case len(w) > 1 && (w[0] == '/' || w[0] == '$'):
		return true
	case strings.HasPrefix(w, "--") && len(w) > 2:
		return true
	}
	return strings.Contains(w, "_") && !strings.ContainsAny(w, "`*")
}

// linkish reports whether GitHub would turn w into a link by itself (GFM's
// autolink extension: a scheme, "www." or an e-mail address). Such words
// come from the input, so they are set as code, where nothing links.
func linkish(w string) bool {
	lw := strings.ToLower(w)
	return strings.Contains(lw, "://") || strings.Contains(lw, "www.") || strings.Contains(lw, "@") ||
		strings.Contains(lw, "mailto:") || strings.Contains(lw, "xmpp:")
}

// mdEscape escapes Markdown syntax in plain text. An underscore between
// two letters or digits cannot start emphasis in GitHub-flavoured
// Markdown, so GNU_STACK stays readable in the source.
func mdEscape(s string) string {
	var b strings.Builder
	rs := []rune(s)
	for i, r := range rs {
		switch {
		case r == '_':
			if i == 0 || i == len(rs)-1 || !isAlnum(rs[i-1]) || !isAlnum(rs[i+1]) {
				b.WriteByte('\\')
			}
		case strings.ContainsRune("\\`*[]<>|~", r):
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

func isAlnum(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
}

// mdCode writes a code span that nothing inside s can end: CommonMark
// closes a span only on a backtick run of the opening's exact length, so
// the fence is one backtick longer than the longest run in s. A space
// pads both ends when s starts or ends with a backtick (which would join
// the fence) or both starts and ends with a space (CommonMark strips one
// from each end then). Inside tables | is escaped too: GFM splits cells
// before it parses code spans, and both cmark-gfm and goldmark read any
// \| as part of the cell.
func mdCode(s string, inTable bool) string {
	if s == "" {
		return ""
	}
	if inTable {
		s = strings.ReplaceAll(s, "|", `\|`)
	}
	fence := strings.Repeat("`", longestRun(s, '`')+1)
	spaced := strings.HasPrefix(s, " ") && strings.HasSuffix(s, " ") && strings.Trim(s, " ") != ""
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") || spaced {
		return fence + " " + s + " " + fence
	}
	return fence + s + fence
}

// longestRun is the length of the longest run of c in s.
func longestRun(s string, c byte) int {
	best, run := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] != c {
			run = 0
			continue
		}
		run++
		best = max(best, run)
	}
	return best
}

// mdInline renders s for Markdown: literal spans become code and the rest
// is escaped. With auto, used for messages written by package inspect,
// words that look like literals become code too.
func mdInline(s string, known map[string]bool, auto, inTable bool) string {
	var b strings.Builder
	for i, sp := range spans(s) {
		if i%2 == 1 {
			t, _ := literal(sp)
			b.WriteString(mdCode(clean(t), inTable))
			continue
		}
		sp = clean(sp)
		for j, word := range strings.Split(sp, " ") {
			if j > 0 {
				b.WriteByte(' ')
			}
			core := strings.TrimLeft(word, "(\"'")
			lead := word[:len(word)-len(core)]
			trimmed := strings.TrimRight(core, ".,;:)\"'")
			tail := core[len(trimmed):]
			if (auto && isLiteral(trimmed, known)) || linkish(trimmed) {
				b.WriteString(mdEscape(lead) + mdCode(trimmed, inTable) + mdEscape(tail))
			} else {
				b.WriteString(mdEscape(word))
			}
		}
	}
	return b.String()
}

// lazyRegexp compiles a pattern on first use rather than at start-up:
// every command pays for package initialisation, few need every pattern.
func lazyRegexp(pattern string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(pattern) })
}
