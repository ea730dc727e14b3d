package makeconf

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Two make.conf files: one with every pitfall, one with none.
const (
	makeConfPitfalls = "CFLAGS=\"-O2 -march=native\"\nFEATURES=\"distcc\"\nMAKEOPTS=\"-j4\"\n"
	makeConfClean    = "CFLAGS=\"-O2 -march=znver3\"\nFEATURES=\"distcc\"\nMAKEOPTS=\"-j4 -l4\"\n"
)

func TestPitfalls(t *testing.T) {
	root := t.TempDir()
	mkTree(t, root, map[string]string{
		"pitfalls.conf":          makeConfPitfalls,
		"clean.conf":             makeConfClean,
		"make.conf/00-base":      "USE=\"ssl\"\n",
		"make.conf/sub/10-flags": makeConfPitfalls,
	})
	at := func(name string) string { return filepath.Join(root, name) }
	tests := []struct {
		name        string
		read, write string
		want        []string // one substring per warning, in order
	}{
		// Without --write-makeconf, --makeconf is read.
		{"read only", at("pitfalls.conf"), "", []string{"-march=native", "no -l/--load-average"}},
		{"read only, clean", at("clean.conf"), "", nil},
		{"read only, missing", at("none.conf"), "", []string{at("none.conf") + " could not be read"}},
		// The file written is the one whose pitfalls matter.
		{"write has pitfalls", at("clean.conf"), at("pitfalls.conf"), []string{"-march=native", "no -l/--load-average"}},
		{"write is clean", at("pitfalls.conf"), at("clean.conf"), nil},
		{"read is the default", DefaultPath, at("pitfalls.conf"), []string{"-march=native", "no -l/--load-average"}},
		{"write is a directory", at("clean.conf"), at("make.conf"), []string{"-march=native", "no -l/--load-average"}},
		// A file jtune will create holds only MAKEOPTS: nothing to warn about.
		{"write is new", at("pitfalls.conf"), at("new.conf"), nil},
		// One that cannot be created is said before any tuning starts.
		{"write in a missing directory", at("clean.conf"), at("nodir/make.conf"), []string{"--write-makeconf: create " + at("nodir/make.conf") + ": directory " + at("nodir")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Pitfalls(tt.read, tt.write, true)
			if len(got) != len(tt.want) {
				t.Fatalf("warnings = %q, want %d", got, len(tt.want))
			}
			for i, w := range tt.want {
				if !strings.Contains(got[i].Message, w) {
					t.Errorf("warning %d = %q, want it to mention %q", i, got[i].Message, w)
				}
			}
		})
	}
}

func TestApply(t *testing.T) {
	t.Run("new file", func(t *testing.T) {
		p := filepath.Join(t.TempDir(), "make.conf.test")
		stdout, _ := applyT(t, p, "-j8 -l4", true)
		if want := "--- /dev/null\n+++ " + p + "\n@@ -0,0 +1 @@\n+MAKEOPTS=\"-j8 -l4\"\n"; stdout != want {
			t.Errorf("--diff shows\n%s\nwant\n%s", stdout, want)
		}
		if _, err := os.Stat(p); err == nil {
			t.Fatal("--diff created the file")
		}
		_, stderr := applyT(t, p, "-j8 -l4", false)
		if want := "jtune: created " + p + " with MAKEOPTS=\"-j8 -l4\"\n"; stderr != want {
			t.Errorf("stderr = %q, want %q", stderr, want)
		}
		checkText(t, p, "MAKEOPTS=\"-j8 -l4\"\n")
		if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != 0o644 {
			t.Errorf("mode %v, %v; want 0644", fi.Mode().Perm(), err)
		}
		// Run again: the file now exists and already says it.
		_, stderr = applyT(t, p, "-j8 -l4", false)
		if !strings.Contains(stderr, "already sets MAKEOPTS") {
			t.Errorf("second run: %q", stderr)
		}
	})
	t.Run("missing directory", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "no", "such")
		err := Apply(filepath.Join(dir, "make.conf"), "-j8", false, &bytes.Buffer{}, &bytes.Buffer{})
		if err == nil || strings.Contains(err.Error(), "\n") ||
			!strings.Contains(err.Error(), "directory "+dir+":") || !strings.Contains(err.Error(), "mkdir -p "+dir) {
			t.Errorf("err = %v, want one line naming %s and the fix", err, dir)
		}
		if _, err := os.Stat(dir); err == nil {
			t.Error("the directory was created")
		}
	})
	t.Run("directory with a nested MAKEOPTS", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "make.conf")
		mkTree(t, dir, map[string]string{"00-base": "USE=\"ssl\"\n", "sub/10-opts": "MAKEOPTS=\"-j3\"\n"})
		opts := filepath.Join(dir, "sub", "10-opts")

		_, stderr := applyT(t, dir, "-j8 -l4", false)
		if !strings.Contains(stderr, "the previous file is kept as "+opts+".bak~") {
			t.Errorf("stderr = %q", stderr)
		}
		checkText(t, opts, "MAKEOPTS=\"-j8 -l4\"\n")
		checkText(t, opts+".bak~", "MAKEOPTS=\"-j3\"\n")

		// A second run sees the new value and proposes nothing; with
		// another value it proposes to edit sub/10-opts, not the backup.
		if stdout, _ := applyT(t, dir, "-j8 -l4", true); stdout != "" {
			t.Errorf("second run proposes:\n%s", stdout)
		}
		stdout, _ := applyT(t, dir, "-j10 -l4", true)
		if !strings.HasPrefix(stdout, "--- "+opts+"\n+++ "+opts+"\n") || strings.Contains(stdout, ".bak") {
			t.Errorf("second run proposes:\n%s", stdout)
		}
	})
}

func applyT(t *testing.T, path, makeopts string, diff bool) (stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	if err := Apply(path, makeopts, diff, &out, &errb); err != nil {
		t.Fatal(err)
	}
	return out.String(), errb.String()
}

func checkText(t *testing.T, path, want string) {
	t.Helper()
	if got, err := os.ReadFile(path); err != nil || string(got) != want {
		t.Errorf("%s = %q, %v; want %q", path, got, err, want)
	}
}
