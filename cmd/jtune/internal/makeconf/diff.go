package makeconf

import (
	"fmt"

	udiff "github.com/aymanbagabas/go-udiff"
)

// contextLines is the context diff -u shows, and what users expect.
const contextLines = 3

// Diff renders a unified diff with 3 lines of context so the user can see
// exactly what jtune will change before it writes. A nil before means the
// file is new and is shown as coming from /dev/null. Equal inputs give "".
//
// The edit script comes from go-udiff (the diff of golang.org/x/tools),
// whose cost grows with the size of the change, not with the product of
// the two lengths: a 10,000-line make.conf with one changed assignment
// diffs in a few milliseconds and a few megabytes (see TestDiffLargeFile).
func Diff(path string, before, after []byte) string {
	from := path
	if before == nil {
		from = "/dev/null"
	}
	a := string(before)
	out, err := udiff.ToUnified(from, path, a, udiff.Lines(a, string(after)), contextLines)
	if err != nil {
		// Lines computes its edits from a itself, so they always apply.
		panic(fmt.Sprintf("makeconf: diff of %s: inconsistent edits: %v", path, err))
	}
	return out
}
