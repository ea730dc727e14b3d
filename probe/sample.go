package probe

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/shirou/gopsutil/v4/load"
	"github.com/shirou/gopsutil/v4/mem"
	"github.com/shirou/gopsutil/v4/sensors"
)

// Sample is one reading of the master's state while a build runs.
type Sample struct {
	Load1    float64 // 1-minute load average
	Runnable int     // processes running or runnable now
	TempC    float64 // the chosen CPU sensor; meaningful only when HasTemp
	HasTemp  bool
	// AvailableMemory and SwapUsed are in bytes.
	AvailableMemory uint64
	SwapUsed        uint64
}

// Sampler reads the machine's state.
type Sampler interface {
	Sample(ctx context.Context) (Sample, error)
}

// SystemSampler reads this machine through gopsutil, which honours
// HOST_PROC and HOST_SYS so tests can point it at a fake tree.
type SystemSampler struct {
	// Sensor is the SensorKey to read. Empty means the hottest CPU package
	// or core sensor, or the hottest sensor of all if none looks like a CPU.
	Sensor string
}

// Sample reads load, runnable processes, temperature and memory. A
// machine without sensors has an unknown temperature, which is not an
// error.
func (s SystemSampler) Sample(ctx context.Context) (Sample, error) {
	var out Sample
	avg, err := load.AvgWithContext(ctx)
	if err != nil {
		return out, fmt.Errorf("reading the load average: %w", err)
	}
	out.Load1 = avg.Load1
	if misc, err := load.MiscWithContext(ctx); err == nil {
		out.Runnable = misc.ProcsRunning
	}
	if vm, err := mem.VirtualMemoryWithContext(ctx); err == nil {
		out.AvailableMemory = vm.Available
	}
	if sw, err := mem.SwapMemoryWithContext(ctx); err == nil {
		out.SwapUsed = sw.Used
	}
	temps, err := readTemperatures(ctx)
	if err != nil {
		return out, err
	}
	out.TempC, out.HasTemp = pickTemperature(temps, s.Sensor)
	return out, nil
}

func readTemperatures(ctx context.Context) ([]sensors.TemperatureStat, error) {
	temps, err := sensors.TemperaturesWithContext(ctx)
	// Unreadable sensor files come back as warnings beside partial data;
	// the readable ones are still good.
	var warnings *sensors.Warnings
	if err != nil && !errors.As(err, &warnings) {
		return nil, fmt.Errorf("reading temperatures: %w", err)
	}
	return temps, nil
}

// cpuSensorHints are substrings of the sensor keys that Linux drivers give
// CPU packages and cores (coretemp, k10temp, zenpower, x86_pkg_temp, ARM
// SoC thermal zones).
var cpuSensorHints = []string{"coretemp", "k10temp", "zenpower", "cpu", "package", "core", "tctl", "tdie", "x86_pkg", "soc"}

func pickTemperature(temps []sensors.TemperatureStat, key string) (float64, bool) {
	t, ok := pickSensor(temps, key)
	return t.Temperature, ok
}

// pickSensor chooses the sensor a SystemSampler reports, so that
// CriticalTemp reads the limit of the very sensor the guard watches.
func pickSensor(temps []sensors.TemperatureStat, key string) (sensors.TemperatureStat, bool) {
	var best sensors.TemperatureStat
	found := false
	consider := func(match func(string) bool) {
		for _, t := range temps {
			if match(strings.ToLower(t.SensorKey)) && (!found || t.Temperature > best.Temperature) {
				best, found = t, true
			}
		}
	}
	if key != "" {
		consider(func(k string) bool { return k == strings.ToLower(key) })
		return best, found
	}
	consider(func(k string) bool {
		for _, h := range cpuSensorHints {
			if strings.Contains(k, h) {
				return true
			}
		}
		return false
	})
	if !found {
		consider(func(string) bool { return true })
	}
	return best, found
}

// stats accumulates samples into the maxima and means of a Measurement.
type stats struct {
	n                int
	sumLoad, maxLoad float64
	sumRun           float64
	maxRun           int
	tempN            int
	sumTemp, maxTemp float64
	minAvail         uint64
	maxSwap          uint64
	firstSwap        uint64 // swap in use at the first sample, before the build could add to it
	err              error  // the last sampling error, if any
	thermal          thermalResult
}

func (s *stats) add(x Sample) {
	s.n++
	s.sumLoad += x.Load1
	s.maxLoad = max(s.maxLoad, x.Load1)
	s.sumRun += float64(x.Runnable)
	s.maxRun = max(s.maxRun, x.Runnable)
	if x.HasTemp {
		s.tempN++
		s.sumTemp += x.TempC
		s.maxTemp = max(s.maxTemp, x.TempC)
	}
	if x.AvailableMemory > 0 && (s.minAvail == 0 || x.AvailableMemory < s.minAvail) {
		s.minAvail = x.AvailableMemory
	}
	if s.n == 1 {
		s.firstSwap = x.SwapUsed
	}
	s.maxSwap = max(s.maxSwap, x.SwapUsed)
}

// swapGrowth is the swap the build has added so far.
func (s *stats) swapGrowth() uint64 { return s.maxSwap - min(s.firstSwap, s.maxSwap) }
