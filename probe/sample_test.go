package probe

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/jtune/jtune/tuner"
)

// fakeHwmon builds a sysfs tree with the files gopsutil reads for
// temperatures: hwmonN/name, tempK_input (millidegrees) and tempK_label.
func fakeHwmon(t *testing.T, chips map[string]map[string]string) string {
	t.Helper()
	root := t.TempDir()
	i := 0
	for name, files := range chips {
		dir := filepath.Join(root, "class", "hwmon", "hwmon"+string(rune('0'+i)))
		i++
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		files["name"] = name
		for f, v := range files {
			if err := os.WriteFile(filepath.Join(dir, f), []byte(v+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	return root
}

func TestSystemSamplerTemperature(t *testing.T) {
	sys := fakeHwmon(t, map[string]map[string]string{
		"coretemp": {"temp1_input": "54000", "temp1_label": "Package id 0", "temp2_input": "51000", "temp2_label": "Core 0"},
		"nvme":     {"temp1_input": "70000", "temp1_label": "Composite"},
	})
	tests := []struct {
		name    string
		sysDir  string
		sensor  string
		want    float64
		hasTemp bool
	}{
		{"hottest CPU sensor, not the hotter disk", sys, "", 54, true},
		{"a chosen sensor", sys, "nvme_composite", 70, true},
		{"a chosen sensor that does not exist", sys, "k10temp_tctl", 0, false},
		{"no sensors at all is not an error", t.TempDir(), "", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("HOST_SYS", tt.sysDir)
			s, err := SystemSampler{Sensor: tt.sensor}.Sample(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if s.HasTemp != tt.hasTemp || s.TempC != tt.want {
				t.Errorf("temperature %.1f (known %v), want %.1f (known %v)", s.TempC, s.HasTemp, tt.want, tt.hasTemp)
			}
			if s.AvailableMemory == 0 {
				t.Error("available memory is zero")
			}
		})
	}
}

func TestBuildKeepsMaxAndMeanTemperature(t *testing.T) {
	t.Setenv("HOST_SYS", fakeHwmon(t, map[string]map[string]string{"k10temp": {"temp1_input": "61500", "temp1_label": "Tctl"}}))
	m, err := quickRunner("sleep", "0.1").Build(context.Background(), tuner.BuildRequest{Jobs: 1, Load: 0})
	if err != nil {
		t.Fatal(err)
	}
	if m.MaxTempC == nil || *m.MaxTempC != 61.5 || m.MeanTempC == nil || *m.MeanTempC != 61.5 {
		t.Errorf("max/mean temperature %v/%v, want 61.5", m.MaxTempC, m.MeanTempC)
	}
	if m.Samples < 2 {
		t.Errorf("%d samples in 100 ms at a 20 ms interval", m.Samples)
	}
}
