package api

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// searchBundle is the part of a searchset Bundle the tests read.
type searchBundle struct {
	ResourceType string `json:"resourceType"`
	Type         string `json:"type"`
	Total        *int   `json:"total"`
	Link         []struct {
		Relation string `json:"relation"`
		URL      string `json:"url"`
	} `json:"link"`
	Entry []struct {
		FullURL  string         `json:"fullUrl"`
		Resource map[string]any `json:"resource"`
		Search   struct {
			Mode string `json:"mode"`
		} `json:"search"`
	} `json:"entry"`
}

// searchOK runs a search that must succeed and returns its Bundle.
func searchOK(t *testing.T, ts *httptest.Server, path string, headers ...string) searchBundle {
	t.Helper()
	r := do(t, ts, "GET", path, nil, headers...)
	wantStatus(t, r, http.StatusOK, "GET "+path)
	return decodeBundle(t, r)
}

func decodeBundle(t *testing.T, r response) searchBundle {
	t.Helper()
	var b searchBundle
	if err := json.Unmarshal(r.body, &b); err != nil {
		t.Fatalf("not a Bundle: %v\n%s", err, r.body)
	}
	if b.ResourceType != "Bundle" || b.Type != "searchset" {
		t.Fatalf("got %s of type %s, want a searchset Bundle", b.ResourceType, b.Type)
	}
	if !strings.Contains(string(r.body), `"entry":[`) {
		t.Fatalf("Bundle without entry (it must always be present): %s", r.body)
	}
	return b
}

// link returns the URL of the link with relation rel, or "".
func (b searchBundle) link(rel string) string {
	for _, l := range b.Link {
		if l.Relation == rel {
			return l.URL
		}
	}
	return ""
}

// ids returns the ids of the entries with search mode mode, in order.
func (b searchBundle) ids(mode string) []string {
	var out []string
	for _, e := range b.Entry {
		if e.Search.Mode == mode {
			id, _ := e.Resource["id"].(string)
			out = append(out, e.Resource["resourceType"].(string)+"/"+id)
		}
	}
	return out
}

// outcome returns the issues of the outcome entry, or nil when there is none; more
// than one outcome entry fails the test.
func (b searchBundle) outcome(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	n := 0
	for _, e := range b.Entry {
		if e.Search.Mode != "outcome" {
			continue
		}
		n++
		if e.Resource["resourceType"] != "OperationOutcome" {
			t.Fatalf("outcome entry holds a %v", e.Resource["resourceType"])
		}
		for _, is := range e.Resource["issue"].([]any) {
			out = append(out, is.(map[string]any))
		}
	}
	if n > 1 {
		t.Fatalf("%d outcome entries, want at most one", n)
	}
	return out
}

// create stores a resource and returns "Type/id".
func create(t *testing.T, ts *httptest.Server, res map[string]any) string {
	t.Helper()
	typ := res["resourceType"].(string)
	r := do(t, ts, "POST", "/fhir/"+typ, res)
	wantStatus(t, r, http.StatusCreated, "create "+typ)
	return typ + "/" + r.json(t)["id"].(string)
}

// vaccination is an Immunization of patientRef against the SNOMED disease on day.
func vaccination(patientRef, disease, day string) map[string]any {
	return map[string]any{
		"resourceType":       "Immunization",
		"status":             "completed",
		"vaccineCode":        map[string]any{"coding": []any{map[string]any{"system": "http://snomed.info/sct", "code": "39114911000001105"}}},
		"patient":            map[string]any{"reference": patientRef},
		"occurrenceDateTime": day,
		"lotNumber":          "LOT-" + disease,
		"protocolApplied": []any{map[string]any{
			"doseNumberPositiveInt": 1,
			"targetDisease":         []any{map[string]any{"coding": []any{map[string]any{"system": "http://snomed.info/sct", "code": disease}}}},
		}},
	}
}

const (
	snomedCOVID = "840539006"
	snomedFlu   = "6142004"
)
