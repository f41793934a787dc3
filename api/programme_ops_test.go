package api

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/nimsproject/nims/audit"
	"github.com/nimsproject/nims/fhir"
)

const (
	demographicsPath = "/fhir/Patient/$demographics-feed"
	ethnicityPath    = "/fhir/Patient/$ethnicity-feed"
	pregnantList     = "/fhir/Flag/$priority-list?code=77386006&category=pregnant&start=2026-09-01&display=Pregnant"
	csvType          = "text/csv"
)

// validNHS returns the i-th valid NHS number of the 999 test range.
func validNHS(i int) string {
	for n := i * 7; ; n++ {
		s := fmt.Sprintf("999%06d", n)
		sum := 0
		for k := range 9 {
			sum += int(s[k]-'0') * (10 - k)
		}
		if check := (11 - sum%11) % 11; check != 10 {
			return s + fmt.Sprint(check)
		}
	}
}

// pdsLine is a line of the PDS delta: the whole record of the person with NHS number
// nhs; extra is more JSON members.
func pdsLine(nhs, family, extra string) string {
	return `{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"` + nhs + `"}],` +
		`"name":[{"family":"` + family + `","given":["Sam"]}],"gender":"female","birthDate":"1948-02-03"` + extra + `}`
}

// feed posts body to an operation's path and returns its report's counts and error
// lines, failing unless it answers 200 with a Parameters.
func feed(t *testing.T, ts *httptest.Server, path, contentType, body string, headers ...string) (counts map[string]int, errLines []int) {
	t.Helper()
	r := do(t, ts, "POST", path, body, append([]string{"Content-Type", contentType}, headers...)...)
	wantStatus(t, r, http.StatusOK, "POST "+path)
	m := r.json(t)
	if m["resourceType"] != "Parameters" {
		t.Fatalf("POST %s answered a %v, want a Parameters", path, m["resourceType"])
	}
	counts = map[string]int{}
	for _, p := range m["parameter"].([]any) {
		p := p.(map[string]any)
		if p["name"] != "error" {
			counts[p["name"].(string)] = int(p["valueInteger"].(float64))
			continue
		}
		parts := p["part"].([]any)
		line, oo := parts[0].(map[string]any), parts[1].(map[string]any)
		if line["name"] != "line" || oo["name"] != "outcome" || oo["resource"].(map[string]any)["resourceType"] != "OperationOutcome" {
			t.Fatalf("error part %v, want a line and an OperationOutcome", p)
		}
		errLines = append(errLines, int(line["valueInteger"].(float64)))
	}
	return counts, errLines
}

// total is the number of matches of a search.
func total(t *testing.T, ts *httptest.Server, query string) int {
	t.Helper()
	r := do(t, ts, "GET", "/fhir/"+query+"&_summary=count", nil)
	wantStatus(t, r, http.StatusOK, "search "+query)
	return int(r.json(t)["total"].(float64))
}

// versions is the number of versions the server holds, from the system history.
func versions(t *testing.T, ts *httptest.Server) int {
	t.Helper()
	r := do(t, ts, "GET", "/fhir/_history?_count=1000", nil)
	wantStatus(t, r, http.StatusOK, "system history")
	return len(entries(t, r))
}

func byNHS(nhs string) string { return url.QueryEscape(fhir.SystemNHSNumber + "|" + nhs) }

