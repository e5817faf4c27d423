package report

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/elfdoctor/elfdoctor/coredump"
	"github.com/elfdoctor/elfdoctor/internal/safeopen"
)

// Redactor replaces what identifies the people and the machine behind a
// report with placeholders: every path under the reporter's home
// directory becomes ~/…, under anyone else's ~{user}/…, user names in
// paths {user}, host names {host}, and the arguments of the crashed
// command line {arg}. Build-ids, versions and hashes stay:
// they identify the software, which is the point of the report.
//
// It works on paths, not on strings: a path of the report is cleaned
// (`//`, `.`, `..`) and its symbolic links resolved before it is compared
// with the home directories, so /home//alice, a symlink into a home and
// /home → /var/home all count as the home they are. A Redactor is not
// safe for concurrent use: it remembers what it resolved.
type Redactor struct {
	// Homes are the home directories of the person running elfdoctor
	// ($HOME, and the sudo user's): paths under them become ~/….
	Homes []string
	// OtherHomes are the homes of everyone else: paths under them
	// become ~{user}/…, which says whose they are not.
	OtherHomes []string
	// Users are user names, replaced where they are a word of a path
	// (/data/alice/…, /tmp/alice-build/…).
	Users []string
	// Hosts are the machine's names (FQDN, short name, aliases),
	// replaced wherever they are a whole word, whatever their length.
	Hosts []string
	// Args are words of the crashed command line after argv[0]; BugReport
	// adds those of the core it reports.
	Args []string
	// Root is the file system paths are resolved in; "" is /.
	Root string

	prefixes map[string]string // resolved prefixes, "" for missing
	lstats   int
}

// Placeholders. They are plain text in Markdown, HTML and JSON alike (an
// <angle> placeholder would be swallowed as a tag by GitHub).
const (
	homeMark = "~"
	userMark = "{user}"
	hostMark = "{host}"
	argMark  = "{arg}"
)

// Identity says where to learn who and what to redact.
type Identity struct {
	// Etc is the directory whose passwd, hostname and hosts files are
	// read; "" is /etc. Tests pass a fake one.
	Etc string
	// Root is the file system the report's paths are resolved in; ""
	// is /.
	Root string
	// Getenv reads HOME, USER, LOGNAME and SUDO_USER; nil is os.Getenv.
	Getenv func(string) string
	// Hostname is the kernel's node name; "" asks os.Hostname.
	Hostname string
}

// Regular (login) users have uids in [firstUID, lastUID], the range
// Debian's adduser and most distributions give people; system accounts
// below it have homes such as /bin or /var/www that are nobody's.
const (
	firstUID = 1000
	lastUID  = 59999
)

// NewRedactor collects what identifies the people and the machine: the
// home directory of every regular user in the password database, of the
// user running elfdoctor ($HOME, USER, LOGNAME) and of the one who ran
// sudo (SUDO_USER), each also as its symbolic links resolve; their names;
// and the host's names from the kernel, /etc/hostname and the /etc/hosts
// lines that name it.
func NewRedactor(id Identity) *Redactor {
	getenv := id.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	r := &Redactor{Root: id.Root}
	etc := cmp.Or(id.Etc, "/etc")
	people, me := map[string]bool{}, map[string]bool{}
	for _, k := range []string{"USER", "LOGNAME", "SUDO_USER"} {
		if v := getenv(k); v != "" && v != "root" {
			people[v], me[v] = true, true
		}
	}
	mine, others := []string{getenv("HOME")}, []string(nil)
	for _, u := range passwd(filepath.Join(etc, "passwd")) {
		switch {
		case me[u.name]:
			mine = append(mine, u.home)
		case u.uid >= firstUID && u.uid <= lastUID:
			others = append(others, u.home)
			people[u.name] = true
		}
	}
	add := func(to *[]string, homes []string) {
		for _, h := range homes {
			h = path.Clean(h)
			if !strings.HasPrefix(h, "/") || h == "/" || h == "/nonexistent" {
				continue
			}
			*to = append(*to, h)
			if real := r.resolve(h); real != h {
				*to = append(*to, real)
			}
		}
	}
	add(&r.Homes, mine)
	add(&r.OtherHomes, others)
	for u := range people {
		r.Users = append(r.Users, u)
	}
	host := id.Hostname
	if host == "" {
		host, _ = os.Hostname()
	}
	r.Hosts = hostNames(etc, host)
	r.normalise()
	return r
}

