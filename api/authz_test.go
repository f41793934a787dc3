package api

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nimsproject/nims/audit"
	"github.com/nimsproject/nims/fhir"
)

const (
	odsA, odsB = "A81001", "B82002"
	fluCode    = "6142004"   // Influenza
	covidCode  = "840539006" // COVID-19
)

// world is a small population written by an admin: two practices, a patient registered
// at each, a restricted patient at A, and their vaccinations.
type world struct {
	ts                   *httptest.Server
	pa, pb, pr           string // Patient ids: at A, at B, restricted at A
	aFlu, aCovid, bFlu   string // Immunization ids
	nhsA, nhsB, nhsR     string
	orgA                 string
	fluCount, covidCount int
}

func gpPatient(nhs, ods string) map[string]any {
	p := patient(nhs)
	p["address"] = []any{map[string]any{"postalCode": "LS1 4AP"}}
	p["telecom"] = []any{map[string]any{"system": "phone", "value": "0113 496 0000"}}
	p["generalPractitioner"] = []any{map[string]any{"type": "Organization",
		"identifier": map[string]any{"system": fhir.SystemODS, "value": ods}}}
	return p
}

func immunization(patientID, disease string) map[string]any {
	return map[string]any{"resourceType": "Immunization", "status": "completed",
		"vaccineCode":        map[string]any{"coding": []any{map[string]any{"system": fhir.SystemSNOMED, "code": "1324681000000101"}}},
		"patient":            map[string]any{"reference": "Patient/" + patientID},
		"occurrenceDateTime": "2026-10-01T10:00:00+00:00",
		"lotNumber":          "LOT-1",
		"protocolApplied": []any{map[string]any{"doseNumberPositiveInt": 1, "targetDisease": []any{map[string]any{
			"coding": []any{map[string]any{"system": fhir.SystemSNOMED, "code": disease}}}}}}}
}

func newWorld(t *testing.T, cfg Config) *world {
	t.Helper()
	w := &world{ts: newTestServer(t, cfg), nhsA: "9000000009", nhsB: "9000000025", nhsR: "9000000033"}
	create := func(body map[string]any) string {
		t.Helper()
		r := do(t, w.ts, "POST", "/fhir/"+body["resourceType"].(string), body)
		wantStatus(t, r, http.StatusCreated, "admin create "+body["resourceType"].(string))
		return r.json(t)["id"].(string)
	}
	w.orgA = create(map[string]any{"resourceType": "Organization", "name": "Practice A",
		"identifier": []any{map[string]any{"system": fhir.SystemODS, "value": odsA}}})
	w.pa = create(gpPatient(w.nhsA, odsA))
	w.pb = create(gpPatient(w.nhsB, odsB))
	restricted := gpPatient(w.nhsR, odsA)
	restricted["meta"] = map[string]any{"security": []any{map[string]any{"system": fhir.SystemConfidentiality, "code": "R"}}}
	w.pr = create(restricted)
	w.aFlu = create(immunization(w.pa, fluCode))
	w.aCovid = create(immunization(w.pa, covidCode))
	w.bFlu = create(immunization(w.pb, fluCode))
	return w
}

// ids returns the ids of the entries of a searchset with mode match (or include).
func ids(t *testing.T, r response, mode string) []string {
	t.Helper()
	var out []string
	for _, e := range entries(t, r) {
		if e["search"].(map[string]any)["mode"] == mode {
			out = append(out, e["resource"].(map[string]any)["id"].(string))
		}
	}
	slices.Sort(out)
	return out
}

// entries are a Bundle's entries. A response that is not a Bundle fails the test (rather
// than panicking, which would end the whole package's run at the first failing search).
func entries(t *testing.T, r response) []map[string]any {
	t.Helper()
	list, ok := r.json(t)["entry"].([]any)
	if !ok {
		t.Fatalf("status %d: not a Bundle with entries: %.300s", r.status, r.body)
	}
	var out []map[string]any
	for _, e := range list {
		out = append(out, e.(map[string]any))
	}
	return out
}

func sorted(s ...string) []string { slices.Sort(s); return s }

