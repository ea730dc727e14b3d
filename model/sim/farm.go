package sim

import (
	"github.com/jtune/jtune/probe/distcc"
	"github.com/jtune/jtune/tuner"

	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"strings"
)

// Farm describes a distcc build farm and the build it runs, in enough
// detail to predict how long `make -jN CC=distcc` takes. It is loaded from
// JSON (see examples/farms/README.md) or drawn by RandomFarm.
//
// Zero values of cores, speed, slots, max_jobs and pause_ms mean "the
// default" (documented on each field) so that a hand-written farm file only
// needs the numbers its author knows; ParseFarm fills them in, and Simulate
// applies the same defaults to a Farm built in Go.
type Farm struct {
	Name        string  `json:"name,omitempty"`
	Description string  `json:"description,omitempty"`
	Master      Master  `json:"master"`
	Hosts       []Host  `json:"hosts,omitempty"`
	Distcc      Distcc  `json:"distcc"`
	Network     Network `json:"network"`
	Build       Build   `json:"build"`
	Noise       Noise   `json:"noise"`
}

// Master is the machine that runs make, the preprocessor, every local and
// fallback compile, and the final link.
type Master struct {
	// Cores is the number of CPU cores (default 1).
	Cores int `json:"cores"`
	// Speed is relative to the reference CPU that build.unit_mean_seconds
	// was measured on (default 1.0).
	Speed float64 `json:"speed"`
	// Contention is the fractional slowdown of every core when all cores are
	// busy (shared cache and front-side bus); it grows linearly from 0 with
	// one busy core. It is why the seed study's user time rises 15% from
	// make to make -j3.
	Contention float64 `json:"contention,omitempty"`
	// MemoryMB is the RAM left for build processes; 0 means unlimited (no
	// swapping).
	MemoryMB float64 `json:"memory_mb,omitempty"`
	// SwapSlowdown is how much slower the master runs per unit of memory
	// overcommit: with demand = runnable jobs × build.unit_memory_mb, speed
	// is divided by 1 + swap_slowdown × (demand/memory_mb − 1) once demand
	// exceeds memory_mb. This is the overload that makes very large N slow.
	SwapSlowdown float64 `json:"swap_slowdown,omitempty"`
	// SwapMB is the swap behind MemoryMB (default half of memory_mb;
	// meaningful only when memory_mb is set). Memory demand beyond
	// memory_mb + swap_mb is out of memory: the kernel kills a compiler
	// and the build breaks (Result.Broken, and a live build ends with
	// make's exit status 2).
	SwapMB float64 `json:"swap_mb,omitempty"`
	// LocalhostSlots is N in "localhost/N" in DISTCC_HOSTS: how many
	// compiles distcc runs on the master itself; 0 means localhost is not
	// listed. localhost comes first in the host list.
	LocalhostSlots int `json:"localhost_slots,omitempty"`
}

// Host is one distccd server in DISTCC_HOSTS order.
type Host struct {
	Name string `json:"name"`
	// Machine names the physical machine the host runs on; hosts with the
	// same machine (LXC containers on one slave) share its cores and must
	// declare the same cores, speed and contention. Empty means a machine
	// of its own.
	Machine string `json:"machine,omitempty"`
	// Cores of the (physical) machine (default 1).
	Cores int `json:"cores"`
	// Speed relative to the reference CPU (default 1.0).
	Speed float64 `json:"speed"`
	// Contention is as for the master.
	Contention float64 `json:"contention,omitempty"`
	// Slots is the /LIMIT in DISTCC_HOSTS (default 4, distcc's default);
	// at most 50 because distcc only scans slot indexes below 50.
	Slots int `json:"slots"`
	// MaxJobs is what this host's distccd accepts concurrently (distccd
	// --jobs, default cores+2); a job beyond it fails ("failed to
	// distribute") and is compiled again on the master.
	MaxJobs int `json:"max_jobs"`
}

// Distcc holds the client-side settings that shape host choice.
type Distcc struct {
	// Randomize is DISTCC_HOSTS --randomize: ties between hosts at the same
	// slot index are broken at random instead of by list order.
	Randomize bool `json:"randomize,omitempty"`
	// PauseMS is DISTCC_PAUSE_TIME_MSEC, how long a job sleeps between
	// polls when no slot is free (default 1000).
	PauseMS float64 `json:"pause_ms"`
	// BackoffSeconds is DISTCC_BACKOFF_PERIOD: after a failure the host is
	// skipped for this long; 0 turns backoff off.
	BackoffSeconds float64 `json:"backoff_seconds,omitempty"`
}

