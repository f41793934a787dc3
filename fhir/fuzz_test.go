package fhir

import (
	"encoding/json"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// FuzzDecodeValidate feeds arbitrary bytes through Decode and Validate: neither may panic,
// and every error must be a *Error with at least one issue.
func FuzzDecodeValidate(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("..", "testdata", "r4-examples", "*.json"))
	for _, file := range files {
		if b, err := os.ReadFile(file); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(valPatient(`,"name":[{"given":["a",null],"_given":[null,{"id":"x"}]}],"_birthDate":{"extension":[` + valExt + `]}`)))
	f.Add([]byte(valImmunization(`,"contained":[{"resourceType":"Patient","id":"c"}],"location":{"reference":"#c"}`)))
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := Decode(body)
		if err != nil {
			valCheckTyped(t, "Decode", err)
			return
		}
		if err := Validate(r); err != nil {
			valCheckTyped(t, "Validate", err)
		}
	})
}

func valCheckTyped(t *testing.T, op string, err error) {
	t.Helper()
	var fe *Error
	if !errors.As(err, &fe) {
		t.Fatalf("%s error = %v (%T), want *Error", op, err, err)
	}
	if len(fe.Issues) == 0 {
		t.Fatalf("%s error = %v has no issues", op, err)
	}
}

// TestValidateMutations puts every kind of wrong JSON value in place of every member and
// array item of a few examples: a cheap, deterministic complement to the fuzz test that
// reaches every branch of the walker with well-formed JSON.
func TestValidateMutations(t *testing.T) {
	variants := []any{nil, []any{}, map[string]any{}, "", " ", json.Number("1.5"), json.Number("-3"),
		true, "x", []any{nil}, []any{"x"}, map[string]any{"foo": "x"}, "2023-02-30", "#x"}
	for _, name := range []string{"Patient-example.json", "Immunization-example.json", "Communication-fm-attachment.json"} {
		t.Run(name, func(t *testing.T) {
			r := valDecode(t, string(valRead(t, filepath.Join("..", "testdata", "r4-examples", name))))
			check := func() {
				if err := Validate(r); err != nil {
					valCheckTyped(t, "Validate", err)
				}
			}
			var visit func(v any)
			visit = func(v any) {
				switch x := v.(type) {
				case map[string]any:
					for _, k := range slices.Sorted(maps.Keys(x)) {
						old := x[k]
						for _, nv := range variants {
							x[k] = nv
							check()
						}
						x[k] = old
						visit(old)
					}
				case []any:
					for i, old := range x {
						for _, nv := range variants {
							x[i] = nv
							check()
						}
						x[i] = old
						visit(old)
					}
				}
			}
			visit(r.Object)
		})
	}
}
