package auth

import (
	"slices"
	"testing"
)

const (
	fluTD   = "target-disease=http://snomed.info/sct|6142004"
	covidTD = "target-disease=http://snomed.info/sct|840539006"
)

func TestIntersect(t *testing.T) {
	noAuditStar := Scopes{{Context: "system", Type: "*", Access: AllAccess, Except: []string{"AuditEvent"}}}
	for _, tc := range []struct {
		name      string
		requested Scopes
		allowed   Scopes
		want      string
		except    []string // of the first result, when "*"
	}{
		{"equal", mustScopes(t, "system/Patient.rs"), mustScopes(t, "system/Patient.rs"), "system/Patient.rs", nil},
		{"access bits anded", mustScopes(t, "system/Patient.cruds"), mustScopes(t, "system/Patient.rs"), "system/Patient.rs", nil},
		{"access disjoint", mustScopes(t, "system/Patient.cud"), mustScopes(t, "system/Patient.rs"), "", nil},
		{"star asked, types allowed", mustScopes(t, "system/*.rs"), mustScopes(t, "system/Patient.rs system/Flag.cruds"),
			"system/Patient.rs system/Flag.rs", nil},
		{"type asked, star allowed", mustScopes(t, "system/Flag.cruds"), mustScopes(t, "system/*.rs"), "system/Flag.rs", nil},
		{"star and star", mustScopes(t, "system/*.cruds"), mustScopes(t, "system/*.crus"), "system/*.crus", nil},
		{"types differ", mustScopes(t, "system/Flag.rs"), mustScopes(t, "system/Patient.rs"), "", nil},
		{"contexts differ", mustScopes(t, "user/Patient.rs patient/*.rs"), mustScopes(t, "system/*.cruds"), "", nil},
		{"excepted type asked", mustScopes(t, "system/AuditEvent.rs"), noAuditStar, "", nil},
		{"other type under exception", mustScopes(t, "system/Patient.rs"), noAuditStar, "system/Patient.rs", nil},
		{"star keeps exception", mustScopes(t, "system/*.rs"), noAuditStar, "system/*.rs", []string{"AuditEvent"}},
		{"unrestricted asked, granular allowed", mustScopes(t, "system/Immunization.cruds"),
			mustScopes(t, "system/Immunization.crud?"+fluTD), "system/Immunization.crud?" + fluTD, nil},
		{"granular asked, unrestricted allowed", mustScopes(t, "system/Immunization.rs?"+covidTD),
			mustScopes(t, "system/*.cruds"), "system/Immunization.rs?" + covidTD, nil},
		{"granular both, same", mustScopes(t, "system/Immunization.rs?"+fluTD),
			mustScopes(t, "system/Immunization.cruds?"+fluTD), "system/Immunization.rs?" + fluTD, nil},
		// A FLU-only client asking for COVID gets nothing, not FLU and COVID.
		{"granular both, different value", mustScopes(t, "system/Immunization.rs?"+covidTD),
			mustScopes(t, "system/Immunization.cruds?"+fluTD), "", nil},
		{"granular both, different parameters", mustScopes(t, "system/Immunization.rs?status=completed"),
			mustScopes(t, "system/Immunization.cruds?"+fluTD), "system/Immunization.rs?status=completed&" + fluTD, nil},
		{"star asked under a poc policy", mustScopes(t, "system/*.rs"),
			mustScopes(t, "system/Patient.rs system/Immunization.cruds?"+fluTD+" system/Immunization.r?"+covidTD),
			"system/Patient.rs system/Immunization.rs?" + fluTD + " system/Immunization.r?" + covidTD, nil},
		{"covered results pruned", mustScopes(t, "system/Patient.r system/Patient.rs system/*.s"),
			mustScopes(t, "system/Patient.rs"), "system/Patient.rs", nil},
		{"granular covered by unrestricted is pruned", mustScopes(t, "system/Immunization.rs system/Immunization.r?"+fluTD),
			mustScopes(t, "system/Immunization.rs"), "system/Immunization.rs", nil},
		{"nothing asked", nil, mustScopes(t, "system/*.cruds"), "", nil},
		{"nothing allowed", mustScopes(t, "system/*.cruds"), nil, "", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Intersect(tc.requested, tc.allowed)
			if got.String() != tc.want {
				t.Errorf("Intersect(%q, %q) = %q, want %q", tc.requested, tc.allowed, got, tc.want)
			}
			if tc.except != nil && (len(got) == 0 || !slices.Equal(got[0].Except, tc.except)) {
				t.Errorf("Intersect(...)[0].Except = %v, want %v", got[0].Except, tc.except)
			}
		})
	}
}

// Intersect never grants more than either side: whatever is allowed by the result is
// allowed by both, for every type and access.
func TestIntersectIsNarrower(t *testing.T) {
	sets := []Scopes{
		mustScopes(t, "system/*.cruds"), mustScopes(t, "system/*.rs"), mustScopes(t, "system/Patient.rs system/Flag.c"),
		mustScopes(t, "system/Immunization.rs?"+fluTD), mustScopes(t, "user/*.cruds"),
		{{Context: "system", Type: "*", Access: Create | Read | Update | Search, Except: []string{"AuditEvent"}}},
	}
	for _, r := range sets {
		for _, p := range sets {
			got := Intersect(r, p)
			for _, typ := range []string{"Patient", "Flag", "Immunization", "AuditEvent", "Encounter"} {
				for a := Access(1); a <= AllAccess; a <<= 1 {
					if got.Allows(typ, a) && !(r.Allows(typ, a) && p.Allows(typ, a)) {
						t.Errorf("Intersect(%q, %q) allows %v on %s", r, p, a, typ)
					}
					if r.Allows(typ, a) && p.Allows(typ, a) && !got.Allows(typ, a) {
						_, ur := r.Granular(typ, a)
						_, up := p.Granular(typ, a)
						if ur && up {
							t.Errorf("Intersect(%q, %q) loses %v on %s", r, p, a, typ)
						}
					}
				}
			}
		}
	}
}
