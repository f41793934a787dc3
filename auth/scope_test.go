package auth

import (
	"maps"
	"net/url"
	"slices"
	"testing"
)

func TestParseAccess(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Access
		ok   bool
	}{
		{"c", Create, true},
		{"r", Read, true},
		{"u", Update, true},
		{"d", Delete, true},
		{"s", Search, true},
		{"rs", Read | Search, true},
		{"cud", Create | Update | Delete, true},
		{"cruds", AllAccess, true},
		{"crus", Create | Read | Update | Search, true},
		{"", 0, false},
		{"sr", 0, false},     // out of order
		{"rr", 0, false},     // repeat
		{"crudss", 0, false}, // repeat at the end
		{"R", 0, false},      // upper case
		{"x", 0, false},
		{"rx", 0, false},
		{"dus", 0, false}, // SMART's own example of out-of-order
		{"read", 0, false},
	} {
		got, err := ParseAccess(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseAccess(%q) = %v, %v; want %v, ok %v", tc.in, got, err, tc.want, tc.ok)
		}
		if tc.ok && got.String() != tc.in {
			t.Errorf("ParseAccess(%q).String() = %q", tc.in, got.String())
		}
	}
}

func TestAccessHas(t *testing.T) {
	a := Read | Search
	for _, tc := range []struct {
		b    Access
		want bool
	}{{Read, true}, {Search, true}, {Read | Search, true}, {Create, false}, {Read | Create, false}, {0, false}} {
		if got := a.Has(tc.b); got != tc.want {
			t.Errorf("(%v).Has(%v) = %v, want %v", a, tc.b, got, tc.want)
		}
	}
}

func TestParseScope(t *testing.T) {
	td := url.Values{"target-disease": {"http://snomed.info/sct|840539006"}}
	for _, tc := range []struct {
		in        string
		want      Scope
		canonical string // "" means the input
	}{
		{"system/Immunization.rs", Scope{Context: "system", Type: "Immunization", Access: Read | Search}, ""},
		{"system/*.cruds", Scope{Context: "system", Type: "*", Access: AllAccess}, ""},
		{"system/Patient.c", Scope{Context: "system", Type: "Patient", Access: Create}, ""},
		{"user/Observation.rs", Scope{Context: "user", Type: "Observation", Access: Read | Search}, ""},
		{"patient/*.r", Scope{Context: "patient", Type: "*", Access: Read}, ""},
		{"system/Immunization.rs?target-disease=http://snomed.info/sct|840539006",
			Scope{Context: "system", Type: "Immunization", Access: Read | Search, Params: td}, ""},
		{"system/Immunization.rs?target-disease=http%3A%2F%2Fsnomed.info%2Fsct%7C840539006",
			Scope{Context: "system", Type: "Immunization", Access: Read | Search, Params: td},
			"system/Immunization.rs?target-disease=http://snomed.info/sct|840539006"},
		{"system/Observation.rs?status=final&category=laboratory",
			Scope{Context: "system", Type: "Observation", Access: Read | Search,
				Params: url.Values{"status": {"final"}, "category": {"laboratory"}}},
			"system/Observation.rs?category=laboratory&status=final"},
		{"system/Immunization.s?-immunization.target=FLU",
			Scope{Context: "system", Type: "Immunization", Access: Search, Params: url.Values{"-immunization.target": {"FLU"}}}, ""},
		{"system/Observation.r?code=a%26b%3Dc%2Bd%20e",
			Scope{Context: "system", Type: "Observation", Access: Read, Params: url.Values{"code": {"a&b=c+d e"}}}, ""},
		// v1
		{"system/Patient.read", Scope{Context: "system", Type: "Patient", Access: Read | Search}, "system/Patient.rs"},
		{"system/Patient.write", Scope{Context: "system", Type: "Patient", Access: Create | Update | Delete}, "system/Patient.cud"},
		{"system/Patient.*", Scope{Context: "system", Type: "Patient", Access: AllAccess}, "system/Patient.cruds"},
		{"system/*.read", Scope{Context: "system", Type: "*", Access: Read | Search}, "system/*.rs"},
		{"system/*.*", Scope{Context: "system", Type: "*", Access: AllAccess}, "system/*.cruds"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseScope(tc.in)
			if err != nil {
				t.Fatalf("ParseScope(%q): %v", tc.in, err)
			}
			if !equalScope(got, tc.want) {
				t.Errorf("ParseScope(%q) = %#v, want %#v", tc.in, got, tc.want)
			}
			canonical := tc.canonical
			if canonical == "" {
				canonical = tc.in
			}
			if s := got.String(); s != canonical {
				t.Errorf("ParseScope(%q).String() = %q, want %q", tc.in, s, canonical)
			}
			again, err := ParseScope(got.String())
			if err != nil || !equalScope(again, got) {
				t.Errorf("ParseScope(String()) = %#v, %v; want %#v", again, err, got)
			}
		})
	}
}

