// Package makeconf reads Portage's make.conf and rewrites its MAKEOPTS.
//
// jtune edits a file that every emerge on the machine depends on, so the
// package is deliberately conservative: it parses the same bash-like subset
// Portage accepts, changes only the bytes of one assignment, and writes
// through a backup, a temporary file and an atomic rename.
package makeconf

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// OwnFile is the file jtune creates inside a make.conf directory that does
// not assign MAKEOPTS yet; the "zz-" prefix makes Portage read it last, so
// its value wins over every other file.
const OwnFile = "zz-jtune.conf"

// ErrChanged is returned by Write when the file on disk no longer holds the
// bytes it was loaded with, because writing then would silently discard
// somebody else's edit.
var ErrChanged = errors.New("file changed since it was read")

// ParseError locates a syntax error, because a broken make.conf also breaks
// emerge and the user needs to know where to look.
type ParseError struct {
	File string
	Line int
	Msg  string
}

// Error uses the file:line form editors and terminals can jump to.
func (e *ParseError) Error() string {
	return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
}

// assignment remembers where a VAR=value statement sits in its file, so it
// can be replaced without touching the bytes around it.
type assignment struct {
	name     string
	line     int
	start    int // offset of the variable name (after any "export ")
	valStart int // offset just after '='
	end      int // offset just after the value
	value    string
	simple   bool // one quoted or bare word: no expansion, escape or continuation
	quote    byte // quoting of a simple value: '\'', '"' or 0 for bare
}

type file struct {
	path    string
	data    []byte
	assigns []assignment
}

// Conf is a parsed make.conf (file or directory). It keeps every file's
// original bytes and the offsets of each assignment, because SetMakeopts
// must reproduce everything it does not change byte for byte.
type Conf struct {
	path  string
	dir   bool
	files []*file
	vars  map[string]string
}

// Load reads path. A directory is read as Portage reads it: regular files
// found recursively in lexical order, skipping names that start with "." or
// end in "~" (Portage reads everything else, including *.bak, so jtune must
// too or it would mispredict the effective value). A missing file is an
// error wrapping fs.ErrNotExist.
func Load(path string) (*Conf, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("read make.conf: %w", err)
	}
	c := &Conf{path: path, dir: st.IsDir(), vars: map[string]string{}}
	paths := []string{path}
	if c.dir {
		if paths, err = listDir(path); err != nil {
			return nil, fmt.Errorf("read make.conf directory: %w", err)
		}
	}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("read make.conf: %w", err)
		}
		f := &file{path: p, data: data}
		if err := parseInto(f, c.vars); err != nil {
			return nil, err
		}
		c.files = append(c.files, f)
	}
	return c, nil
}

// listDir mirrors portage.util._recursive_file_list so the files and their
// order match what emerge sees.
func listDir(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(ents))
	for _, e := range ents {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	var out []string
	for _, n := range names {
		if strings.HasPrefix(n, ".") || strings.HasSuffix(n, "~") {
			continue
		}
		p := filepath.Join(dir, n)
		st, err := os.Stat(p)
		if err != nil {
			continue // Portage skips entries it cannot stat, e.g. dangling links.
		}
		switch {
		case st.IsDir():
			if n == "CVS" || n == ".git" || n == ".svn" || n == ".hg" || n == ".bzr" {
				continue
			}
			sub, err := listDir(p)
			if err != nil {
				return nil, err
			}
			out = append(out, sub...)
		case st.Mode().IsRegular():
			out = append(out, p)
		}
	}
	return out, nil
}

// Parse parses one file's bytes; name is used in error messages and as the
// path SetMakeopts edits.
func Parse(name string, data []byte) (*Conf, error) {
	c := &Conf{path: name, vars: map[string]string{}}
	f := &file{path: name, data: data}
	if err := parseInto(f, c.vars); err != nil {
		return nil, err
	}
	c.files = []*file{f}
	return c, nil
}