// The demographic feed creates, updates and reports bad lines by number; a death stops
// the invitations not yet sent; the same body twice writes nothing.
func TestDemographicsFeedOperation(t *testing.T) {
	ts := newTestServer(t, Config{})
	a, b := validNHS(1), validNHS(2)
	day1 := strings.Join([]string{pdsLine(a, "Able", `,"address":[{"postalCode":"LS1 4AP"}]`), `not json`, pdsLine(b, "Baker", "")}, "\n") + "\n"
	counts, errs := feed(t, ts, demographicsPath, ndjsonType, day1)
	if counts["created"] != 2 || counts["failed"] != 1 || fmt.Sprint(errs) != "[2]" {
		t.Fatalf("day 1: %v, error lines %v; want 2 created, line 2 failed", counts, errs)
	}
	if n := total(t, ts, "Patient?identifier="+byNHS(a)+"&address-postalcode=LS1"); n != 1 {
		t.Errorf("Patient %s at LS1: %d found, want 1", a, n)
	}

	before := versions(t, ts)
	counts, _ = feed(t, ts, demographicsPath, "application/ndjson", day1)
	if counts["unchanged"] != 2 || counts["created"]+counts["updated"] != 0 {
		t.Errorf("replayed day 1: %v, want 2 unchanged", counts)
	}
	if after := versions(t, ts); after != before {
		t.Errorf("a replayed feed wrote %d versions", after-before)
	}

	pb := ids(t, do(t, ts, "GET", "/fhir/Patient?identifier="+byNHS(b), nil), "match")[0]
	inv := do(t, ts, "POST", "/fhir/Communication", map[string]any{"resourceType": "Communication", "status": "preparation",
		"subject": map[string]any{"reference": "Patient/" + pb}}).json(t)["id"].(string)
	day2 := pdsLine(a, "Able", `,"address":[{"postalCode":"M1 1AA"}]`) + "\n" + pdsLine(b, "Baker", `,"deceasedDateTime":"2026-11-20T10:00:00+00:00"`)
	counts, _ = feed(t, ts, demographicsPath, ndjsonType, day2)
	if counts["updated"] != 2 || counts["died"] != 1 || counts["stopped"] != 1 {
		t.Errorf("day 2: %v, want 2 updated, 1 died, 1 stopped", counts)
	}
	if n := total(t, ts, "Patient?identifier="+byNHS(a)+"&address-postalcode=M1"); n != 1 {
		t.Errorf("the move of %s: %d Patients at M1, want 1", a, n)
	}
	if v := do(t, ts, "GET", "/fhir/Patient?identifier="+byNHS(a), nil).json(t)["entry"].([]any)[0].(map[string]any)["resource"].(map[string]any)["meta"].(map[string]any)["versionId"]; v != "2" {
		t.Errorf("after one change the Patient is version %v, want 2", v)
	}
	if st := do(t, ts, "GET", "/fhir/Communication/"+inv, nil).json(t)["status"]; st != "not-done" {
		t.Errorf("the invitation to the person who died is %v, want not-done", st)
	}

	// Gzipped, as $import takes it.
	var zipped bytes.Buffer
	zw := gzip.NewWriter(&zipped)
	zw.Write([]byte(day2))
	zw.Close()
	counts, _ = feed(t, ts, demographicsPath, ndjsonType, zipped.String(), "Content-Encoding", "gzip")
	if counts["unchanged"] != 2 {
		t.Errorf("day 2 again, gzipped: %v, want 2 unchanged", counts)
	}
}

// A superseded NHS number over HTTP: the person's records move to the new Patient, and
// either number finds them.
func TestDemographicsFeedSupersede(t *testing.T) {
	ts := newTestServer(t, Config{})
	old, cur := validNHS(10), validNHS(11)
	feed(t, ts, demographicsPath, ndjsonType, pdsLine(old, "Dunn", ""))
	p := ids(t, do(t, ts, "GET", "/fhir/Patient?identifier="+byNHS(old), nil), "match")[0]
	imm := do(t, ts, "POST", "/fhir/Immunization", immunization(p, fluCode)).json(t)["id"].(string)

	delta := pdsLine(cur, "Dunn", `,"link":[{"type":"replaces","other":{"identifier":{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"`+old+`"}}}]`)
	counts, errs := feed(t, ts, demographicsPath, ndjsonType, delta)
	if counts["created"] != 1 || counts["superseded"] != 1 || len(errs) != 0 {
		t.Fatalf("supersede: %v, errors %v; want 1 created, 1 superseded", counts, errs)
	}
	for _, n := range []string{old, cur} {
		if got := ids(t, do(t, ts, "GET", "/fhir/Immunization?patient.identifier="+byNHS(n), nil), "match"); fmt.Sprint(got) != "["+imm+"]" {
			t.Errorf("Immunization?patient.identifier=%s finds %v, want [%s]", n, got, imm)
		}
	}
	if active := do(t, ts, "GET", "/fhir/Patient/"+p, nil).json(t)["active"]; active != false {
		t.Errorf("the superseded Patient is active: %v", active)
	}
	if counts, _ := feed(t, ts, demographicsPath, ndjsonType, delta); counts["unchanged"] != 1 || counts["superseded"] != 0 {
		t.Errorf("replayed supersede: %v", counts)
	}
}