func TestParseScopeRejects(t *testing.T) {
	for _, in := range []string{
		"",
		"system",
		"system/",
		"system/Patient",
		"system/Patient.",
		"system/Patient.sr",
		"system/Patient.rr",
		"system/Patient.R",
		"system/Patient.READ",
		"system/Patient.r.s",
		"system/Patient.rx",
		"System/Patient.rs",
		"admin/Patient.rs",
		"system/patient.rs",      // types are case-sensitive
		"system/Immunisation.rs", // not an R4 type
		"system/Bogus.rs",
		"system/*.",
		"system/**.rs",
		"Patient.rs",
		"/Patient.rs",
		"system/Patient.rs?",              // empty granular part
		"system/Patient.read?name=x",      // granular needs v2
		"system/Patient.*?name=x",         //
		"system/Patient.rs?name",          // no value
		"system/Patient.rs?name=",         // empty value
		"system/Patient.rs?=x",            // no name
		"system/Patient.rs?name=a&name=b", // repeated parameter
		"system/Patient.rs?na%20me=x",     // name with a space
		"system/Patient.rs?name=a;b",      // Go's query parser refuses ;
		"system/Patient.rs?name=%zz",      // bad escape
		"system/Patient.rs name",          // a space
		"system/Patient.rs\tx",            // a control character
		"system/Patiënt.rs",               // non-ASCII
		"launch",                          // not a resource scope
		"openid",                          //
		"urn:nhsd:apim:app:level3:immunisation-fhir-api",
	} {
		if s, err := ParseScope(in); err == nil {
			t.Errorf("ParseScope(%q) = %v, want an error", in, s)
		}
	}
}

func TestParseScopes(t *testing.T) {
	got, rejected := ParseScopes("  system/Patient.rs system/Patient.read\tsystem/Bogus.rs launch system/Immunization.cud  ")
	if want := "system/Patient.rs system/Immunization.cud"; got.String() != want {
		t.Errorf("ParseScopes: %q, want %q (repeats dropped, order kept)", got.String(), want)
	}
	if !slices.Equal(rejected, []string{"system/Bogus.rs", "launch"}) {
		t.Errorf("ParseScopes rejected %q", rejected)
	}
	if got, rejected := ParseScopes(""); got != nil || rejected != nil {
		t.Errorf("ParseScopes(\"\") = %v, %v", got, rejected)
	}
}

func mustScopes(t testing.TB, s string) Scopes {
	t.Helper()
	ss, rejected := ParseScopes(s)
	if len(rejected) > 0 {
		t.Fatalf("ParseScopes(%q) rejected %q", s, rejected)
	}
	return ss
}

func TestAllows(t *testing.T) {
	ss := mustScopes(t, "system/Patient.rs system/Immunization.c system/Observation.r?code=x user/Flag.cruds")
	star := Scopes{{Context: "system", Type: "*", Access: Read | Search, Except: []string{"AuditEvent"}}}
	for _, tc := range []struct {
		ss   Scopes
		typ  string
		a    Access
		want bool
	}{
		{ss, "Patient", Read, true},
		{ss, "Patient", Search, true},
		{ss, "Patient", Read | Search, true},
		{ss, "Patient", Create, false},
		{ss, "Patient", Read | Create, false},
		{ss, "Immunization", Create, true},
		{ss, "Immunization", Read, false},
		{ss, "Observation", Read, true}, // granular parameters are Granular's business
		{ss, "Flag", Read, false},       // user scopes grant nothing
		{ss, "Encounter", Read, false},
		{ss, "Patient", 0, false},
		{ss, "", Read, false},
		{star, "Encounter", Read, true},
		{star, "Encounter", Create, false},
		{star, "AuditEvent", Read, false},
		{nil, "Patient", Read, false},
	} {
		if got := tc.ss.Allows(tc.typ, tc.a); got != tc.want {
			t.Errorf("%v.Allows(%s, %v) = %v, want %v", tc.ss, tc.typ, tc.a, got, tc.want)
		}
	}
}

func TestGranular(t *testing.T) {
	flu := url.Values{"target-disease": {"http://snomed.info/sct|6142004"}}
	covid := url.Values{"target-disease": {"http://snomed.info/sct|840539006"}}
	limited := mustScopes(t, "system/Immunization.cruds?target-disease=http://snomed.info/sct|6142004 "+
		"system/Immunization.rs?target-disease=http://snomed.info/sct|840539006 system/Patient.rs")
	for _, tc := range []struct {
		name         string
		ss           Scopes
		typ          string
		a            Access
		params       []url.Values
		unrestricted bool
	}{
		{"two vaccine types may be read", limited, "Immunization", Read, []url.Values{flu, covid}, false},
		{"one may be created", limited, "Immunization", Create, []url.Values{flu}, false},
		{"none may be deleted twice over", limited, "Immunization", Delete | Create, []url.Values{flu}, false},
		{"no scope at all", limited, "Encounter", Read, nil, false},
		{"plain scope", limited, "Patient", Search, nil, true},
		{"plain beside granular wins", append(limited, mustScopes(t, "system/Immunization.r")...), "Immunization", Read, nil, true},
		{"star", mustScopes(t, "system/*.rs"), "Immunization", Read, nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			params, unrestricted := tc.ss.Granular(tc.typ, tc.a)
			if unrestricted != tc.unrestricted || len(params) != len(tc.params) {
				t.Fatalf("Granular(%s, %v) = %v, %v; want %v, %v", tc.typ, tc.a, params, unrestricted, tc.params, tc.unrestricted)
			}
			for i := range params {
				if params[i].Encode() != tc.params[i].Encode() {
					t.Errorf("params[%d] = %v, want %v", i, params[i], tc.params[i])
				}
			}
		})
	}
	// The values are copies: changing them changes no grant.
	params, _ := limited.Granular("Immunization", Create)
	params[0]["target-disease"][0] = "changed"
	if again, _ := limited.Granular("Immunization", Create); again[0].Get("target-disease") != flu.Get("target-disease") {
		t.Error("Granular returned the scope's own values")
	}
}

// equalScope reports whether two scopes are the same, Except included.
func equalScope(a, b Scope) bool {
	return a.Context == b.Context && a.Type == b.Type && a.Access == b.Access &&
		slices.Equal(a.Except, b.Except) &&
		maps.EqualFunc(a.Params, b.Params, slices.Equal)
}
