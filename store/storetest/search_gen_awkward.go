package storetest

import "github.com/nimsproject/nims/fhir"

// awkwardValues puts into a few resources values that a query compiler can get wrong
// while Match does not: LIKE wildcards (_ and %), a comma (escaped in a search value),
// scripts other than Latin, a dotted capital I, a typographic apostrophe.
func (g *gen) awkwardValues() {
	byKey := map[string]obj{}
	for _, r := range g.out {
		if c := r.current(); c != nil {
			byKey[r.key()] = c
		}
	}
	p := byKey["Patient/pat-002"]
	p["name"].(arr)[0].(obj)["text"] = "Macdonald, Fatima"
	p = byKey["Patient/pat-003"]
	p["name"] = append(p["name"].(arr), obj{"use": "usual", "family": "Дмитриев", "given": arr{"Ελένη", "İlkay", "王"}})
	p = byKey["Patient/pat-006"]
	p["address"] = append(p["address"].(arr), obj{"use": "temp", "line": arr{"Flat 5_B, 50% House"}, "city": "Leeds", "postalCode": "LS2 9JT"})
	p = byKey["Patient/pat-008"]
	p["name"] = append(p["name"].(arr), obj{"use": "old", "family": "O\u2019Brien"})
	byKey["Immunization/imm-0001"]["lotNumber"] = "AB_12%3"
	byKey["Communication/comm-0001"]["instantiatesUri"] = arr{"https://nims.example/campaigns/flu_2024"}

	// Subjects that are not a local Patient: patient (subject.where(resolve() is Patient))
	// finds the absolute and identifier-only ones by their type, and not the others.
	code := concept(coding(fhir.SystemSNOMED, "713404003", "Care home resident"))
	for _, s := range []struct {
		id      string
		subject obj
	}{
		{"flag-grp", ref("Group", "grp-1")},
		{"flag-org", ref("Organization", "org-prac-01")},
		{"flag-abs", obj{"reference": absBase + "Patient/pat-001"}},
		{"flag-ident", obj{"identifier": ident(fhir.SystemNHSNumber, g.nhsIdentOf(g.patients[1])["value"].(string)), "type": "Patient"}},
		{"flag-deleted", ref("Patient", "pat-023")},
	} {
		g.add("Flag", s.id, obj{"status": "active", "code": code, "subject": s.subject})
	}
	g.add("Communication", "comm-grp", obj{"status": "completed", "subject": ref("Group", "grp-2"),
		"category": arr{concept(coding(commCategory, "invitation", ""))}, "sent": "2024-10-27T01:59:59+01:00"})
}