func TestEthnicityFeedOperation(t *testing.T) {
	ts := newTestServer(t, Config{})
	a, unheld := validNHS(20), validNHS(21)
	feed(t, ts, demographicsPath, ndjsonType, pdsLine(a, "Able", ""))
	body := "nhs_number,ethnic_category\n" + a + ",A\n9999999990,B\n" + unheld + ",C\n"
	counts, errs := feed(t, ts, ethnicityPath, csvType+"; charset=utf-8", body)
	if counts["updated"] != 1 || counts["unmatched"] != 1 || counts["failed"] != 1 || fmt.Sprint(errs) != "[3]" {
		t.Errorf("ethnicity: %v, error lines %v; want 1 updated, 1 unmatched, line 3 failed", counts, errs)
	}
	pa := do(t, ts, "GET", "/fhir/Patient?identifier="+byNHS(a), nil)
	if !strings.Contains(string(pa.body), fhir.ExtEthnicCategory) {
		t.Errorf("the Patient has no ethnic category: %s", pa.body)
	}
	if counts, _ := feed(t, ts, ethnicityPath, "text/plain", a+"|a\n"); counts["unchanged"] != 1 {
		t.Errorf("the same category again: %v, want 1 unchanged", counts)
	}
	r := do(t, ts, "POST", ethnicityPath, a+",A\n"+strings.Repeat("9", 70_000)+",A\n", "Content-Type", csvType)
	if wantOutcome(t, r, http.StatusBadRequest, "invalid"); !strings.Contains(string(r.body), "line 2 is longer") {
		t.Errorf("the 400 does not say which line is too long: %s", r.body)
	}
}

func TestPriorityListOperation(t *testing.T) {
	ts := newTestServer(t, Config{})
	a, b, unheld := validNHS(30), validNHS(31), validNHS(32)
	feed(t, ts, demographicsPath, ndjsonType, pdsLine(a, "Able", "")+"\n"+pdsLine(b, "Baker", ""))
	counts, errs := feed(t, ts, pregnantList, csvType, "NHS_NUMBER\n"+a+"\n"+b+"\n"+unheld+"\n9000000001\n")
	if counts["listed"] != 3 || counts["flagged"] != 3 || counts["unmatched"] != 1 || counts["failed"] != 1 || fmt.Sprint(errs) != "[5]" {
		t.Fatalf("v1: %v, error lines %v; want 3 listed and flagged, 1 unmatched, line 5 failed", counts, errs)
	}
	if n := total(t, ts, "Flag?code=77386006&status=active"); n != 3 {
		t.Errorf("%d active Flags, want 3", n)
	}
	before := versions(t, ts)
	if counts, _ := feed(t, ts, pregnantList, csvType, a+"\n"+b+"\n"+unheld+"\n"); counts["kept"] != 3 || counts["flagged"]+counts["ended"] != 0 {
		t.Errorf("v1 again: %v, want 3 kept", counts)
	}
	if after := versions(t, ts); after != before {
		t.Errorf("the same list again wrote %d versions", after-before)
	}
	counts, _ = feed(t, ts, pregnantList, csvType, a+"\n")
	if counts["kept"] != 1 || counts["ended"] != 2 {
		t.Errorf("v2: %v, want 1 kept, 2 ended", counts)
	}
	ended := "Flag?status=inactive&identifier=" + url.QueryEscape("https://nims.example/Id/priority-group-flag|77386006-"+b)
	if n := total(t, ts, ended); n != 1 {
		t.Errorf("the Flag of someone taken off the list: %d inactive, want 1", n)
	}

	for _, query := range []string{"code=77386006&category=pregnant", "code=77386006&category=pregnant&start=2026-13-01",
		"code=77386006&category=nope&start=2026-09-01", "code=flu&category=pregnant&start=2026-09-01",
		"code=77386006&category=pregnant&start=2026-09-01&end=2026-08-01"} {
		r := do(t, ts, "POST", "/fhir/Flag/$priority-list?"+query, a+"\n", "Content-Type", csvType)
		wantOutcome(t, r, http.StatusBadRequest, "invalid")
	}
}

