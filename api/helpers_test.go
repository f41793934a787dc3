package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nimsproject/nims/audit"
	"github.com/nimsproject/nims/auth"
	"github.com/nimsproject/nims/store"
	"github.com/nimsproject/nims/store/mongo"
	"github.com/nimsproject/nims/store/sqlite"
)

// openTestStore is a fresh, empty store for one test, closed when the test ends. It is
// the embedded store in a temporary directory, unless NIMS_TEST_STORE=mongodb: then it is
// a new migrated database on the MongoDB server MONGO_URI names, dropped when the test
// ends. scripts/test.sh runs this package twice, once each way, so that every HTTP test
// also checks the MongoDB backend.
func openTestStore(t testing.TB) store.Store {
	t.Helper()
	switch backend := os.Getenv("NIMS_TEST_STORE"); backend {
	case "", "sqlite":
		st, err := sqlite.Open(context.Background(), t.TempDir(), sqlite.Options{})
		if err != nil {
			t.Fatalf("sqlite.Open: %v", err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	case "mongodb":
		return openTestMongo(t)
	default:
		t.Fatalf("NIMS_TEST_STORE=%q: want sqlite or mongodb", backend)
		return nil
	}
}

var mongoDatabases atomic.Int64

// openTestMongo migrates and opens a database of its own on MONGO_URI's server: tests
// run in parallel and must not see each other's resources.
func openTestMongo(t testing.TB) store.Store {
	t.Helper()
	uri := os.Getenv("MONGO_URI")
	if uri == "" {
		t.Fatal("NIMS_TEST_STORE=mongodb needs MONGO_URI: scripts/test.sh starts FerretDB and sets both")
	}
	opts := mongo.Options{Database: fmt.Sprintf("nimsapi_%d_%d", os.Getpid(), mongoDatabases.Add(1))}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := mongo.Migrate(ctx, uri, opts); err != nil {
		t.Fatalf("mongo.Migrate: %v", err)
	}
	db, err := mongo.Open(ctx, uri, opts)
	if err != nil {
		t.Fatalf("mongo.Open: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		// A test that closed its store (to see the API fail) leaves nothing to drop
		// with: drop through a connection of our own.
		if db.Drop(ctx) != nil {
			if again, err := mongo.Open(ctx, uri, opts); err == nil {
				again.Drop(ctx)
				again.Close()
			}
		}
		db.Close()
	})
	return db
}

// newTestServer runs the API over a real store (openTestStore), with a token service and
// an audit log of its own. do sends an admin token unless told otherwise; tokenFor makes
// others.
func newTestServer(t testing.TB, cfg Config) *httptest.Server {
	t.Helper()
	st := openTestStore(t) // its cleanup, registered first, runs after the server's
	var err error
	if cfg.Auth == nil {
		cfg.Auth = testAuthority(t)
	}
	if cfg.JobsDir == "" {
		cfg.JobsDir = t.TempDir()
	}
	if cfg.Audit == nil {
		if cfg.Audit, err = audit.Open(t.TempDir(), audit.Options{}); err != nil {
			t.Fatalf("audit.Open: %v", err)
		}
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ts := httptest.NewServer(New(cfg, st, log))
	testServers.Store(ts.URL, &testEnv{auth: cfg.Auth, audit: cfg.Audit, admin: localToken(t, cfg.Auth, "admin", ""), store: st, jobsDir: cfg.JobsDir})
	t.Cleanup(func() {
		ts.Close()
		testServers.Delete(ts.URL)
		cfg.Audit.Close()
	})
	return ts
}

// testEnv is what a test server's tests may need besides its URL.
type testEnv struct {
	auth  *auth.Authority
	audit *audit.Log
	admin string // token do sends by default
	store store.Store
	// jobsDir is Config.JobsDir, for a bulk.Runner beside the server
	jobsDir string
}

var testServers sync.Map // ts.URL → *testEnv

func envOf(t *testing.T, ts *httptest.Server) *testEnv {
	t.Helper()
	v, ok := testServers.Load(ts.URL)
	if !ok {
		t.Fatalf("no test environment for %s", ts.URL)
	}
	return v.(*testEnv)
}

// testAuthority is a token service over a temporary directory.
func testAuthority(t testing.TB) *auth.Authority {
	t.Helper()
	a, err := auth.New(auth.Config{Dir: t.TempDir(), Issuer: "http://nims.test/fhir", TokenURL: "http://nims.test/auth/token"})
	if err != nil {
		t.Fatalf("auth.New: %v", err)
	}
	return a
}

func localToken(t testing.TB, a *auth.Authority, role, scope string, extra ...[]string) string {
	t.Helper()
	var ods, perms []string
	if len(extra) > 0 {
		ods = extra[0]
	}
	if len(extra) > 1 {
		perms = extra[1]
	}
	tok, err := a.LocalToken(role, scope, ods, perms, time.Hour)
	if err != nil {
		t.Fatalf("LocalToken(%s): %v", role, err)
	}
	return tok
}

// tokenFor is a bearer token of role on ts: ODS codes for gp, permissions for poc.
func tokenFor(t *testing.T, ts *httptest.Server, role string, ods, perms []string) string {
	t.Helper()
	return localToken(t, envOf(t, ts).auth, role, "", ods, perms)
}

// bearer is the header pair do takes to send token.
func bearer(token string) []string { return []string{"Authorization", "Bearer " + token} }

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("response body is not JSON: %v\n%s", err, r.body)
	}
	return m
}

// do sends one request; headers alternate name, value.
func do(t *testing.T, ts *httptest.Server, method, path string, body any, headers ...string) response {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, ts.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/fhir+json")
	}
	if v, ok := testServers.Load(ts.URL); ok {
		req.Header.Set("Authorization", "Bearer "+v.(*testEnv).admin)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i+1] == "" {
			req.Header.Del(headers[i])
			continue
		}
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := ts.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: raw}
}

