package probe

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/jtune/jtune/probe/jobserver"
)

// This file checks, before anything is started, that a command can run
// under jtune's jobserver, and says which client and form it will use.

// OnlinePlan is how a command runs under jtune's jobserver: which program
// takes the tokens, and how it finds the pool.
type OnlinePlan struct {
	// Client is the jobserver client: the make or ninja that takes the
	// tokens, its path and version.
	Client jobserver.Client
	// Form is the form of the pool Live makes for it.
	Form jobserver.Form
	// Via says how the command reaches the client: "" when the command
	// runs it directly (behind env, nice, pump …), "emerge" through
	// Portage, or "the make on PATH" when the command is a script or
	// another program, whose client is assumed to be that make.
	Via string
}

// String says what the plan is, for the CLI: "GNU Make 4.4.1
// (/usr/local/bin/make): fifo form (--jobserver-auth=fifo:PATH)".
func (p OnlinePlan) String() string {
	s := fmt.Sprintf("%s %v (%s): %s form (%s)", p.Client.Program, p.Client.Version, p.Client.Path, p.Form, p.Form.Option())
	if p.Via != "" {
		s += ", via " + p.Via
	}
	return s
}

// OnlineErrorKind says why a command cannot run online.
type OnlineErrorKind string

// The reasons a command cannot run under jtune's jobserver.
const (
	// OnlineJobsOption: the command sets the parallelism itself (-j,
	// --jobs, a MAKEFLAGS of its own), which makes make leave the
	// jobserver ("-jN forced in submake: resetting jobserver mode").
	OnlineJobsOption OnlineErrorKind = "jobs_option"
	// OnlinePlaceholder: the command has {N}, which online mode has no
	// single value for.
	OnlinePlaceholder OnlineErrorKind = "placeholder"
	// OnlineNoClient: the program that would take the tokens is no
	// jobserver client jtune can serve (not found, or too old).
	OnlineNoClient OnlineErrorKind = "no_client"
	// OnlineNeedsFifo: the command reaches make through a parent that
	// closes inherited descriptors (emerge), so only the fifo form of
	// make 4.4 and later can reach it.
	OnlineNeedsFifo OnlineErrorKind = "needs_fifo"
)

// OnlineError says why a command cannot run under jtune's jobserver. The
// CLI treats it as a usage error (exit 2).
type OnlineError struct {
	Kind OnlineErrorKind
	// Arg is the argument at fault, when there is one.
	Arg string
	// Client is the client found, when its version is at fault.
	Client jobserver.Client
	Msg    string
	Err    error // the cause, when there is one
}

func (e *OnlineError) Error() string {
	msg := "online tuning: " + e.Msg
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *OnlineError) Unwrap() error { return e.Err }

// CheckOnline checks that command can run as one build under jtune's
// jobserver and says how; env is the build's environment (nil means
// os.Environ()), whose PATH finds the programs. It runs the client's
// --version and nothing else, so the CLI can call it before it touches
// any state. Its errors are *OnlineError, except when command is empty.
//
// The command must not set the parallelism itself: a -j or --jobs for
// make, ninja or emerge (emerge's --jobs 1 is allowed: one package at a
// time), a MAKEFLAGS set through env, or, for another program, any word
// of its arguments that reads -j, -jN or --jobs; nor have an {N}. The
// client is the command's make or ninja (behind env, nice, ionice, nohup,
// time, pump), the make on PATH for emerge, which closes inherited
// descriptors so that only the fifo form of make 4.4 reaches make, and
// the make on PATH for any other program. GNU make 4.4 and later and
// ninja 1.13 and later get the fifo form, make 4.2 and 4.3 the pipe form;
// anything else is refused.
func CheckOnline(command, env []string) (OnlinePlan, error) {
	if len(command) == 0 {
		return OnlinePlan{}, fmt.Errorf("probe: no command to build")
	}
	if env == nil {
		env = os.Environ()
	}
	for _, a := range command {
		if strings.Contains(a, "{N}") {
			return OnlinePlan{}, &OnlineError{Kind: OnlinePlaceholder, Arg: a,
				Msg: fmt.Sprintf("%q has {N}, but online the number of jobs changes while the build runs: leave it out, jtune's jobserver sets it", a)}
		}
	}
	prog, args, path, err := unwrapCommand(command)
	if err != nil {
		return OnlinePlan{}, err
	}
	if path != "" {
		env = append(env[:len(env):len(env)], "PATH="+path)
	}
	switch kind := programKind(prog); kind {
	case "make", "ninja":
		if a, ok := jobsArg(kind, args); ok {
			return OnlinePlan{}, jobsError(a, prog)
		}
		return planFor(kind, lookPath(prog, env), "", false)
	case "emerge":
		if a, ok := emergeJobs(args); ok {
			return OnlinePlan{}, &OnlineError{Kind: OnlineJobsOption, Arg: a,
				Msg: fmt.Sprintf("emerge %s builds several packages at once, each with its own make; online tuning steers one build: use --jobs=1 or leave it out", a)}
		}
		return planFor("make", lookPath("make", env), "emerge", true)
	}
	for _, a := range command[1:] {
		for _, w := range strings.Fields(a) {
			if jobsWord.MatchString(strings.Trim(w, `'"`)) {
				return OnlinePlan{}, &OnlineError{Kind: OnlineJobsOption, Arg: a,
					Msg: fmt.Sprintf("%q in the command has a -j or --jobs, which would make the make it runs leave jtune's jobserver: leave it out, the jobserver sets the number of jobs", a)}
			}
		}
	}
	return planFor("make", lookPath("make", env), "the make on PATH", false)
}

