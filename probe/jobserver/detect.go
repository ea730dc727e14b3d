package jobserver

import (
	"context"
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Version is a program's version number. A missing patch number is 0.
type Version struct{ Major, Minor, Patch int }

// String returns "4.3" or "4.4.1": the patch number only when it is not 0.
func (v Version) String() string {
	if v.Patch == 0 {
		return fmt.Sprintf("%d.%d", v.Major, v.Minor)
	}
	return fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Patch)
}

// Less reports whether v is older than w.
func (v Version) Less(w Version) bool {
	if v.Major != w.Major {
		return v.Major < w.Major
	}
	if v.Minor != w.Minor {
		return v.Minor < w.Minor
	}
	return v.Patch < w.Patch
}

// Client is what a build program supports as a jobserver client, judged
// from its version.
type Client struct {
	Program string  // "GNU Make" or "ninja"
	Path    string  // the program run by DetectMake or DetectNinja; "" from a Parse function
	Version Version // its version
	// Forms are the forms it accepts, the one to use first; none when it
	// is no jobserver client.
	Forms []Form
}

// Form returns the form to use with the client: the first of Forms, or
// NoForm.
func (c Client) Form() Form {
	if len(c.Forms) == 0 {
		return NoForm
	}
	return c.Forms[0]
}

// Supports reports whether the client accepts the form.
func (c Client) Supports(f Form) bool {
	for _, g := range c.Forms {
		if g == f {
			return true
		}
	}
	return false
}

// String says what the client supports, for example "GNU Make 4.3:
// jobserver client, pipe form only (--jobserver-auth=R,W); the fifo form
// needs make 4.4".
func (c Client) String() string {
	name := c.Program + " " + c.Version.String()
	for _, r := range rules[c.Program] {
		if !c.Version.Less(r.since) {
			return name + ": " + r.says
		}
	}
	return name + ": " + none[c.Program]
}

// A rule gives the forms of a program's versions from since on.
type rule struct {
	since Version
	forms []Form
	says  string
}

// rules are newest first. GNU make: NEWS for 3.78 (the jobserver), 4.2
// (--jobserver-fds renamed --jobserver-auth) and 4.4 (the fifo). ninja:
// 1.13.0's release notes and src/jobserver.cc, which rejects the pipe form
// ("Pipe-based protocol is not supported!") and runs at its own -j.
var rules = map[string][]rule{
	"GNU Make": {
		{Version{4, 4, 0}, []Form{Fifo, Pipe}, "jobserver client, fifo form (--jobserver-auth=fifo:PATH), pipe form too"},
		{Version{4, 2, 0}, []Form{Pipe}, "jobserver client, pipe form only (--jobserver-auth=R,W); the fifo form, the only one that passes a parent closing inherited descriptors (such as emerge), needs make 4.4"},
		{Version{3, 78, 0}, []Form{LegacyPipe}, "jobserver client, legacy pipe form only (--jobserver-fds=R,W, untested); the fifo form needs make 4.4"},
	},
	"ninja": {
		{Version{1, 13, 0}, []Form{Fifo}, "jobserver client, fifo form only (--jobserver-auth=fifo:PATH); it ignores the pipe form"},
	},
}

var none = map[string]string{
	"GNU Make": "no jobserver client (make has one from 3.78)",
	"ninja":    "no jobserver client (ninja joins one from 1.13)",
}

var (
	makeLine  = regexp.MustCompile(`^GNU Make (\d+)\.(\d+)(?:\.(\d+))?`)
	ninjaLine = regexp.MustCompile(`^(\d+)\.(\d+)(?:\.(\d+))?`)
)

// ParseMakeVersion reads the output of "make --version", whose first line
// is "GNU Make 4.3" or "GNU Make 4.4.1", and says what that make supports.
func ParseMakeVersion(out string) (Client, error) {
	return parse("GNU Make", makeLine, out, `GNU Make's ("GNU Make 4.3")`)
}

// ParseNinjaVersion reads the output of "ninja --version", a line such as
// "1.13.2", and says what that ninja supports.
func ParseNinjaVersion(out string) (Client, error) {
	return parse("ninja", ninjaLine, out, `ninja's ("1.13.2")`)
}

func parse(program string, re *regexp.Regexp, out, whose string) (Client, error) {
	line, _, _ := strings.Cut(out, "\n")
	line = strings.TrimSpace(line)
	m := re.FindStringSubmatch(line)
	if m == nil {
		return Client{}, fmt.Errorf("jobserver: version line %q isn't %s", line, whose)
	}
	var n [3]int
	for i, s := range m[1:] {
		if s == "" {
			continue
		}
		var err error
		if n[i], err = strconv.Atoi(s); err != nil {
			return Client{}, fmt.Errorf("jobserver: version line %q: %w", line, err)
		}
	}
	c := Client{Program: program, Version: Version{n[0], n[1], n[2]}}
	for _, r := range rules[program] {
		if !c.Version.Less(r.since) {
			c.Forms = r.forms
			break
		}
	}
	return c, nil
}

// detectTimeout bounds "--version"; a program that takes longer is not a
// make or ninja to use.
const detectTimeout = 10 * time.Second

// DetectMake runs "path --version" and parses it with ParseMakeVersion.
func DetectMake(path string) (Client, error) { return detect(path, ParseMakeVersion) }

// DetectNinja runs "path --version" and parses it with ParseNinjaVersion.
func DetectNinja(path string) (Client, error) { return detect(path, ParseNinjaVersion) }

func detect(path string, parse func(string) (Client, error)) (Client, error) {
	ctx, cancel := context.WithTimeout(context.Background(), detectTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, path, "--version").Output()
	if err != nil {
		return Client{}, fmt.Errorf("jobserver: %s --version: %w", path, err)
	}
	c, err := parse(string(out))
	if err != nil {
		return Client{}, fmt.Errorf("%w (from %s --version)", err, path)
	}
	c.Path = path
	return c, nil
}
