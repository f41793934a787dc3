package api

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

func TestHealthReadyMetrics(t *testing.T) {
	ts := newTestServer(t, Config{})
	wantStatus(t, do(t, ts, "GET", "/healthz", nil), http.StatusOK, "healthz")
	wantStatus(t, do(t, ts, "GET", "/readyz", nil), http.StatusOK, "readyz")
	do(t, ts, "GET", "/fhir/Patient/nope", nil)
	m := do(t, ts, "GET", "/metrics", nil)
	wantStatus(t, m, http.StatusOK, "metrics")
	for _, want := range []string{
		`nims_http_requests_total{code="404",interaction="read",type="Patient"} 1`,
		`nims_http_request_duration_seconds_bucket{interaction="read",type="Patient"`,
	} {
		if !strings.Contains(string(m.body), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

// The CapabilityStatement is generated from what the server does.
func TestCapabilityStatement(t *testing.T) {
	ts := newTestServer(t, Config{Version: "test"})
	cs := do(t, ts, "GET", "/fhir/metadata", nil)
	wantStatus(t, cs, http.StatusOK, "metadata")
	m := cs.json(t)
	if m["resourceType"] != "CapabilityStatement" || m["fhirVersion"] != "4.0.1" {
		t.Fatalf("not an R4 CapabilityStatement: %.300s", cs.body)
	}
	formats := m["format"].([]any)
	for _, f := range formats {
		if strings.Contains(f.(string), "xml") {
			t.Errorf("claims XML format %v", f)
		}
	}
	rest := m["rest"].([]any)[0].(map[string]any)
	byType := map[string]map[string]any{}
	for _, r := range rest["resource"].([]any) {
		byType[r.(map[string]any)["type"].(string)] = r.(map[string]any)
	}
	if len(byType) < 140 {
		t.Errorf("lists %d resource types, want every R4 type", len(byType))
	}
	for _, typ := range []string{"Patient", "Immunization", "Flag", "Communication", "Organization", "Practitioner", "Encounter"} {
		r := byType[typ]
		if r == nil {
			t.Fatalf("no %s in the CapabilityStatement", typ)
		}
		var codes []string
		for _, i := range r["interaction"].([]any) {
			codes = append(codes, i.(map[string]any)["code"].(string))
		}
		got := strings.Join(codes, ",")
		for _, want := range []string{"create", "read", "vread", "update", "delete", "history-instance", "history-type", "search-type"} {
			if !strings.Contains(got, want) {
				t.Errorf("%s interactions %s lack %s", typ, got, want)
			}
		}
		if r["conditionalCreate"] != true || r["conditionalUpdate"] != true || r["conditionalDelete"] != "single" {
			t.Errorf("%s conditional flags = %v %v %v", typ, r["conditionalCreate"], r["conditionalUpdate"], r["conditionalDelete"])
		}
	}
	var sys []string
	for _, x := range rest["interaction"].([]any) {
		sys = append(sys, x.(map[string]any)["code"].(string))
	}
	if fmt.Sprint(sys) != "[batch history-system transaction]" {
		t.Errorf("system interactions = %v, want batch, history-system and transaction", sys)
	}
}
