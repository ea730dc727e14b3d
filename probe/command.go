package probe

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jtune/jtune/tuner"
)

// CommandLine returns the argv for one build. Placeholders {N} and {M}
// are replaced; if there are none and the program is make, gmake or
// ninja, the -j and -l options are appended. A load of zero means no -l.
func CommandLine(args []string, jobs, load int) []string {
	out := make([]string, len(args))
	placeholder := false
	r := strings.NewReplacer("{N}", strconv.Itoa(jobs), "{M}", strconv.Itoa(load))
	for i, a := range args {
		placeholder = placeholder || strings.Contains(a, "{N}") || strings.Contains(a, "{M}")
		out[i] = r.Replace(a)
	}
	if placeholder || len(args) == 0 {
		return out
	}
	prog := filepath.Base(args[0])
	// "pump make" runs make under distcc's pump wrapper, which passes
	// its arguments through: make is still the program that takes -j.
	if (prog == "pump" || prog == "distcc-pump") && len(args) > 1 {
		prog = filepath.Base(args[1])
	}
	switch prog {
	case "make", "gmake":
		out = append(out, "-j"+strconv.Itoa(jobs))
		if load > 0 {
			out = append(out, "-l"+strconv.Itoa(load))
		}
	case "ninja":
		out = append(out, "-j", strconv.Itoa(jobs))
		if load > 0 {
			out = append(out, "-l", strconv.Itoa(load))
		}
	}
	return out
}

// OwnJobs returns the -j (or --jobs) that a command sets itself where
// CommandLine appends jtune's -jN to it: make, gmake or ninja without a
// {N}. The appended one wins, which a user who wrote -j4 should be told.
func OwnJobs(command []string) (string, bool) {
	for _, a := range command {
		if strings.Contains(a, "{N}") {
			return "", false
		}
	}
	args := command
	if len(args) > 1 && (filepath.Base(args[0]) == "pump" || filepath.Base(args[0]) == "distcc-pump") {
		args = args[1:]
	}
	if len(args) == 0 {
		return "", false
	}
	switch filepath.Base(args[0]) {
	case "make", "gmake":
		return jobsArg("make", args[1:])
	case "ninja":
		return jobsArg("ninja", args[1:])
	}
	return "", false
}

// BuildEnv returns base with the variables that carry N to the build set,
// replacing any earlier values, so emerge and scripts see the same N.
func BuildEnv(base []string, jobs, load int, distccHosts string) []string {
	set := map[string]string{
		"MAKEOPTS":   tuner.MakeOpts(jobs, load),
		"JTUNE_JOBS": strconv.Itoa(jobs),
		"JTUNE_LOAD": strconv.Itoa(load),
	}
	if distccHosts != "" {
		set["DISTCC_HOSTS"] = distccHosts
	}
	out := make([]string, 0, len(base)+len(set))
	for _, kv := range base {
		k, _, _ := strings.Cut(kv, "=")
		if _, replaced := set[k]; !replaced {
			out = append(out, kv)
		}
	}
	for _, k := range []string{"MAKEOPTS", "JTUNE_JOBS", "JTUNE_LOAD", "DISTCC_HOSTS"} {
		if v, ok := set[k]; ok {
			out = append(out, k+"="+v)
		}
	}
	return out
}

// groupCommand starts argv in a new process group with stdin from
// /dev/null. Cancelling ctx sends SIGTERM to the whole group (and SIGCONT,
// since a stopped group ignores SIGTERM), and SIGKILL after KillGrace;
// whatever is left once the leader has exited, in the group or out of
// it, is stopped by Runner.finish. KillGrace is real time, whatever the
// Runner's Clock: it gives real processes time to exit.
func (r *Runner) groupCommand(ctx context.Context, argv, env []string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = r.Dir
	cmd.Env = env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		pgid := cmd.Process.Pid
		_ = syscall.Kill(-pgid, syscall.SIGTERM)
		_ = syscall.Kill(-pgid, syscall.SIGCONT)
		go func() {
			time.Sleep(r.killGrace())
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
		}()
		return nil
	}
	cmd.WaitDelay = r.killGrace() + time.Second
	return cmd
}

func exitCode(ps *os.ProcessState) int {
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ps.ExitCode()
}

// PumpProgram is distcc's pump wrapper: "pump" upstream, "distcc-pump" in
// Debian and Ubuntu, which install no "pump".
func PumpProgram() string {
	if _, err := exec.LookPath("pump"); err == nil {
		return "pump"
	}
	if _, err := exec.LookPath("distcc-pump"); err == nil {
		return "distcc-pump"
	}
	return "pump" // the error then names the upstream name
}

// CheckCommand refuses a command that cannot run: a program that is not
// there or not executable, and the program the pump wrapper runs too. The
// error names the word and why.
func CheckCommand(command []string) error {
	for i, word := range command {
		if _, err := exec.LookPath(word); err != nil {
			var e *exec.Error
			if errors.As(err, &e) {
				err = e.Err
			}
			return fmt.Errorf("cannot run %q: %w", word, err)
		}
		if i > 0 || filepath.Base(word) != PumpProgram() {
			break
		}
	}
	return nil
}
