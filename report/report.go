// Package report renders what package inspect found: as text for a
// terminal, as GitHub-flavoured Markdown for issues and pull requests, and
// as JSON for programs.
//
// Text and Markdown are written top-down the way a person reads them at
// 2 a.m.: what is wrong in plain words first, then the evidence (tables),
// then what to do next. Both are produced from the same description of the
// report (see doc), so they never disagree about content.
//
// Strings taken from the file (section names, paths, note values) are
// untrusted: control characters, invalid UTF-8 and bidirectional overrides
// are escaped before they reach a terminal or a Markdown page.
//
// The package never prints to os.Stdout and never exits; the caller chooses
// the writer and, for text, whether to use colour.
package report

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/elfdoctor/elfdoctor/inspect"
)

// Format is an output format.
type Format string

// The output formats.
const (
	Text     Format = "text"
	JSON     Format = "json"
	Markdown Format = "markdown"
	// HTML is one self-contained page; the report command adds a map of
	// the address space to it.
	HTML Format = "html"
)

// Formats lists the formats ParseFormat accepts, in the order help texts
// show them.
var Formats = []Format{Text, JSON, Markdown, HTML}

// ParseFormat turns a --format value into a Format.
func ParseFormat(s string) (Format, error) {
	for _, f := range Formats {
		if s == string(f) {
			return f, nil
		}
	}
	return "", fmt.Errorf("unknown format %q: want text, json, markdown or html", s)
}

// Options control rendering.
type Options struct {
	Format Format // Text when empty
	// Color enables ANSI colour in text output. The caller decides (a
	// terminal, NO_COLOR unset); renderers never look at the environment.
	Color bool
	// Width fits text tables to a terminal of that many columns: long
	// paths are shortened in the middle and prose wraps. 0 (a pipe, or
	// --wide) keeps every row on one line with its full values; JSON
	// always has them.
	Width int
	// CPULevel is the x86-64 level (v1..v4) of the machine the file will
	// run on, for advice that depends on it (a non-baseline Bun's
	// SIGILL); "" when unknown, and the advice is left out.
	CPULevel string
	// Sections adds the full section table to text and Markdown output.
	Sections bool
	// Version is the elfdoctor version recorded in the JSON envelope.
	Version string
}

// Inspect writes the report for one file.
func Inspect(w io.Writer, s *inspect.Summary, o Options) error {
	if s == nil {
		return errors.New("report: nil summary")
	}
	if o.Format == JSON {
		return writeJSON(w, "inspect", o.Version, normalizeSummary(s))
	}
	d, err := newDoc(o)
	if err != nil {
		return err
	}
	inspectDoc(d, s, o)
	return d.flush(w)
}

// Diff writes the report for a comparison of two files.
func Diff(w io.Writer, df *inspect.Diff, o Options) error {
	if df == nil {
		return errors.New("report: nil diff")
	}
	if o.Format == JSON {
		return writeJSON(w, "diff", o.Version, normalizeDiff(df))
	}
	d, err := newDoc(o)
	if err != nil {
		return err
	}
	diffDoc(d, df)
	return d.flush(w)
}

func newDoc(o Options) (doc, error) {
	switch o.Format {
	case Text, "":
		return &textDoc{color: o.Color, width: o.Width}, nil
	case Markdown:
		return &mdDoc{}, nil
	case HTML:
		return &htmlDoc{}, nil
	}
	return nil, fmt.Errorf("report: unknown format %q", o.Format)
}

// plural returns "1 problem" or "2 problems".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func joinOr(ss []string, sep, none string) string {
	if len(ss) == 0 {
		return none
	}
	return strings.Join(ss, sep)
}
