package auth

import (
	"maps"
	"net/url"
	"slices"
	"strings"

	"github.com/nimsproject/nims/fhir"
)

// Roles: the kinds of client NIMS serves. A client has one role; the role's policy is the
// most its tokens may carry.
const (
	RoleAdmin     = "admin"     // operators of the service
	RoleProgramme = "programme" // the immunisation programme's own tools
	RoleLoader    = "loader"    // bulk loaders and migrations from older systems
	RolePOC       = "poc"       // point-of-care suppliers recording vaccinations
	RoleGP        = "gp"        // GP practice systems, for their registered patients
	RoleBooking   = "booking"   // the national booking service
	RolePass      = "pass"      // the vaccination status (COVID pass) service
	RoleResearch  = "research"  // researchers (pseudonymised bulk export, later)
	RoleAgency    = "agency"    // health agencies (bulk export, later)
)

// PurposeOfUseSystem is the code system of Purpose's codes (HL7 v3 ActReason).
const PurposeOfUseSystem = "http://terminology.hl7.org/CodeSystem/v3-ActReason"

// SystemSNOMED is the system of the target-disease codes in granular scopes.
const SystemSNOMED = "http://snomed.info/sct"

type policy struct {
	scopes      string   // the scopes it grants, space-separated
	except      []string // types its "*" scopes do not reach, sorted
	permissions bool     // also grants Immunization by NHS vaccine-type permissions
	restricted  bool     // sees restricted patients' address, telecom and GP
	purpose     string   // v3 PurposeOfUse for the audit
}

var noAudit = []string{"AuditEvent"} // the audit trail is the admins' alone

// policies: one entry per role, the only place a role's rights are written.
var policies = map[string]policy{
	RoleAdmin:     {scopes: "system/*.cruds", restricted: true, purpose: "SYSADMIN"},
	RoleProgramme: {scopes: "system/*.cruds", except: noAudit, restricted: true, purpose: "PUBHLTH"},
	RoleLoader:    {scopes: "system/*.crus", except: noAudit, restricted: true, purpose: "HOPERAT"},
	RolePOC: {scopes: "system/Patient.rs system/Organization.crus system/Practitioner.crus " +
		"system/Location.crus system/Encounter.crus system/Observation.crus",
		permissions: true, purpose: "TREAT"},
	RoleGP: {scopes: "system/Patient.rs system/Immunization.rs system/Flag.rs system/Communication.rs " +
		"system/AllergyIntolerance.rs system/Observation.rs system/Organization.rs " +
		"system/Practitioner.rs system/Location.rs system/PractitionerRole.rs",
		restricted: true, purpose: "TREAT"},
	RoleBooking: {scopes: "system/Patient.rs system/Communication.rs system/Flag.rs " +
		"system/Immunization.rs system/Appointment.cruds", purpose: "HOPERAT"},
	RolePass:     {scopes: "system/Immunization.rs system/Patient.s", purpose: "PUBHLTH"},
	RoleResearch: {purpose: "HRESCH"},
	RoleAgency:   {purpose: "PUBHLTH"},
}

// Roles returns every role, sorted.
func Roles() []string { return slices.Sorted(maps.Keys(policies)) }

// ValidRole reports whether role is one of Roles.
func ValidRole(role string) bool {
	_, ok := policies[role]
	return ok
}

// NeedsRestrictedDetails reports whether a role sees the address, telecom and GP of a
// restricted patient (meta.security R or V); the others get them withheld.
func NeedsRestrictedDetails(role string) bool { return policies[role].restricted }

// Purpose returns the PurposeOfUse code (PurposeOfUseSystem) the audit records for a
// role's accesses, "" for an unknown role.
func Purpose(role string) string { return policies[role].purpose }

// PolicyScopes returns the most a client of role may be granted. permissions are NHS
// Immunisation API permissions ("FLU.CRUDS", "COVID.CUD", "HPV.R"), for the poc role only:
// each becomes granular Immunization scopes, one per target disease of the vaccine type
// (system/Immunization.cruds?target-disease=http://snomed.info/sct|6142004), so one
// mechanism carries both NHS permissions and SMART granular scopes. research and agency
// get an empty set for now. Errors are *fhir.Error of KindInvalid: an unknown role, a
// malformed permission or unknown vaccine type, permissions for a role that takes none.
func PolicyScopes(role string, permissions []string) (Scopes, error) {
	p, ok := policies[role]
	if !ok {
		return nil, fhir.Errorf(fhir.KindInvalid, "invalid", "", "unknown role %q; roles are %s", role, strings.Join(Roles(), ", "))
	}
	if len(permissions) > 0 && !p.permissions {
		return nil, fhir.Errorf(fhir.KindInvalid, "invalid", "", "role %s takes no vaccine-type permissions", role)
	}
	scopes, rejected := ParseScopes(p.scopes)
	if len(rejected) > 0 {
		// A typo in the table above; TestPolicyScopes rules it out.
		return nil, &fhir.Error{Kind: fhir.KindInternal, Op: "auth.PolicyScopes", Details: "malformed policy scope " + rejected[0]}
	}
	for i := range scopes {
		if scopes[i].Type == "*" {
			scopes[i].Except = slices.Clone(p.except)
		}
	}
	granted := map[string]Access{} // vaccine type → access, permissions on one type merged
	for _, perm := range permissions {
		vacc, a, err := parsePermission(perm)
		if err != nil {
			return nil, err
		}
		granted[vacc] |= a
	}
	for _, vacc := range slices.Sorted(maps.Keys(granted)) {
		for _, code := range fhir.DiseasesOf(vacc) {
			scopes = append(scopes, Scope{Context: ContextSystem, Type: "Immunization", Access: granted[vacc],
				Params: url.Values{"target-disease": {SystemSNOMED + "|" + code}}})
		}
	}
	return prune(scopes), nil
}

// parsePermission parses an NHS permission: a vaccine type (fhir.VaccineTypes), a dot, and
// upper-case letters from C R U D S in that order, each once.
func parsePermission(perm string) (string, Access, error) {
	vacc, letters, ok := strings.Cut(perm, ".")
	if !ok || vacc == "" {
		return "", 0, fhir.Errorf(fhir.KindInvalid, "invalid", "", "permission %q is not VACCINETYPE.LETTERS, e.g. FLU.CRUDS", perm)
	}
	if fhir.DiseasesOf(vacc) == nil {
		return "", 0, fhir.Errorf(fhir.KindInvalid, "invalid", "", "permission %q: unknown vaccine type; types are %s", perm, strings.Join(fhir.VaccineTypes(), ", "))
	}
	if strings.ToUpper(letters) != letters {
		return "", 0, fhir.Errorf(fhir.KindInvalid, "invalid", "", "permission %q: letters must be upper case C, R, U, D, S", perm)
	}
	a, err := ParseAccess(strings.ToLower(letters))
	if err != nil {
		return "", 0, fhir.Errorf(fhir.KindInvalid, "invalid", "", "permission %q: letters must be from C, R, U, D, S, in that order, each once", perm)
	}
	return vacc, a, nil
}

// policyExcept returns the types a role's "*" scopes do not reach.
func policyExcept(role string) []string { return policies[role].except }