// wantStatus fails the test unless r has status want.
func wantStatus(t *testing.T, r response, want int, what string) {
	t.Helper()
	if r.status != want {
		t.Fatalf("%s: status %d, want %d\n%s", what, r.status, want, r.body)
	}
}

// wantOutcome checks that r is an OperationOutcome whose first issue has code.
func wantOutcome(t *testing.T, r response, status int, code string) map[string]any {
	t.Helper()
	wantStatus(t, r, status, "outcome")
	m := r.json(t)
	if m["resourceType"] != "OperationOutcome" {
		t.Fatalf("body is %v, want an OperationOutcome", m["resourceType"])
	}
	issues, _ := m["issue"].([]any)
	if len(issues) == 0 {
		t.Fatalf("OperationOutcome without issues: %s", r.body)
	}
	if got := issues[0].(map[string]any)["code"]; code != "" && got != code {
		t.Fatalf("issue code %v, want %s\n%s", got, code, r.body)
	}
	return m
}

func patient(nhs string) map[string]any {
	p := map[string]any{
		"resourceType": "Patient",
		"name":         []any{map[string]any{"family": "Smith", "given": []any{"Jo"}}},
		"gender":       "female",
		"birthDate":    "1980-02-29",
	}
	if nhs != "" {
		p["identifier"] = []any{map[string]any{"system": "https://fhir.nhs.uk/Id/nhs-number", "value": nhs}}
	}
	return p
}

// stripMeta removes what the server sets (id, meta.versionId, meta.lastUpdated) so a
// stored resource can be compared with what was sent.
func stripMeta(m map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		out[k] = v
	}
	delete(out, "id")
	if meta, ok := out["meta"].(map[string]any); ok {
		rest := map[string]any{}
		for k, v := range meta {
			if k != "versionId" && k != "lastUpdated" {
				rest[k] = v
			}
		}
		if len(rest) == 0 {
			delete(out, "meta")
		} else {
			out["meta"] = rest
		}
	}
	return out
}

type testServer struct{ ts *httptest.Server }

func newTestServerT(t *testing.T) *testServer { return &testServer{ts: newTestServer(t, Config{})} }
