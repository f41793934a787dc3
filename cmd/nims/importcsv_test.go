package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// nims import takes NHS batch files: applied with a BUSACK line per row, and a file sent
// again refused.
func TestImportBatchFile(t *testing.T) {
	data := t.TempDir()
	src := "../../bulk/nhscsv/testdata/FLU_Vaccinations_v5_RX809_20241015T17300000.csv"
	raw, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	rows := strings.Count(strings.TrimSpace(string(raw)), "\n") // lines after the header
	env := func(string) string { return "" }
	var out bytes.Buffer
	err = run(context.Background(), []string{"import", "--quiet", "--data", data, src}, env, &out, &out)
	if err != nil {
		t.Fatalf("import: %v\n%s", err, &out)
	}
	m := regexp.MustCompile(`BUSACK report (\S+)`).FindStringSubmatch(out.String())
	if m == nil || !strings.Contains(out.String(), "0 failed") {
		t.Fatalf("output:\n%s", &out)
	}
	ack, err := os.ReadFile(m[1])
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(strings.TrimSpace(string(ack)), "\n"); got != rows {
		t.Errorf("%d BUSACK lines after the header, want %d (one per row)", got, rows)
	}
	if !strings.HasPrefix(filepath.Clean(m[1]), filepath.Join(data, "jobs")) {
		t.Errorf("report kept at %s, outside the data directory", m[1])
	}
	out.Reset()
	err = run(context.Background(), []string{"import", "--quiet", "--data", data, src}, env, &out, &out)
	if err == nil || !strings.Contains(err.Error(), "received before") {
		t.Errorf("the same file again: %v\n%s", err, &out)
	}
}

// --jobs-dir (or NIMS_JOBS_DIR) puts the jobs' files where replicas sharing a store can
// all reach them, not under --data.
func TestImportJobsDir(t *testing.T) {
	data, jobs := t.TempDir(), t.TempDir()
	src := "../../bulk/nhscsv/testdata/FLU_Vaccinations_v5_RX809_20241015T17300000.csv"
	for _, tc := range []struct {
		name string
		args []string
		env  func(string) string
	}{
		{"flag", []string{"--jobs-dir", jobs}, func(string) string { return "" }},
		{"env", nil, func(k string) string {
			if k == "NIMS_JOBS_DIR" {
				return jobs
			}
			return ""
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			args := append(append([]string{"import", "--quiet", "--data", filepath.Join(data, tc.name)}, tc.args...), src)
			if err := run(context.Background(), args, tc.env, &out, &out); err != nil {
				t.Fatalf("import: %v\n%s", err, &out)
			}
			m := regexp.MustCompile(`BUSACK report (\S+)`).FindStringSubmatch(out.String())
			if m == nil || !strings.HasPrefix(filepath.Clean(m[1]), jobs+string(filepath.Separator)) {
				t.Fatalf("report not kept under --jobs-dir %s:\n%s", jobs, &out)
			}
			if _, err := os.Stat(m[1]); err != nil {
				t.Fatal(err)
			}
		})
	}
}