// Value returns the final value of a variable. Expansion happens at
// assignment time against earlier assignments, as in Portage, so
// MAKEOPTS="${MAKEOPTS} -l4" accumulates; unknown variables expand to "".
func (c *Conf) Value(name string) (string, bool) {
	v, ok := c.vars[name]
	return v, ok
}

// parser walks one file; vars carries values across the files of a
// directory because Portage expands against everything read so far.
type parser struct {
	f    *file
	d    []byte
	pos  int
	vars map[string]string
}

func (p *parser) lineAt(off int) int { return bytes.Count(p.d[:off], []byte("\n")) + 1 }

func (p *parser) errAt(off int, format string, args ...any) error {
	return &ParseError{File: p.f.path, Line: p.lineAt(off), Msg: fmt.Sprintf(format, args...)}
}

func isNameByte(b byte, first bool) bool {
	return b == '_' || 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || !first && '0' <= b && b <= '9'
}

func isSpace(b byte) bool { return b == ' ' || b == '\t' || b == '\r' || b == '\n' || b == ';' }

func parseInto(f *file, vars map[string]string) error {
	p := &parser{f: f, d: f.data, vars: vars}
	for {
		p.skipBlank()
		if p.pos >= len(p.d) {
			return nil
		}
		if p.d[p.pos] == '#' {
			p.skipLine()
			continue
		}
		start := p.pos
		name := p.name()
		if name == "export" && p.pos < len(p.d) && (p.d[p.pos] == ' ' || p.d[p.pos] == '\t') {
			p.skipInline()
			start = p.pos
			name = p.name()
		} else if (name == "source" || name == "" && p.pos < len(p.d) && p.d[p.pos] == '.') && p.sourceLine(name) {
			// Portage follows "source" itself; jtune does not chase it, since
			// the sourced file is usually outside its control anyway.
			p.skipLine()
			continue
		}
		if name == "" || p.pos >= len(p.d) || p.d[p.pos] != '=' {
			return p.errAt(start, "expected VAR=value")
		}
		p.pos++
		a := assignment{name: name, line: p.lineAt(start), start: start, valStart: p.pos}
		if err := p.value(&a); err != nil {
			return err
		}
		a.end = p.pos
		if p.pos < len(p.d) && !isSpace(p.d[p.pos]) && p.d[p.pos] != '#' {
			return p.errAt(p.pos, "unexpected %q after value of %s", p.d[p.pos], name)
		}
		vars[name] = a.value
		f.assigns = append(f.assigns, a)
	}
}

// sourceLine reports whether the word just read starts a source/. command.
func (p *parser) sourceLine(name string) bool {
	i := p.pos
	if name == "" {
		i++ // the "."
	}
	return i < len(p.d) && (p.d[i] == ' ' || p.d[i] == '\t')
}

func (p *parser) name() string {
	s := p.pos
	for p.pos < len(p.d) && isNameByte(p.d[p.pos], p.pos == s) {
		p.pos++
	}
	return string(p.d[s:p.pos])
}

func (p *parser) skipBlank() {
	for p.pos < len(p.d) {
		switch {
		case isSpace(p.d[p.pos]):
			p.pos++
		case p.d[p.pos] == '\\' && p.pos+1 < len(p.d) && p.d[p.pos+1] == '\n':
			p.pos += 2
		default:
			return
		}
	}
}

func (p *parser) skipInline() {
	for p.pos < len(p.d) && (p.d[p.pos] == ' ' || p.d[p.pos] == '\t') {
		p.pos++
	}
}

func (p *parser) skipLine() {
	if i := bytes.IndexByte(p.d[p.pos:], '\n'); i >= 0 {
		p.pos += i + 1
	} else {
		p.pos = len(p.d)
	}
}

