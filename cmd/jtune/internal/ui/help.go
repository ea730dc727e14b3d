package ui

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/mitchellh/go-wordwrap"
	"github.com/spf13/pflag"
	"golang.org/x/sys/unix"
)

// HelpWidth is the width to wrap help for w at: $COLUMNS when set, else
// the terminal's width, else (a pipe, a file) 80; never wider than the
// terminal, and never so narrow that a description gets no room.
func HelpWidth(w io.Writer) int {
	width := 80
	if f, ok := w.(*os.File); ok {
		if ws, err := unix.IoctlGetWinsize(int(f.Fd()), unix.TIOCGWINSZ); err == nil && ws.Col > 0 {
			width = int(ws.Col)
		}
	}
	if c, err := strconv.Atoi(os.Getenv("COLUMNS")); err == nil && c > 0 {
		width = c
	}
	return max(width, 50)
}

// helpIndent is where flag descriptions start, as in GNU tools' --help; a
// flag whose name and placeholder do not fit before it gets its
// description on the next line.
const helpIndent = 28

// FlagHelp renders the flags of fs the way GNU tools list them, wrapped to
// width: "  -q, --quiet", "      --hosts LIST", a boolean without a value,
// an optional value as "--write-makeconf[=PATH]", and the default last
// when it is not the zero value. The placeholder is the backquoted word of
// the flag's usage, as with pflag.
func FlagHelp(fs *pflag.FlagSet, width int) string {
	var b strings.Builder
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Hidden {
			return
		}
		name := "      --" + f.Name
		if f.Shorthand != "" {
			name = "  -" + f.Shorthand + ", --" + f.Name
		}
		placeholder, usage := pflag.UnquoteUsage(f)
		switch {
		case f.Value.Type() == "bool":
		case f.NoOptDefVal != "":
			name += "[=" + placeholder + "]"
		default:
			name += " " + placeholder
		}
		if d := defaultText(f); d != "" {
			usage += " (default " + d + ")"
		}
		text := wrapIndented(usage, width-helpIndent)
		if len(name) <= helpIndent-2 {
			fmt.Fprintf(&b, "%-*s%s\n", helpIndent, name, text)
		} else {
			fmt.Fprintf(&b, "%s\n%s%s\n", name, strings.Repeat(" ", helpIndent), text)
		}
	})
	return b.String()
}

// defaultText is a flag's default as help shows it, or "" when the
// default is the zero value or the usage already names it.
func defaultText(f *pflag.Flag) string {
	switch {
	case strings.Contains(f.Usage, "(default"), f.DefValue == "", f.DefValue == "0", f.DefValue == "false", f.DefValue == "0s", f.DefValue == "[]":
		return ""
	case f.Value.Type() == "string":
		return strconv.Quote(f.DefValue)
	}
	return f.DefValue
}

// wrapIndented wraps text to width and indents every line after the first
// to the description column. Line breaks in the text are kept.
func wrapIndented(text string, width int) string {
	var lines []string
	for _, para := range strings.Split(text, "\n") {
		lines = append(lines, strings.Split(wordwrap.WrapString(para, uint(max(width, 20))), "\n")...)
	}
	return strings.Join(lines, "\n"+strings.Repeat(" ", helpIndent))
}