// Without a token nothing but the CapabilityStatement and discovery is served; a bad
// token is 401 with a WWW-Authenticate challenge, as an OperationOutcome.
func TestNoTokenNoData(t *testing.T) {
	w := newWorld(t, Config{})
	for _, tc := range []struct{ method, path string }{
		{"GET", "/fhir/Patient/" + w.pa}, {"GET", "/fhir/Patient"}, {"GET", "/fhir/Patient/" + w.pa + "/_history"},
		{"GET", "/fhir/_history"}, {"POST", "/fhir/Patient"}, {"DELETE", "/fhir/Patient/" + w.pa},
		{"GET", "/fhir/Patient/" + w.pa + "/Immunization"}, {"POST", "/fhir/Patient/$validate"},
		{"GET", "/fhir/NotAType/1"}, {"GET", "/fhir/AuditEvent"},
	} {
		for _, auth := range []string{"", "Bearer", "Bearer x.y.z", "Basic YWRtaW46YWRtaW4=", "Bearer " + strings.Repeat("A", 9000)} {
			r := do(t, w.ts, tc.method, tc.path, nil, "Authorization", auth)
			if r.status != http.StatusUnauthorized || r.header.Get("WWW-Authenticate") == "" {
				t.Errorf("%s %s with Authorization %.20q: status %d (WWW-Authenticate %q), want 401 with a challenge", tc.method, tc.path, auth, r.status, r.header.Get("WWW-Authenticate"))
				continue
			}
			wantOutcome(t, r, http.StatusUnauthorized, "login")
		}
	}
	for _, path := range []string{"/fhir/metadata", "/.well-known/smart-configuration", "/fhir/.well-known/smart-configuration", "/auth/jwks.json"} {
		wantStatus(t, do(t, w.ts, "GET", path, nil, "Authorization", ""), http.StatusOK, path+" without a token")
	}
	// The CapabilityStatement says so, in the SMART way, and stays valid FHIR.
	cs := do(t, w.ts, "GET", "/fhir/metadata", nil, "Authorization", "")
	if !strings.Contains(string(cs.body), `"code":"SMART-on-FHIR"`) || !strings.Contains(string(cs.body), `"valueUri":"http://nims.test/auth/token"`) {
		t.Errorf("CapabilityStatement declares no SMART security with the token endpoint")
	}
	if res, err := fhir.Decode(cs.body); err != nil || fhir.Validate(res) != nil {
		t.Errorf("CapabilityStatement invalid: %v %v", err, fhir.Validate(res))
	}
}