// value reads one shell word, expanding variables and noting whether the
// word is simple enough to have its contents swapped in place.
func (p *parser) value(a *assignment) error {
	var b strings.Builder
	quoted, bare := 0, 0
	complex := false
	for p.pos < len(p.d) {
		c := p.d[p.pos]
		switch {
		case isSpace(c):
			goto done
		case c == '\'':
			open := p.pos
			i := bytes.IndexByte(p.d[p.pos+1:], '\'')
			if i < 0 {
				return p.errAt(open, "unterminated single quote in value of %s", a.name)
			}
			b.Write(p.d[p.pos+1 : p.pos+1+i])
			p.pos += i + 2
			quoted++
			a.quote = '\''
		case c == '"':
			expanded, err := p.doubleQuoted(&b, a.name)
			if err != nil {
				return err
			}
			complex = complex || expanded
			quoted++
			a.quote = '"'
		case c == '\\':
			if p.pos+1 < len(p.d) {
				if p.d[p.pos+1] != '\n' {
					b.WriteByte(p.d[p.pos+1])
				}
				p.pos += 2
			} else {
				b.WriteByte(c)
				p.pos++
			}
			complex = true
		case c == '$':
			ok, err := p.expand(&b)
			if err != nil {
				return err
			}
			complex = complex || ok
			bare++
		default:
			b.WriteByte(c)
			p.pos++
			bare++
		}
	}
done:
	a.value = b.String()
	// Only a word made of one quoted part, or of bare characters alone, can
	// have its contents swapped without changing what the rest means.
	if bare > 0 {
		quoted++
		a.quote = 0
	}
	a.simple = !complex && quoted <= 1
	return nil
}

// doubleQuoted reads a "..." part of the value of name at p.pos into b. It
// reports whether the part expanded a variable or an escape, which makes
// the value too complex to swap in place.
func (p *parser) doubleQuoted(b *strings.Builder, name string) (complex bool, err error) {
	open := p.pos
	p.pos++
	for p.pos < len(p.d) {
		c := p.d[p.pos]
		switch {
		case c == '"':
			p.pos++
			return complex, nil
		case c == '\\' && p.pos+1 < len(p.d) && strings.IndexByte("$`\"\\\n", p.d[p.pos+1]) >= 0:
			if p.d[p.pos+1] != '\n' {
				b.WriteByte(p.d[p.pos+1])
			}
			p.pos += 2
			complex = true
		case c == '$':
			ok, err := p.expand(b)
			if err != nil {
				return false, err
			}
			complex = complex || ok
		default:
			b.WriteByte(c)
			p.pos++
		}
	}
	return false, p.errAt(open, "unterminated double quote in value of %s", name)
}

// expand handles $NAME and ${NAME} at p.pos; a '$' that starts neither is
// literal, as in the shell. It reports whether an expansion happened.
func (p *parser) expand(b *strings.Builder) (bool, error) {
	start := p.pos
	p.pos++
	if p.pos < len(p.d) && p.d[p.pos] == '{' {
		p.pos++
		name := p.name()
		if name == "" || p.pos >= len(p.d) || p.d[p.pos] != '}' {
			return false, p.errAt(start, "unsupported or unterminated ${...} expansion")
		}
		p.pos++
		b.WriteString(p.vars[name])
		return true, nil
	}
	name := p.name()
	if name == "" {
		b.WriteByte('$')
		return false, nil
	}
	b.WriteString(p.vars[name])
	return true, nil
}

// Warnings returns the pitfalls that make distcc builds slow or wrong, as
// sentences a user can act on. hostsConfigured says whether distcc has any
// hosts (jtune learns that elsewhere).
func (c *Conf) Warnings(hostsConfigured bool) []string {
	var w []string
	distcc := c.featureEnabled("distcc")
	if distcc {
		for _, v := range []string{"CFLAGS", "CXXFLAGS"} {
			val, _ := c.Value(v)
			for _, f := range strings.Fields(val) {
				if f == "-march=native" || f == "-mcpu=native" {
					w = append(w, fmt.Sprintf("%s contains %s while FEATURES enables distcc: "+
						"\"native\" means the CPU of whichever host compiles, so distcc either builds those jobs locally "+
						"or remote hosts target the wrong CPU; use an explicit -march=... for this machine "+
						"(see gcc -march=native -Q --help=target | grep march)", v, f))
					break
				}
			}
		}
		if !hostsConfigured {
			w = append(w, "FEATURES enables distcc but no distcc hosts are configured, so every job runs locally; "+
				"set hosts with distcc-config --set-hosts or remove distcc from FEATURES")
		}
	}
	if mo, ok := c.Value("MAKEOPTS"); ok && !hasLoadLimit(mo) {
		w = append(w, "MAKEOPTS has no -l/--load-average, so make keeps starting jobs even when this machine is overloaded "+
			"(e.g. by distcc preprocessing and linking); add -lN with N about the number of local CPUs")
	}
	return w
}

