package makeconf

import (
	"bytes"
	"errors"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files")

// golden compares got with testdata/name, rewriting it under -update, so
// any byte jtune would change in a user's make.conf is reviewed in a diff.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	p := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(p, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs:\n--- got\n%s\n--- want\n%s", p, got, want)
	}
}

// mkTree writes files into a fresh directory; names ending in "/" are
// directories. Done in code rather than testdata because *~ and dot files
// are commonly ignored by git.
func mkTree(t *testing.T, root string, files map[string]string) {
	t.Helper()
	if err := os.MkdirAll(root, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, data := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestSetMakeoptsFiles(t *testing.T) {
	tests := []struct {
		name     string
		value    string
		old, new string // the only bytes allowed to change
		append   bool
	}{
		{"seed", "-j20 -l4", `"-j13 -l2"`, `"-j20 -l4"`, false},
		{"gentoo", "-j6 -l4", `"-j4"`, `"-j6 -l4"`, false},
		{"accumulate", "-j12 -l4", `MAKEOPTS="${MAKEOPTS} -j4"`, `MAKEOPTS="-j12 -l4"`, false},
		{"continuation", "-j10 -l8", "MAKEOPTS=\"-j8 \\\n\t-l8\"", `MAKEOPTS="-j10 -l8"`, false},
		{"singlequote", "-j24 -l16", `'-j16 -l16'`, `'-j24 -l16'`, false},
		{"unquoted", "-j5 -l4", `-j4`, `"-j5 -l4"`, false},
		{"nomakeopts", "-j3 -l2", "", "\nMAKEOPTS=\"-j3 -l2\"\n", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(filepath.Join("testdata", tt.name+".conf"))
			if err != nil {
				t.Fatal(err)
			}
			path, before, after, err := c.SetMakeopts(tt.value)
			if err != nil {
				t.Fatal(err)
			}
			if want := filepath.Join("testdata", tt.name+".conf"); path != want {
				t.Errorf("path = %q, want %q", path, want)
			}
			var want []byte
			if tt.append {
				want = append(append([]byte(nil), before...), tt.new...)
			} else {
				if n := bytes.Count(before, []byte(tt.old)); n != 1 {
					t.Fatalf("fixture has %d copies of %q", n, tt.old)
				}
				want = bytes.Replace(before, []byte(tt.old), []byte(tt.new), 1)
			}
			if !bytes.Equal(after, want) {
				t.Errorf("bytes outside the assignment changed:\ngot:\n%s\nwant:\n%s", after, want)
			}
			c2, err := Parse(path, after)
			if err != nil {
				t.Fatalf("result does not parse: %v", err)
			}
			if v, _ := c2.Value("MAKEOPTS"); v != tt.value {
				t.Errorf("MAKEOPTS after edit = %q, want %q", v, tt.value)
			}
			golden(t, tt.name+".conf.golden", after)
			golden(t, tt.name+".diff", []byte(Diff("/etc/portage/make.conf", before, after)))
		})
	}
}

func TestSetMakeoptsDirectory(t *testing.T) {
	base := map[string]string{
		"00-base":           "COMMON_FLAGS=\"-O2 -pipe\"\nCFLAGS=\"${COMMON_FLAGS}\"\n",
		"10-features.conf":  "FEATURES=\"distcc\"\n",
		".hidden":           "MAKEOPTS=\"-j99\"\n",
		"20-old.conf~":      "MAKEOPTS=\"-j98\"\n",
		"sub/05-local.conf": "USE=\"ssl\"\n",
	}
	t.Run("existing", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "make.conf")
		files := map[string]string{
			"30-makeopts.conf": "# parallelism\nMAKEOPTS=\"-j4 -l4\" # old\nEMERGE_DEFAULT_OPTS=\"--jobs=2\"\n",
			"40-more.conf":     "ACCEPT_KEYWORDS=\"~amd64\"\n",
		}
		for k, v := range base {
			files[k] = v
		}
		mkTree(t, dir, files)
		c, err := Load(dir)
		if err != nil {
			t.Fatal(err)
		}
		if v, _ := c.Value("MAKEOPTS"); v != "-j4 -l4" {
			t.Errorf("MAKEOPTS = %q: hidden or ~ files were read", v)
		}
		if v, _ := c.Value("CFLAGS"); v != "-O2 -pipe" {
			t.Errorf("CFLAGS = %q, want expansion across files", v)
		}
		if v, _ := c.Value("USE"); v != "ssl" {
			t.Errorf("USE = %q: subdirectory not read", v)
		}
		path, before, after, err := c.SetMakeopts("-j8 -l4")
		if err != nil {
			t.Fatal(err)
		}
		if path != filepath.Join(dir, "30-makeopts.conf") {
			t.Errorf("path = %q", path)
		}
		want := strings.Replace(string(before), `"-j4 -l4"`, `"-j8 -l4"`, 1)
		if string(after) != want {
			t.Errorf("after = %q, want %q", after, want)
		}
		golden(t, "dir-existing.golden", after)
		golden(t, "dir-existing.diff", []byte(Diff("make.conf/30-makeopts.conf", before, after)))
	})
	t.Run("new", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "make.conf")
		mkTree(t, dir, base)
		c, err := Load(dir)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := c.Value("MAKEOPTS"); ok {
			t.Fatal("MAKEOPTS set from a hidden or ~ file")
		}
		path, before, after, err := c.SetMakeopts("-j8 -l4")
		if err != nil {
			t.Fatal(err)
		}
		if path != filepath.Join(dir, OwnFile) || before != nil {
			t.Errorf("path = %q, before = %q; want new %s", path, before, OwnFile)
		}
		golden(t, "dir-new.golden", after)
		golden(t, "dir-new.diff", []byte(Diff("make.conf/"+OwnFile, before, after)))
		if _, err := c.Write(path, before, after); err != nil {
			t.Fatal(err)
		}
		c2, err := Load(dir)
		if err != nil {
			t.Fatal(err)
		}
		if v, _ := c2.Value("MAKEOPTS"); v != "-j8 -l4" {
			t.Errorf("MAKEOPTS after write = %q", v)
		}
	})
}

