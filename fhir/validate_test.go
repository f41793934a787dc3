package fhir

import (
	"bufio"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// exampleSkips lists official R4 examples that do not conform to R4 itself, each with the
// reason. None of them is in testdata/r4-examples; they are found by TestValidateR4Package
// over the whole hl7.fhir.r4.examples package.
var exampleSkips = map[string]string{
	"ImplementationGuide-fhir.json": "no name or status (both 1..1), and a manifest reference whose id is longer than 64",
	"ig-r4.json":                    "the same ImplementationGuide as ImplementationGuide-fhir.json",
	"Questionnaire-qs1.json":        "nested items without linkId (1..1)",
	"SearchParameter-questionnaireresponse-extensions-QuestionnaireResponse-item-subject.json": "id longer than 64",
	"SearchParameter-codesystem-extensions-CodeSystem-author.json":                             "no base (1..*)",
	"SearchParameter-codesystem-extensions-CodeSystem-effective.json":                          "no base (1..*)",
	"SearchParameter-codesystem-extensions-CodeSystem-end.json":                                "no base (1..*)",
	"SearchParameter-codesystem-extensions-CodeSystem-keyword.json":                            "no base (1..*)",
	"SearchParameter-codesystem-extensions-CodeSystem-workflow.json":                           "no base (1..*)",
	"SearchParameter-valueset-extensions-ValueSet-author.json":                                 "no base (1..*)",
	"SearchParameter-valueset-extensions-ValueSet-effective.json":                              "no base (1..*)",
	"SearchParameter-valueset-extensions-ValueSet-end.json":                                    "no base (1..*)",
	"SearchParameter-valueset-extensions-ValueSet-keyword.json":                                "no base (1..*)",
	"SearchParameter-valueset-extensions-ValueSet-workflow.json":                               "no base (1..*)",
}

func TestSpecLoads(t *testing.T) {
	s, err := loadSpec()
	if err != nil {
		t.Fatalf("loadSpec() error = %v", err)
	}
	if got := len(ResourceTypes()); got != 146 {
		t.Errorf("len(ResourceTypes()) = %d, want 146", got)
	}
	if !slices.IsSorted(ResourceTypes()) {
		t.Errorf("ResourceTypes() is not sorted")
	}
	for _, name := range []string{"Patient", "Immunization", "Bundle", "Parameters"} {
		if !IsResourceType(name) {
			t.Errorf("IsResourceType(%q) = false, want true", name)
		}
	}
	for _, name := range []string{"", "Resource", "DomainResource", "Quantity", "patient", "Foo"} {
		if IsResourceType(name) {
			t.Errorf("IsResourceType(%q) = true, want false", name)
		}
	}
	if s.element == nil || s.resources["Immunization"].fields["occurrenceDateTime"] == nil {
		t.Errorf("spec lacks Element or Immunization.occurrenceDateTime")
	}
}

func TestValidateOfficialExamples(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "testdata", "r4-examples", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no examples found: %v", err)
	}
	for _, file := range files {
		name := filepath.Base(file)
		t.Run(name, func(t *testing.T) {
			if why, ok := exampleSkips[name]; ok {
				t.Skip(why)
			}
			valAssert(t, name, valRead(t, file))
		})
	}
}

// TestValidateR4Package validates every resource of the unpacked hl7.fhir.r4.examples
// package (5,000 files, about half a minute) when NIMS_R4_EXAMPLES names its directory:
//
//	NIMS_R4_EXAMPLES=/tmp/ex/package go test ./fhir -run R4Package
func TestValidateR4Package(t *testing.T) {
	dir := os.Getenv("NIMS_R4_EXAMPLES")
	if dir == "" {
		t.Skip("NIMS_R4_EXAMPLES not set")
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	for _, file := range files {
		name := filepath.Base(file)
		if _, skip := exampleSkips[name]; skip || name == "package.json" {
			continue
		}
		valAssert(t, name, valRead(t, file))
	}
}

// TestValidateCorpus runs real-world resources made by others when the shared corpus sits
// beside the repository; the repository's tests do not depend on it.
func TestValidateCorpus(t *testing.T) {
	dir := filepath.Join("..", "..", "shared", "corpus")
	if _, err := os.Stat(dir); err != nil {
		t.Logf("corpus not found at %s: skipping", dir)
		return
	}
	ndjson, _ := filepath.Glob(filepath.Join(dir, "bulk-ndjson-10-patients", "*.ndjson"))
	for _, file := range ndjson {
		t.Run(filepath.Base(file), func(t *testing.T) {
			f, err := os.Open(file)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			sc := bufio.NewScanner(f)
			sc.Buffer(nil, 16<<20)
			for line := 1; sc.Scan(); line++ {
				valAssert(t, filepath.Base(file)+":"+strconv.Itoa(line), sc.Bytes())
			}
		})
	}
	bundles, _ := filepath.Glob(filepath.Join(dir, "synthea-r4-bundles", "*.json"))
	for _, file := range bundles {
		t.Run(filepath.Base(file), func(t *testing.T) {
			body := valRead(t, file)
			valAssert(t, "bundle", body)
			var b struct {
				Entry []struct{ Resource json.RawMessage }
			}
			if err := json.Unmarshal(body, &b); err != nil {
				t.Fatal(err)
			}
			for i, e := range b.Entry {
				valAssert(t, "entry "+strconv.Itoa(i), e.Resource)
			}
		})
	}
}

func valAssert(t *testing.T, name string, body []byte) {
	t.Helper()
	r, err := Decode(body)
	if err != nil {
		t.Fatalf("Decode(%s) error = %v", name, err)
	}
	if err := Validate(r); err != nil {
		t.Errorf("Validate(%s) issues = %v, want none", name, valIssues(err))
	}
}

func valRead(t *testing.T, file string) []byte {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// valIssues renders the issues of a validation error as "code@expression: diagnostics".
func valIssues(err error) []string {
	var fe *Error
	if !errors.As(err, &fe) {
		return []string{"not a *fhir.Error: " + err.Error()}
	}
	var out []string
	for _, i := range fe.Issues {
		out = append(out, i.Code+"@"+strings.Join(i.Expression, ",")+": "+i.Diagnostics)
	}
	return out
}

// The write path must carry about 3,000 creates a second on two cores; validation is part
// of every create. The validate sub-benchmark isolates Validate (R4 and NHS rules) from
// Decode.
func BenchmarkValidatePatient(b *testing.B) {
	valBenchmark(b, "Patient-example.json")
}

func BenchmarkValidateImmunization(b *testing.B) {
	valBenchmark(b, "Immunization-example.json")
}

func valBenchmark(b *testing.B, name string) {
	body, err := os.ReadFile(filepath.Join("..", "testdata", "r4-examples", name))
	if err != nil {
		b.Fatal(err)
	}
	b.Run("decode+validate", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			r, err := Decode(body)
			if err != nil {
				b.Fatal(err)
			}
			if err := Validate(r); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("validate", func(b *testing.B) {
		r, err := Decode(body)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			if err := Validate(r); err != nil {
				b.Fatal(err)
			}
		}
	})
}
