package api

import (
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestSearchSummaryCount(t *testing.T) {
	ts := newTestServer(t, Config{})
	for _, nhs := range []string{"9000000009", "9000000025"} {
		create(t, ts, patient(nhs))
	}
	for _, q := range []string{"_summary=count", "_count=0"} {
		b := searchOK(t, ts, "/fhir/Patient?"+q)
		if b.Total == nil || *b.Total != 2 || len(b.Entry) != 0 || b.link("next") != "" {
			t.Errorf("%s: total %v, %d entries, next %q; want 2, none, none", q, b.Total, len(b.Entry), b.link("next"))
		}
	}
}

func TestSearchSubsetting(t *testing.T) {
	ts := newTestServer(t, Config{})
	p := patient("9000000009")
	p["text"] = map[string]any{"status": "generated", "div": `<div xmlns="http://www.w3.org/1999/xhtml">Jo Smith</div>`}
	p["maritalStatus"] = map[string]any{"text": "single"}
	p["meta"] = map[string]any{"tag": []any{map[string]any{"system": "urn:example:tags", "code": "t1"}}}
	create(t, ts, p)

	for _, tc := range []struct {
		query      string
		want, gone []string
	}{
		{"_summary=true", []string{"id", "meta", "identifier", "name", "gender", "birthDate"}, []string{"text", "maritalStatus"}},
		{"_summary=text", []string{"id", "meta", "text"}, []string{"gender", "name", "maritalStatus"}},
		{"_summary=data", []string{"id", "meta", "gender", "maritalStatus", "name"}, []string{"text"}},
		{"_elements=gender,birthDate", []string{"id", "meta", "gender", "birthDate"}, []string{"text", "name", "identifier", "maritalStatus"}},
	} {
		t.Run(tc.query, func(t *testing.T) {
			b := searchOK(t, ts, "/fhir/Patient?"+tc.query)
			if len(b.Entry) != 1 {
				t.Fatalf("%d entries, want 1", len(b.Entry))
			}
			res := b.Entry[0].Resource
			for _, k := range tc.want {
				if _, ok := res[k]; !ok {
					t.Errorf("%s: %s missing from %v", tc.query, k, res)
				}
			}
			for _, k := range tc.gone {
				if _, ok := res[k]; ok {
					t.Errorf("%s: %s kept", tc.query, k)
				}
			}
			var tags []string
			for _, tag := range res["meta"].(map[string]any)["tag"].([]any) {
				tags = append(tags, tag.(map[string]any)["code"].(string))
			}
			if !slices.Equal(tags, []string{"t1", "SUBSETTED"}) {
				t.Errorf("%s: meta.tag codes %v, want the client's t1 and SUBSETTED", tc.query, tags)
			}
		})
	}
	whole := searchOK(t, ts, "/fhir/Patient").Entry[0].Resource
	if _, ok := whole["maritalStatus"]; !ok || len(whole["meta"].(map[string]any)["tag"].([]any)) != 1 {
		t.Errorf("without _summary the resource is cut or tagged: %v", whole)
	}
}

func TestSearchIncludes(t *testing.T) {
	ts := newTestServer(t, Config{})
	p1, p2 := create(t, ts, patient("9000000009")), create(t, ts, patient("9000000025"))
	i1 := create(t, ts, vaccination(p1, snomedCOVID, "2024-10-01"))
	i2 := create(t, ts, vaccination(p1, snomedFlu, "2024-10-02"))

	b := searchOK(t, ts, "/fhir/Immunization?_include=Immunization:patient")
	if got := b.ids("include"); !reflect.DeepEqual(got, []string{p1}) {
		t.Errorf("_include=Immunization:patient included %v, want [%s] once", got, p1)
	}
	if got := b.ids("match"); len(got) != 2 {
		t.Errorf("matches %v, want 2", got)
	}
	if e := b.Entry[len(b.Entry)-1]; e.Search.Mode != "include" || e.FullURL != ts.URL+"/fhir/"+p1 {
		t.Errorf("last entry %s (%s), want the included patient after the matches", e.FullURL, e.Search.Mode)
	}

	rev := searchOK(t, ts, "/fhir/Patient?_revinclude=Immunization:patient")
	got := rev.ids("include")
	slices.Sort(got)
	want := []string{i1, i2}
	slices.Sort(want)
	if !reflect.DeepEqual(got, want) || len(rev.ids("match")) != 2 {
		t.Errorf("_revinclude=Immunization:patient: matches %v, included %v; want both patients and %v", rev.ids("match"), got, want)
	}
	_ = p2
}

// The NHS Immunisation API's search (reference/nhs-england.md §1.4).
func TestNHSImmunizationSearch(t *testing.T) {
	ts := newTestServer(t, Config{})
	p1, p2 := create(t, ts, patient("9000000009")), create(t, ts, patient("9000000025"))
	covid := create(t, ts, vaccination(p1, snomedCOVID, "2024-10-01"))
	create(t, ts, vaccination(p1, snomedFlu, "2024-10-02"))
	create(t, ts, vaccination(p2, snomedCOVID, "2024-10-03"))

	nhs := "patient.identifier=" + url.QueryEscape("https://fhir.nhs.uk/Id/nhs-number|9000000009")
	b := searchOK(t, ts, "/fhir/Immunization?"+nhs+"&-immunization.target=COVID,FLu")
	if got := b.ids("match"); !reflect.DeepEqual(got, []string{covid}) {
		t.Errorf("COVID,FLu for 9000000009 found %v, want [%s] (FLu is not FLU)", got, covid)
	}
	issues := b.outcome(t)
	if len(issues) != 1 || issues[0]["severity"] != "warning" || issues[0]["code"] != "invalid" ||
		!strings.Contains(issues[0]["diagnostics"].(string), "FLu") {
		t.Errorf("outcome %v, want one invalid warning naming FLu", issues)
	}
	if self := b.link("self"); strings.Contains(self, "FLu") {
		t.Errorf("self link %q shows the ignored value", self)
	}

	r := do(t, ts, "GET", "/fhir/Immunization?"+nhs+"&-immunization.target=FLu,NOPE", nil)
	wantOutcome(t, r, http.StatusBadRequest, "invalid")
	if !strings.Contains(string(r.body), "-immunization.target must be one or more of the following") {
		t.Errorf("all invalid: diagnostics %s", r.body)
	}
	bad := "patient.identifier=" + url.QueryEscape("https://fhir.nhs.uk/Id/nhs-number|9000000001")
	wantOutcome(t, do(t, ts, "GET", "/fhir/Immunization?"+bad+"&-immunization.target=COVID", nil), http.StatusBadRequest, "invalid")

	dated := searchOK(t, ts, "/fhir/Immunization?"+nhs+"&-immunization.target=COVID,FLU&-date.from=2024-10-02&-date.to=2024-10-02")
	if len(dated.ids("match")) != 1 {
		t.Errorf("-date.from/-date.to 2024-10-02 found %v, want the flu vaccination", dated.ids("match"))
	}
}
