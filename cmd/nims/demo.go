package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/nimsproject/nims/fhir"
	"github.com/nimsproject/nims/store"
	"github.com/nimsproject/nims/synth"
)

// seedDemo loads demonstration data into an empty store: a synthetic England of people
// (nims seed's, package synth; none when population is 0), then a small demonstration practice
// the README's examples use: a GP practice, a few registered patients with test-range NHS
// numbers, and their vaccinations. It returns how many resources it wrote (0 when the
// store already had data).
func seedDemo(ctx context.Context, st store.Store, population int) (int, error) {
	if changes, err := st.Changes(ctx, 0, 1); err != nil || len(changes) > 0 {
		return 0, err
	}
	n := 0
	if population > 0 {
		if err := seedInto(ctx, st, synth.Config{Patients: population, Seed: 1}, func(synth.Resource) { n++ }); err != nil {
			return n, err
		}
	}
	var docs []map[string]any
	docs = append(docs, map[string]any{
		"resourceType": "Organization", "id": "demo-practice",
		"identifier": []any{map[string]any{"system": fhir.SystemODS, "value": "A81001"}},
		"name":       "The Demo Surgery", "active": true,
	})
	people := []struct{ given, family, gender, birth string }{
		{"Ada", "Lovelace", "female", "1950-12-10"},
		{"Alan", "Turing", "male", "1952-06-23"},
		{"Mary", "Seacole", "female", "1988-11-23"},
		{"Edward", "Jenner", "male", "2001-05-17"},
		{"Rosalind", "Franklin", "female", "2019-07-25"},
	}
	nhs := demoNHSNumbers(len(people))
	for i, p := range people {
		pid := "demo-patient-" + strconv.Itoa(i+1)
		docs = append(docs, map[string]any{
			"resourceType": "Patient", "id": pid,
			"identifier": []any{map[string]any{"system": fhir.SystemNHSNumber, "value": nhs[i]}},
			"name":       []any{map[string]any{"family": p.family, "given": []any{p.given}}},
			"gender":     p.gender, "birthDate": p.birth,
			"address": []any{map[string]any{"postalCode": "LS1 4AP"}},
			"generalPractitioner": []any{map[string]any{"reference": "Organization/demo-practice",
				"identifier": map[string]any{"system": fhir.SystemODS, "value": "A81001"}}},
		})
		docs = append(docs, demoImmunization(pid, "demo-covid-"+strconv.Itoa(i+1), "840539006", "Disease caused by severe acute respiratory syndrome coronavirus 2", "2025-10-0"+strconv.Itoa(i+1)))
		if i%2 == 0 {
			docs = append(docs, demoImmunization(pid, "demo-flu-"+strconv.Itoa(i+1), "6142004", "Influenza", "2025-11-1"+strconv.Itoa(i)))
		}
	}
	for _, d := range docs {
		if err := putDemo(ctx, st, d); err != nil {
			return n, err
		}
	}
	return n + len(docs), nil
}

func demoImmunization(patient, id, disease, display, date string) map[string]any {
	return map[string]any{
		"resourceType": "Immunization", "id": id, "status": "completed",
		"vaccineCode": map[string]any{"coding": []any{map[string]any{"system": fhir.SystemSNOMED, "code": "1324681000000101",
			"display": "Administration of first dose of SARS-CoV-2 vaccine"}}},
		"patient":            map[string]any{"reference": "Patient/" + patient},
		"occurrenceDateTime": date,
		"primarySource":      true,
		"protocolApplied": []any{map[string]any{"doseNumberPositiveInt": 1, "targetDisease": []any{map[string]any{
			"coding": []any{map[string]any{"system": fhir.SystemSNOMED, "code": disease, "display": display}}}}}},
	}
}

func putDemo(ctx context.Context, st store.Store, doc map[string]any) error {
	raw, err := json.Marshal(doc)
	if err != nil {
		return err
	}
	r, err := fhir.Decode(raw)
	if err != nil {
		return err
	}
	if err := fhir.Validate(r); err != nil {
		return fmt.Errorf("demo %s/%s: %w", r.Type, r.ID, err)
	}
	_, err = st.Apply(ctx, store.NewWrite(store.OpUpdate, r, fhir.DefaultUniqueRules))
	return err
}

// demoNHSNumbers returns n valid NHS numbers from the 999 test range.
func demoNHSNumbers(n int) []string {
	var out []string
	for v := int64(9990000000); len(out) < n; v++ {
		s := strconv.FormatInt(v, 10)
		if fhir.ValidNHSNumber(s) {
			out = append(out, s)
		}
	}
	return out
}