// normalise sorts every list longest first, so that the longest match
// wins (a home inside another, an FQDN before its short name).
func (r *Redactor) normalise() {
	for _, l := range []*[]string{&r.Homes, &r.OtherHomes, &r.Users, &r.Hosts, &r.Args} {
		*l = slices.DeleteFunc(*l, func(s string) bool { return s == "" })
		slices.SortFunc(*l, func(a, b string) int { return cmp.Or(len(b)-len(a), strings.Compare(a, b)) })
		*l = slices.Compact(*l)
	}
}

type passwdEntry struct {
	name, home string
	uid        int
}

// passwd reads a password file. Its size does not matter: one line at a
// time, lines capped.
func passwd(file string) []passwdEntry {
	f, err := safeopen.Regular(file)
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []passwdEntry
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 4096), 64<<10)
	for sc.Scan() {
		fs := strings.Split(sc.Text(), ":")
		if len(fs) < 7 || fs[0] == "" || strings.HasPrefix(fs[0], "#") {
			continue
		}
		uid, err := strconv.Atoi(fs[2])
		if err != nil {
			continue
		}
		out = append(out, passwdEntry{name: fs[0], uid: uid, home: fs[5]})
	}
	return out
}

// hostNames are the kernel's node name, its short form, /etc/hostname and
// every name of the /etc/hosts lines that carry one of them (the FQDN is
// usually there), loopback names excepted.
func hostNames(etc, host string) []string {
	names := map[string]bool{}
	add := func(n string) {
		n = strings.TrimSpace(n)
		if n == "" || strings.HasPrefix(n, "localhost") || strings.HasPrefix(n, "ip6-") || n == "localdomain" {
			return
		}
		names[n] = true
		if short, _, ok := strings.Cut(n, "."); ok && short != "" {
			names[short] = true
		}
	}
	add(host)
	if f, err := safeopen.Regular(filepath.Join(etc, "hostname")); err == nil {
		sc := bufio.NewScanner(f)
		if sc.Scan() {
			add(sc.Text())
		}
		f.Close()
	}
	if f, err := safeopen.Regular(filepath.Join(etc, "hosts")); err == nil {
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 4096), 64<<10)
		for sc.Scan() {
			line, _, _ := strings.Cut(sc.Text(), "#")
			fs := strings.Fields(line)
			if len(fs) < 2 {
				continue
			}
			mine := false
			for _, n := range fs[1:] {
				short, _, _ := strings.Cut(n, ".")
				mine = mine || names[n] || names[short]
			}
			if mine {
				for _, n := range fs[1:] {
					add(n)
				}
			}
		}
		f.Close()
	}
	var out []string
	for n := range names {
		out = append(out, n)
	}
	return out
}

// withCommand is r with the arguments of a crashed command line added:
// each word after argv[0] of at least three bytes, and the value of an
// --option=value word. Shorter words ("-v", "80") are everywhere in a
// report; the command-line fields themselves are replaced whole by
// redactCore.
func (r *Redactor) withCommand(lines []string, keep []string) *Redactor {
	c := *r
	c.Args = slices.Clone(r.Args)
	for _, l := range lines {
		ws := strings.Fields(l)
		for _, w := range ws[min(1, len(ws)):] {
			cands := []string{w}
			if _, v, ok := strings.Cut(w, "="); ok {
				cands = append(cands, v)
			}
			for _, a := range cands {
				if len(a) >= 3 && !slices.Contains(keep, a) {
					c.Args = append(c.Args, a)
				}
			}
		}
	}
	c.normalise()
	return &c
}

// redactArgs keeps argv[0] of a command line and replaces each argument.
func redactArgs(line string) string {
	ws := strings.Fields(line)
	if len(ws) < 2 {
		return line
	}
	return ws[0] + strings.Repeat(" "+argMark, len(ws)-1)
}

