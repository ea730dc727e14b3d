package jobserver

// Form is how a client finds the jobserver: the MAKEFLAGS option that
// names the pool, and whether the client inherits its descriptors or opens
// it by path.
type Form int

const (
	// NoForm is the zero Form: the client is no jobserver client.
	NoForm Form = iota
	// Fifo is "--jobserver-auth=fifo:PATH": the client opens a named pipe
	// by its path (GNU make 4.4 and later, ninja 1.13 and later). It is the
	// only form that reaches a client through a parent that closes the
	// descriptors it inherited, such as Portage's emerge.
	Fifo
	// Pipe is "--jobserver-auth=R,W": the client inherits the pool's read
	// and write descriptors (GNU make 4.2 and later).
	Pipe
	// LegacyPipe is "--jobserver-fds=R,W", Pipe's option under the name it
	// had before GNU make 4.2 (make 3.78 to 4.1). make 4.3 and 4.4.1 accept
	// it too; no make older than 4.3 was tested.
	LegacyPipe
)

// String returns the form's name: "fifo", "pipe", "legacy pipe" or "none".
func (f Form) String() string {
	switch f {
	case Fifo:
		return "fifo"
	case Pipe:
		return "pipe"
	case LegacyPipe:
		return "legacy pipe"
	}
	return "none"
}

// Option returns the MAKEFLAGS option of the form with placeholders, for
// messages: "--jobserver-auth=fifo:PATH", "--jobserver-auth=R,W" or
// "--jobserver-fds=R,W"; "" for NoForm.
func (f Form) Option() string {
	switch f {
	case Fifo:
		return "--jobserver-auth=fifo:PATH"
	case Pipe:
		return "--jobserver-auth=R,W"
	case LegacyPipe:
		return "--jobserver-fds=R,W"
	}
	return ""
}
