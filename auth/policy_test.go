package auth

import (
	"slices"
	"testing"

	"github.com/nimsproject/nims/fhir"
)

func TestRoles(t *testing.T) {
	want := []string{"admin", "agency", "booking", "gp", "loader", "pass", "poc", "programme", "research"}
	if got := Roles(); !slices.Equal(got, want) {
		t.Errorf("Roles() = %v, want %v", got, want)
	}
	for _, r := range want {
		if !ValidRole(r) {
			t.Errorf("ValidRole(%q) = false", r)
		}
	}
	if ValidRole("Admin") || ValidRole("") {
		t.Error("ValidRole accepts a non-role")
	}
}

// check is one expectation on a policy: access a to typ is allowed or not.
type check struct {
	typ  string
	a    Access
	want bool
}

func TestPolicyScopes(t *testing.T) {
	for _, tc := range []struct {
		role   string
		perms  []string
		checks []check
	}{
		{RoleAdmin, nil, []check{
			{"AuditEvent", AllAccess, true}, {"Patient", AllAccess, true}, {"Immunization", Delete, true}}},
		{RoleProgramme, nil, []check{
			{"Patient", AllAccess, true}, {"Immunization", Delete, true}, {"Appointment", Create, true},
			{"AuditEvent", Read, false}, {"AuditEvent", Search, false}}},
		{RoleLoader, nil, []check{
			{"Patient", Create | Read | Update | Search, true}, {"Immunization", Create, true},
			{"Patient", Delete, false}, {"Immunization", Delete, false}, {"AuditEvent", Read, false}}},
		{RolePOC, nil, []check{
			{"Patient", Read | Search, true}, {"Patient", Create, false},
			{"Organization", Create | Read | Update | Search, true}, {"Organization", Delete, false},
			{"Practitioner", Create, true}, {"Location", Update, true}, {"Encounter", Search, true},
			{"Observation", Create, true}, {"Immunization", Read, false}, {"Flag", Read, false}}},
		{RolePOC, []string{"FLU.CRUDS"}, []check{
			{"Immunization", AllAccess, true}, {"Patient", Read, true}}},
		{RoleGP, nil, []check{
			{"Patient", Read | Search, true}, {"Immunization", Read | Search, true}, {"Flag", Search, true},
			{"Communication", Read, true}, {"AllergyIntolerance", Read, true}, {"Observation", Search, true},
			{"Organization", Read, true}, {"Practitioner", Read, true}, {"Location", Read, true},
			{"PractitionerRole", Search, true}, {"Immunization", Create, false}, {"Patient", Update, false},
			{"Encounter", Read, false}, {"AuditEvent", Read, false}}},
		{RoleBooking, nil, []check{
			{"Patient", Read | Search, true}, {"Communication", Search, true}, {"Flag", Read, true},
			{"Immunization", Read | Search, true}, {"Appointment", AllAccess, true},
			{"Immunization", Create, false}, {"Patient", Create, false}}},
		{RolePass, nil, []check{
			{"Immunization", Read | Search, true}, {"Patient", Search, true}, {"Patient", Read, false},
			{"Immunization", Create, false}, {"Flag", Read, false}}},
		{RoleResearch, nil, []check{{"Patient", Read, false}, {"Immunization", Search, false}}},
		{RoleAgency, nil, []check{{"Patient", Read, false}, {"Immunization", Search, false}}},
	} {
		t.Run(tc.role, func(t *testing.T) {
			ss, err := PolicyScopes(tc.role, tc.perms)
			if err != nil {
				t.Fatalf("PolicyScopes(%s, %v): %v", tc.role, tc.perms, err)
			}
			for _, c := range tc.checks {
				if got := ss.Allows(c.typ, c.a); got != c.want {
					t.Errorf("PolicyScopes(%s, %v) = %q: Allows(%s, %v) = %v, want %v", tc.role, tc.perms, ss, c.typ, c.a, got, c.want)
				}
			}
			// The scope string must parse back: a token carries it.
			if back, rejected := ParseScopes(ss.String()); len(rejected) > 0 || len(back) != len(ss) {
				t.Errorf("PolicyScopes(%s) = %q does not parse back: %v", tc.role, ss, rejected)
			}
		})
	}
}

func TestPolicyScopesEmptyForBulkRoles(t *testing.T) {
	for _, role := range []string{RoleResearch, RoleAgency} {
		if ss, err := PolicyScopes(role, nil); err != nil || len(ss) != 0 {
			t.Errorf("PolicyScopes(%s) = %q, %v; want empty", role, ss, err)
		}
	}
}

