package auth

import (
	"strings"
	"testing"
	"time"
)

// FuzzVerify feeds arbitrary strings to Verify: it must never panic, every error must be
// KindUnauthorized, and a principal may come back only for a token the Authority issued
// (its jti is one we handed out).
func FuzzVerify(f *testing.F) {
	dir := f.TempDir()
	c := newClock()
	a, err := New(Config{Dir: dir, Issuer: testIssuer, Now: c.now})
	if err != nil {
		f.Fatal(err)
	}
	issued := map[string]bool{}
	for _, role := range []string{RoleAdmin, RolePass, RoleProgramme} {
		tok, err := a.LocalToken(role, "", nil, nil, time.Hour)
		if err != nil {
			f.Fatal(err)
		}
		p, err := a.Verify(tok)
		if err != nil {
			f.Fatal(err)
		}
		issued[p.TokenID] = true
		f.Add(tok)
		parts := strings.Split(tok, ".")
		f.Add(parts[0] + "." + parts[1] + ".")
		f.Add(parts[0] + ".e30." + parts[2])
		f.Add(strings.ToUpper(tok))
		f.Add(tok[:len(tok)-1])
	}
	for _, s := range []string{"", ".", "..", "...", "a.b.c", "eyJhbGciOiJub25lIn0.e30.", "eyJ9.e30.AA",
		"eyJhbGciOiJFUzI1NiIsImtpZCI6MX0.e30.AA", strings.Repeat("A", 5000)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, token string) {
		p, err := a.Verify(token)
		if err != nil {
			wantUnauthorized(t, p, err, "")
			return
		}
		if p == nil || !issued[p.TokenID] {
			t.Fatalf("Verify accepted a token it did not issue: %q → %+v", token, p)
		}
	})
}

// FuzzParseScope: no panic; a scope that parses prints to a form that parses to the same.
func FuzzParseScope(f *testing.F) {
	for _, s := range []string{"system/Immunization.rs", "system/*.cruds", "user/Patient.read", "system/Patient.*",
		"system/Immunization.rs?target-disease=http://snomed.info/sct|840539006", "system/Observation.r?a=%20&b=%2B",
		"system/Patient.rs?x=a%3Bb", "patient/*.s?_tag=x%7Cy"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sc, err := ParseScope(s)
		if err != nil {
			return
		}
		again, err := ParseScope(sc.String())
		if err != nil || !equalScope(again, sc) {
			t.Fatalf("ParseScope(%q) = %#v; its String %q parses to %#v, %v", s, sc, sc.String(), again, err)
		}
		if strings.ContainsAny(sc.String(), " \t\n") {
			t.Fatalf("String %q would split a scope list", sc.String())
		}
	})
}
