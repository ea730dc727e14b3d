package atomicfile

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

func TestReplace(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "state.json")
	if err := os.WriteFile(path, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := Replace(path, []byte("new"), 0o640, -1, -1); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil || string(got) != "new" {
		t.Fatalf("content %q, %v", got, err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o640 {
		t.Errorf("mode %v, want 0640", fi.Mode().Perm())
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("a temporary file was left behind: %v", entries)
	}
	// A directory that does not exist: an error, and nothing written.
	if err := Replace(filepath.Join(dir, "no", "such"), []byte("x"), 0o644, -1, -1); err == nil {
		t.Error("writing into a missing directory succeeded")
	}
}

func TestCheckWritable(t *testing.T) {
	dir := t.TempDir()
	readOnly := filepath.Join(dir, "ro")
	if err := os.Mkdir(readOnly, 0o555); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		path    string
		wantErr string // "" for none
	}{
		{"new file", filepath.Join(dir, "state.json"), ""},
		{"missing directory", filepath.Join(dir, "no", "state.json"), "directory " + filepath.Join(dir, "no") + ": no such file or directory"},
	}
	if os.Geteuid() != 0 { // root writes anywhere
		tests = append(tests, struct {
			name    string
			path    string
			wantErr string
		}{"read-only directory", filepath.Join(readOnly, "state.json"), "directory " + readOnly + ": permission denied"})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckWritable(tt.path)
			if got := fmt.Sprint(err); (tt.wantErr == "" && err != nil) || (tt.wantErr != "" && got != tt.wantErr) {
				t.Errorf("CheckWritable(%s) = %v, want %q", tt.path, err, tt.wantErr)
			}
			if entries, _ := os.ReadDir(filepath.Dir(tt.path)); len(entries) != 0 && filepath.Dir(tt.path) != dir {
				t.Errorf("the check left %v", entries)
			}
		})
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("the check left files behind: %v", entries)
	}
}
