package makeconf

import (
	"errors"
	"fmt"
	"io"
	"io/fs"

	"github.com/jtune/jtune/tuner"
)

// DefaultPath is Portage's make.conf, a file or a directory.
const DefaultPath = "/etc/portage/make.conf"

// WarnPitfall is the kind of warning about make.conf; Subject is the
// pitfall or the file.
const WarnPitfall tuner.WarningKind = "makeconf"

// Pitfalls reads make.conf for the pitfalls that make distcc builds slow
// or wrong. The file written is the one whose pitfalls matter, so when
// writePath (--write-makeconf) is set it is read and readPath (--makeconf)
// is not; otherwise readPath is read.
//
// A writePath that does not exist yet has no pitfalls (jtune will create
// it holding only MAKEOPTS), but one that cannot be created is reported
// now rather than after a tuning session. A missing DefaultPath is normal
// off Gentoo; any other problem is reported.
func Pitfalls(readPath, writePath string, hostsConfigured bool) []tuner.Warning {
	path, load := readPath, Load
	if writePath != "" {
		path, load = writePath, LoadForWrite
	}
	conf, err := load(path)
	switch {
	case err == nil:
		var ws []tuner.Warning
		for _, msg := range conf.Warnings(hostsConfigured) {
			ws = append(ws, tuner.Warning{Kind: WarnPitfall, Subject: msg, Message: msg})
		}
		return ws
	case errors.Is(err, fs.ErrNotExist) && path == DefaultPath && writePath == "":
		return nil
	case writePath != "":
		return []tuner.Warning{{Kind: WarnPitfall, Subject: path, Message: fmt.Sprintf("--write-makeconf: %v", err)}}
	}
	return []tuner.Warning{{Kind: WarnPitfall, Subject: path, Message: fmt.Sprintf("%s could not be read: %v", path, err)}}
}

// Apply sets MAKEOPTS in make.conf at path, creating the file if its
// directory exists, or with diff shows the change on stdout instead. It
// says on stderr what it did: created the file, replaced it keeping a
// backup, or found nothing to change.
func Apply(path, makeopts string, diff bool, stdout, stderr io.Writer) error {
	conf, err := LoadForWrite(path)
	if err != nil {
		return fmt.Errorf("--write-makeconf: %w", err)
	}
	target, before, after, err := conf.SetMakeopts(makeopts)
	if err != nil {
		return fmt.Errorf("--write-makeconf: %w", err)
	}
	if diff {
		_, err := fmt.Fprint(stdout, Diff(target, before, after))
		return err
	}
	backup, err := conf.Write(target, before, after)
	if err != nil {
		return fmt.Errorf("--write-makeconf: %w", err)
	}
	switch {
	case before == nil:
		fmt.Fprintf(stderr, "jtune: created %s with MAKEOPTS=%q\n", target, makeopts)
	case backup == "":
		fmt.Fprintf(stderr, "jtune: %s already sets MAKEOPTS=%q; nothing to write\n", target, makeopts)
	default:
		fmt.Fprintf(stderr, "jtune: wrote MAKEOPTS=%q to %s (the previous file is kept as %s)\n", makeopts, target, backup)
	}
	return nil
}