// redactCore is a copy of a core's analysis whose command lines keep only
// argv[0]: `--token s3cret` must not reach a bug tracker.
func redactCore(a *coredump.Analysis) *coredump.Analysis {
	c := *a
	c.Process.Args = redactArgs(a.Process.Args)
	if a.Journal != nil {
		j := *a.Journal
		j.Cmdline = redactArgs(j.Cmdline)
		c.Journal = &j
	}
	return &c
}

// Apply redacts a rendered report: paths first (each one resolved),
// then host names and command-line arguments as whole words. JSON is
// redacted string by string, each decoded and, when it changes, encoded
// again, so that a replacement can never fall inside an escape sequence;
// Markdown and HTML as text (the placeholders need no escaping in
// either).
func (r *Redactor) Apply(b []byte, f Format) []byte {
	if r == nil {
		return b
	}
	if f == JSON {
		if out, err := r.applyJSON(b); err == nil {
			return out
		}
	}
	return []byte(r.text(string(b)))
}

func (r *Redactor) text(s string) string {
	s = r.paths(s)
	lower := asciiLower(s)
	for _, h := range r.Hosts {
		if strings.Contains(lower, asciiLower(h)) {
			s = replaceWord(s, h, hostMark, true, isHostChar)
			lower = asciiLower(s)
		}
	}
	for _, a := range r.Args {
		if strings.Contains(s, a) {
			s = replaceWord(s, a, argMark, false, isAlnumByte)
		}
	}
	return s
}

// applyJSON redacts every string of a JSON document (keys included),
// leaving every byte outside the strings that change as it was.
func (r *Redactor) applyJSON(b []byte) ([]byte, error) {
	if !json.Valid(b) {
		return nil, errors.New("not JSON")
	}
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	last := 0
	// In valid JSON a quote outside a string opens one, and inside one
	// only an unescaped quote ends it.
	for i := 0; i < len(b); i++ {
		if b[i] != '"' {
			continue
		}
		j := i + 1
		for b[j] != '"' {
			if b[j] == '\\' {
				j++
			}
			j++
		}
		lit := b[i : j+1]
		var s string
		if bytes.IndexByte(lit, '\\') < 0 {
			s = string(lit[1 : len(lit)-1])
		} else if err := json.Unmarshal(lit, &s); err != nil {
			return nil, err
		}
		if red := r.text(s); red != s {
			out.Write(b[last:i])
			if err := enc.Encode(red); err != nil {
				return nil, err
			}
			out.Truncate(out.Len() - 1) // Encode's newline
			last = j + 1
		}
		i = j
	}
	out.Write(b[last:])
	return out.Bytes(), nil
}

// A path in rendered text starts with "/" after a character that cannot
// be part of a path, and ends before one that rarely is and that the
// formats use around paths: quotes, backticks, markup, separators of
// lists and of key=value.
func pathDelim(c byte) bool {
	return c <= ' ' || strings.IndexByte("\"'`<>|,;:=()[]{}\\&*", c) >= 0
}

func pathLead(c byte) bool {
	return c == '/' || c == '~' || c == '$' || c == '.' || c == '-' || c == '_' || isAlnumByte(c)
}

// paths redacts every path of s.
func (r *Redactor) paths(s string) string {
	var b strings.Builder
	last := 0
	for i := 0; i < len(s); i++ {
		if s[i] != '/' || (i > 0 && pathLead(s[i-1])) {
			continue
		}
		j := i + 1
		for j < len(s) && !pathDelim(s[j]) {
			j++
		}
		b.WriteString(s[last:i])
		b.WriteString(r.path(s[i:j]))
		last, i = j, j-1
	}
	b.WriteString(s[last:])
	return b.String()
}

