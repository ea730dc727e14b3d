package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWriteMakeConf(t *testing.T) {
	t.Run("new file", func(t *testing.T) {
		p := filepath.Join(t.TempDir(), "make.conf.test")
		stdout, _ := writeMakeConfT(t, p, "-j8 -l4", true)
		if want := "--- /dev/null\n+++ " + p + "\n@@ -0,0 +1 @@\n+MAKEOPTS=\"-j8 -l4\"\n"; stdout != want {
			t.Errorf("--diff shows\n%s\nwant\n%s", stdout, want)
		}
		if _, err := os.Stat(p); err == nil {
			t.Fatal("--diff created the file")
		}
		_, stderr := writeMakeConfT(t, p, "-j8 -l4", false)
		if want := "jtune: created " + p + " with MAKEOPTS=\"-j8 -l4\"\n"; stderr != want {
			t.Errorf("stderr = %q, want %q", stderr, want)
		}
		checkMakeConfFile(t, p, "MAKEOPTS=\"-j8 -l4\"\n")
		if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != 0o644 {
			t.Errorf("mode %v, %v; want 0644", fi.Mode().Perm(), err)
		}
		// Run again: the file now exists and already says it.
		_, stderr = writeMakeConfT(t, p, "-j8 -l4", false)
		if !strings.Contains(stderr, "already sets MAKEOPTS") {
			t.Errorf("second run: %q", stderr)
		}
	})
	t.Run("missing directory", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "no", "such")
		err := writeMakeConf(filepath.Join(dir, "make.conf"), "-j8", false, &bytes.Buffer{}, &bytes.Buffer{})
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
		makeConfTree(t, dir, map[string]string{"00-base": "USE=\"ssl\"\n", "sub/10-opts": "MAKEOPTS=\"-j3\"\n"})
		opts := filepath.Join(dir, "sub", "10-opts")

		_, stderr := writeMakeConfT(t, dir, "-j8 -l4", false)
		if !strings.Contains(stderr, "the previous file is kept as "+opts+".bak~") {
			t.Errorf("stderr = %q", stderr)
		}
		checkMakeConfFile(t, opts, "MAKEOPTS=\"-j8 -l4\"\n")
		checkMakeConfFile(t, opts+".bak~", "MAKEOPTS=\"-j3\"\n")

		// A second run sees the new value and proposes nothing; with
		// another value it proposes to edit sub/10-opts, not the backup.
		if stdout, _ := writeMakeConfT(t, dir, "-j8 -l4", true); stdout != "" {
			t.Errorf("second run proposes:\n%s", stdout)
		}
		stdout, _ := writeMakeConfT(t, dir, "-j10 -l4", true)
		if !strings.HasPrefix(stdout, "--- "+opts+"\n+++ "+opts+"\n") || strings.Contains(stdout, ".bak") {
			t.Errorf("second run proposes:\n%s", stdout)
		}
	})
}

func writeMakeConfT(t *testing.T, path, makeopts string, diff bool) (stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	if err := writeMakeConf(path, makeopts, diff, &out, &errb); err != nil {
		t.Fatal(err)
	}
	return out.String(), errb.String()
}

// makeConfTree writes files under root, making directories as needed.
func makeConfTree(t *testing.T, root string, files map[string]string) {
	t.Helper()
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

func checkMakeConfFile(t *testing.T, path, want string) {
	t.Helper()
	if got, err := os.ReadFile(path); err != nil || string(got) != want {
		t.Errorf("%s = %q, %v; want %q", path, got, err, want)
	}
}
