package api

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// policyTable is docs/SECURITY.md's table of what each role may do, per type, written
// out independently of auth's policies: the matrix test holds the code to it. A type
// missing from a role's row takes the "*" entry.
var policyTable = map[string]map[string]string{
	"admin":     {"*": "cruds"},
	"programme": {"*": "cruds", "AuditEvent": ""},
	"loader":    {"*": "crus", "AuditEvent": ""},
	"poc":       {"*": "", "Patient": "rs", "Immunization": "cruds", "Organization": "crus"},
	"gp":        {"*": "", "Patient": "rs", "Immunization": "rs", "Flag": "rs", "Organization": "rs"},
	"booking":   {"*": "", "Patient": "rs", "Immunization": "rs", "Flag": "rs", "Appointment": "cruds"},
	"pass":      {"*": "", "Patient": "s", "Immunization": "rs"},
}

// granular are the types a role's access to is limited by vaccine type (granular
// scopes): $import, which cannot check each line against the limit, refuses them.
var granular = map[string][]string{"poc": {"Immunization"}}

func policyAllows(role, typ, letters string) bool {
	if letters == "import" {
		return !slices.Contains(granular[role], typ) && policyAllows(role, typ, "cu")
	}
	row := policyTable[role]
	have, ok := row[typ]
	if !ok {
		have = row["*"]
	}
	for _, l := range letters {
		if !strings.ContainsRune(have, l) {
			return false
		}
	}
	return true
}