// What the operations refuse: other media types, other resource types, bodies over the
// limit, clients without the rights.
func TestFeedOperationsRefuse(t *testing.T) {
	ts := newTestServer(t, Config{MaxImportBytes: 400})
	line := pdsLine(validNHS(40), "Able", "")
	for _, tc := range []struct{ path, contentType string }{
		{demographicsPath, csvType}, {demographicsPath, "application/fhir+json"}, {ethnicityPath, ndjsonType}, {pregnantList, "application/json"},
	} {
		wantOutcome(t, do(t, ts, "POST", tc.path, line, "Content-Type", tc.contentType), http.StatusUnsupportedMediaType, "not-supported")
	}
	wantOutcome(t, do(t, ts, "POST", demographicsPath, line, "Content-Type", ndjsonType, "Content-Encoding", "br"), http.StatusUnsupportedMediaType, "not-supported")
	for _, path := range []string{"/fhir/Flag/$demographics-feed", "/fhir/Immunization/$ethnicity-feed",
		"/fhir/Patient/$priority-list?code=77386006&category=pregnant&start=2026-09-01", "/fhir/NotAType/$demographics-feed"} {
		wantOutcome(t, do(t, ts, "POST", path, line, "Content-Type", ndjsonType), http.StatusNotFound, "not-supported")
	}
	big := strings.Repeat(line+"\n", 3)
	wantOutcome(t, do(t, ts, "POST", demographicsPath, big, "Content-Type", ndjsonType), http.StatusRequestEntityTooLarge, "too-long")
	var zipped bytes.Buffer
	zw := gzip.NewWriter(&zipped)
	zw.Write([]byte(strings.Repeat(big, 10)))
	zw.Close()
	if zipped.Len() >= 400 {
		t.Fatalf("the compressed body has %d bytes; the test needs fewer than the limit", zipped.Len())
	}
	wantOutcome(t, do(t, ts, "POST", demographicsPath, zipped.Bytes(), "Content-Type", ndjsonType, "Content-Encoding", "gzip"),
		http.StatusRequestEntityTooLarge, "too-long")
	wantOutcome(t, do(t, ts, "POST", ethnicityPath, "not gzip", "Content-Type", csvType, "Content-Encoding", "gzip"),
		http.StatusBadRequest, "invalid")
}

