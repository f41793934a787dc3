package main

import (
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// nims serve runs the jobs $import queues: an NDJSON body is loaded by the server's own
// runner, and the status URL reports it done.
func TestServeRunsImports(t *testing.T) {
	srv := startServe(t)
	stop := sync.OnceValue(srv.stop)
	defer stop()
	send := func(method, url, ctype, body string) *http.Response {
		t.Helper()
		req, err := http.NewRequest(method, url, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+srv.token)
		req.Header.Set("Prefer", "respond-async")
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	r := send("POST", srv.base+"/fhir/$import", "application/fhir+ndjson",
		`{"resourceType":"Organization","id":"imported-org","name":"Imported"}`+"\n")
	status := r.Header.Get("Content-Location")
	if r.StatusCode != http.StatusAccepted || status == "" {
		t.Fatalf("kick-off: status %d, Content-Location %q", r.StatusCode, status)
	}
	deadline := time.Now().Add(30 * time.Second)
	for r = send("GET", status, "", ""); r.StatusCode == http.StatusAccepted; r = send("GET", status, "", "") {
		if time.Now().After(deadline) {
			t.Fatalf("the import did not finish: %s", r.Header.Get("X-Progress"))
		}
		time.Sleep(100 * time.Millisecond)
	}
	if r.StatusCode != http.StatusOK {
		t.Fatalf("status of the finished import: %d", r.StatusCode)
	}
	if r := srv.do(t, "GET", "/fhir/Organization/imported-org", ""); r.StatusCode != http.StatusOK {
		t.Errorf("the imported Organization: status %d", r.StatusCode)
	}
	if err := stop(); err != nil {
		t.Errorf("serve: %v", err)
	}
}

func TestServeImportSourcesFlag(t *testing.T) {
	if _, err := parseServe([]string{"--import-sources", "https://a.example/x/, file:///etc"}, func(string) string { return "" }, io.Discard); err == nil {
		t.Error("--import-sources took a file: URL")
	}
	c, err := parseServe(nil, func(k string) string {
		if k == "NIMS_IMPORT_SOURCES" {
			return "https://a.example/x/"
		}
		return ""
	}, io.Discard)
	if err != nil || c.importSources != "https://a.example/x/" {
		t.Errorf("NIMS_IMPORT_SOURCES: %q, %v", c.importSources, err)
	}
}

func TestServeJobsDirFlag(t *testing.T) {
	c, err := parseServe([]string{"--data", "/srv/nims"}, func(string) string { return "" }, io.Discard)
	if err != nil || jobsPath(c.jobsDir, c.data) != filepath.Join("/srv/nims", "jobs") {
		t.Errorf("default jobs directory: %q, %v; want DATA/jobs", jobsPath(c.jobsDir, c.data), err)
	}
	c, err = parseServe(nil, func(k string) string {
		if k == "NIMS_JOBS_DIR" {
			return "/mnt/shared/jobs"
		}
		return ""
	}, io.Discard)
	if err != nil || jobsPath(c.jobsDir, c.data) != "/mnt/shared/jobs" {
		t.Errorf("NIMS_JOBS_DIR: %q, %v", jobsPath(c.jobsDir, c.data), err)
	}
}
