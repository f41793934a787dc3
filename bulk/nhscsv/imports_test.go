package nhscsv

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
)

// The package sits below whatever receives files: it may use the FHIR model, search
// criteria, the Store interface and id generation, and nothing that decides who may do
// what or knows HTTP (doc.go).
func TestImports(t *testing.T) {
	allowed := map[string]string{
		"github.com/nimsproject/nims/fhir":        "the resource model and its validator",
		"github.com/nimsproject/nims/fhir/search": "the criteria of conditional updates and deletes",
		"github.com/nimsproject/nims/store":       "the Store interface, not a backend",
		"github.com/google/uuid":                  "the ids of new records, as the API makes them",
		"github.com/nimsproject/nims/bulk":        "the job loop its runner shares with $import's",
	}
	files, _ := filepath.Glob("*.go")
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		parsed, err := parser.ParseFile(fset, f, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range parsed.Imports {
			p := strings.Trim(imp.Path.Value, `"`)
			if _, ok := allowed[p]; !ok && strings.Contains(p, ".") {
				t.Errorf("%s imports %s: nhscsv uses only the standard library and %v", f, p, allowed)
			}
		}
	}
}
