package report

import (
	"html"
	"io"
	"strings"
)

// htmlDoc renders a self-contained HTML page: no scripts, no fonts or
// styles from the network, so a report opens the same offline and in a
// bug tracker's attachment viewer. Literal spans become <code>.
type htmlDoc struct {
	b     strings.Builder
	first string // the title, for <title>
}

// htmlText escapes s, setting its literal spans as code.
func htmlText(s string) string {
	var b strings.Builder
	for i, sp := range spans(s) {
		e := html.EscapeString(clean(sp))
		if i%2 == 1 {
			t, _ := literal(sp)
			b.WriteString("<code>" + html.EscapeString(clean(t)) + "</code>")
		} else {
			b.WriteString(e)
		}
	}
	return b.String()
}

func (d *htmlDoc) title(s string) {
	if d.first == "" {
		d.first = plainText(s)
	}
	d.b.WriteString("<h1>" + htmlText(s) + "</h1>\n")
}

func (d *htmlDoc) kv(rows [][2]string) {
	d.b.WriteString("<table class=\"kv\">\n")
	for _, r := range rows {
		d.b.WriteString("<tr><th>" + htmlText(r[0]) + "</th><td>" + htmlText(r[1]) + "</td></tr>\n")
	}
	d.b.WriteString("</table>\n")
}

func (d *htmlDoc) heading(s string) { d.b.WriteString("<h2>" + htmlText(s) + "</h2>\n") }

func (d *htmlDoc) para(s string, strong bool) {
	if strong {
		d.b.WriteString("<p class=\"verdict\"><strong>" + htmlText(s) + "</strong></p>\n")
		return
	}
	d.b.WriteString("<p>" + htmlText(s) + "</p>\n")
}

func (d *htmlDoc) list(items []string, problem bool) {
	if problem {
		d.b.WriteString("<ul class=\"problems\">\n")
	} else {
		d.b.WriteString("<ul>\n")
	}
	for _, it := range items {
		d.b.WriteString("<li>" + htmlText(it) + "</li>\n")
	}
	d.b.WriteString("</ul>\n")
}

func (d *htmlDoc) table(t table) {
	d.b.WriteString("<table>\n<thead><tr>")
	for _, h := range t.header {
		d.b.WriteString("<th>" + htmlText(h) + "</th>")
	}
	d.b.WriteString("</tr></thead>\n<tbody>\n")
	for _, r := range t.rows {
		if r.changed {
			d.b.WriteString("<tr class=\"changed\">")
		} else {
			d.b.WriteString("<tr>")
		}
		for _, c := range r.cells {
			d.b.WriteString("<td>" + htmlText(c) + "</td>")
		}
		d.b.WriteString("</tr>\n")
	}
	d.b.WriteString("</tbody>\n</table>\n")
}

func (d *htmlDoc) next(items []string) {
	if len(items) == 0 {
		return
	}
	d.heading("Next")
	d.list(items, false)
}

func (d *htmlDoc) literals(...string) {}

// body is the rendered blocks without the page around them, for pages
// that combine several reports.
func (d *htmlDoc) body() string { return d.b.String() }

func (d *htmlDoc) flush(w io.Writer) error {
	_, err := io.WriteString(w, htmlPage(d.first, d.b.String()))
	return err
}

// htmlPage wraps a body in a complete page with its own stylesheet.
func htmlPage(title, body string) string {
	return "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n" +
		"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n" +
		"<title>" + html.EscapeString(title) + "</title>\n<style>\n" + htmlStyle + "</style>\n</head>\n<body>\n" +
		body + "</body>\n</html>\n"
}

const htmlStyle = `body { font: 14px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 72em; padding: 0 1em; color: #1b1f23; }
h1 { font-size: 1.4em; } h2 { font-size: 1.15em; margin-top: 1.6em; }
code, pre { font-family: ui-monospace, monospace; font-size: 0.92em; }
code { background: #f3f4f6; padding: 0 0.2em; border-radius: 3px; }
table { border-collapse: collapse; margin: 0.5em 0; }
th, td { text-align: left; padding: 0.15em 0.7em; border-bottom: 1px solid #e5e7eb; vertical-align: top; }
table.kv th { font-weight: 600; white-space: nowrap; }
tr.changed td { background: #fff7d6; font-weight: 600; }
ul.problems li { color: #b42318; }
p.verdict { font-size: 1.1em; }
details { margin: 0.6em 0; border: 1px solid #e5e7eb; border-radius: 4px; padding: 0.3em 0.8em; }
summary { cursor: pointer; font-weight: 600; }
pre { background: #f6f8fa; padding: 0.6em; white-space: pre-wrap; }
code, pre, td, th, h1, h2, h3, p, li, summary { overflow-wrap: anywhere; }
svg { max-width: 100%; height: auto; }
svg text { font: 11px ui-monospace, monospace; }
`
