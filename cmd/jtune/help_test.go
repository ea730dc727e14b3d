package main

import (
	"errors"
	"io"
	"strings"
	"testing"

	"mvdan.cc/sh/v3/shell"
)

// parsers are the command-line parsers of jtune's commands, by the word
// that selects the command, with the help text whose examples they take.
var parsers = map[string]struct {
	usage string
	parse func(args []string) error
}{
	"": {usageHead, func(args []string) error {
		_, err := parseTune(args, io.Discard, io.Discard)
		return err
	}},
	"recommend": {recommendUsage, func(args []string) error {
		_, err := parseRecommend(args, io.Discard, io.Discard)
		return err
	}},
	"report": {reportUsage, func(args []string) error {
		_, err := parseReport(args, io.Discard, io.Discard)
		return err
	}},
}

// TestHelpExamplesParse takes every example of every command's help and
// runs it through that command's parser, the way benchstat's doc test
// runs the examples of its documentation, so that the help cannot show a
// flag or a value that jtune no longer takes. Running them in full would
// build trees and reach hosts that exist only in the examples.
func TestHelpExamplesParse(t *testing.T) {
	for name, cmd := range parsers {
		examples := helpExamples(cmd.usage)
		if len(examples) == 0 {
			t.Errorf("jtune %s: the help has no examples", name)
		}
		for _, ex := range examples {
			words, err := shell.Fields(ex, func(string) string { return "" })
			if err != nil {
				t.Errorf("example %q: %v", ex, err)
				continue
			}
			if words[0] != "jtune" || (name != "" && words[1] != name) {
				t.Errorf("example %q of jtune %s runs another command", ex, name)
				continue
			}
			args := words[1:]
			if name != "" {
				args = words[2:]
			}
			if err := cmd.parse(args); err != nil && !errors.Is(err, errHelp) {
				t.Errorf("example %q: %v", ex, err)
			}
		}
	}
}

// helpExamples are the command lines of a help text's Examples section,
// without the output redirections some of them show.
func helpExamples(usage string) []string {
	_, section, ok := strings.Cut(usage, "\nExamples:\n")
	if !ok {
		return nil
	}
	var out []string
	for _, line := range strings.Split(section, "\n") {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, "jtune ") {
			if line == "" && len(out) > 0 {
				break
			}
			continue
		}
		if i := strings.Index(line, " > "); i >= 0 {
			line = line[:i]
		}
		out = append(out, line)
	}
	return out
}
