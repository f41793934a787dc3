package api

import (
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
)

func TestSearchsetShape(t *testing.T) {
	ts := newTestServer(t, Config{})
	for _, nhs := range []string{"9000000009", "9000000025", "9000000033"} {
		create(t, ts, patient(nhs))
	}

	b := searchOK(t, ts, "/fhir/Patient?family=smith&_count=2")
	if got := b.ids("match"); len(got) != 2 {
		t.Fatalf("first page has %d matches, want 2", len(got))
	}
	if b.Total != nil {
		t.Errorf("total = %d without _total: counting is not the default", *b.Total)
	}
	self, err := url.Parse(b.link("self"))
	if err != nil || self.Path != "/fhir/Patient" || self.Query().Get("family") != "smith" || self.Query().Get("_count") != "2" {
		t.Errorf("self link %q, want /fhir/Patient with family=smith and _count=2", b.link("self"))
	}
	if !strings.HasPrefix(b.link("self"), ts.URL+"/fhir/") {
		t.Errorf("self link %q is not absolute under %s/fhir", b.link("self"), ts.URL)
	}
	for _, e := range b.Entry {
		if want := ts.URL + "/fhir/Patient/" + e.Resource["id"].(string); e.FullURL != want {
			t.Errorf("fullUrl %s, want %s", e.FullURL, want)
		}
	}
	next := b.link("next")
	if next == "" || !strings.Contains(next, "_cursor=") {
		t.Fatalf("first of two pages: next link %q, want one with _cursor", next)
	}
	last := searchOK(t, ts, strings.TrimPrefix(next, ts.URL))
	if len(last.ids("match")) != 1 || last.link("next") != "" {
		t.Errorf("last page: %d matches, next %q; want 1 and none", len(last.ids("match")), last.link("next"))
	}

	counted := searchOK(t, ts, "/fhir/Patient?_total=accurate")
	if counted.Total == nil || *counted.Total != 3 {
		t.Errorf("_total=accurate: total %v, want 3", counted.Total)
	}
	none := searchOK(t, ts, "/fhir/Patient?family=nobody&_total=accurate")
	if len(none.Entry) != 0 || none.Total == nil || *none.Total != 0 {
		t.Errorf("no match: %d entries, total %v; want none and 0", len(none.Entry), none.Total)
	}
	if none.outcome(t) != nil {
		t.Errorf("a clean search has an outcome entry")
	}
}

// Paging by next links while writes continue: every resource that existed before the
// first page is seen exactly once.
func TestSearchPagingWithWrites(t *testing.T) {
	ts := newTestServer(t, Config{})
	before := map[string]bool{}
	for range 7 {
		before[create(t, ts, patient(""))] = true
	}
	seen := map[string]int{}
	path := "/fhir/Patient?_count=3"
	for pages := 0; path != ""; pages++ {
		if pages > 10 {
			t.Fatal("more than 10 pages: the next links do not end")
		}
		b := searchOK(t, ts, path)
		for _, id := range b.ids("match") {
			seen[id]++
		}
		// Writes between pages: new resources, and a new version of one already seen.
		create(t, ts, patient(""))
		if ids := b.ids("match"); len(ids) > 0 {
			p := patient("")
			p["id"] = strings.TrimPrefix(ids[0], "Patient/")
			p["gender"] = "male"
			wantStatus(t, do(t, ts, "PUT", "/fhir/"+ids[0], p), http.StatusOK, "update between pages")
		}
		path = strings.TrimPrefix(b.link("next"), ts.URL)
	}
	for id, n := range seen {
		if n > 1 {
			t.Errorf("%s seen %d times across pages", id, n)
		}
	}
	for id := range before {
		if seen[id] == 0 {
			t.Errorf("%s, stored before the first page, was skipped", id)
		}
	}
}

