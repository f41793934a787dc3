package api

import (
	"net/http"
	"slices"
	"testing"

	"github.com/nimsproject/nims/fhir/search"
)

// The CapabilityStatement lists exactly the parameters a search accepts.
func TestCapabilityStatementSearch(t *testing.T) {
	ts := newTestServer(t, Config{})
	cs := do(t, ts, "GET", "/fhir/metadata", nil)
	wantStatus(t, cs, http.StatusOK, "metadata")
	rest := cs.json(t)["rest"].([]any)[0].(map[string]any)
	if comps, _ := rest["compartment"].([]any); !slices.Contains(comps, any(patientCompartmentURL)) {
		t.Errorf("rest.compartment = %v, want the Patient compartment", rest["compartment"])
	}
	byType := map[string]map[string]any{}
	for _, r := range rest["resource"].([]any) {
		byType[r.(map[string]any)["type"].(string)] = r.(map[string]any)
	}
	params := func(typ string) map[string]map[string]any {
		out := map[string]map[string]any{}
		for _, sp := range byType[typ]["searchParam"].([]any) {
			m := sp.(map[string]any)
			out[m["name"].(string)] = m
		}
		return out
	}

	for _, typ := range []string{"Patient", "Immunization", "Flag", "Communication", "Organization", "Group", "Observation"} {
		listed := params(typ)
		for _, p := range search.AllParams(typ) {
			m, ok := listed[p.Name]
			switch {
			case p.Type == search.TypeComposite || p.Type == search.TypeSpecial:
				if ok {
					t.Errorf("%s lists %s, a %s parameter Parse refuses", typ, p.Name, p.Type)
				}
			case !ok:
				t.Errorf("%s does not list %s", typ, p.Name)
			case m["type"] != p.Type.String() || (p.Definition != "" && m["definition"] != p.Definition):
				t.Errorf("%s.%s listed as %v, want type %s and definition %q", typ, p.Name, m, p.Type, p.Definition)
			}
			delete(listed, p.Name)
		}
		for name := range listed {
			if !(typ == "Immunization" && (name == "-date.from" || name == "-date.to")) && !(typ == "Patient" && name == "age") {
				t.Errorf("%s lists %s, which is not in the parameter table", typ, name)
			}
		}
	}

	for _, want := range []struct{ typ, name string }{
		{"Patient", "ethnicity"}, {"Patient", "age"}, {"Patient", "general-practitioner"},
		{"Immunization", "-immunization.target"}, {"Immunization", "-date.from"}, {"Immunization", "-date.to"},
		{"Immunization", "target-disease"}, {"Flag", "code"}, {"Flag", "status"}, {"Flag", "category"},
	} {
		sp := params(want.typ)[want.name]
		if sp == nil || sp["documentation"] == nil || sp["documentation"] == "" {
			t.Errorf("%s.%s: %v, want it listed with documentation", want.typ, want.name, sp)
		}
	}
	if sp := params("Patient")["ethnicity"]; sp != nil && sp["definition"] != nil {
		t.Errorf("Patient.ethnicity claims the definition %v; the programme's parameters have none", sp["definition"])
	}

	inc, _ := byType["Immunization"]["searchInclude"].([]any)
	if !slices.Contains(inc, any("Immunization:patient")) || !slices.Contains(inc, any("Immunization:*")) {
		t.Errorf("Immunization searchInclude = %v", inc)
	}
	rev, _ := byType["Patient"]["searchRevInclude"].([]any)
	for _, want := range []string{"Immunization:patient", "Flag:patient", "Communication:subject"} {
		if !slices.Contains(rev, any(want)) {
			t.Errorf("Patient searchRevInclude lacks %s", want)
		}
	}
}