// Tokens this server did not issue, or no longer accepts, are refused: another server's
// key, a token for another audience, an expired one.
func TestForeignAndExpiredTokens(t *testing.T) {
	w := newWorld(t, Config{})
	other := testAuthority(t) // same issuer, different keys
	tok := localToken(t, other, "admin", "")
	wantOutcome(t, do(t, w.ts, "GET", "/fhir/Patient/"+w.pa, nil, bearer(tok)...), http.StatusUnauthorized, "login")
	expired, err := envOf(t, w.ts).auth.LocalToken("admin", "", nil, nil, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(1100 * time.Millisecond)
	wantOutcome(t, do(t, w.ts, "GET", "/fhir/Patient/"+w.pa, nil, bearer(expired)...), http.StatusUnauthorized, "login")
}

// A GP system sees the patients registered at its practices and the records about them,
// by every route: read, search, include, chain, _has, compartment and history.
func TestGPSeesOnlyItsPatients(t *testing.T) {
	w := newWorld(t, Config{})
	gp := bearer(tokenFor(t, w.ts, "gp", []string{odsA}, nil))
	get := func(path string) response { t.Helper(); return do(t, w.ts, "GET", path, nil, gp...) }

	wantStatus(t, get("/fhir/Patient/"+w.pa), http.StatusOK, "read own patient")
	wantOutcome(t, get("/fhir/Patient/"+w.pb), http.StatusForbidden, "forbidden")
	wantStatus(t, get("/fhir/Immunization/"+w.aFlu), http.StatusOK, "read own patient's immunization")
	wantOutcome(t, get("/fhir/Immunization/"+w.bFlu), http.StatusForbidden, "forbidden")
	wantOutcome(t, get("/fhir/Patient/"+w.pb+"/_history/1"), http.StatusForbidden, "forbidden")

	if got := ids(t, get("/fhir/Patient"), "match"); !slices.Equal(got, sorted(w.pa, w.pr)) {
		t.Errorf("Patient search = %v, want %v", got, sorted(w.pa, w.pr))
	}
	if got := ids(t, get("/fhir/Immunization"), "match"); !slices.Equal(got, sorted(w.aFlu, w.aCovid)) {
		t.Errorf("Immunization search = %v, want A's", got)
	}
	byNHS := "/fhir/Immunization?patient.identifier=" + url.QueryEscape(fhir.SystemNHSNumber+"|"+w.nhsB)
	if got := ids(t, get(byNHS), "match"); len(got) != 0 {
		t.Errorf("chain to B's patient found %v, want nothing", got)
	}
	if got := ids(t, get("/fhir/Patient?_has:Immunization:patient:status=completed"), "match"); !slices.Equal(got, []string{w.pa}) {
		t.Errorf("_has = %v, want [%s]", got, w.pa)
	}
	inc := get("/fhir/Immunization?_include=Immunization:patient")
	if got := ids(t, inc, "include"); !slices.Equal(got, []string{w.pa}) {
		t.Errorf("_include patients = %v, want [%s]", got, w.pa)
	}
	if got := ids(t, get("/fhir/Patient/"+w.pb+"/Immunization"), "match"); len(got) != 0 {
		t.Errorf("B's compartment = %v, want nothing", got)
	}
	if got := ids(t, get("/fhir/Patient/"+w.pa+"/Immunization"), "match"); !slices.Equal(got, sorted(w.aFlu, w.aCovid)) {
		t.Errorf("A's compartment = %v, want A's immunizations", got)
	}
	for _, path := range []string{"/fhir/_history", "/fhir/Patient/_history", "/fhir/Patient/" + w.pb + "/_history"} {
		for _, e := range entries(t, get(path)) {
			res, _ := e["resource"].(map[string]any)
			if res == nil {
				t.Errorf("%s: an entry without a resource reached a GP: %v", path, e)
				continue
			}
			if id := res["id"].(string); id == w.pb || id == w.bFlu {
				t.Errorf("%s shows %s/%s of practice B", path, res["resourceType"], id)
			}
		}
	}
	// A GP writes nothing and reads no audit trail.
	wantOutcome(t, do(t, w.ts, "POST", "/fhir/Patient", gpPatient("", odsA), gp...), http.StatusForbidden, "forbidden")
	wantOutcome(t, do(t, w.ts, "DELETE", "/fhir/Patient/"+w.pa, nil, gp...), http.StatusForbidden, "forbidden")
	wantOutcome(t, get("/fhir/AuditEvent"), http.StatusForbidden, "forbidden")
	// Organizations are not personal: readable whatever the practice.
	wantStatus(t, get("/fhir/Organization/"+w.orgA), http.StatusOK, "read an organization")
	// A gp token needs a practice.
	if _, err := envOf(t, w.ts).auth.LocalToken("gp", "", nil, nil, time.Hour); err == nil {
		t.Errorf("a gp token without ODS codes was issued")
	}
}

// A point-of-care supplier with FLU.CRUDS records and reads flu vaccinations only, as
// the NHS API's per-vaccine-type permissions do.
func TestPointOfCareVaccineTypes(t *testing.T) {
	w := newWorld(t, Config{})
	poc := bearer(tokenFor(t, w.ts, "poc", nil, []string{"FLU.CRUDS"}))
	wantStatus(t, do(t, w.ts, "POST", "/fhir/Immunization", immunization(w.pa, fluCode), poc...), http.StatusCreated, "poc creates flu")
	wantOutcome(t, do(t, w.ts, "POST", "/fhir/Immunization", immunization(w.pa, covidCode), poc...), http.StatusForbidden, "forbidden")
	wantStatus(t, do(t, w.ts, "GET", "/fhir/Immunization/"+w.aFlu, nil, poc...), http.StatusOK, "poc reads flu")
	wantOutcome(t, do(t, w.ts, "GET", "/fhir/Immunization/"+w.aCovid, nil, poc...), http.StatusForbidden, "forbidden")
	res := do(t, w.ts, "GET", "/fhir/Immunization?patient="+w.pa, nil, poc...)
	for _, id := range ids(t, res, "match") {
		if id == w.aCovid {
			t.Errorf("poc search shows the COVID record")
		}
	}
	if n := len(ids(t, res, "match")); n != 2 { // aFlu and the one it created
		t.Errorf("poc search found %d flu records, want 2", n)
	}
	// Update and delete of a COVID record are refused, including an update that would
	// turn it into a flu record.
	covid := immunization(w.pa, fluCode)
	covid["id"] = w.aCovid
	wantOutcome(t, do(t, w.ts, "PUT", "/fhir/Immunization/"+w.aCovid, covid, poc...), http.StatusForbidden, "forbidden")
	wantOutcome(t, do(t, w.ts, "DELETE", "/fhir/Immunization/"+w.aCovid, nil, poc...), http.StatusForbidden, "forbidden")
	// A condition naming the COVID record matches nothing the client may delete.
	do(t, w.ts, "DELETE", "/fhir/Immunization?patient="+w.pa+"&target-disease="+covidCode, nil, poc...)
	wantStatus(t, do(t, w.ts, "GET", "/fhir/Immunization/"+w.aCovid, nil), http.StatusOK, "the COVID record survived")
	// A conditional delete only ever matches what the client may delete.
	wantStatus(t, do(t, w.ts, "DELETE", "/fhir/Immunization?patient="+w.pb, nil, poc...), http.StatusNoContent, "poc deletes B's flu record by condition")
	wantStatus(t, do(t, w.ts, "GET", "/fhir/Immunization/"+w.bFlu, nil), http.StatusGone, "B's flu record deleted")
	// Patients are search-and-read for a poc, not writable.
	wantStatus(t, do(t, w.ts, "GET", "/fhir/Patient?identifier="+url.QueryEscape(fhir.SystemNHSNumber+"|"+w.nhsA), nil, poc...), http.StatusOK, "poc looks up a patient")
	wantOutcome(t, do(t, w.ts, "POST", "/fhir/Patient", patient(""), poc...), http.StatusForbidden, "forbidden")
	// A supplier with create-only permission cannot search (NHS: COVID.CUD).
	cud := bearer(tokenFor(t, w.ts, "poc", nil, []string{"COVID.CUD"}))
	wantOutcome(t, do(t, w.ts, "GET", "/fhir/Immunization", nil, cud...), http.StatusForbidden, "forbidden")
	wantStatus(t, do(t, w.ts, "POST", "/fhir/Immunization", immunization(w.pa, covidCode), cud...), http.StatusCreated, "COVID.CUD creates")
}

// The pass issuer sees an immunisation status and no more; research and agency clients
// have no FHIR REST access at all (bulk export only).
func TestMinimalRoles(t *testing.T) {
	w := newWorld(t, Config{})
	pass := bearer(tokenFor(t, w.ts, "pass", nil, nil))
	q := "/fhir/Immunization?patient.identifier=" + url.QueryEscape(fhir.SystemNHSNumber+"|"+w.nhsA)
	r := do(t, w.ts, "GET", q, nil, pass...)
	wantStatus(t, r, http.StatusOK, "pass status search")
	matches := 0
	for _, e := range entries(t, r) {
		res := e["resource"].(map[string]any)
		if res["resourceType"] != "Immunization" {
			continue
		}
		matches++
		if _, ok := res["lotNumber"]; ok {
			t.Errorf("pass sees lotNumber: %v", res)
		}
		if res["status"] == nil || res["protocolApplied"] == nil || res["occurrenceDateTime"] == nil {
			t.Errorf("pass misses the status elements: %v", res)
		}
	}
	if matches != 2 {
		t.Errorf("pass found %d immunizations, want 2", matches)
	}
	wantOutcome(t, do(t, w.ts, "GET", "/fhir/Patient/"+w.pa, nil, pass...), http.StatusForbidden, "forbidden")
	// Research and agency clients export in bulk; the REST API grants them nothing, so
	// no token is issued for it.
	for _, role := range []string{"research", "agency"} {
		if _, err := envOf(t, w.ts).auth.LocalToken(role, "", nil, nil, time.Hour); err == nil {
			t.Errorf("a %s token for the REST API was issued", role)
		}
	}
}

// A restricted patient's address, telecom and GP are withheld from roles without a need
// for them, and shown to those with one.
func TestRestrictedPatient(t *testing.T) {
	w := newWorld(t, Config{})
	booking := bearer(tokenFor(t, w.ts, "booking", nil, nil))
	r := do(t, w.ts, "GET", "/fhir/Patient/"+w.pr, nil, booking...)
	wantStatus(t, r, http.StatusOK, "booking reads a restricted patient")
	for _, k := range []string{"address", "telecom", "generalPractitioner"} {
		if _, ok := r.json(t)[k]; ok {
			t.Errorf("booking sees %s of a restricted patient", k)
		}
	}
	if r.json(t)["name"] == nil {
		t.Errorf("booking lost the name too: %s", r.body)
	}
	for _, e := range entries(t, do(t, w.ts, "GET", "/fhir/Patient?_id="+w.pr, nil, booking...)) {
		if _, ok := e["resource"].(map[string]any)["address"]; ok {
			t.Errorf("booking's search shows a restricted patient's address")
		}
	}
	if _, ok := do(t, w.ts, "GET", "/fhir/Patient/"+w.pa, nil, booking...).json(t)["address"]; !ok {
		t.Errorf("an unrestricted patient lost the address")
	}
	gp := bearer(tokenFor(t, w.ts, "gp", []string{odsA}, nil))
	if _, ok := do(t, w.ts, "GET", "/fhir/Patient/"+w.pr, nil, gp...).json(t)["address"]; !ok {
		t.Errorf("the patient's own GP does not see the address")
	}
}

// Scopes bound chains and _has: searching through a type the client may not search is
// 403, not a silent widening or narrowing.
func TestChainsNeedScopes(t *testing.T) {
	w := newWorld(t, Config{})
	booking := bearer(tokenFor(t, w.ts, "booking", nil, nil)) // no Organization access
	wantOutcome(t, do(t, w.ts, "GET", "/fhir/Patient?general-practitioner:Organization.name=Practice", nil, booking...), http.StatusForbidden, "forbidden")
	pass := bearer(tokenFor(t, w.ts, "pass", nil, nil)) // no Flag access
	wantOutcome(t, do(t, w.ts, "GET", "/fhir/Patient?_has:Flag:patient:status=active", nil, pass...), http.StatusForbidden, "forbidden")
}

// Every request leaves an audit event naming the client, its role, the patients whose
// data it touched and the outcome; refused requests too. Only admin reads the trail.
func TestAuditTrail(t *testing.T) {
	w := newWorld(t, Config{})
	env := envOf(t, w.ts)
	gp := bearer(tokenFor(t, w.ts, "gp", []string{odsA}, nil))
	do(t, w.ts, "GET", "/fhir/Immunization/"+w.aFlu, nil, gp...)
	do(t, w.ts, "GET", "/fhir/Patient/"+w.pb, nil, gp...)
	do(t, w.ts, "GET", "/fhir/Patient/"+w.pa, nil, "Authorization", "Bearer nonsense")
	if err := env.audit.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	recs, _, err := env.audit.Search(t.Context(), audit.Query{Patient: "Patient/" + w.pa, Client: "local:gp"})
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1 || recs[0].Event.Interaction != IRead || recs[0].Event.Type != "Immunization" || recs[0].Event.Status != http.StatusOK ||
		recs[0].Event.Role != "gp" || recs[0].Event.Purpose == "" || recs[0].Event.RequestID == "" {
		t.Fatalf("audit of the GP's read of A's immunization = %+v", recs)
	}
	all, _, err := env.audit.Search(t.Context(), audit.Query{Count: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var forbidden, unauthorized bool
	for _, r := range all {
		forbidden = forbidden || (r.Event.Status == http.StatusForbidden && r.Event.Role == "gp")
		unauthorized = unauthorized || r.Event.Status == http.StatusUnauthorized
	}
	if !forbidden || !unauthorized {
		t.Errorf("refused requests not audited: 403 %v, 401 %v", forbidden, unauthorized)
	}
	// The trail as FHIR, for admin only.
	r := do(t, w.ts, "GET", "/fhir/AuditEvent?patient="+w.pa+"&agent=local:gp", nil)
	wantStatus(t, r, http.StatusOK, "admin searches the audit trail")
	es := entries(t, r)
	if len(es) != 1 {
		t.Fatalf("AuditEvent search found %d, want 1: %s", len(es), r.body)
	}
	ae := es[0]["resource"].(map[string]any)
	if ae["resourceType"] != "AuditEvent" || ae["agent"] == nil || ae["recorded"] == nil {
		t.Errorf("AuditEvent = %v", ae)
	}
	raw, _ := json.Marshal(ae)
	if res, err := fhir.Decode(raw); err != nil || fhir.Validate(res) != nil {
		t.Errorf("the AuditEvent is not valid FHIR: %v %v", err, fhir.Validate(res))
	}
	wantStatus(t, do(t, w.ts, "GET", "/fhir/AuditEvent/"+ae["id"].(string), nil), http.StatusOK, "read one AuditEvent")
	wantStatus(t, do(t, w.ts, "POST", "/fhir/AuditEvent", ae), http.StatusMethodNotAllowed, "AuditEvents cannot be written")
	programme := bearer(tokenFor(t, w.ts, "programme", nil, nil))
	wantOutcome(t, do(t, w.ts, "GET", "/fhir/AuditEvent", nil, programme...), http.StatusForbidden, "forbidden")
	if n, err := env.audit.Verify(t.Context()); err != nil || n < 5 {
		t.Errorf("Verify = %d, %v", n, err)
	}
}

// Each client has a rate; beyond it requests are 429 with Retry-After.
func TestRateLimit(t *testing.T) {
	ts := newTestServer(t, Config{RateLimit: 1, RateBurst: 3})
	var statuses []int
	for range 5 {
		statuses = append(statuses, do(t, ts, "GET", "/fhir/Patient", nil).status)
	}
	if !slices.Equal(statuses[:3], []int{200, 200, 200}) || statuses[4] != http.StatusTooManyRequests {
		t.Fatalf("statuses %v, want three 200 then 429", statuses)
	}
	r := do(t, ts, "GET", "/fhir/Patient", nil)
	wantOutcome(t, r, http.StatusTooManyRequests, "throttled")
	if r.header.Get("Retry-After") == "" {
		t.Errorf("429 without Retry-After")
	}
	// Another client has its own bucket.
	wantStatus(t, do(t, ts, "GET", "/fhir/Patient", nil, bearer(tokenFor(t, ts, "programme", nil, nil))...), http.StatusOK, "another client")
}

// Arbitrary Authorization headers are refused cleanly: 401, never a 500 or a hang.
func FuzzAuthorizationHeader(f *testing.F) {
	for _, s := range []string{"", "Bearer ", "Bearer a.b.c", "bearer eyJhbGciOiJub25lIn0.e30.", "Bearer \x00", "Negotiate abc", strings.Repeat("Bearer ", 100)} {
		f.Add(s)
	}
	ts := newTestServer(f, Config{})
	f.Fuzz(func(t *testing.T, h string) {
		req, err := http.NewRequest("GET", ts.URL+"/fhir/Patient", nil)
		if err != nil {
			return
		}
		req.Header["Authorization"] = []string{h}
		resp, err := ts.Client().Do(req)
		if err != nil {
			return // the client refused to send it
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized && resp.StatusCode != http.StatusBadRequest && resp.StatusCode != http.StatusTooManyRequests {
			t.Errorf("Authorization %q: status %d, want 401 (or 429 once the address's budget for failures is spent)", h, resp.StatusCode)
		}
	})
}
