package auth

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
)

// auth decides who may do what; it must not know how requests arrive or where records
// live. The forbidden imports, each with its reason.
var forbiddenImports = map[string]string{
	"github.com/nimsproject/nims/api":   "api uses auth, never the reverse",
	"github.com/nimsproject/nims/store": "auth decides who may see what, not how records are kept",
	"github.com/nimsproject/nims/cmd":   "cmd wires everything; nothing imports it",
	"github.com/gin-gonic/":             "only api knows gin",
}

// allowedProject are the NIMS packages auth may import.
var allowedProject = map[string]bool{"github.com/nimsproject/nims/fhir": true}

func TestImports(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil || len(files) < 5 {
		t.Fatalf("found %d files: %v", len(files), err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			p := strings.Trim(imp.Path.Value, `"`)
			for prefix, why := range forbiddenImports {
				if strings.HasPrefix(p, prefix) {
					t.Errorf("%s imports %s: %s", name, p, why)
				}
			}
			if strings.HasPrefix(p, "github.com/nimsproject/nims/") && !allowedProject[p] {
				t.Errorf("%s imports %s: auth imports no NIMS package but fhir", name, p)
			}
		}
	}
}