// featureEnabled applies FEATURES tokens in order, because Portage treats
// "-name" as removal and "-*" as reset.
func (c *Conf) featureEnabled(name string) bool {
	v, _ := c.Value("FEATURES")
	on := false
	for _, f := range strings.Fields(v) {
		switch f {
		case name:
			on = true
		case "-" + name, "-*":
			on = false
		}
	}
	return on
}

func hasLoadLimit(makeopts string) bool {
	for _, f := range strings.Fields(makeopts) {
		if strings.HasPrefix(f, "-l") || strings.HasPrefix(f, "--load-average") || strings.HasPrefix(f, "--max-load") {
			return true
		}
	}
	return false
}

// SetMakeopts returns the new bytes of the file that holds the effective
// MAKEOPTS assignment, with only that assignment changed. A simple value is
// swapped inside its existing quotes, so trailing comments survive; an
// accumulating ("${MAKEOPTS} ...") or continued value is replaced by one
// clean assignment, because keeping the self-reference would make the
// result depend on earlier lines. Without any MAKEOPTS the line is appended
// to the main file, or for a directory put in OwnFile. before is nil when
// path does not exist yet (OwnFile, or a new file from LoadForWrite); pass
// path, before and after to Write unchanged.
func (c *Conf) SetMakeopts(value string) (path string, before, after []byte, err error) {
	if strings.ContainsAny(value, "\n\x00") {
		return "", nil, nil, fmt.Errorf("MAKEOPTS value %q contains a newline or NUL", value)
	}
	var f *file
	var a *assignment
	for _, fi := range c.files {
		for i := range fi.assigns {
			if fi.assigns[i].name == "MAKEOPTS" {
				f, a = fi, &fi.assigns[i]
			}
		}
	}
	if a != nil {
		var repl []byte
		var from int
		if a.simple {
			from = a.valStart
			repl = []byte(quote(value, a.quote))
		} else {
			from = a.start
			repl = []byte("MAKEOPTS=" + quote(value, '"'))
		}
		out := make([]byte, 0, len(f.data)+len(repl))
		out = append(out, f.data[:from]...)
		out = append(out, repl...)
		out = append(out, f.data[a.end:]...)
		return f.path, f.data, out, nil
	}
	line := "MAKEOPTS=" + quote(value, '"') + "\n"
	if c.dir {
		own := filepath.Join(c.path, OwnFile)
		f = nil
		for _, fi := range c.files {
			if fi.path == own {
				f = fi
			}
		}
		if f == nil {
			return own, nil, []byte("# Written by jtune; read last so it overrides MAKEOPTS from earlier files.\n" + line), nil
		}
	} else {
		f = c.files[0]
	}
	out := append([]byte(nil), f.data...)
	if len(out) > 0 && out[len(out)-1] != '\n' {
		out = append(out, '\n')
	}
	out = append(out, line...)
	return f.path, f.data, out, nil
}

// quote renders value in the requested style, falling back to double quotes
// when the style cannot represent it.
func quote(value string, style byte) string {
	switch style {
	case 0:
		if value != "" && !strings.ContainsAny(value, " \t'\"\\$`#;&|<>(){}*?[]~!") {
			return value
		}
	case '\'':
		if !strings.Contains(value, "'") {
			return "'" + value + "'"
		}
	}
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(value); i++ {
		if strings.IndexByte("\\\"$`", value[i]) >= 0 {
			b.WriteByte('\\')
		}
		b.WriteByte(value[i])
	}
	b.WriteByte('"')
	return b.String()
}
