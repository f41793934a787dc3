package auth

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/nimsproject/nims/fhir"
)

func TestLocalToken(t *testing.T) {
	f := newFixture(t)
	tok, err := f.a.LocalToken(RoleAdmin, "", nil, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	p, err := f.a.Verify(tok)
	if err != nil {
		t.Fatal(err)
	}
	if p.ClientID != "local:admin" || p.Role != RoleAdmin || p.Scopes.String() != "system/*.cruds" ||
		!p.Expires.Equal(f.c.now().Add(300*time.Second)) {
		t.Errorf("principal = %+v", p)
	}

	tok, err = f.a.LocalToken(RolePOC, "system/*.rs system/Encounter.c", nil, []string{"COVID.CRUDS"}, 12*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	f.c.add(11 * time.Hour)
	p, err = f.a.Verify(tok)
	if err != nil {
		t.Fatalf("12 h local token after 11 h: %v", err)
	}
	want := "system/Patient.rs system/Organization.rs system/Practitioner.rs system/Location.rs system/Encounter.rs " +
		"system/Observation.rs system/Immunization.rs?target-disease=http://snomed.info/sct|840539006 system/Encounter.c"
	if p.Scopes.String() != want {
		t.Errorf("scopes = %q, want %q", p.Scopes, want)
	}

	for _, tc := range []struct {
		name        string
		role, scope string
		ods, perms  []string
		ttl         time.Duration
	}{
		{"unknown role", "root", "", nil, nil, 0},
		{"13 h", RoleAdmin, "", nil, nil, 13 * time.Hour},
		{"negative ttl", RoleAdmin, "", nil, nil, -time.Second},
		{"gp without ODS", RoleGP, "", nil, nil, 0},
		{"bad ODS", RoleGP, "", []string{"nope"}, nil, 0},
		{"bad permission", RolePOC, "", nil, []string{"FLU.X"}, 0},
		{"bad scope", RoleAdmin, "system/Bogus.rs", nil, nil, 0},
		{"outside the policy", RolePass, "system/Patient.c", nil, nil, 0},
		{"empty policy", RoleResearch, "", nil, nil, 0},
	} {
		if _, err := f.a.LocalToken(tc.role, tc.scope, tc.ods, tc.perms, tc.ttl); fhir.KindOf(err) != fhir.KindInvalid {
			t.Errorf("%s: LocalToken error %v, want KindInvalid", tc.name, err)
		}
	}
}

// Operator tokens outlive a key rotation: the key that signed them is kept three days.
func TestLocalTokenAcrossRotation(t *testing.T) {
	f := newFixture(t)
	f.c.add(keyRotateAfter - time.Hour)
	tok, err := f.a.LocalToken(RoleAdmin, "", nil, nil, 12*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	f.c.add(2 * time.Hour) // past the rotation
	fresh, err := f.a.LocalToken(RoleAdmin, "", nil, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	kidOf := func(tok string) string {
		parsed, _, _ := jwt.NewParser().ParseUnverified(tok, jwt.MapClaims{})
		return parsed.Header["kid"].(string)
	}
	if kidOf(tok) == kidOf(fresh) {
		t.Fatal("no rotation happened")
	}
	for _, tk := range []string{tok, fresh} {
		if _, err := f.a.Verify(tk); err != nil {
			t.Errorf("after rotation: %v", err)
		}
	}
	var set struct{ Keys []struct{ Kid string } }
	json.Unmarshal(f.a.JWKS(), &set)
	if len(set.Keys) != 2 || set.Keys[0].Kid != kidOf(fresh) || set.Keys[1].Kid != kidOf(tok) {
		t.Errorf("JWKS = %+v, want the new key then the old", set.Keys)
	}
}
