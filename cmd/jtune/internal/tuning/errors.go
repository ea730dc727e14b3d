package tuning

import (
	"fmt"
	"math"
	"syscall"
)

// UsageError is a mistake on the command line found once the session
// looked at the farm or the state file: exit 2.
type UsageError struct{ Err error }

func (e UsageError) Error() string { return e.Err.Error() }
func (e UsageError) Unwrap() error { return e.Err }

func usagef(format string, args ...any) error {
	return UsageError{fmt.Errorf(format, args...)}
}

// CriticalError means the CPU reached its critical temperature: the build
// was stopped and the state saved.
type CriticalError struct{ Err error }

func (e CriticalError) Error() string { return e.Err.Error() }
func (e CriticalError) Unwrap() error { return e.Err }

// InterruptedError means a signal stopped the session: the best result
// so far was saved and printed.
type InterruptedError struct{ Signal syscall.Signal }

func (e InterruptedError) Error() string { return "interrupted by " + signalName(e.Signal) }

// ExitCode is 128 + the signal's number, as a shell gives a process
// killed by it (130 for Ctrl-C, 143 for SIGTERM, 129 for SIGHUP).
func (e InterruptedError) ExitCode() int { return 128 + int(e.Signal) }

func signalName(sig syscall.Signal) string {
	switch sig {
	case syscall.SIGINT:
		return "Ctrl-C (SIGINT)"
	case syscall.SIGTERM:
		return "SIGTERM"
	case syscall.SIGHUP:
		return "SIGHUP (the terminal closed)"
	}
	return sig.String()
}

// BuildFailedError means the build an online session ran failed: jtune
// exits with its status, after the report.
type BuildFailedError struct{ Code int }

func (e BuildFailedError) Error() string {
	return fmt.Sprintf("the build failed with exit code %d", e.Code)
}

// ExitCode is the build's code as jtune's own: 1 to 255.
func (e BuildFailedError) ExitCode() int { return int(math.Max(1, math.Min(255, float64(e.Code)))) }
