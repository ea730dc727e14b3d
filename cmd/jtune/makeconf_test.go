package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRecommendWarnsAboutTheFileWritten runs the command: --makeconf
// names a clean file, --write-makeconf one with -march=native.
func TestRecommendWarnsAboutTheFileWritten(t *testing.T) {
	dir := t.TempDir()
	for name, data := range map[string]string{
		"clean.conf": "CFLAGS=\"-O2 -march=znver3\"\nFEATURES=\"distcc\"\nMAKEOPTS=\"-j4 -l4\"\n",
		"copy.conf":  "CFLAGS=\"-O2 -march=native\"\nFEATURES=\"distcc\"\nMAKEOPTS=\"-j4\"\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	_, stderr, err := recommend(t, "--hosts", "localhost/2 127.0.0.2/4", "--no-host-check", "--cores", "2", "--load", "2",
		"--makeconf", filepath.Join(dir, "clean.conf"),
		"--write-makeconf="+filepath.Join(dir, "copy.conf"), "--diff")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stderr, "CFLAGS contains -march=native") {
		t.Errorf("no warning about the file written:\n%s", stderr)
	}
}