func TestValue(t *testing.T) {
	tests := []struct {
		in, name, want string
		ok             bool
	}{
		{`A="x"` + "\n" + `B="$A ${A}y $NOPE."`, "B", "x xy .", true},
		{`A='$HOME \n'`, "A", `$HOME \n`, true},
		{`A="a \$b \"c\" \\"`, "A", `a $b "c" \`, true},
		{"export  A=1\n", "A", "1", true},
		{"A=1; B=2 C=3\n", "C", "3", true},
		{"A=\"one \\\n  two\"", "A", "one   two", true},
		{"A=x#y # comment", "A", "x#y", true},
		{"A=\nB=2", "A", "", true},
		{"source /etc/portage/make.local\n. other\nA=1", "A", "1", true},
		{"A=1", "B", "", false},
		{"A=1\nA=\"${A} 2\"\nA=\"${A} 3\"", "A", "1 2 3", true},
		{"A=\"$5 $ x\"", "A", "$5 $ x", true},
	}
	for _, tt := range tests {
		c, err := Parse("make.conf", []byte(tt.in))
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.in, err)
			continue
		}
		if got, ok := c.Value(tt.name); got != tt.want || ok != tt.ok {
			t.Errorf("Parse(%q).Value(%s) = %q, %v; want %q, %v", tt.in, tt.name, got, ok, tt.want, tt.ok)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		in   string
		line int
		msg  string
	}{
		{"A=1\n\nMAKEOPTS=\"-j4\nB=2\n", 3, "unterminated double quote"},
		{"# c\nCFLAGS='-O2\n", 2, "unterminated single quote"},
		{"A=\"${B:-x}\"", 1, "expansion"},
		{"A=1\nemerge world\n", 2, "expected VAR=value"},
		{"A=\"x\"y\"", 1, "unterminated double quote"},
	}
	for _, tt := range tests {
		_, err := Parse("make.conf", []byte(tt.in))
		var pe *ParseError
		if !errors.As(err, &pe) {
			t.Errorf("Parse(%q) = %v, want ParseError", tt.in, err)
			continue
		}
		if pe.File != "make.conf" || pe.Line != tt.line || !strings.Contains(pe.Msg, tt.msg) {
			t.Errorf("Parse(%q) = %+v, want line %d %q", tt.in, pe, tt.line, tt.msg)
		}
	}

	// Load reports the real file name, so the user can open it.
	dir := filepath.Join(t.TempDir(), "make.conf")
	mkTree(t, dir, map[string]string{"10-ok": "A=1\n", "20-bad": "A=1\nB=\"oops\n"})
	_, err := Load(dir)
	if want := filepath.Join(dir, "20-bad") + ":2: "; err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("Load error = %v, want prefix %q", err, want)
	}
}

func TestLoadMissing(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope"))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("err = %v, want fs.ErrNotExist", err)
	}
}

func TestWarnings(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		hosts bool
		want  []string // one substring per expected warning, in order
	}{
		{"clean", "FEATURES=\"distcc\"\nCFLAGS=\"-O2 -march=core2\"\nMAKEOPTS=\"-j13 -l2\"\n", true, nil},
		{"no distcc", "CFLAGS=\"-march=native\"\nMAKEOPTS=\"-j4 --load-average=4\"\n", false, nil},
		{"no makeopts", "USE=\"ssl\"\n", false, nil},
		{"native", "FEATURES=\"distcc\"\nCFLAGS=\"-O2 -march=native\"\nCXXFLAGS=\"${CFLAGS}\"\nMAKEOPTS=\"-j4 -l 4\"\n", true,
			[]string{"CFLAGS contains -march=native", "CXXFLAGS contains -march=native"}},
		{"native removed", "FEATURES=\"distcc\"\nFEATURES=\"${FEATURES} -distcc\"\nCFLAGS=\"-march=native\"\n", false, nil},
		{"native reset", "FEATURES=\"distcc -* ccache\"\nCFLAGS=\"-march=native\"\n", false, nil},
		{"no hosts", "FEATURES=\"distcc\"\nMAKEOPTS=\"-j4 -l4\"\n", false, []string{"no distcc hosts"}},
		{"no load", "MAKEOPTS=\"-j13\"\n", true, []string{"no -l/--load-average"}},
		{"all", "FEATURES=\"sandbox distcc\"\nCFLAGS=\"-march=native\"\nMAKEOPTS=\"-j8\"\n", false,
			[]string{"-march=native", "no distcc hosts", "no -l/--load-average"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse("make.conf", []byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			got := c.Warnings(tt.hosts)
			if len(got) != len(tt.want) {
				t.Fatalf("Warnings = %q, want %d", got, len(tt.want))
			}
			for i, w := range tt.want {
				if !strings.Contains(got[i], w) {
					t.Errorf("warning %d = %q, want it to mention %q", i, got[i], w)
				}
			}
		})
	}
	// The -march=native advice must name the fix, not just the problem.
	c, _ := Parse("make.conf", []byte("FEATURES=distcc\nCFLAGS=-march=native\n"))
	if w := c.Warnings(true); len(w) != 1 || !strings.Contains(w[0], "explicit -march=") {
		t.Errorf("Warnings = %q", w)
	}
}
