package fhir

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
)

const tagJSON = `{"system":"http://terminology.hl7.org/CodeSystem/v3-ObservationValue","code":"SUBSETTED"}`

func TestSubset(t *testing.T) {
	keepNames := func(names ...string) func(string) bool {
		return func(n string) bool { return slices.Contains(names, n) }
	}
	for _, tc := range []struct {
		name string
		in   string
		keep func(string) bool
		want string
	}{
		{
			name: "kept members byte for byte, in order",
			in:   `{"resourceType":"Observation","id":"o1","meta":{"versionId":"2"},"status":"final","valueQuantity":{"value":1.50,"unit":"mg"},"text":{"div":"x"}}`,
			keep: keepNames("valueQuantity"),
			want: `{"resourceType":"Observation","id":"o1","meta":{"versionId":"2","tag":[` + tagJSON + `]},"valueQuantity":{"value":1.50,"unit":"mg"}}`,
		},
		{
			name: "an existing tag array is extended",
			in:   `{"resourceType":"Patient","id":"p","meta":{"tag":[{"system":"s","code":"c"}],"source":"x"},"gender":"male"}`,
			keep: keepNames(),
			want: `{"resourceType":"Patient","id":"p","meta":{"tag":[{"system":"s","code":"c"},` + tagJSON + `],"source":"x"}}`,
		},
		{
			name: "an empty tag array",
			in:   `{"resourceType":"Patient","meta":{"tag":[]}}`,
			keep: keepNames(),
			want: `{"resourceType":"Patient","meta":{"tag":[` + tagJSON + `]}}`,
		},
		{
			name: "SUBSETTED is not added twice",
			in:   `{"resourceType":"Patient","meta":{"tag":[` + tagJSON + `]},"gender":"male"}`,
			keep: keepNames("gender"),
			want: `{"resourceType":"Patient","meta":{"tag":[` + tagJSON + `]},"gender":"male"}`,
		},
		{
			name: "no meta: one is added",
			in:   `{"resourceType":"Patient","gender":"male","birthDate":"2000-01-01"}`,
			keep: keepNames("birthDate"),
			want: `{"resourceType":"Patient","birthDate":"2000-01-01","meta":{"tag":[` + tagJSON + `]}}`,
		},
		{
			name: "empty meta",
			in:   `{"resourceType":"Patient","meta":{}}`,
			keep: keepNames(),
			want: `{"resourceType":"Patient","meta":{"tag":[` + tagJSON + `]}}`,
		},
		{
			name: "keep sees decoded names",
			in:   `{"resourceType":"Patient","meta":{},"g\u0065nder":"male","_birthDate":{"id":"x"}}`,
			keep: keepNames("gender", "_birthDate"),
			want: `{"resourceType":"Patient","meta":{"tag":[` + tagJSON + `]},"g\u0065nder":"male","_birthDate":{"id":"x"}}`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Decode([]byte(tc.in))
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			got, err := Subset(r.JSON, tc.keep)
			if err != nil {
				t.Fatalf("Subset(%s) error %v", tc.in, err)
			}
			if string(got) != tc.want {
				t.Errorf("Subset(%s)\n got %s\nwant %s", tc.in, got, tc.want)
			}
			if !json.Valid(got) {
				t.Errorf("Subset(%s) = %s, not JSON", tc.in, got)
			}
		})
	}
}

func TestSubsetBadMeta(t *testing.T) {
	for _, in := range []string{
		`{"resourceType":"Patient","meta":"x"}`,
		`{"resourceType":"Patient","meta":{"tag":{"code":"c"}}}`,
	} {
		if _, err := Subset([]byte(in), func(string) bool { return true }); err == nil {
			t.Errorf("Subset(%s): no error", in)
		}
	}
}

func TestSummaryElements(t *testing.T) {
	got := SummaryElements("Immunization")
	for _, want := range []string{"id", "meta", "status", "vaccineCode", "patient", "occurrence"} {
		if !slices.Contains(got, want) {
			t.Errorf("SummaryElements(Immunization) = %v, lacks %s", got, want)
		}
	}
	for _, not := range []string{"text", "lotNumber", "protocolApplied"} {
		if slices.Contains(got, not) {
			t.Errorf("SummaryElements(Immunization) = %v, has %s", got, not)
		}
	}
	if got := MandatoryElements("Immunization"); !reflect.DeepEqual(got, []string{"status", "vaccineCode", "patient", "occurrence"}) {
		t.Errorf("MandatoryElements(Immunization) = %v", got)
	}
	if got := SummaryElements("NoSuchType"); got != nil {
		t.Errorf("SummaryElements(NoSuchType) = %v, want nil", got)
	}
	for _, rt := range ResourceTypes() {
		if s := strings.Join(SummaryElements(rt), " "); !strings.Contains(s, "id") {
			t.Errorf("SummaryElements(%s) = %q, lacks id", rt, s)
		}
	}
}

func TestElementName(t *testing.T) {
	for _, tc := range []struct{ typ, member, want string }{
		{"Immunization", "occurrenceDateTime", "occurrence"},
		{"Immunization", "_occurrenceDateTime", "occurrence"},
		{"Immunization", "occurrence", ""},
		{"Immunization", "status", "status"},
		{"Immunization", "_status", "status"},
		{"Immunization", "_patient", ""}, // a Reference has no extension companion
		{"Immunization", "resourceType", ""},
		{"Patient", "birthDate", "birthDate"},
		{"Patient", "deceasedBoolean", "deceased"},
		{"Nope", "id", ""},
	} {
		if got := ElementName(tc.typ, tc.member); got != tc.want {
			t.Errorf("ElementName(%s, %s) = %q, want %q", tc.typ, tc.member, got, tc.want)
		}
	}
}

// FuzzSubset: for any resource Decode accepts, Subset does not panic, fails only with a
// typed error (a meta or meta.tag of the wrong shape), and otherwise gives a resource that
// decodes, with every kept member equal to the original's.
func FuzzSubset(f *testing.F) {
	f.Add([]byte(`{"resourceType":"Patient","id":"p","meta":{"tag":[{"code":"c"}]},"gender":"male","_gender":{"id":"g"}}`))
	f.Add([]byte(`{"resourceType":"Observation","status":"final","valueQuantity":{"value":1.50}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := Decode(body)
		if err != nil {
			return
		}
		keep := func(n string) bool { return len(n)%2 == 0 }
		out, err := Subset(r.JSON, keep)
		if err != nil {
			valCheckTyped(t, "Subset", err)
			return
		}
		back, err := Decode(out)
		if err != nil {
			t.Fatalf("Subset(%s) = %s, which does not decode: %v", r.JSON, out, err)
		}
		for k, v := range r.Object {
			if k == "meta" {
				continue
			}
			got, ok := back.Object[k]
			if keep(k) || k == "resourceType" || k == "id" {
				if !ok || !reflect.DeepEqual(got, v) {
					t.Errorf("Subset(%s) = %s: member %s changed or lost", r.JSON, out, k)
				}
			} else if ok {
				t.Errorf("Subset(%s) = %s: member %s kept", r.JSON, out, k)
			}
		}
	})
}
