package conformance

import (
	"fmt"
	"testing"
)

// An operation on one type is listed under that type only, after those on every type.
func TestTypeOperations(t *testing.T) {
	validate := Operation{Name: "validate", Definition: "http://hl7.org/fhir/OperationDefinition/Resource-validate"}
	feed := Operation{Name: "demographics-feed", Definition: "http://nims.nhs.example/fhir/OperationDefinition/Patient-demographics-feed"}
	list := Operation{Name: "priority-list", Definition: "http://nims.nhs.example/fhir/OperationDefinition/Flag-priority-list"}
	cs := Build(Input{Types: []string{"Flag", "Immunization", "Patient"}, Operations: []Operation{validate},
		TypeOperations: map[string][]Operation{"Patient": {feed}, "Flag": {list}}})
	got := map[string]string{}
	for _, r := range cs["rest"].([]any)[0].(map[string]any)["resource"].([]map[string]any) {
		var names []string
		for _, o := range r["operation"].([]map[string]any) {
			names = append(names, fmt.Sprint(o["name"], " ", o["definition"]))
		}
		got[r["type"].(string)] = fmt.Sprint(names)
	}
	for typ, want := range map[string][]Operation{"Patient": {validate, feed}, "Flag": {validate, list}, "Immunization": {validate}} {
		var names []string
		for _, o := range want {
			names = append(names, o.Name+" "+o.Definition)
		}
		if got[typ] != fmt.Sprint(names) {
			t.Errorf("%s operations %s, want %v", typ, got[typ], names)
		}
	}
}
