package jobserver

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// Form returns the Server's form.
func (s *Server) Form() Form { return s.form }

// Path returns the fifo's path for the Fifo form, and "" for the pipe
// forms, whose fifo is unlinked as soon as it is opened.
func (s *Server) Path() string { return s.path }

// ExtraFiles returns, for the pipe forms, the client's read and write ends
// of the pool, in that order, for exec.Cmd.ExtraFiles; nil for the Fifo
// form. Put at index at of ExtraFiles, they become the client's
// descriptors 3+at and 4+at: 3 and 4 when they are its only extra files.
// MakeFlags must be given the same index; Attach does both. They stay open
// until Close, which closes them.
func (s *Server) ExtraFiles() []*os.File {
	if len(s.child) == 0 {
		return nil
	}
	return []*os.File{s.child[0], s.child[1]}
}

// MakeFlags returns the value of MAKEFLAGS for a client: " -j" and the
// option naming the pool, then the flags of inherited (the MAKEFLAGS the
// client would have had, "" for none) without their -j and jobserver
// options (see StripJobFlags). For the pipe forms, at is the index of
// ExtraFiles' first file in exec.Cmd.ExtraFiles, which gives the
// descriptor numbers. The client's command line must have no -j, or it
// ignores the pool ("-jN forced in submake: resetting jobserver mode").
func (s *Server) MakeFlags(inherited string, at int) string {
	if at < 0 {
		panic(fmt.Sprintf("jobserver: ExtraFiles index %d is negative", at))
	}
	var auth string
	switch s.form {
	case Fifo:
		auth = "--jobserver-auth=fifo:" + s.path
	case Pipe:
		auth = fmt.Sprintf("--jobserver-auth=%d,%d", 3+at, 4+at)
	case LegacyPipe:
		auth = fmt.Sprintf("--jobserver-fds=%d,%d", 3+at, 4+at)
	}
	v := " -j " + auth
	if rest := StripJobFlags(inherited); rest != "" {
		v += " " + rest
	}
	return v
}

// Attach makes cmd a client of the pool: it appends ExtraFiles to
// cmd.ExtraFiles and sets MAKEFLAGS in cmd.Env (os.Environ() if cmd.Env is
// nil), keeping the flags of the MAKEFLAGS it replaces. Call it once cmd's
// other ExtraFiles are in place, and give cmd no -j.
func (s *Server) Attach(cmd *exec.Cmd) error {
	s.mu.Lock()
	closed := s.drained
	s.mu.Unlock()
	if closed {
		return ErrClosed
	}
	env := cmd.Env
	if env == nil {
		env = os.Environ()
	}
	inherited := ""
	kept := make([]string, 0, len(env)+1)
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "MAKEFLAGS="); ok {
			inherited = v // the last one wins, as in exec.Cmd
			continue
		}
		kept = append(kept, kv)
	}
	cmd.Env = append(kept, "MAKEFLAGS="+s.MakeFlags(inherited, len(cmd.ExtraFiles)))
	cmd.ExtraFiles = append(cmd.ExtraFiles, s.ExtraFiles()...)
	return nil
}

// StripJobFlags returns makeflags, a value of MAKEFLAGS, without the
// options that set a make's parallelism: -j and --jobs with their numbers
// (also inside a cluster of letters such as -kj8), --jobserver-auth and
// --jobserver-fds with their values. It keeps every other word as it was,
// backslash escapes included, and variable definitions after "--"; a
// first word of bare letters ("ks", as make writes it) gets its dash, so
// the result can follow other options. Words are joined by one space.
func StripJobFlags(makeflags string) string {
	words := splitMakeflags(makeflags)
	var kept []string
	for i := 0; i < len(words); i++ {
		w := words[i]
		if w == "--" {
			kept = append(kept, words[i:]...)
			break
		}
		if i == 0 && !strings.HasPrefix(w, "-") && !strings.Contains(w, "=") {
			w = "-" + w
		}
		next := ""
		if i+1 < len(words) {
			next = words[i+1]
		}
		switch {
		case strings.HasPrefix(w, "--"):
			name, _, hasValue := strings.Cut(w[2:], "=")
			switch name {
			case "jobs":
				if !hasValue && allDigits(next) {
					i++
				}
				continue
			case "jobserver-auth", "jobserver-fds":
				if !hasValue && next != "" {
					i++
				}
				continue
			}
			kept = append(kept, w)
		case strings.HasPrefix(w, "-") && len(w) > 1:
			letters, cut := cutJobs(w[1:])
			switch {
			case cut == jobsAlone && allDigits(next):
				i++ // -j 8: make takes a word of digits after it
			case cut == argNext && next != "":
				kept = append(kept, "-"+letters, next)
				i++
				continue
			}
			if letters != "" {
				kept = append(kept, "-"+letters)
			}
		default:
			kept = append(kept, w)
		}
	}
	return strings.Join(kept, " ")
}

// What cutJobs found at the end of a cluster of short options.
const (
	plain     = iota
	jobsAlone // a -j with no number attached, now cut
	argNext   // an option whose argument is the next word
)

// cutJobs removes -j, and the number attached to it, from a cluster of
// make's short options (without its dash). An option that takes an
// argument ends the cluster: the rest of the cluster is its argument.
func cutJobs(c string) (string, int) {
	for i := 0; i < len(c); i++ {
		switch {
		case c[i] == 'j':
			if i == len(c)-1 {
				return c[:i], jobsAlone
			}
			return c[:i], plain
		case strings.IndexByte("CEfIoW", c[i]) >= 0: // required argument
			if i == len(c)-1 {
				return c, argNext
			}
			return c, plain
		case strings.IndexByte("lO", c[i]) >= 0: // optional, attached
			return c, plain
		}
	}
	return c, plain
}

// splitMakeflags splits a MAKEFLAGS value into words as make does: at
// blanks, where a backslash escapes the next character. The words keep
// their backslashes.
func splitMakeflags(s string) []string {
	var words []string
	var w strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' && i+1 < len(s):
			w.WriteByte(c)
			i++
			w.WriteByte(s[i])
		case c == ' ' || c == '\t':
			if w.Len() > 0 {
				words = append(words, w.String())
				w.Reset()
			}
		default:
			w.WriteByte(c)
		}
	}
	if w.Len() > 0 {
		words = append(words, w.String())
	}
	return words
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