func TestSearchPost(t *testing.T) {
	ts := newTestServer(t, Config{})
	for _, nhs := range []string{"9000000009", "9000000025", "9000000033"} {
		create(t, ts, patient(nhs))
	}
	get := searchOK(t, ts, "/fhir/Patient?gender=female&_count=2&_total=accurate")
	form := "gender=female&_count=2"
	r := do(t, ts, "POST", "/fhir/Patient/_search?_total=accurate", form, "Content-Type", "application/x-www-form-urlencoded")
	wantStatus(t, r, http.StatusOK, "POST _search")
	post := decodeBundle(t, r)
	if !reflect.DeepEqual(post.ids("match"), get.ids("match")) || *post.Total != *get.Total {
		t.Errorf("POST _search found %v (total %d), GET %v (total %d)", post.ids("match"), *post.Total, get.ids("match"), *get.Total)
	}
	if post.link("self") != get.link("self") {
		t.Errorf("POST self link %q, GET %q", post.link("self"), get.link("self"))
	}
	next := searchOK(t, ts, strings.TrimPrefix(post.link("next"), ts.URL))
	if len(next.ids("match")) != 1 {
		t.Errorf("the next link of a POST search found %v, want the third patient", next.ids("match"))
	}

	wantOutcome(t, do(t, ts, "POST", "/fhir/Patient/_search", `{"gender":"female"}`), http.StatusUnsupportedMediaType, "not-supported")
	wantOutcome(t, do(t, ts, "POST", "/fhir/Patient/_search", "gender=%zz", "Content-Type", "application/x-www-form-urlencoded"), http.StatusBadRequest, "invalid")
	empty := do(t, ts, "POST", "/fhir/Patient/_search", "", "Content-Type", "application/x-www-form-urlencoded")
	if b := decodeBundle(t, empty); len(b.ids("match")) != 3 {
		t.Errorf("POST _search without parameters found %d, want all 3", len(b.ids("match")))
	}
}

func TestCompartmentSearch(t *testing.T) {
	ts := newTestServer(t, Config{})
	p1, p2 := create(t, ts, patient("9000000009")), create(t, ts, patient("9000000025"))
	mine := create(t, ts, vaccination(p1, snomedCOVID, "2024-10-01"))
	create(t, ts, vaccination(p2, snomedCOVID, "2024-10-02"))
	flag := create(t, ts, map[string]any{"resourceType": "Flag", "status": "active",
		"code": map[string]any{"text": "priority group"}, "subject": map[string]any{"reference": p1}})

	b := searchOK(t, ts, "/fhir/"+p1+"/Immunization")
	if got := b.ids("match"); !reflect.DeepEqual(got, []string{mine}) {
		t.Errorf("%s/Immunization = %v, want [%s]", p1, got, mine)
	}
	if self, _ := url.Parse(b.link("self")); self.Path != "/fhir/"+p1+"/Immunization" || self.Query().Has("patient") {
		t.Errorf("self link %q, want the compartment path without a patient parameter", b.link("self"))
	}
	if got := searchOK(t, ts, "/fhir/"+p2+"/Flag").ids("match"); len(got) != 0 {
		t.Errorf("%s/Flag = %v, want none", p2, got)
	}
	if got := searchOK(t, ts, "/fhir/"+p1+"/Flag").ids("match"); !reflect.DeepEqual(got, []string{flag}) {
		t.Errorf("%s/Flag = %v, want [%s]", p1, got, flag)
	}
	if got := searchOK(t, ts, "/fhir/"+p1+"/Patient").ids("match"); !reflect.DeepEqual(got, []string{p1}) {
		t.Errorf("%s/Patient = %v, want itself", p1, got)
	}
	// Other parameters still apply.
	if got := searchOK(t, ts, "/fhir/"+p1+"/Immunization?date=gt2025").ids("match"); len(got) != 0 {
		t.Errorf("%s/Immunization?date=gt2025 = %v, want none", p1, got)
	}
	// _history keeps its meaning beside the compartment route.
	wantStatus(t, do(t, ts, "GET", "/fhir/"+p1+"/_history", nil), http.StatusOK, "history beside compartments")

	wantOutcome(t, do(t, ts, "GET", "/fhir/"+p1+"/Organization", nil), http.StatusBadRequest, "not-supported")
	wantOutcome(t, do(t, ts, "GET", "/fhir/Encounter/e1/Observation", nil), http.StatusNotFound, "not-supported")
	wantOutcome(t, do(t, ts, "GET", "/fhir/"+p1+"/NoSuchType", nil), http.StatusNotFound, "not-supported")
	wantOutcome(t, do(t, ts, "GET", "/fhir/Patient/bad_id/Immunization", nil), http.StatusBadRequest, "invalid")
}

