package main

import (
	"bytes"
	"context"

	"github.com/nimsproject/nims/audit"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFeedCommands(t *testing.T) {
	data, dir := t.TempDir(), t.TempDir()
	env := func(string) string { return "" }
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	feed := func(args ...string) (string, error) {
		var out bytes.Buffer
		err := run(context.Background(), append([]string{"feed"}, args...), env, &out, &out)
		return out.String(), err
	}
	delta := write("delta.ndjson", `{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9000000009"}],"name":[{"family":"Ng"}]}
{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9000000017"}],"name":[{"family":"Ode"}]}
{"resourceType":"Patient","name":[{"family":"NoNumber"}]}
`)
	out, err := feed("demographics", "--data", data, delta)
	if err == nil || !strings.Contains(out, "2 created") || !strings.Contains(out, "delta.ndjson:3:") {
		t.Errorf("demographics: %v\n%s", err, out)
	}
	list := write("pregnant.csv", "NHS_NUMBER\n9000000009\n")
	out, err = feed("priority-list", "--data", data, "--code", "77386006", "--category", "pregnant", "--start", "2026-09-01", list)
	if err != nil || !strings.Contains(out, "1 listed, 1 flagged") {
		t.Errorf("priority-list: %v\n%s", err, out)
	}
	out, err = feed("ethnicity", "--data", data, write("eth.csv", "9000000017,A\n"))
	if err != nil || !strings.Contains(out, "1 updated") {
		t.Errorf("ethnicity: %v\n%s", err, out)
	}
	if _, err := feed("priority-list", "--data", data, "--code", "77386006", "--category", "pregnant", list); err == nil {
		t.Error("a list without --start was taken")
	}
	if _, err := feed("births", "--data", data, list); err == nil {
		t.Error("an unknown feed was taken")
	}
	// Each run is in the audit trail: the operator, the feed and its files, the outcome.
	log, err := audit.Open(data, audit.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	recs, _, err := log.Search(context.Background(), audit.Query{Interaction: "operator-feed"})
	if err != nil || len(recs) != 4 { // the run refused before opening the store touched nothing
		t.Fatalf("%d operator-feed events, %v; want 4", len(recs), err)
	}
	if e := recs[0].Event; !strings.HasPrefix(e.ClientID, "operator:") || e.Query != "feed=demographics&files=delta.ndjson" || e.Status != 500 {
		t.Errorf("first event %+v", e)
	}
	if e := recs[1].Event; e.Status != 200 || !strings.Contains(e.Query, "priority-list") {
		t.Errorf("second event %+v", e)
	}
}
