package report

import (
	"html"
	"regexp"
	"strings"
)

// Redactor replaces what identifies the person filing a report — the home
// directory, the user name in home paths, the host name — with
// placeholders. Build-ids, versions and hashes stay: they identify the
// software, which is the point of the report.
type Redactor struct {
	Home, User, Host string
}

// Placeholders, as they appear in Markdown and JSON.
const (
	homeMark = "~"
	userMark = "<user>"
	hostMark = "<host>"
)

// Apply redacts a rendered report. HTML gets its placeholders escaped, so
// they show as written instead of vanishing as unknown tags.
func (r *Redactor) Apply(b []byte, f Format) []byte {
	if r == nil {
		return b
	}
	s := string(b)
	user, host := userMark, hostMark
	if f == HTML {
		user, host = html.EscapeString(userMark), html.EscapeString(hostMark)
	}
	if h := strings.TrimRight(r.Home, "/"); len(h) > 1 {
		s = replacePath(s, h, homeMark)
	}
	if r.User != "" {
		for _, dir := range []string{"/home/", "/Users/", "/var/home/"} {
			s = replacePath(s, dir+r.User, dir+user)
		}
	}
	if len(r.Host) >= 3 && r.Host != "localhost" {
		s = regexp.MustCompile(`\b`+regexp.QuoteMeta(r.Host)+`\b`).ReplaceAllLiteralString(s, host)
	}
	return []byte(s)
}

// replacePath replaces dir where it is a whole path prefix: followed by
// "/", the end of a word or of the string, not by more of a longer name.
func replacePath(s, dir, with string) string {
	var b strings.Builder
	for {
		i := strings.Index(s, dir)
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		end := i + len(dir)
		whole := end == len(s) || !isPathChar(s[end])
		if whole && i > 0 && isPathChar(s[i-1]) && s[i-1] != '/' && dir[0] == '/' {
			whole = false
		}
		b.WriteString(s[:i])
		if whole {
			b.WriteString(with)
		} else {
			b.WriteString(dir)
		}
		s = s[end:]
	}
}

func isPathChar(c byte) bool {
	return c == '.' || c == '-' || c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}