// Network is the master's link. Every transfer crosses it, so a farm of
// fast hosts can be limited by it; sending and receiving each get the
// whole bandwidth (full duplex).
type Network struct {
	// LatencyMS is the one-way latency; each remote job pays two (connect).
	LatencyMS float64 `json:"latency_ms,omitempty"`
	// BandwidthMbps of the master's link; 0 means transfers take no time.
	BandwidthMbps float64 `json:"bandwidth_mbps,omitempty"`
	// SendBytes is the preprocessed source sent per unit.
	SendBytes float64 `json:"send_bytes,omitempty"`
	// ReceiveBytes is the object file received per unit.
	ReceiveBytes float64 `json:"receive_bytes,omitempty"`
}

// Build describes the work: compile units, then a serial link.
type Build struct {
	// Units is the number of compile units (make jobs that call the
	// compiler).
	Units int `json:"units"`
	// UnitMeanSeconds is the mean CPU time of one unit on the reference
	// CPU, preprocessing included.
	UnitMeanSeconds float64 `json:"unit_mean_seconds"`
	// UnitCV is the coefficient of variation of the lognormal unit times.
	UnitCV float64 `json:"unit_cv,omitempty"`
	// Seed fixes the unit times: the same tree compiles the same files on
	// every run, so they are not part of the run-to-run noise.
	Seed uint64 `json:"seed,omitempty"`
	// PreprocessFraction is the share of a unit's CPU that stays on the
	// master when the unit is distributed (cpp, make, shell, fixdep).
	PreprocessFraction float64 `json:"preprocess_fraction"`
	// UnitMemoryMB is the resident memory of one process running on the
	// master (used with master.memory_mb).
	UnitMemoryMB float64 `json:"unit_memory_mb,omitempty"`
	// LinkSeconds is the serial tail on the master (link, modpost, image),
	// in reference-CPU seconds.
	LinkSeconds float64 `json:"link_seconds,omitempty"`
	// OverheadSeconds is the serial head on the master before compiles
	// start (make startup, configuration, generated headers).
	OverheadSeconds float64 `json:"overhead_seconds,omitempty"`
}

// Noise is the run-to-run variation of whole-build time.
type Noise struct {
	// RelativeSD is the default relative standard deviation; Simulate uses
	// it when called with a negative noise.
	RelativeSD float64 `json:"relative_sd,omitempty"`
}

// maxSlots is distcc's own scan limit (where.c dcc_lock_one: i_cpu < 50).
const maxSlots = 50

// LoadFarm reads and validates a farm file.
func LoadFarm(path string) (Farm, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Farm{}, err
	}
	f, err := ParseFarm(data)
	if err != nil {
		return Farm{}, fmt.Errorf("%s: %w", path, err)
	}
	return f, nil
}

// ParseFarm decodes a farm from JSON, rejecting unknown fields (a typo in a
// field name would otherwise silently become a default), fills in defaults
// and validates.
func ParseFarm(data []byte) (Farm, error) {
	var f Farm
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return Farm{}, err
	}
	f = f.withDefaults()
	if err := f.Validate(); err != nil {
		return Farm{}, err
	}
	return f, nil
}

// withDefaults replaces zero values that have a documented default. It
// copies the host slice so the caller's farm is never modified.
func (f Farm) withDefaults() Farm {
	if f.Master.Cores == 0 {
		f.Master.Cores = 1
	}
	if f.Master.Speed == 0 {
		f.Master.Speed = 1
	}
	if f.Master.MemoryMB > 0 && f.Master.SwapMB == 0 {
		f.Master.SwapMB = f.Master.MemoryMB / 2
	}
	if f.Distcc.PauseMS == 0 {
		f.Distcc.PauseMS = 1000
	}
	hosts := make([]Host, len(f.Hosts))
	copy(hosts, f.Hosts)
	for i := range hosts {
		h := &hosts[i]
		if h.Cores == 0 {
			h.Cores = 1
		}
		if h.Speed == 0 {
			h.Speed = 1
		}
		if h.Slots == 0 {
			h.Slots = 4
		}
		if h.MaxJobs == 0 {
			h.MaxJobs = h.Cores + 2
		}
	}
	if f.Hosts != nil {
		f.Hosts = hosts
	}
	return f
}

