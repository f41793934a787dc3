package api

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

const regenerate = "run scripts/openapi.sh"

func TestDocsUI(t *testing.T) {
	ts := newTestServer(t, Config{})

	// gin-swagger fixes its URL prefix from the first request it serves; a file name in
	// the query of that request must not be able to break the UI for everyone after it.
	wantStatus(t, do(t, ts, "GET", "/docs/index.html?x=/elsewhere/swagger-ui.css", nil), http.StatusOK, "first docs request")

	noFollow := *ts.Client()
	noFollow.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	for _, path := range []string{"/docs", "/docs/"} {
		resp, err := noFollow.Get(ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusFound || loc != "/docs/index.html" {
			t.Errorf("GET %s = %d, Location %q; want 302 to /docs/index.html", path, resp.StatusCode, loc)
		}
	}

	page := do(t, ts, "GET", "/docs/", nil) // follows the redirect
	wantStatus(t, page, http.StatusOK, "GET /docs/")
	if ct := page.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("Swagger UI page has Content-Type %q, want text/html", ct)
	}
	if !strings.Contains(strings.ToLower(string(page.body)), "swagger") {
		t.Errorf("Swagger UI page does not mention swagger:\n%s", page.body)
	}

	// The UI's assets come from the binary: the docs must work without the internet.
	for _, file := range []string{"swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-standalone-preset.js", "swagger-initializer.js"} {
		r := do(t, ts, "GET", "/docs/"+file, nil)
		wantStatus(t, r, http.StatusOK, "GET /docs/"+file)
		if len(r.body) == 0 {
			t.Errorf("GET /docs/%s: empty body", file)
		}
	}
	if init := do(t, ts, "GET", "/docs/swagger-initializer.js", nil); !strings.Contains(string(init.body), `"doc.json"`) {
		t.Errorf("the UI does not load doc.json:\n%s", init.body)
	}

	for _, path := range []string{"/docs/nothing.txt", "/docs/sub/index.html", "/docs/swagger-ui.js.map"} {
		wantOutcome(t, do(t, ts, "GET", path, nil), http.StatusNotFound, "not-found")
	}
	wantStatus(t, do(t, ts, "GET", "/fhir/metadata", nil), http.StatusOK, "the FHIR API beside /docs")
}

func TestDocsSpec(t *testing.T) {
	ts := newTestServer(t, Config{})
	r := do(t, ts, "GET", "/docs/doc.json", nil)
	wantStatus(t, r, http.StatusOK, "GET /docs/doc.json")
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("spec has Content-Type %q, want application/json", ct)
	}
	var spec struct {
		Swagger string                    `json:"swagger"`
		Info    struct{ Title string }    `json:"info"`
		Paths   map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal(r.body, &spec); err != nil {
		t.Fatalf("spec is not JSON: %v", err)
	}
	if spec.Swagger != "2.0" || spec.Info.Title != "NIMS FHIR R4 API" {
		t.Errorf("spec is swagger %q titled %q, want 2.0 titled NIMS FHIR R4 API", spec.Swagger, spec.Info.Title)
	}
	for _, path := range []string{"/fhir/metadata", "/fhir/{type}", "/fhir/{type}/{id}", "/healthz", "/readyz", "/metrics"} {
		if _, ok := spec.Paths[path]; !ok {
			t.Errorf("spec has no path %s", path)
		}
	}
}

// TestDocsCoverRoutes keeps the description and the router in step: every route of
// fhirRoutes (and of the service endpoints) is in the spec with its method, every spec
// operation is a route, and every @Router annotation in the source is in the generated
// spec (so an annotation changed without regenerating is caught).
func TestDocsCoverRoutes(t *testing.T) {
	inSpec := specOperations(t)

	routes := map[string]bool{"GET /healthz": true, "GET /readyz": true, "GET /metrics": true,
		"GET /.well-known/smart-configuration": true, "GET /auth/jwks.json": true, "POST /auth/token": true}
	for _, r := range fhirRoutes() {
		routes[r.method+" /fhir"+ginToOpenAPI(r.path)] = true
	}
	for op := range routes {
		if !inSpec[op] {
			t.Errorf("route %s is not in api/openapi/swagger.json: annotate it and %s", op, regenerate)
		}
	}
	for op := range inSpec {
		if !routes[op] {
			t.Errorf("api/openapi/swagger.json documents %s, which no route serves", op)
		}
	}

	annotated := routerAnnotations(t)
	for op := range annotated {
		if !inSpec[op] {
			t.Errorf("@Router %s is annotated but not in api/openapi/swagger.json: %s", op, regenerate)
		}
	}
	for op := range inSpec {
		if !annotated[op] {
			t.Errorf("api/openapi/swagger.json has %s, but no @Router annotation does: %s", op, regenerate)
		}
	}
}

var ginParam = regexp.MustCompile(`:(\w+)`)

// ginToOpenAPI writes a gin path (/:type/:id) as OpenAPI does (/{type}/{id}).
func ginToOpenAPI(path string) string { return ginParam.ReplaceAllString(path, "{$1}") }

// specOperations returns the operations of the embedded spec as "METHOD /path".
func specOperations(t *testing.T) map[string]bool {
	t.Helper()
	var spec struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(openapiJSON, &spec); err != nil {
		t.Fatalf("api/openapi/swagger.json: %v", err)
	}
	ops := map[string]bool{}
	for path, item := range spec.Paths {
		for method := range item {
			ops[strings.ToUpper(method)+" "+path] = true
		}
	}
	return ops
}

var routerLine = regexp.MustCompile(`(?m)^//\s*@Router\s+(\S+)\s+\[(\w+)\]`)

// routerAnnotations returns the operations named by @Router lines in the package source.
func routerAnnotations(t *testing.T) map[string]bool {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files)
	ops := map[string]bool{}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range routerLine.FindAllStringSubmatch(string(src), -1) {
			op := strings.ToUpper(m[2]) + " " + m[1]
			if ops[op] {
				t.Errorf("%s: @Router %s is annotated twice", f, op)
			}
			ops[op] = true
		}
	}
	return ops
}
