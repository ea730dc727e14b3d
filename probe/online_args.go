package probe

import (
	"fmt"
	"path/filepath"
	"strings"
)

// This file reads a command's arguments the way the programs in it do,
// far enough to find the program that builds and any -j given to it.

// wrapperArgs lists, for the programs that run another one, the options
// whose value is the next argument when not attached.
var wrapperArgs = map[string]string{
	"env":         "uCS",
	"nice":        "n",
	"ionice":      "cnp",
	"nohup":       "",
	"time":        "fo",
	"pump":        "",
	"distcc-pump": "",
}

// unwrapCommand skips the programs that only run the next one (env, nice,
// ionice, nohup, time, pump) and returns the program that does the work
// and its arguments, and the PATH that env sets for it, if any. A
// MAKEFLAGS set by env is an error: it would replace the jobserver's.
func unwrapCommand(command []string) (prog string, args []string, path string, err error) {
	for len(command) > 0 {
		base := filepath.Base(command[0])
		takesArg, ok := wrapperArgs[base]
		if !ok {
			return command[0], command[1:], path, nil
		}
		i := 1
		for ; i < len(command); i++ {
			a := command[i]
			if base == "env" && !strings.HasPrefix(a, "-") && strings.Contains(a, "=") {
				name, value, _ := strings.Cut(a, "=")
				switch name {
				case "MAKEFLAGS", "MFLAGS":
					return "", nil, "", &OnlineError{Kind: OnlineJobsOption, Arg: a,
						Msg: fmt.Sprintf("%q in the command replaces the MAKEFLAGS that carry jtune's jobserver to make: leave it out", a)}
				case "PATH":
					path = value
				}
				continue
			}
			if a == "--" {
				i++
				break
			}
			if !strings.HasPrefix(a, "-") || a == "-" {
				if a == "-" { // env -: an empty environment
					continue
				}
				break
			}
			// A short option whose value is the next argument.
			if len(a) == 2 && strings.ContainsRune(takesArg, rune(a[1])) {
				i++
			}
			// nice -5 and -n5, --adjustment=5, and the rest: one word.
		}
		if i >= len(command) {
			return "", nil, "", fmt.Errorf("probe: %q runs no program", strings.Join(command, " "))
		}
		command = command[i:]
	}
	return "", nil, "", fmt.Errorf("probe: no command to build")
}

// makeArgOptions are GNU make's short options whose value is the rest of
// the word or the next argument; ninja's are in ninjaArgOptions. make's -l
// and -O take an optional value, attached.
const (
	makeArgOptions  = "CEfIoW"
	ninjaArgOptions = "Cdfjklptw"
)

// makeLongArgs are make's long options whose value may be the next
// argument.
var makeLongArgs = map[string]bool{
	"directory": true, "eval": true, "file": true, "makefile": true, "include-dir": true,
	"old-file": true, "assume-old": true, "new-file": true, "assume-new": true, "what-if": true,
}

// jobsArg finds a -j (or --jobs, or a jobserver option) among the
// arguments of make or ninja (kind); it returns the argument.
func jobsArg(kind string, args []string) (string, bool) {
	withArg := makeArgOptions
	if kind == "ninja" {
		withArg = ninjaArgOptions
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			return "", false
		case strings.HasPrefix(a, "--"):
			name, _, hasValue := strings.Cut(a[2:], "=")
			if name == "jobs" || strings.HasPrefix(name, "jobserver-") {
				return a, true
			}
			if kind == "make" && makeLongArgs[name] && !hasValue {
				i++
			}
		case strings.HasPrefix(a, "-") && len(a) > 1:
			for k := 1; k < len(a); k++ {
				c := a[k]
				if c == 'j' {
					return a, true
				}
				if strings.IndexByte(withArg, c) >= 0 {
					if k == len(a)-1 {
						i++ // the value is the next argument
					}
					break
				}
				if kind == "make" && (c == 'l' || c == 'O') {
					break // an optional value, attached
				}
			}
		}
	}
	return "", false
}

// emergeJobs finds an emerge --jobs (-j) that lets more than one package
// build at once: any but --jobs=1, --jobs 1 or -j1.
func emergeJobs(args []string) (string, bool) {
	for i, a := range args {
		next := ""
		if i+1 < len(args) {
			next = args[i+1]
		}
		var value string
		switch {
		case a == "--":
			return "", false
		case a == "--jobs":
			value = next
		case strings.HasPrefix(a, "--jobs="):
			value = strings.TrimPrefix(a, "--jobs=")
		case strings.HasPrefix(a, "-") && !strings.HasPrefix(a, "--") && strings.Contains(a, "j"):
			value = a[strings.IndexByte(a, 'j')+1:]
			if value == "" {
				value = next
			}
		default:
			continue
		}
		if value != "1" {
			return a, true
		}
	}
	return "", false
}
