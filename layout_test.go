package nims_test

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
)

const module = "github.com/nimsproject/nims"

// rule forbids a package (and its subpackages, unless exact) from importing a prefix.
type rule struct {
	pkg       string // directory relative to the module root
	exact     bool   // the rule applies to pkg only, not to its subpackages
	forbidden string // import path prefix
	why       string
}

// The dependency direction of DESIGN.md: imports point down the stack.
var rules = []rule{
	{"fhir", true, module + "/", "fhir is the bottom of the stack: it imports no project package"},
	{"fhir/search", false, module + "/store", "search is expressed once, above every backend"},
	{"fhir/search", false, module + "/api", "search knows nothing of HTTP"},
	{"store", false, module + "/api", "stores never know HTTP"},
	{"store", false, module + "/auth", "stores never decide who may see what"},
	{"store", false, "github.com/gin-gonic/", "stores never know HTTP"},
	{"store", false, "net/http", "stores never know HTTP"},
	{"conformance", false, "github.com/gin-gonic/", "definitions are built from tables, not from the router"},
	{"conformance", false, module + "/api", "api uses conformance, not the reverse"},
	{"fhir", false, "github.com/gin-gonic/", "only api knows HTTP"},
	{"auth", false, module + "/api", "auth decides who may do what; it knows no HTTP framework"},
	{"auth", false, module + "/store", "auth decides on tokens and policies, not on stored data"},
	{"auth", false, "github.com/gin-gonic/", "only api knows the HTTP framework"},
	{"audit", false, module + "/api", "the audit log is below the API"},
	{"audit", false, module + "/auth", "the audit log records decisions, it does not make them"},
	{"audit", false, module + "/store", "the audit log has its own storage, apart from the resources"},
	{"audit", false, "github.com/gin-gonic/", "only api knows the HTTP framework"},
	{"bulk", false, module + "/api", "bulk loads through the store; the API calls it, not the reverse"},
	{"bulk", false, "github.com/gin-gonic/", "only api knows the HTTP framework"},
	{"programme", false, module + "/api", "the programme's logic is below the API"},
	{"programme", false, module + "/auth", "the caller decides who may run the programme's operations"},
	{"programme", false, "github.com/gin-gonic/", "only api knows the HTTP framework"},
	{"synth", false, module + "/store", "synth makes resources; loading them is its caller's job"},
	{"synth", false, module + "/bulk", "synth makes resources; loading them is its caller's job"},
	{"synth", false, module + "/api", "synth knows nothing of HTTP"},
	{"", false, module + "/cmd", "cmd wires everything; nothing imports it"},
}

func TestImportDirection(t *testing.T) {
	fset := token.NewFileSet()
	checked := 0
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") && path != "." {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		dir := filepath.ToSlash(filepath.Dir(path))
		checked++
		for _, imp := range f.Imports {
			p := strings.Trim(imp.Path.Value, `"`)
			for _, r := range rules {
				if !applies(r, dir) || !strings.HasPrefix(p, r.forbidden) {
					continue
				}
				if r.pkg == "" && strings.HasPrefix(dir, "cmd") {
					continue
				}
				t.Errorf("%s imports %s: %s", path, p, r.why)
			}
			if strings.HasPrefix(p, module+"/api") && !strings.HasPrefix(dir, "cmd") {
				t.Errorf("%s imports %s: nothing but cmd imports api", path, p)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 20 {
		t.Fatalf("checked only %d files; is the walk broken?", checked)
	}
}

func applies(r rule, dir string) bool {
	if r.pkg == "" {
		return true
	}
	if r.exact {
		return dir == r.pkg
	}
	return dir == r.pkg || strings.HasPrefix(dir, r.pkg+"/")
}

// Every package says in a doc.go what it is and what it may not import.
func TestEveryPackageHasDoc(t *testing.T) {
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		if path != "." && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || d.Name() == "docs") {
			return filepath.SkipDir
		}
		gos, _ := filepath.Glob(filepath.Join(path, "*.go"))
		hasSource := false
		for _, g := range gos {
			if !strings.HasSuffix(g, "_test.go") {
				hasSource = true
			}
		}
		if !hasSource || path == "." || strings.HasPrefix(filepath.ToSlash(path), "internal/") {
			return nil
		}
		if _, err := filepath.Glob(filepath.Join(path, "doc.go")); err != nil {
			return err
		}
		if m, _ := filepath.Glob(filepath.Join(path, "doc.go")); len(m) == 0 {
			t.Errorf("package %s has no doc.go", path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
