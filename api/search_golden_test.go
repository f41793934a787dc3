package api

import (
	"bytes"
	"encoding/json"
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// normalise replaces what differs between runs (the server's URL, times, the outcome
// entry's uuid, cursors) with fixed text.
func normalise(body []byte, base string) []byte {
	body = bytes.ReplaceAll(body, []byte(base), []byte("BASE"))
	for re, with := range map[*regexp.Regexp]string{
		regexp.MustCompile(`"lastUpdated": "[^"]*"`): `"lastUpdated": "TIME"`,
		regexp.MustCompile(`urn:uuid:[0-9a-f-]{36}`): `urn:uuid:UUID`,
		regexp.MustCompile(`_cursor=[^&"]*`):         `_cursor=CURSOR`,
	} {
		body = re.ReplaceAll(body, []byte(with))
	}
	return body
}

// The searchset Bundle, byte for byte: a page of matches, the included patient, the
// outcome entry for an ignored parameter, the self and next links.
func TestSearchsetGolden(t *testing.T) {
	ts := newTestServer(t, Config{})
	put := func(path string, res map[string]any) {
		t.Helper()
		wantStatus(t, do(t, ts, "PUT", path, res), http.StatusCreated, "PUT "+path)
	}
	p := patient("9000000009")
	p["id"] = "golden-p1"
	put("/fhir/Patient/golden-p1", p)
	for i, disease := range []string{snomedCOVID, snomedFlu} {
		id := []string{"golden-i1", "golden-i2"}[i]
		v := vaccination("Patient/golden-p1", disease, "2024-10-0"+strconv.Itoa(i+1))
		v["id"] = id
		put("/fhir/Immunization/"+id, v)
	}
	r := do(t, ts, "GET", "/fhir/Immunization?_include=Immunization:patient&_count=1&_sort=_id&_total=accurate&nosuch=x", nil)
	wantStatus(t, r, http.StatusOK, "search")
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, r.body, "", "  "); err != nil {
		t.Fatal(err)
	}
	got := append(normalise(pretty.Bytes(), ts.URL), '\n')
	file := filepath.Join("testdata", "searchset-include.json")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run go test ./api -run Golden -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("searchset differs from %s (go test ./api -run Golden -update rewrites it)\n got:\n%s", file, got)
	}
}