// Only clients that may make every write a feed makes run it; every request is audited
// under the operation's name, with no patient data in the query.
func TestFeedOperationsAuthorisedAndAudited(t *testing.T) {
	ts := newTestServer(t, Config{})
	a := validNHS(50)
	loader := bearer(tokenFor(t, ts, "loader", nil, nil))
	feed(t, ts, demographicsPath, ndjsonType, pdsLine(a, "Able", ""), loader...)
	feed(t, ts, ethnicityPath, csvType, a+",A\n", loader...)
	feed(t, ts, pregnantList, csvType, a+"\n", loader...)

	for _, tok := range [][]string{bearer(tokenFor(t, ts, "poc", nil, []string{"FLU.CRUDS"})), bearer(tokenFor(t, ts, "gp", []string{odsA}, nil))} {
		wantOutcome(t, do(t, ts, "POST", demographicsPath, pdsLine(a, "Able", ""), append([]string{"Content-Type", ndjsonType}, tok...)...), http.StatusForbidden, "forbidden")
		wantOutcome(t, do(t, ts, "POST", ethnicityPath, a+",B\n", append([]string{"Content-Type", csvType}, tok...)...), http.StatusForbidden, "forbidden")
		wantOutcome(t, do(t, ts, "POST", pregnantList, a+"\n", append([]string{"Content-Type", csvType}, tok...)...), http.StatusForbidden, "forbidden")
	}
	// Create and update on Patient are not enough for the demographic feed: a supersede
	// moves records and a death stops invitations.
	patientOnly := bearer(localToken(t, envOf(t, ts).auth, "loader", "system/Patient.cu"))
	r := do(t, ts, "POST", demographicsPath, pdsLine(a, "Able", ""), append([]string{"Content-Type", ndjsonType}, patientOnly...)...)
	if wantOutcome(t, r, http.StatusForbidden, "forbidden"); !strings.Contains(string(r.body), "update Communication") {
		t.Errorf("the 403 does not name the access missing: %s", r.body)
	}
	if r := do(t, ts, "POST", ethnicityPath, a+",C\n", append([]string{"Content-Type", csvType}, patientOnly...)...); r.status != http.StatusOK {
		t.Errorf("ethnicity with Patient.cu: status %d, want 200\n%s", r.status, r.body)
	}

	env := envOf(t, ts)
	if err := env.audit.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	for _, want := range []struct {
		interaction, typ, query string
		statuses                string
	}{
		{IDemographicsFeed, "Patient", "$demographics-feed", "[200 403 403 403]"},
		{IEthnicityFeed, "Patient", "$ethnicity-feed", "[200 403 403 200]"},
		{IPriorityList, "Flag", "$priority-list?category=pregnant&code=77386006&start=2026-09-01", "[200 403 403]"},
	} {
		recs, _, err := env.audit.Search(t.Context(), audit.Query{Interaction: want.interaction})
		if err != nil {
			t.Fatal(err)
		}
		var statuses []int
		for _, rec := range recs {
			e := rec.Event
			statuses = append(statuses, e.Status)
			if e.Type != want.typ || len(e.Patients) != 0 || strings.Contains(e.Query, a) {
				t.Errorf("audit of %s: %+v, want type %s and no patient data", want.interaction, e, want.typ)
			}
			if e.Status == http.StatusOK && e.Query != want.query {
				t.Errorf("audit of %s: query %q, want %q", want.interaction, e.Query, want.query)
			}
		}
		if fmt.Sprint(statuses) != want.statuses {
			t.Errorf("audit of %s: statuses %v, want %s", want.interaction, statuses, want.statuses)
		}
	}
}

func TestFeedOperationsInCapabilityStatement(t *testing.T) {
	ts := newTestServer(t, Config{})
	rest := do(t, ts, "GET", "/fhir/metadata", nil).json(t)["rest"].([]any)[0].(map[string]any)
	ops := map[string]string{}
	for _, r := range rest["resource"].([]any) {
		r := r.(map[string]any)
		var names []string
		for _, o := range r["operation"].([]any) {
			o := o.(map[string]any)
			names = append(names, o["name"].(string))
			if o["name"] != "validate" && !strings.HasPrefix(o["definition"].(string), "http://nims.nhs.example/fhir/OperationDefinition/"+r["type"].(string)+"-") {
				t.Errorf("%s $%s has the definition %v", r["type"], o["name"], o["definition"])
			}
		}
		ops[r["type"].(string)] = strings.Join(names, ",")
	}
	for typ, want := range map[string]string{"Patient": "validate,demographics-feed,ethnicity-feed", "Flag": "validate,priority-list", "Immunization": "validate"} {
		if ops[typ] != want {
			t.Errorf("%s operations %s, want %s", typ, ops[typ], want)
		}
	}
}