// Validate reports every field with an impossible value, each named by its
// JSON path (hosts[2].slots) so that the message points into the file.
func (f Farm) Validate() error {
	f = f.withDefaults()
	var v validator
	v.master(f.Master)
	v.hosts(f.Hosts)
	v.pos("distcc.pause_ms", f.Distcc.PauseMS)
	v.nonNeg("distcc.backoff_seconds", f.Distcc.BackoffSeconds)
	v.nonNeg("network.latency_ms", f.Network.LatencyMS)
	v.nonNeg("network.bandwidth_mbps", f.Network.BandwidthMbps)
	v.nonNeg("network.send_bytes", f.Network.SendBytes)
	v.nonNeg("network.receive_bytes", f.Network.ReceiveBytes)
	v.build(f.Build)
	if !(f.Noise.RelativeSD >= 0 && f.Noise.RelativeSD < 1) {
		v.bad("noise.relative_sd", "%v must be in [0, 1)", f.Noise.RelativeSD)
	}
	return errors.Join(v.errs...)
}

// validator collects Validate's errors, in the order of the fields.
type validator struct{ errs []error }

func (v *validator) bad(field string, format string, args ...any) {
	v.errs = append(v.errs, fmt.Errorf("%s: %s", field, fmt.Sprintf(format, args...)))
}

func (v *validator) nonNeg(field string, x float64) {
	if x < 0 || math.IsNaN(x) || math.IsInf(x, 0) {
		v.bad(field, "%v must be a finite number >= 0", x)
	}
}

func (v *validator) pos(field string, x float64) {
	if !(x > 0) || math.IsInf(x, 0) {
		v.bad(field, "%v must be a finite number > 0", x)
	}
}

func (v *validator) master(m Master) {
	if m.Cores < 1 {
		v.bad("master.cores", "%d must be >= 1", m.Cores)
	}
	v.pos("master.speed", m.Speed)
	v.nonNeg("master.contention", m.Contention)
	v.nonNeg("master.memory_mb", m.MemoryMB)
	v.nonNeg("master.swap_slowdown", m.SwapSlowdown)
	v.nonNeg("master.swap_mb", m.SwapMB)
	if m.LocalhostSlots < 0 || m.LocalhostSlots > maxSlots {
		v.bad("master.localhost_slots", "%d must be in 0..%d", m.LocalhostSlots, maxSlots)
	}
}

// hosts checks each host, that names are unique, and that hosts on one
// machine agree on what they share.
func (v *validator) hosts(hosts []Host) {
	machines := map[string]int{} // machine name to its first host
	names := map[string]int{}
	for i, h := range hosts {
		p := fmt.Sprintf("hosts[%d]", i)
		if h.Name == "" {
			v.bad(p+".name", "must not be empty")
		} else if j, dup := names[h.Name]; dup {
			v.bad(p+".name", "%q repeats hosts[%d].name", h.Name, j)
		} else {
			names[h.Name] = i
		}
		if h.Cores < 1 {
			v.bad(p+".cores", "%d must be >= 1", h.Cores)
		}
		v.pos(p+".speed", h.Speed)
		v.nonNeg(p+".contention", h.Contention)
		if h.Slots < 1 || h.Slots > maxSlots {
			v.bad(p+".slots", "%d must be in 1..%d (distcc scans at most %d slots per host)", h.Slots, maxSlots, maxSlots)
		}
		if h.MaxJobs < 1 {
			v.bad(p+".max_jobs", "%d must be >= 1", h.MaxJobs)
		}
		if h.Machine == "" {
			continue
		}
		j, ok := machines[h.Machine]
		if !ok {
			machines[h.Machine] = i
			continue
		}
		m := hosts[j]
		if m.Cores != h.Cores {
			v.bad(p+".cores", "%d differs from %d on hosts[%d], the same machine %q", h.Cores, m.Cores, j, h.Machine)
		}
		if m.Speed != h.Speed {
			v.bad(p+".speed", "%v differs from %v on hosts[%d], the same machine %q", h.Speed, m.Speed, j, h.Machine)
		}
		if m.Contention != h.Contention {
			v.bad(p+".contention", "%v differs from %v on hosts[%d], the same machine %q", h.Contention, m.Contention, j, h.Machine)
		}
	}
}

