package search

import (
	"errors"
	"net/url"
	"testing"
	"time"

	"github.com/nimsproject/nims/fhir"
)

// FuzzParse: for any query string on Patient or Immunization, Parse does not panic,
// every error is a *fhir.Error of KindInvalid with at least one issue, and a query that
// parses encodes to a canonical form that parses to the same canonical form.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		"identifier=http://a|1",
		"patient.identifier=https://fhir.nhs.uk/Id/nhs-number|9000000009&-immunization.target=FLU,COVID",
		"-date.from=2021-01-01&-date.to=2021-12-31&_include=Immunization:patient",
		"target-disease=http://snomed.info/sct|14189004,73211009",
		"name:exact=O\\,Brien&birthdate=ap2000&_sort=-birthdate,family&_count=0",
		"_has:Immunization:patient:vaccine-code:not=http://snomed.info/sct|1&_revinclude=Immunization:patient",
		"patient.general-practitioner:Organization.identifier=x&_elements=id,meta&_summary=data&_total=accurate",
		"subject:Patient=1&date=ge2021-03-01T09:30:00%2B01:00&gender:missing=true&_cursor=abc",
		"age=ge65&age=lt75&_format=json&nonsense=1",
		"identifier:of-type=a|b|c&_profile:below=http://x&performer:text=a&patient=urn:uuid:1",
	} {
		f.Add(seed)
	}
	opts := ParseOptions{DefaultCount: 20, MaxCount: 100, Now: func() time.Time { return parseNow }}
	f.Fuzz(func(t *testing.T, raw string) {
		params, _ := url.ParseQuery(raw) // keeps what it could read
		for _, typ := range []string{"Patient", "Immunization"} {
			for _, strict := range []bool{false, true} {
				opts.Strict = strict
				q, err := Parse(typ, params, opts)
				if err != nil {
					var fe *fhir.Error
					if !errors.As(err, &fe) || fe.Kind != fhir.KindInvalid || len(fe.Issues) == 0 {
						t.Fatalf("Parse(%s, %q) error = %#v, want a *fhir.Error of KindInvalid", typ, raw, err)
					}
					continue
				}
				enc := q.Encode()
				q2, err := Parse(typ, enc, opts)
				if err != nil {
					t.Fatalf("Parse(%s, %q): its Encode %q does not parse: %v", typ, raw, enc.Encode(), diagnostics(err))
				}
				if a, b := enc.Encode(), q2.Encode().Encode(); a != b {
					t.Fatalf("Parse(%s, %q): Encode = %q, after a round trip %q", typ, raw, a, b)
				}
			}
		}
	})
}
