package audit

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/nimsproject/nims/fhir"
)

var update = flag.Bool("update", false, "rewrite the golden AuditEvent files in testdata")

var auditCases = []struct {
	name  string
	event Event
}{
	{"read", Event{Time: t0, RequestID: "r-1", ClientID: "gp-1", ClientName: "Riverside Surgery", Role: "gp",
		Purpose: "TREAT", Interaction: "read", Type: "Immunization", Entities: []string{"Immunization/a"},
		Patients: []string{"Patient/9000000009"}, Status: 200, Address: "10.0.0.7"}},
	{"search", Event{Time: t0, RequestID: "r-2", ClientID: "gp-1", ClientName: "Riverside Surgery", Role: "gp",
		Purpose: "TREAT", Interaction: "search-type", Type: "Immunization", Query: "patient=Patient/9000000009&date=ge2025",
		Entities: []string{"Immunization/a", "Immunization/b", "Patient/9000000009"}, Patients: []string{"Patient/9000000009"},
		Status: 200, Address: "10.0.0.7"}},
	{"token", Event{Time: t0, RequestID: "r-3", ClientID: "pass-issuer", Interaction: "token", Status: 401,
		Outcome: "Unauthorized", Address: "192.0.2.1"}},
}

// The AuditEvents of a read, a search and a token request are valid FHIR R4 (the
// project's validator, against the R4 structure definitions) and match golden files.
func TestAuditEvent(t *testing.T) {
	l := open(t, t.TempDir(), Options{Source: "nims test"})
	for _, tc := range auditCases {
		l.Record(tc.event)
	}
	flush(t, l)
	recs, _, err := l.Search(context.Background(), Query{})
	if err != nil {
		t.Fatal(err)
	}
	for i, tc := range auditCases {
		t.Run(tc.name, func(t *testing.T) {
			js := recs[i].AuditEvent("")
			var ae map[string]any
			if err := json.Unmarshal(js, &ae); err != nil {
				t.Fatalf("not JSON: %v\n%s", err, js)
			}
			if _, ok := ae["type"].(map[string]any)["code"]; !ok || ae["recorded"] != "2026-03-01T09:00:00.000Z" {
				t.Errorf("type or recorded missing: %s", js)
			}
			agents, _ := ae["agent"].([]any)
			if len(agents) != 1 || agents[0].(map[string]any)["requestor"] != true {
				t.Errorf("want one requestor agent: %s", js)
			}
			if obs := ae["source"].(map[string]any)["observer"].(map[string]any); obs["display"] != "nims test" {
				t.Errorf("source.observer = %v", obs)
			}
			r, err := fhir.Decode(js)
			if err != nil {
				t.Fatal(err)
			}
			if err := fhir.Validate(r); err != nil {
				t.Errorf("Validate: %v\n%s", issues(err), js)
			}
			golden(t, filepath.Join("testdata", "auditevent_"+tc.name+".json"), js)
		})
	}
	if q := queryOf(t, recs[1].AuditEvent("")); q != auditCases[1].event.Query {
		t.Errorf("search entity query decodes to %q, want %q", q, auditCases[1].event.Query)
	}
}

func issues(err error) any {
	if fe, ok := err.(*fhir.Error); ok {
		return fe.Issues
	}
	return err
}

func queryOf(t *testing.T, js []byte) string {
	var ae struct{ Entity []struct{ Query string } }
	if err := json.Unmarshal(js, &ae); err != nil {
		t.Fatal(err)
	}
	for _, e := range ae.Entity {
		if e.Query != "" {
			q, err := base64.StdEncoding.DecodeString(e.Query)
			if err != nil {
				t.Fatal(err)
			}
			return string(q)
		}
	}
	return ""
}

func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	var b bytes.Buffer
	json.Indent(&b, got, "", "  ")
	b.WriteByte('\n')
	if *update {
		if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(b.Bytes(), want) {
		t.Errorf("AuditEvent differs from %s (run with -update if intended):\n%s", path, b.Bytes())
	}
}

func TestAuditEventCoding(t *testing.T) {
	for _, tc := range []struct {
		interaction string
		status      int
		typ, action string
		outcome     string
		subtypes    int
	}{
		{"read", 200, "110110", "R", "0", 1},
		{"vread", 304, "110110", "R", "0", 1},
		{"search-type", 200, "110110", "E", "0", 1},
		{"search-compartment", 200, "110110", "E", "0", 2},
		{"history-instance", 200, "110110", "E", "0", 1},
		{"create", 201, "110110", "C", "0", 1},
		{"update", 200, "110110", "U", "0", 1},
		{"update", 201, "110110", "C", "0", 1},
		{"conditional-update", 201, "110110", "C", "0", 2},
		{"delete", 200, "110110", "D", "0", 1},
		{"conditional-delete", 412, "110110", "D", "4", 2},
		{"validate", 200, "110110", "E", "0", 2},
		{"export", 500, "110106", "E", "8", 2},
		{"token", 200, "110114", "E", "0", 1},
		{"something-new", 403, "110110", "E", "4", 1},
	} {
		r := Record{Seq: 1, Prev: Genesis, Hash: Genesis, Event: Event{Time: t0, Interaction: tc.interaction, Status: tc.status}}
		var ae struct {
			Type    struct{ Code string }
			Subtype []struct{ System, Code string }
			Action  string
			Outcome string
		}
		js := r.AuditEvent("https://nims.example/fhir")
		if err := json.Unmarshal(js, &ae); err != nil {
			t.Fatal(err)
		}
		if ae.Type.Code != tc.typ || ae.Action != tc.action || ae.Outcome != tc.outcome || len(ae.Subtype) != tc.subtypes {
			t.Errorf("AuditEvent of %s %d: type %s action %s outcome %s, %d subtypes; want %s %s %s, %d",
				tc.interaction, tc.status, ae.Type.Code, ae.Action, ae.Outcome, len(ae.Subtype), tc.typ, tc.action, tc.outcome, tc.subtypes)
		}
		res, err := fhir.Decode(js)
		if err == nil {
			err = fhir.Validate(res)
		}
		if err != nil {
			t.Errorf("AuditEvent of %s: %v", tc.interaction, issues(err))
		}
	}
}

func TestAuditEventBase(t *testing.T) {
	r := Record{Seq: 3, Prev: Genesis, Hash: Genesis, Event: Event{Time: t0.Add(time.Second), Interaction: "read",
		Entities: []string{"Immunization/a"}, Patients: []string{"Patient/1"}, Status: 200}}
	var ae struct {
		ID     string
		Entity []struct{ What struct{ Reference string } }
	}
	json.Unmarshal(r.AuditEvent("https://nims.example/fhir/"), &ae)
	if ae.ID != "3" || len(ae.Entity) != 2 || ae.Entity[0].What.Reference != "https://nims.example/fhir/Patient/1" ||
		ae.Entity[1].What.Reference != "https://nims.example/fhir/Immunization/a" {
		t.Errorf("AuditEvent with base: %+v", ae)
	}
}
