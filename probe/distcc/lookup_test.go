package distcc

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeTestFile creates path (and its directories) holding text.
func writeTestFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestLookupHosts(t *testing.T) {
	type layout struct {
		home, distccDir, etc string // hosts file contents; "" means no file
	}
	tests := []struct {
		name       string
		env        map[string]string // values may use {home}, {dir} and {root}
		files      layout
		wantSpec   string
		wantSource string // may use {home}, {dir} and {etc}
		wantFound  bool
	}{
		{
			name:       "environment wins over files",
			env:        map[string]string{"DISTCC_HOSTS": "localhost 127.0.0.2/8", "DISTCC_DIR": "{dir}", "HOME": "{home}"},
			files:      layout{home: "127.0.0.5", distccDir: "127.0.0.6", etc: "127.0.0.7"},
			wantSpec:   "localhost 127.0.0.2/8",
			wantSource: "$DISTCC_HOSTS",
			wantFound:  true,
		},
		{
			name:       "whitespace-only environment still counts as set",
			env:        map[string]string{"DISTCC_HOSTS": "  ", "DISTCC_DIR": "{dir}"},
			files:      layout{distccDir: "127.0.0.6"},
			wantSpec:   "  ",
			wantSource: "$DISTCC_HOSTS",
			wantFound:  true,
		},
		{
			name:       "DISTCC_DIR hosts file",
			env:        map[string]string{"DISTCC_HOSTS": "", "DISTCC_DIR": "{dir}", "HOME": "{home}"},
			files:      layout{home: "127.0.0.5", distccDir: "127.0.0.6 # dir\n", etc: "127.0.0.7"},
			wantSpec:   "127.0.0.6 # dir\n",
			wantSource: "{dir}/hosts",
			wantFound:  true,
		},
		{
			name:       "HOME/.distcc when DISTCC_DIR is unset",
			env:        map[string]string{"HOME": "{home}"},
			files:      layout{home: "127.0.0.5", etc: "127.0.0.7"},
			wantSpec:   "127.0.0.5",
			wantSource: "{home}/.distcc/hosts",
			wantFound:  true,
		},
		{
			name:       "DISTCC_DIR replaces HOME/.distcc",
			env:        map[string]string{"DISTCC_DIR": "{dir}", "HOME": "{home}"},
			files:      layout{home: "127.0.0.5", etc: "127.0.0.7"},
			wantSpec:   "127.0.0.7",
			wantSource: "{etc}/distcc/hosts",
			wantFound:  true,
		},
		{
			name:       "etc when no user file",
			env:        map[string]string{"HOME": "{home}"},
			files:      layout{etc: "127.0.0.7/2"},
			wantSpec:   "127.0.0.7/2",
			wantSource: "{etc}/distcc/hosts",
			wantFound:  true,
		},
		{
			name:       "etc when HOME is unset",
			env:        map[string]string{},
			files:      layout{etc: "127.0.0.7"},
			wantSpec:   "127.0.0.7",
			wantSource: "{etc}/distcc/hosts",
			wantFound:  true,
		},
		{
			name:       "DISTCC_DIR is a file",
			env:        map[string]string{"DISTCC_DIR": "{root}/not-a-dir"},
			files:      layout{etc: "127.0.0.7"},
			wantSpec:   "127.0.0.7",
			wantSource: "{etc}/distcc/hosts",
			wantFound:  true,
		},
		{
			name:      "not found",
			env:       map[string]string{"DISTCC_DIR": "{dir}", "HOME": "{home}"},
			wantFound: false,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			home := filepath.Join(root, "home")
			dir := filepath.Join(root, "distccdir")
			etc := filepath.Join(root, "etc")
			writeTestFile(t, filepath.Join(root, "not-a-dir"), "")
			if tc.files.home != "" {
				writeTestFile(t, filepath.Join(home, ".distcc", "hosts"), tc.files.home)
			}
			if tc.files.distccDir != "" {
				writeTestFile(t, filepath.Join(dir, "hosts"), tc.files.distccDir)
			}
			if tc.files.etc != "" {
				writeTestFile(t, filepath.Join(etc, "distcc", "hosts"), tc.files.etc)
			}
			expand := strings.NewReplacer("{home}", home, "{dir}", dir, "{etc}", etc, "{root}", root).Replace
			getenv := func(key string) string { return expand(tc.env[key]) }

			spec, source, found, err := LookupHosts(getenv, etc)
			if err != nil {
				t.Fatalf("LookupHosts: %v", err)
			}
			if found != tc.wantFound {
				t.Errorf("found = %v, want %v", found, tc.wantFound)
			}
			if spec != tc.wantSpec {
				t.Errorf("spec = %q, want %q", spec, tc.wantSpec)
			}
			if want := expand(tc.wantSource); source != filepath.FromSlash(want) {
				t.Errorf("source = %q, want %q", source, want)
			}
		})
	}
}

func TestLookupHostsUnreadable(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "distccdir")
	etc := filepath.Join(root, "etc")
	// A directory where the hosts file should be cannot be read even by
	// root, unlike a chmod 000 file.
	if err := os.MkdirAll(filepath.Join(dir, "hosts"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeTestFile(t, filepath.Join(etc, "distcc", "hosts"), "127.0.0.7")
	env := map[string]string{"DISTCC_DIR": dir}

	spec, source, found, err := LookupHosts(func(k string) string { return env[k] }, etc)
	if err == nil {
		t.Fatalf("LookupHosts = %q, %q, %v, nil; want an error for the unreadable file", spec, source, found)
	}
	var pathErr *fs.PathError
	if !errors.As(err, &pathErr) {
		t.Errorf("error %v does not wrap the *fs.PathError", err)
	}
	if found || spec != "" {
		t.Errorf("found, spec = %v, %q; want false, \"\"", found, spec)
	}
	if want := filepath.Join(dir, "hosts"); source != want {
		t.Errorf("source = %q, want %q", source, want)
	}
}
