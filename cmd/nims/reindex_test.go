package main

import (
	"bytes"
	"context"
	"io"
	"net/url"
	"strings"
	"testing"

	"github.com/nimsproject/nims/fhir/search"
)

func TestReindex(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := openStore(ctx, "", dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	n, err := seedDemo(ctx, st, 0)
	if err != nil || n == 0 {
		t.Fatalf("seedDemo: %d, %v", n, err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	noEnv := func(string) string { return "" }

	var out, errOut bytes.Buffer
	if err := run(ctx, []string{"reindex", "--data", dir}, noEnv, &out, &errOut); err != nil {
		t.Fatalf("nims reindex: %v\n%s", err, errOut.String())
	}
	if !strings.Contains(out.String(), "reindexed ") || !strings.Contains(errOut.String(), "reindexing every resource type") {
		t.Errorf("nims reindex: stdout %q, stderr %q", out.String(), errOut.String())
	}

	out.Reset()
	env := func(k string) string {
		if k == "NIMS_DATA" {
			return dir
		}
		return ""
	}
	if err := run(ctx, []string{"reindex", "--type", "Immunization"}, env, &out, io.Discard); err != nil {
		t.Fatalf("nims reindex --type Immunization (NIMS_DATA): %v", err)
	}
	if !strings.Contains(out.String(), "(Immunization)") {
		t.Errorf("nims reindex --type Immunization: %q", out.String())
	}

	// The index still answers after the rebuild.
	st, err = openStore(ctx, "", dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	q, err := search.Parse("Immunization", url.Values{"patient": {"Patient/demo-patient-1"}}, search.ParseOptions{DefaultCount: 10})
	if err != nil {
		t.Fatal(err)
	}
	res, err := st.Search(ctx, q)
	if err != nil || len(res.Records) == 0 {
		t.Errorf("after reindex, Immunization?patient=Patient/demo-patient-1 found %d records, %v", len(res.Records), err)
	}

	for _, args := range [][]string{
		{"reindex", "--data", dir, "--type", "Vaccination"},
		{"reindex", "--data", dir, "extra"},
		{"reindex", "--store", "ftp://x"},
	} {
		if err := run(ctx, args, noEnv, io.Discard, io.Discard); err == nil {
			t.Errorf("nims %s: no error", strings.Join(args, " "))
		}
	}
}