func (v *validator) build(b Build) {
	if b.Units < 1 {
		v.bad("build.units", "%d must be >= 1", b.Units)
	}
	v.pos("build.unit_mean_seconds", b.UnitMeanSeconds)
	v.nonNeg("build.unit_cv", b.UnitCV)
	if !(b.PreprocessFraction >= 0 && b.PreprocessFraction < 1) {
		v.bad("build.preprocess_fraction", "%v must be in [0, 1)", b.PreprocessFraction)
	}
	v.nonNeg("build.unit_memory_mb", b.UnitMemoryMB)
	v.nonNeg("build.link_seconds", b.LinkSeconds)
	v.nonNeg("build.overhead_seconds", b.OverheadSeconds)
}

// SlotSum is what `distcc -j` prints: the sum of all slots including
// localhost's. Jobs beyond it can only wait for a slot.
func (f Farm) SlotSum() int {
	f = f.withDefaults()
	s := f.Master.LocalhostSlots
	for _, h := range f.Hosts {
		s += min(h.Slots, maxSlots)
	}
	return s
}

// AcceptSum is how many compiles the farm takes at once without failures:
// localhost slots plus, per host, the smaller of its slots and max_jobs.
func (f Farm) AcceptSum() int {
	f = f.withDefaults()
	s := f.Master.LocalhostSlots
	for _, h := range f.Hosts {
		s += min(h.Slots, h.MaxJobs, maxSlots)
	}
	return s
}

// TotalCores counts the master's cores plus each physical machine's once,
// which is what the rule of thumb N = 2 × cores + 1 should have used.
func (f Farm) TotalCores() int {
	f = f.withDefaults()
	n := f.Master.Cores
	seen := map[string]bool{}
	for _, h := range f.Hosts {
		if h.Machine != "" {
			if seen[h.Machine] {
				continue
			}
			seen[h.Machine] = true
		}
		n += h.Cores
	}
	return n
}

// SearchRange is where jtune would start and search on this farm: the
// rule of thumb N0 = 2 x cores + 1 with each physical machine counted once,
// and tuner.DefaultRange from the master's cores and the slot sum.
func (f Farm) SearchRange() (n0 int, r tuner.Range) {
	n0, err := distcc.RuleOfThumb(f.TotalCores())
	if err != nil {
		panic(err) // a farm's cores are a few thousand at the most
	}
	return n0, tuner.DefaultRange(n0, f.withDefaults().Master.Cores, f.SlotSum())
}

// WithHosts keeps the first k remote hosts, modelling a run that lists
// only k of them in DISTCC_HOSTS (the seed study's "lxc" column). The seed
// farm lists containers alternately on its two slaves, so any prefix
// spreads over both.
func (f Farm) WithHosts(k int) Farm {
	k = max(0, min(k, len(f.Hosts)))
	hosts := make([]Host, k)
	copy(hosts, f.Hosts[:k])
	f.Hosts = hosts
	return f
}

// LocalOnly is the same build without distcc (plain make, CC=gcc): every
// unit compiles whole on the master and no slots limit concurrency.
func (f Farm) LocalOnly() Farm {
	f.Hosts = nil
	f.Master.LocalhostSlots = 0
	return f
}

// Distributed reports whether builds go through distcc at all.
func (f Farm) Distributed() bool {
	return len(f.Hosts) > 0 || f.Master.LocalhostSlots > 0
}

// String summarises a farm in one line for logs.
func (f Farm) String() string {
	var b strings.Builder
	name := f.Name
	if name == "" {
		name = "farm"
	}
	fmt.Fprintf(&b, "%s: master %d cores", name, f.Master.Cores)
	if f.Master.LocalhostSlots > 0 {
		fmt.Fprintf(&b, " (localhost/%d)", f.Master.LocalhostSlots)
	}
	fmt.Fprintf(&b, ", %d hosts, %d slots, %d units", len(f.Hosts), f.SlotSum(), f.Build.Units)
	return b.String()
}
