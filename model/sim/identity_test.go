package sim

import (
	"bytes"
	"flag"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"os"
	"testing"
)

var updateFingerprint = flag.Bool("update-fingerprint", false, "rewrite testdata/offline-fingerprint.txt from the current engine")

// fingerprintPath holds the offline engine's results, bit for bit, as the
// engine computed them before the live build shared its code (commit
// "model/sim: fingerprint of offline Simulate"): the benchmark's figures
// depend on them.
const fingerprintPath = "testdata/offline-fingerprint.txt"

// fingerprintFarms is a spread of farms for the fingerprint: the seed farm
// in three sizes and without distcc, and random farms of every kind from
// 1 to 64 hosts.
func fingerprintFarms(t *testing.T) []Farm {
	seed := loadSeed(t)
	farms := []Farm{seed.WithHosts(2), seed.WithHosts(6), seed, seed.LocalOnly()}
	rng := rand.New(rand.NewPCG(12, 12))
	for _, hosts := range []int{1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64} {
		for _, kind := range Kinds {
			farms = append(farms, RandomFarm(rng, hosts, kind))
		}
	}
	return farms
}

// fingerprint is one line per farm and N: every number of the Result,
// the completion times included, hashed bit for bit.
func fingerprint(t *testing.T) []byte {
	var b bytes.Buffer
	for i, f := range fingerprintFarms(t) {
		_, r := f.SearchRange()
		ns := []int{1, r.Min, (r.Min + r.Max) / 4, (r.Min + r.Max) / 2, r.Max, 2 * r.Max}
		for _, n := range ns {
			res := f.Simulate(n, 0, nil)
			noisy := f.Simulate(n, 0.05, rand.New(rand.NewPCG(uint64(i), uint64(n))))
			fmt.Fprintf(&b, "%d %-22s -j%-4d %12.4f %5d %016x %016x\n", i, f.Name, n, res.Seconds, res.Failures, hashResult(res), hashResult(noisy))
		}
	}
	return b.Bytes()
}

func hashResult(r Result) uint64 {
	h := fnv.New64a()
	put := func(x float64) {
		var buf [8]byte
		u := math.Float64bits(x)
		for i := range buf {
			buf[i] = byte(u >> (8 * i))
		}
		h.Write(buf[:])
	}
	put(float64(r.Jobs))
	put(r.Seconds)
	put(float64(r.Failures))
	put(r.UserSeconds)
	put(r.MaxMasterLoad)
	put(r.MeanMasterLoad)
	put(r.SwapMB)
	put(r.SwapFromSeconds)
	for _, d := range r.UnitDone {
		put(d)
	}
	return h.Sum64()
}

// TestOfflineFingerprint: Farm.Simulate gives bit for bit what it gave
// before the engine learned to run live builds.
func TestOfflineFingerprint(t *testing.T) {
	got := fingerprint(t)
	if *updateFingerprint {
		if err := os.WriteFile(fingerprintPath, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(fingerprintPath)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		gl, wl := bytes.Split(got, []byte("\n")), bytes.Split(want, []byte("\n"))
		for i := range min(len(gl), len(wl)) {
			if !bytes.Equal(gl[i], wl[i]) {
				t.Errorf("line %d:\n got %s\nwant %s", i+1, gl[i], wl[i])
			}
		}
		if len(gl) != len(wl) {
			t.Errorf("%d lines, want %d", len(gl), len(wl))
		}
	}
}
