package makeconf

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestDiff(t *testing.T) {
	var a, b strings.Builder
	for i := 1; i <= 20; i++ {
		line := "L" + string(rune('a'+i-1)) + "\n"
		a.WriteString(line)
		switch i {
		case 2:
			b.WriteString("changed\n")
		case 5:
			// deleted; close enough to line 2 to share its hunk
		case 18:
			b.WriteString(line + "inserted\n")
		default:
			b.WriteString(line)
		}
	}
	got := Diff("make.conf", []byte(a.String()), []byte(b.String()+"no newline"))
	golden(t, "multi.diff", []byte(got))
	if Diff("x", []byte("same\n"), []byte("same\n")) != "" {
		t.Error("Diff of equal inputs is not empty")
	}
}

// bigConf is an n-line make.conf whose MAKEOPTS sits in the middle, and the
// same file with MAKEOPTS changed: the shape of a real edit at a size no
// real make.conf reaches.
func bigConf(n int) (before, after []byte) {
	var a, b strings.Builder
	for i := range n {
		if i == n/2 {
			a.WriteString("MAKEOPTS=\"-j4\"\n")
			b.WriteString("MAKEOPTS=\"-j12 -l4\"\n")
			continue
		}
		line := fmt.Sprintf("# comment line %d\n", i)
		a.WriteString(line)
		b.WriteString(line)
	}
	return []byte(a.String()), []byte(b.String())
}

// TestDiffLargeFile guards against a diff whose cost grows with the
// product of the file lengths: the LCS table it replaced took 823 MB and
// most of a second for this input. Memory is the deterministic measure;
// the time bound only catches a gross regression.
func TestDiffLargeFile(t *testing.T) {
	before, after := bigConf(10000)
	want := "--- make.conf\n+++ make.conf\n@@ -4998,7 +4998,7 @@\n" +
		" # comment line 4997\n # comment line 4998\n # comment line 4999\n" +
		"-MAKEOPTS=\"-j4\"\n+MAKEOPTS=\"-j12 -l4\"\n" +
		" # comment line 5001\n # comment line 5002\n # comment line 5003\n"

	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	start := time.Now()
	got := Diff("make.conf", before, after)
	elapsed := time.Since(start)
	runtime.ReadMemStats(&m1)

	if got != want {
		t.Errorf("Diff =\n%s\nwant\n%s", got, want)
	}
	const maxBytes = 32 << 20 // 10x what it takes; the old table took 823 MB
	if b := m1.TotalAlloc - m0.TotalAlloc; b > maxBytes {
		t.Errorf("Diff of a 10,000-line file allocated %d MB, want under %d MB", b>>20, maxBytes>>20)
	}
	if allocs := testing.AllocsPerRun(3, func() { Diff("make.conf", before, after) }); allocs > 1000 {
		t.Errorf("Diff of a 10,000-line file made %.0f allocations, want under 1000", allocs)
	}
	if elapsed > time.Second {
		t.Errorf("Diff of a 10,000-line file took %v, want well under a second", elapsed)
	}
}

func BenchmarkDiff10000(b *testing.B) {
	before, after := bigConf(10000)
	b.ReportAllocs()
	for b.Loop() {
		Diff("make.conf", before, after)
	}
}