func TestPolicyScopesPermissions(t *testing.T) {
	for _, tc := range []struct {
		perms []string
		want  string // the Immunization scopes
	}{
		{[]string{"FLU.CRUDS"}, "system/Immunization.cruds?target-disease=http://snomed.info/sct|6142004"},
		{[]string{"COVID.CUD", "HPV.R"}, "system/Immunization.cud?target-disease=http://snomed.info/sct|840539006 " +
			"system/Immunization.r?target-disease=http://snomed.info/sct|240532009"},
		// One scope per disease of a combined vaccine.
		{[]string{"MMR.RS"}, "system/Immunization.rs?target-disease=http://snomed.info/sct|14189004 " +
			"system/Immunization.rs?target-disease=http://snomed.info/sct|36653000 " +
			"system/Immunization.rs?target-disease=http://snomed.info/sct|36989005"},
		// Permissions on one type merge.
		{[]string{"FLU.R", "FLU.S"}, "system/Immunization.rs?target-disease=http://snomed.info/sct|6142004"},
		// A disease two types share is granted once, with the wider access.
		{[]string{"HEPB.R", "HIB.CRUDS"}, "system/Immunization.r?target-disease=http://snomed.info/sct|66071002 " +
			"system/Immunization.cruds?target-disease=http://snomed.info/sct|709410003"},
		{[]string{"HIB.R", "HIBMENC.RS"}, "system/Immunization.rs?target-disease=http://snomed.info/sct|23511006 " +
			"system/Immunization.rs?target-disease=http://snomed.info/sct|709410003"},
	} {
		ss, err := PolicyScopes(RolePOC, tc.perms)
		if err != nil {
			t.Fatalf("PolicyScopes(poc, %v): %v", tc.perms, err)
		}
		var imm Scopes
		for _, s := range ss {
			if s.Type == "Immunization" {
				imm = append(imm, s)
			}
		}
		if imm.String() != tc.want {
			t.Errorf("PolicyScopes(poc, %v) Immunization = %q, want %q", tc.perms, imm, tc.want)
		}
	}
}

func TestPolicyScopesErrors(t *testing.T) {
	for _, tc := range []struct {
		role  string
		perms []string
	}{
		{"", nil},
		{"root", nil},
		{"POC", nil},
		{RolePOC, []string{"FLU"}},
		{RolePOC, []string{"FLU."}},
		{RolePOC, []string{".CRUDS"}},
		{RolePOC, []string{"FLU.cruds"}}, // lower case
		{RolePOC, []string{"FLU.SR"}},    // out of order
		{RolePOC, []string{"FLU.RR"}},    // repeat
		{RolePOC, []string{"FLU.X"}},
		{RolePOC, []string{"flu.CRUDS"}},    // types are case-sensitive
		{RolePOC, []string{"COVID19.R"}},    // the old label
		{RolePOC, []string{"MEASLES.R"}},    // not a type
		{RolePOC, []string{"FLU.R", "X.R"}}, // one bad among good
		{RoleGP, []string{"FLU.R"}},         // gp takes no permissions
		{RoleAdmin, []string{"FLU.CRUDS"}},
	} {
		_, err := PolicyScopes(tc.role, tc.perms)
		if fhir.KindOf(err) != fhir.KindInvalid {
			t.Errorf("PolicyScopes(%q, %q) = %v, want a KindInvalid error", tc.role, tc.perms, err)
		}
	}
}

func TestPolicyScopesCopies(t *testing.T) {
	a, _ := PolicyScopes(RoleProgramme, nil)
	a[0].Except[0] = "Patient"
	a[0].Access = Read
	b, _ := PolicyScopes(RoleProgramme, nil)
	if b[0].Access != AllAccess || b[0].Except[0] != "AuditEvent" {
		t.Errorf("PolicyScopes shares its result: %#v", b[0])
	}
}

func TestNeedsRestrictedDetails(t *testing.T) {
	for role, want := range map[string]bool{
		RoleAdmin: true, RoleProgramme: true, RoleLoader: true, RoleGP: true,
		RolePOC: false, RoleBooking: false, RolePass: false, RoleResearch: false, RoleAgency: false, "nobody": false,
	} {
		if got := NeedsRestrictedDetails(role); got != want {
			t.Errorf("NeedsRestrictedDetails(%q) = %v, want %v", role, got, want)
		}
	}
}

func TestPurpose(t *testing.T) {
	for role, want := range map[string]string{
		RoleAdmin: "SYSADMIN", RoleProgramme: "PUBHLTH", RoleLoader: "HOPERAT", RolePOC: "TREAT", RoleGP: "TREAT",
		RoleBooking: "HOPERAT", RolePass: "PUBHLTH", RoleResearch: "HRESCH", RoleAgency: "PUBHLTH", "nobody": "",
	} {
		if got := Purpose(role); got != want {
			t.Errorf("Purpose(%q) = %q, want %q", role, got, want)
		}
	}
}