func TestCompartmentTable(t *testing.T) {
	for typ, name := range compartmentParam {
		if _, err := compartmentFilter("Patient", "p1", typ); err != nil {
			t.Errorf("compartment of %s by %s: %v", typ, name, err)
		}
	}
	for _, typ := range []string{"Immunization", "Flag", "Communication", "Observation", "Encounter"} {
		if compartmentParam[typ] == "" {
			t.Errorf("%s has no compartment parameter", typ)
		}
	}
}

func TestSearchStrictAndLenient(t *testing.T) {
	ts := newTestServer(t, Config{})
	create(t, ts, patient("9000000009"))

	b := searchOK(t, ts, "/fhir/Patient?nosuch=1&gender=female")
	if len(b.ids("match")) != 1 {
		t.Errorf("lenient search with an unknown parameter found %v, want the patient", b.ids("match"))
	}
	issues := b.outcome(t)
	if len(issues) != 1 || issues[0]["severity"] != "warning" || issues[0]["code"] != "not-supported" ||
		!strings.Contains(issues[0]["diagnostics"].(string), "nosuch") {
		t.Errorf("outcome issues %v, want one not-supported warning naming nosuch", issues)
	}
	if strings.Contains(b.link("self"), "nosuch") || !strings.Contains(b.link("self"), "gender=female") {
		t.Errorf("self link %q must show what was applied, not what was ignored", b.link("self"))
	}
	// The outcome entry comes after the matches.
	if last := b.Entry[len(b.Entry)-1]; last.Search.Mode != "outcome" {
		t.Errorf("the last entry is a %s entry, want the outcome", last.Search.Mode)
	}

	r := do(t, ts, "GET", "/fhir/Patient?nosuch=1&gender=female", nil, "Prefer", "handling=strict")
	m := wantOutcome(t, r, http.StatusBadRequest, "not-supported")
	if !strings.Contains(string(r.body), "nosuch") {
		t.Errorf("strict: diagnostics do not name the parameter: %v", m)
	}
	if got := r.header.Get("Preference-Applied"); got != "handling=strict" {
		t.Errorf("Preference-Applied %q, want handling=strict", got)
	}
	wantStatus(t, do(t, ts, "GET", "/fhir/Patient?gender=female", nil, "Prefer", "handling=strict"), http.StatusOK, "strict, all known")
}

// A malformed value is a 400 in either mode, and the diagnostics say what is wrong.
func TestSearchMalformed(t *testing.T) {
	ts := newTestServer(t, Config{})
	for _, tc := range []struct{ query, mention string }{
		{"birthdate=not-a-date", "birthdate"},
		{"birthdate=xx2020", "birthdate"},
		{"_count=lots", "_count"},
		{"_sort=nosuch", "nosuch"},
		{"_summary=maybe", "_summary"},
		{"gender:exact=female", "exact"},
		{"general-practitioner=Immunization/1", "general-practitioner"},
		{"_include=Patient:family", "family"},
		{"family=%zz", "malformed"},
		{"a=1;b=2", "malformed"},
	} {
		t.Run(tc.query, func(t *testing.T) {
			r := do(t, ts, "GET", "/fhir/Patient?"+tc.query, nil)
			wantOutcome(t, r, http.StatusBadRequest, "")
			if !strings.Contains(string(r.body), tc.mention) {
				t.Errorf("GET Patient?%s: diagnostics do not mention %q: %s", tc.query, tc.mention, r.body)
			}
		})
	}
}

func TestLinkQuery(t *testing.T) {
	v := url.Values{
		"patient.identifier": {"https://fhir.nhs.uk/Id/nhs-number|9000000009"},
		"_include":           {"Immunization:patient"},
		"given":              {`a\,b c`, "x%2Cy"},
		"_cursor":            {"ab+/=="},
	}
	got := linkQuery(v)
	want := `_cursor=ab%2B/%3D%3D&_include=Immunization:patient&given=a%5C,b+c&given=x%252Cy&patient.identifier=https://fhir.nhs.uk/Id/nhs-number%7C9000000009`
	if got != want {
		t.Errorf("linkQuery = %s\nwant %s", got, want)
	}
	back, err := url.ParseQuery(got)
	if err != nil || !reflect.DeepEqual(back, v) {
		t.Errorf("linkQuery does not decode to its input: %v, %v", back, err)
	}
}