// path redacts one path: under a home (cleaned, or else resolved) it
// becomes ~/rest or ~{user}/rest, the longest home deciding; user names
// that are words of it become {user}.
func (r *Redactor) path(p string) string {
	clean := path.Clean(p)
	under := func(cand string) (mark, rest string, ok bool) {
		best := -1
		for _, l := range []struct {
			homes []string
			mark  string
		}{{r.Homes, homeMark}, {r.OtherHomes, homeMark + userMark}} {
			for _, h := range l.homes {
				if x, found := strings.CutPrefix(cand, h); found && (x == "" || x[0] == '/') && len(h) > best {
					best, mark, rest, ok = len(h), l.mark, x, true
				}
			}
		}
		return mark, rest, ok
	}
	mark, rest, ok := under(clean)
	if !ok {
		// Resolved last: it costs system calls, and the rest then comes
		// from a symbolic link's target, not from the report, so text
		// with markup in it must not enter the page unescaped.
		if mark, rest, ok = under(r.resolve(clean)); ok && !safePathText(rest) {
			rest = "/…"
		}
	}
	if !ok {
		return r.users(p)
	}
	if strings.HasSuffix(p, "/") && !strings.HasSuffix(rest, "/") {
		rest += "/"
	}
	return r.users(mark + rest)
}

func safePathText(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(isAlnumByte(c) || strings.IndexByte("/._-+@%,~$", c) >= 0) {
			return false
		}
	}
	return true
}

func (r *Redactor) users(p string) string {
	for _, u := range r.Users {
		p = replaceWord(p, u, userMark, false, isAlnumByte)
	}
	return p
}

// maxLstat bounds the file-system calls of one report's resolution:
// beyond it, paths are compared as written and cleaned only. Prefixes
// are remembered, so a report's paths cost one lstat per directory they
// share, not per path.
const maxLstat = 16384

// resolve is p with its symbolic links resolved, as far as its longest
// existing prefix goes (the rest of a path a core names may not exist
// here). It reads links, never opens a file.
func (r *Redactor) resolve(p string) string {
	p = path.Clean(p)
	if !strings.HasPrefix(p, "/") || p == "/" {
		return p
	}
	comps := strings.Split(p[1:], "/")
	if len(comps) > 64 {
		return p
	}
	if r.prefixes == nil {
		r.prefixes = map[string]string{}
	}
	real, prefix := "/", ""
	for i, c := range comps {
		prefix += "/" + c
		v, ok := r.prefixes[prefix]
		if !ok {
			v = r.step(real, c)
			r.prefixes[prefix] = v
		}
		if v == "" {
			return path.Join(append([]string{real}, comps[i:]...)...)
		}
		real = v
	}
	return real
}

// step is dir/name with name's symbolic links resolved, dir being
// resolved already; "" when it does not exist or the budget is spent.
func (r *Redactor) step(dir, name string) string {
	if r.lstats >= maxLstat {
		return ""
	}
	r.lstats++
	p := path.Join(dir, name)
	full := filepath.Join(r.Root, p)
	fi, err := os.Lstat(full)
	if err != nil {
		return ""
	}
	if fi.Mode()&os.ModeSymlink == 0 {
		return p
	}
	t, err := filepath.EvalSymlinks(full)
	if err != nil {
		return ""
	}
	if r.Root != "" && r.Root != "/" {
		rel, err := filepath.Rel(r.Root, t)
		if err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
			return ""
		}
		t = "/" + rel
	}
	return path.Clean(t)
}

func isAlnumByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// isHostChar is what a host name is made of besides dots: a host name is
// a whole word between other characters, and a label of a longer name
// (db in db.example.org) counts.
func isHostChar(c byte) bool { return isAlnumByte(c) || c == '-' || c == '_' }

// replaceWord replaces w in s where it stands as a whole word: not
// preceded or followed by a byte for which inWord holds. Host names
// compare without regard to ASCII case.
func replaceWord(s, w, with string, fold bool, inWord func(byte) bool) string {
	if w == "" || len(w) > len(s) {
		return s
	}
	hay, needle := s, w
	if fold {
		hay, needle = asciiLower(s), asciiLower(w)
	}
	var b strings.Builder
	last := 0
	for i := 0; ; {
		k := strings.Index(hay[i:], needle)
		if k < 0 {
			break
		}
		k += i
		end := k + len(needle)
		if (k == 0 || !inWord(s[k-1])) && (end == len(s) || !inWord(s[end])) {
			b.WriteString(s[last:k])
			b.WriteString(with)
			last = end
			i = end
		} else {
			i = k + 1
		}
		if i >= len(s) {
			break
		}
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// asciiLower lowers ASCII letters only, so byte offsets stay the same.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
