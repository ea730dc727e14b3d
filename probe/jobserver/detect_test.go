package jobserver

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestParseMakeVersion(t *testing.T) {
	for _, c := range []struct {
		out     string
		version Version
		forms   []Form
	}{
		{"GNU Make 4.4.1\nBuilt for x86_64-pc-linux-gnu\n", Version{4, 4, 1}, []Form{Fifo, Pipe}}, // make-4.4 here
		{"GNU Make 4.3\nBuilt for x86_64-pc-linux-gnu\n", Version{4, 3, 0}, []Form{Pipe}},         // Debian 12
		{"GNU Make 4.4\n", Version{4, 4, 0}, []Form{Fifo, Pipe}},                                  // the fifo's first release
		{"GNU Make 4.2.1\n", Version{4, 2, 1}, []Form{Pipe}},                                      // --jobserver-auth named
		{"GNU Make 4.2.90\n", Version{4, 2, 90}, []Form{Pipe}},                                    // a 4.3 pre-release
		{"GNU Make 4.1\n", Version{4, 1, 0}, []Form{LegacyPipe}},                                  // --jobserver-fds
		{"GNU Make 3.78.1\n", Version{3, 78, 1}, []Form{LegacyPipe}},                              // the jobserver's first
		{"GNU Make 3.77\n", Version{3, 77, 0}, nil},                                               // none
		{"  GNU Make 5.0\r\n", Version{5, 0, 0}, []Form{Fifo, Pipe}},                              // blanks and CR trimmed
	} {
		got, err := ParseMakeVersion(c.out)
		if err != nil || got.Program != "GNU Make" || got.Version != c.version || !slices.Equal(got.Forms, c.forms) {
			t.Errorf("ParseMakeVersion(%q) = %+v, %v; want %v %v", c.out, got, err, c.version, c.forms)
		}
	}
	for _, out := range []string{"", "make: unknown option -- -\n", "bmake 20200710\n", "GNU Make\n", "GNU Make 99999999999999999999.1\n"} {
		if got, err := ParseMakeVersion(out); err == nil {
			t.Errorf("ParseMakeVersion(%q) = %+v, want an error", out, got)
		}
	}
}

func TestParseNinjaVersion(t *testing.T) {
	for _, c := range []struct {
		out     string
		version Version
		client  bool
	}{
		{"1.13.2\n", Version{1, 13, 2}, true},     // built here from sid
		{"1.13.0\n", Version{1, 13, 0}, true},     // the first client
		{"1.13.0.git\n", Version{1, 13, 0}, true}, // a development build
		{"1.12.1\n", Version{1, 12, 1}, false},    // trixie
		{"1.11.1\n", Version{1, 11, 1}, false},    // Debian 12
		{"2.0\n", Version{2, 0, 0}, true},
	} {
		got, err := ParseNinjaVersion(c.out)
		if err != nil || got.Version != c.version || got.Supports(Fifo) != c.client || got.Supports(Pipe) {
			t.Errorf("ParseNinjaVersion(%q) = %+v, %v; want %v, client %v, fifo only", c.out, got, err, c.version, c.client)
		}
	}
	for _, out := range []string{"", "ninja: error: loading 'build.ninja'\n", "v1.13\n"} {
		if got, err := ParseNinjaVersion(out); err == nil {
			t.Errorf("ParseNinjaVersion(%q) = %+v, want an error", out, got)
		}
	}
}

func TestClientString(t *testing.T) {
	for _, c := range []struct{ out, prefix string }{
		{"GNU Make 4.4.1", "GNU Make 4.4.1: jobserver client, fifo form"},
		{"GNU Make 4.3", "GNU Make 4.3: jobserver client, pipe form only"},
		{"GNU Make 4.1", "GNU Make 4.1: jobserver client, legacy pipe form only (--jobserver-fds=R,W, untested)"},
		{"GNU Make 3.77", "GNU Make 3.77: no jobserver client (make has one from 3.78)"},
		{"1.13.2", "ninja 1.13.2: jobserver client, fifo form only"},
		{"1.11.1", "ninja 1.11.1: no jobserver client (ninja joins one from 1.13)"},
	} {
		parse := ParseMakeVersion
		if !strings.HasPrefix(c.out, "GNU") {
			parse = ParseNinjaVersion
		}
		got, err := parse(c.out)
		must(t, err)
		if s := got.String(); !strings.HasPrefix(s, c.prefix) {
			t.Errorf("%q: %q, want it to begin %q", c.out, s, c.prefix)
		}
		want := NoForm
		if len(got.Forms) > 0 {
			want = got.Forms[0]
		}
		if got.Form() != want {
			t.Errorf("%q: Form() %v, want %v", c.out, got.Form(), want)
		}
	}
}

func TestVersionLess(t *testing.T) {
	order := []Version{{3, 78, 0}, {3, 78, 1}, {4, 1, 0}, {4, 2, 90}, {4, 3, 0}, {4, 4, 0}, {4, 4, 1}, {5, 0, 0}}
	for i, v := range order {
		for j, w := range order {
			if v.Less(w) != (i < j) {
				t.Errorf("%v.Less(%v) = %v", v, w, v.Less(w))
			}
		}
	}
}

// TestDetect runs --version for real: a script standing for each make
// and ninja, and whatever make the machine has.
func TestDetect(t *testing.T) {
	dir := t.TempDir()
	script := func(name, out string) string {
		path := filepath.Join(dir, name)
		must(t, os.WriteFile(path, []byte("#!/bin/sh\nprintf '"+out+"'\n"), 0o755))
		return path
	}
	old := script("make-3.81", `GNU Make 3.81\nCopyright (C) 2006\n`)
	if c, err := DetectMake(old); err != nil || c.Version != (Version{3, 81, 0}) || c.Form() != LegacyPipe || c.Path != old {
		t.Errorf("DetectMake(%s) = %+v, %v", old, c, err)
	}
	ninja := script("ninja", `1.13.2\n`)
	if c, err := DetectNinja(ninja); err != nil || c.Form() != Fifo {
		t.Errorf("DetectNinja(%s) = %+v, %v", ninja, c, err)
	}
	if _, err := DetectNinja(old); err == nil || !strings.Contains(err.Error(), old) {
		t.Errorf("DetectNinja on a make: %v, want an error naming %s", err, old)
	}
	if _, err := DetectMake(filepath.Join(dir, "absent")); err == nil {
		t.Error("DetectMake of a missing program succeeded")
	}
	if _, err := DetectMake(script("fails", `GNU Make 4.3\n'; exit 2; '`)); err == nil {
		t.Error("DetectMake of a failing program succeeded")
	}
	if c := findMake(t); !c.Supports(Pipe) || c.Program != "GNU Make" {
		t.Errorf("the machine's make: %+v", c)
	}
}