var jobsWord = regexp.MustCompile(`^(-j[0-9]*|--jobs(=.*)?)$`)

func jobsError(arg, prog string) error {
	return &OnlineError{Kind: OnlineJobsOption, Arg: arg,
		Msg: fmt.Sprintf("%q in the command sets %s's number of jobs, which would make it leave jtune's jobserver: leave it out, the jobserver sets the number", arg, filepath.Base(prog))}
}

// planFor detects the client at path and chooses its form. needFifo says
// that only the fifo form can reach it.
func planFor(kind, path, via string, needFifo bool) (OnlinePlan, error) {
	if path == "" {
		return OnlinePlan{}, &OnlineError{Kind: OnlineNoClient,
			Msg: fmt.Sprintf("no %s found on PATH to run under jtune's jobserver", kind)}
	}
	detect := jobserver.DetectMake
	if kind == "ninja" {
		detect = jobserver.DetectNinja
	}
	c, err := detect(path)
	if err != nil {
		return OnlinePlan{}, &OnlineError{Kind: OnlineNoClient, Msg: fmt.Sprintf("%s is no %s jtune can tell the version of", path, kind), Err: err}
	}
	plan := OnlinePlan{Client: c, Form: c.Form(), Via: via}
	name := fmt.Sprintf("%s %v (%s)", c.Program, c.Version, path)
	what := strings.TrimPrefix(c.String(), fmt.Sprintf("%s %v: ", c.Program, c.Version))
	switch {
	case needFifo && !c.Supports(jobserver.Fifo):
		return OnlinePlan{}, &OnlineError{Kind: OnlineNeedsFifo, Client: c,
			Msg: fmt.Sprintf("%s closes the descriptors it inherits, so only the fifo jobserver (--jobserver-auth=fifo:PATH) of GNU make 4.4 and later reaches make through it, and the make on PATH is %s, which has no fifo form; put GNU make 4.4 or later first on PATH", via, name)}
	case needFifo:
		plan.Form = jobserver.Fifo
	case plan.Form != jobserver.Fifo && plan.Form != jobserver.Pipe:
		return OnlinePlan{}, &OnlineError{Kind: OnlineNoClient, Client: c,
			Msg: fmt.Sprintf("%s cannot take jtune's jobserver (%s); online tuning needs GNU make 4.2 or later (4.4 for the fifo form) or ninja 1.13 or later", name, what)}
	}
	return plan, nil
}

// programKind classes a program by its name: "make", "ninja", "emerge" or
// "" for anything else.
func programKind(prog string) string {
	base := filepath.Base(prog)
	switch {
	case base == "make" || base == "gmake" || strings.HasPrefix(base, "make-") || strings.HasPrefix(base, "gmake-"):
		return "make"
	case base == "ninja" || strings.HasPrefix(base, "ninja-"):
		return "ninja"
	case base == "emerge":
		return "emerge"
	}
	return ""
}

// lookPath finds prog as exec.LookPath would with env's PATH; "" if it is
// not there.
func lookPath(prog string, env []string) string {
	if strings.Contains(prog, "/") {
		if executable(prog) {
			return prog
		}
		return ""
	}
	path := ""
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			path = v // the last one wins, as in exec.Cmd
		}
	}
	for _, dir := range filepath.SplitList(path) {
		if dir == "" {
			dir = "."
		}
		if p := filepath.Join(dir, prog); executable(p) {
			return p
		}
	}
	return ""
}

func executable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0
}
