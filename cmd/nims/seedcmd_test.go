package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nimsproject/nims/fhir/search"
)

func TestSeed(t *testing.T) {
	ctx := context.Background()
	noEnv := func(string) string { return "" }
	seed := func(args ...string) string {
		t.Helper()
		var out, errOut bytes.Buffer
		if err := run(ctx, append([]string{"seed", "--patients", "300", "--seed", "4"}, args...), noEnv, &out, &errOut); err != nil {
			t.Fatalf("nims seed %s: %v\n%s", strings.Join(args, " "), err, errOut.String())
		}
		return out.String()
	}

	// --out twice: the same bytes, one file per type.
	a, b := t.TempDir(), t.TempDir()
	seed("--out", a, "--quiet")
	seed("--out", b, "--quiet")
	lines := map[string]int64{}
	for _, typ := range seedTypes {
		x, err := os.ReadFile(filepath.Join(a, typ+".ndjson"))
		if err != nil {
			t.Fatal(err)
		}
		y, _ := os.ReadFile(filepath.Join(b, typ+".ndjson"))
		if !bytes.Equal(x, y) {
			t.Errorf("%s.ndjson differs between two runs", typ)
		}
		lines[typ] = int64(bytes.Count(x, []byte("\n")))
	}
	if lines["Patient"] != 300 || lines["Organization"] < 49 || lines["Immunization"] == 0 || lines["Flag"] == 0 {
		t.Fatalf("files hold %v", lines)
	}

	// Into the store: the same counts by type.
	data := t.TempDir()
	out := seed("--data", data)
	if !strings.Contains(out, "seeded 300 people") || !strings.Contains(out, "300 Patient") {
		t.Errorf("nims seed printed %q", out)
	}
	st, err := openStore(ctx, "", data, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, typ := range seedTypes {
		q, err := search.Parse(typ, url.Values{"_summary": {"count"}}, search.ParseOptions{DefaultCount: 10})
		if err != nil {
			t.Fatal(err)
		}
		res, err := st.Search(ctx, q)
		if err != nil || res.Total != lines[typ] {
			t.Errorf("%s in the store: %d, %v; the file has %d", typ, res.Total, err, lines[typ])
		}
	}
	// A person's vaccinations are found by their NHS number, through the chain.
	patient, nhs, want := seededPatient(t, a)
	q, err := search.Parse("Immunization", url.Values{"patient.identifier": {"https://fhir.nhs.uk/Id/nhs-number|" + nhs}}, search.ParseOptions{DefaultCount: 50})
	if err != nil {
		t.Fatal(err)
	}
	if res, err := st.Search(ctx, q); err != nil || len(res.Records) != want {
		t.Errorf("Immunization?patient.identifier=…|%s (%s): %d records, %v; want %d", nhs, patient, len(res.Records), err, want)
	}
	st.Close()

	// A second seed into the same store is refused; so is a missing size.
	for _, args := range [][]string{
		{"seed", "--data", data, "--patients", "10", "--quiet"},
		{"seed", "--data", data},
		{"seed", "--out", t.TempDir(), "--patients", "0"},
	} {
		if err := run(ctx, args, noEnv, io.Discard, io.Discard); err == nil {
			t.Errorf("nims %s: no error", strings.Join(args, " "))
		}
	}
}

// seededPatient returns the first vaccinated person in the NDJSON of dir: their
// reference, NHS number and how many Immunizations they have.
func seededPatient(t *testing.T, dir string) (ref, nhs string, imms int) {
	t.Helper()
	for _, line := range readLines(t, filepath.Join(dir, "Immunization.ndjson")) {
		var im struct{ Patient struct{ Reference string } }
		json.Unmarshal(line, &im)
		if ref == "" {
			ref = im.Patient.Reference
		}
		if im.Patient.Reference == ref {
			imms++
		}
	}
	for _, line := range readLines(t, filepath.Join(dir, "Patient.ndjson")) {
		var p struct {
			ID         string
			Identifier []struct{ Value string }
		}
		json.Unmarshal(line, &p)
		if "Patient/"+p.ID == ref {
			return ref, p.Identifier[0].Value, imms
		}
	}
	t.Fatalf("no Patient for %s", ref)
	return
}

func readLines(t *testing.T, name string) [][]byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Split(bytes.TrimSpace(b), []byte("\n"))
}
