package session

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCreateLeavesTheEarlierFileUntilTheFirstSave(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "s.json")
	earlier := []byte("earlier session\n")
	for name, data := range map[string][]byte{path: earlier, path + ".bak": []byte("older\n")} {
		if err := os.WriteFile(name, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(path); string(got) != string(earlier) || s.Backup() != "" {
		t.Fatalf("Create changed the earlier file before any save: %q, backup %q", got, s.Backup())
	}
	if err := s.Save(valid()); err != nil {
		t.Fatal(err)
	}
	if err := s.Save(valid()); err != nil { // the second save must not rotate again
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(path + ".bak.1"); string(got) != string(earlier) || s.Backup() != path+".bak.1" {
		t.Errorf("earlier session at .bak.1: %q, Backup %q", got, s.Backup())
	}
	if got, _ := os.ReadFile(path + ".bak"); string(got) != "older\n" {
		t.Errorf(".bak changed: %q", got)
	}
	if _, err := os.Stat(path + ".bak.2"); err == nil {
		t.Error("a second save made another backup")
	}
	if r, err := Read(path); err != nil || r.MakeOpts != "-j5 -l2" {
		t.Errorf("Read after Save: %v", err)
	}
	s.Close()
	if _, err := os.Stat(path + ".lock"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the lock file outlived the session: %v", err)
	}
}

func TestOneSessionPerFileWhateverItsName(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "real.json")
	link := filepath.Join(dir, "link.json")
	if err := os.Symlink("real.json", link); err != nil {
		t.Fatal(err)
	}
	s, err := Create(real)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := Create(link); err == nil || !strings.Contains(err.Error(), "another jtune is using") {
		t.Fatalf("a second session through a symbolic link: %v", err)
	}
	if _, _, err := Resume(real); err == nil || !strings.Contains(err.Error(), "another jtune is using") {
		t.Fatalf("a second session of the same name: %v", err)
	}
	// Saving through the link keeps it a link to the one file.
	s.Close()
	viaLink, err := Create(link)
	if err != nil {
		t.Fatal(err)
	}
	defer viaLink.Close()
	if err := viaLink.Save(valid()); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the link was replaced by a file: %v", err)
	}
	if _, err := Read(real); err != nil {
		t.Errorf("the session did not reach the file the link names: %v", err)
	}
}

func TestOpenRemovesStaleTempFiles(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "s.json")
	stale := filepath.Join(dir, ".s.json.jtune-123456")
	other := filepath.Join(dir, ".t.json.jtune-123456") // another state's: not ours to remove
	for _, name := range []string{stale, other} {
		if err := os.WriteFile(name, []byte("{"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := os.Stat(stale); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the stale temp file is still there: %v", err)
	}
	if _, err := os.Stat(other); err != nil {
		t.Errorf("another state's temp file was removed: %v", err)
	}
}

func TestResumeLeavesABadFileUntouched(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "s.json")
	if _, _, err := Resume(path); !errors.Is(err, ErrNoFile) {
		t.Errorf("Resume of no file: %v, want ErrNoFile", err)
	}
	bad := []byte(`{"version":2,"command":["make"],"trials":[{"jobs":-5}]}`)
	if err := os.WriteFile(path, bad, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Resume(path); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("Resume of a bad file: %v", err)
	}
	if got, _ := os.ReadFile(path); string(got) != string(bad) {
		t.Errorf("the bad file changed: %q", got)
	}
}

// TestTheLockFileRemembersTheRunningBuild: a jtune that dies (here: whose
// lock is dropped without Close) leaves its running build in the lock
// file, for the next one to stop.
func TestTheLockFileRemembersTheRunningBuild(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.json")
	s, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	type build struct{ Pgid int }
	if err := s.RunningBuild(build{Pgid: 4242}); err != nil {
		t.Fatal(err)
	}
	s.lock.Close() // killed: the lock goes, the file stays
	again, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	var b build
	if !again.StaleBuild(&b) || b.Pgid != 4242 {
		t.Errorf("StaleBuild = %+v", b)
	}
	if err := again.RunningBuild(nil); err != nil {
		t.Fatal(err)
	}
	again.lock.Close()
	third, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer third.Close()
	if third.StaleBuild(&b) {
		t.Error("a cleared record was read back")
	}
}