// Every role × every route × every type: a request outside the role's policy is 403, one
// inside is never 401 or 403. The records used are within the content rules (the gp's
// own practice, the poc's vaccine type), so only the scope decides.
func TestRoleRouteMatrix(t *testing.T) {
	w := newWorld(t, Config{})
	bodies := map[string]func() map[string]any{
		"Patient":      func() map[string]any { return gpPatient("", odsA) },
		"Immunization": func() map[string]any { return immunization(w.pa, fluCode) },
		"Flag": func() map[string]any {
			return map[string]any{"resourceType": "Flag", "status": "active", "code": map[string]any{"text": "needs an interpreter"},
				"subject": map[string]any{"reference": "Patient/" + w.pa}}
		},
		"Organization": func() map[string]any { return map[string]any{"resourceType": "Organization", "name": "A clinic"} },
		"Appointment": func() map[string]any {
			return map[string]any{"resourceType": "Appointment", "status": "booked", "participant": []any{map[string]any{
				"actor": map[string]any{"reference": "Patient/" + w.pa}, "status": "accepted"}}}
		},
	}
	fresh := func(typ string) string { // made by admin
		t.Helper()
		r := do(t, w.ts, "POST", "/fhir/"+typ, bodies[typ]())
		wantStatus(t, r, http.StatusCreated, "admin creates "+typ)
		return r.json(t)["id"].(string)
	}
	type route struct {
		name, letters string
		req           func(typ string) (method, path string, body any)
	}
	withID := func(typ string, body map[string]any, id string) map[string]any { body["id"] = id; return body }
	routes := []route{
		{"read", "r", func(typ string) (string, string, any) { return "GET", "/fhir/" + typ + "/" + fresh(typ), nil }},
		{"vread", "r", func(typ string) (string, string, any) {
			return "GET", "/fhir/" + typ + "/" + fresh(typ) + "/_history/1", nil
		}},
		{"history-instance", "r", func(typ string) (string, string, any) {
			return "GET", "/fhir/" + typ + "/" + fresh(typ) + "/_history", nil
		}},
		{"history-type", "r", func(typ string) (string, string, any) { return "GET", "/fhir/" + typ + "/_history", nil }},
		{"search", "s", func(typ string) (string, string, any) { return "GET", "/fhir/" + typ + "?_id=" + fresh(typ), nil }},
		{"search-post", "s", func(typ string) (string, string, any) { return "POST", "/fhir/" + typ + "/_search", nil }},
		{"create", "c", func(typ string) (string, string, any) { return "POST", "/fhir/" + typ, bodies[typ]() }},
		{"update", "u", func(typ string) (string, string, any) {
			id := fresh(typ)
			return "PUT", "/fhir/" + typ + "/" + id, withID(typ, bodies[typ](), id)
		}},
		{"delete", "d", func(typ string) (string, string, any) { return "DELETE", "/fhir/" + typ + "/" + fresh(typ), nil }},
		{"conditional-update", "us", func(typ string) (string, string, any) {
			id := fresh(typ)
			return "PUT", "/fhir/" + typ + "?_id=" + id, withID(typ, bodies[typ](), id)
		}},
		{"conditional-delete", "ds", func(typ string) (string, string, any) { return "DELETE", "/fhir/" + typ + "?_id=" + fresh(typ), nil }},
		{"import", "import", func(typ string) (string, string, any) {
			line, _ := json.Marshal(bodies[typ]())
			return "POST", "/fhir/$import", string(line) + "\n"
		}},
	}
	perms := map[string][]string{"poc": {"FLU.CRUDS"}}
	ods := map[string][]string{"gp": {odsA}}
	for role := range policyTable {
		tok := bearer(tokenFor(t, w.ts, role, ods[role], perms[role]))
		for typ := range bodies {
			for _, rt := range routes {
				method, path, body := rt.req(typ)
				headers := tok
				if rt.name == "import" {
					headers = append([]string{"Content-Type", "application/fhir+ndjson", "Prefer", "respond-async"}, tok...)
				}
				r := do(t, w.ts, method, path, body, headers...)
				want := policyAllows(role, typ, rt.letters)
				switch {
				case r.status == http.StatusUnauthorized:
					t.Errorf("%s %s %s: 401 with a valid token", role, rt.name, typ)
				case want && r.status == http.StatusForbidden:
					t.Errorf("%s %s %s: 403, but the policy allows it\n%s", role, rt.name, typ, r.body)
				case !want && r.status != http.StatusForbidden:
					t.Errorf("%s %s %s: status %d, but the policy forbids it", role, rt.name, typ, r.status)
				case want && rt.name == "import" && r.status != http.StatusAccepted:
					t.Errorf("%s import %s: status %d, want 202\n%s", role, typ, r.status, r.body)
				}
			}
		}
		// The programme's feeds: access on their own type and, for the demographic feed,
		// update on the types a supersede or a death writes, none limited by vaccine type.
		for _, f := range feedRows {
			want := true
			for _, need := range f.needs {
				want = want && policyAllows(role, need[0], need[1]) && !slices.Contains(granular[role], need[0])
			}
			r := do(t, w.ts, "POST", f.path, f.body, append([]string{"Content-Type", f.contentType}, tok...)...)
			switch {
			case r.status == http.StatusUnauthorized:
				t.Errorf("%s %s: 401 with a valid token", role, f.path)
			case want && r.status != http.StatusOK:
				t.Errorf("%s %s: status %d, but the policy allows it\n%s", role, f.path, r.status, r.body)
			case !want && r.status != http.StatusForbidden:
				t.Errorf("%s %s: status %d, but the policy forbids it", role, f.path, r.status)
			}
		}
		// The compartment: reading the patient and searching the member type.
		for typ := range bodies {
			if typ == "Organization" {
				continue
			}
			r := do(t, w.ts, "GET", "/fhir/Patient/"+w.pa+"/"+typ, nil, tok...)
			want := policyAllows(role, "Patient", "r") && policyAllows(role, typ, "s")
			if (r.status == http.StatusForbidden) == want {
				t.Errorf("%s compartment Patient/%s/%s: status %d, policy allows: %v", role, w.pa, typ, r.status, want)
			}
		}
		// The audit trail: admin only, and never writable.
		r := do(t, w.ts, "GET", "/fhir/AuditEvent", nil, tok...)
		if (r.status == http.StatusOK) != (role == "admin") {
			t.Errorf("%s reads the audit trail: status %d", role, r.status)
		}
		if r := do(t, w.ts, "POST", "/fhir/AuditEvent", map[string]any{"resourceType": "AuditEvent"}, tok...); r.status != http.StatusForbidden && r.status != http.StatusMethodNotAllowed {
			t.Errorf("%s writes an AuditEvent: status %d", role, r.status)
		}
	}
}

// feedRows are the programme's feeds in the matrix: the access each needs, type by type.
var feedRows = []struct {
	path, contentType, body string
	needs                   [][2]string // type, letters
}{
	{"/fhir/Patient/$demographics-feed", "application/fhir+ndjson", pdsLine("9990548609", "Matrix", "") + "\n",
		[][2]string{{"Patient", "cu"}, {"Communication", "u"}, {"Flag", "u"}, {"Immunization", "u"}}},
	{"/fhir/Patient/$ethnicity-feed", "text/csv", "9990548609,A\n", [][2]string{{"Patient", "u"}}},
	{"/fhir/Flag/$priority-list?code=77386006&category=pregnant&start=2026-09-01", "text/csv", "9990548609\n",
		[][2]string{{"Flag", "cu"}}},
}
