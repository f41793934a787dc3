package audit

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
)

// forbidden are the imports audit must not have, each with its reason (doc.go). The
// module's layout_test.go holds the same rules for the other packages.
var forbidden = map[string]string{
	"github.com/nimsproject/nims/api":   "api records events; the log knows nothing of HTTP handlers",
	"github.com/nimsproject/nims/auth":  "auth decides access; the log only records what was decided",
	"github.com/nimsproject/nims/store": "the log has its own file so that it never contends with the store",
	"github.com/nimsproject/nims/cmd":   "cmd wires everything; nothing imports it",
	"github.com/gin-gonic/":             "only api knows HTTP",
	"net/http":                          "the log takes statuses as numbers; only api knows HTTP",
}

func TestImports(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	checked := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		checked++
		for _, imp := range f.Imports {
			p := strings.Trim(imp.Path.Value, `"`)
			for prefix, why := range forbidden {
				if strings.HasPrefix(p, prefix) {
					t.Errorf("%s imports %s: %s", name, p, why)
				}
			}
		}
	}
	if checked < 5 {
		t.Fatalf("checked only %d files", checked)
	}
}
