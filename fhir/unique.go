package fhir

import "strings"

// ProfileUKCoreImmunization is the UK Core Immunization profile. A resource that declares it
// in meta.profile gets the NHS Immunisation API's rules, including its business-identifier
// uniqueness.
const ProfileUKCoreImmunization = "https://fhir.hl7.org.uk/StructureDefinition/UKCore-Immunization"

// UniqueRule says that one business identifier must not be shared by two live resources.
// FHIR identifiers are not unique in general (several official examples share one), so a
// rule names exactly where the programme needs uniqueness.
type UniqueRule struct {
	Type      string
	System    string // only identifiers of this system; "" for any system
	Profile   string // only resources declaring this profile; "" for all
	FirstOnly bool   // only identifier[0], as the NHS Immunisation API keys records
	// Diagnostics formats the message for a clash from the system and value.
	Diagnostics func(system, value string) string
}

// BusinessKey is a key a resource claims under a UniqueRule.
type BusinessKey struct {
	Key         string
	Diagnostics string
}

// DefaultUniqueRules: an NHS number belongs to one live Patient; a UK Core vaccination
// record's first identifier is its business key (NHS Immunisation API: 422 duplicate).
var DefaultUniqueRules = []UniqueRule{
	{Type: "Patient", System: SystemNHSNumber, Diagnostics: func(_, v string) string {
		return "A Patient with NHS number " + v + " already exists"
	}},
	{Type: "Immunization", Profile: ProfileUKCoreImmunization, FirstOnly: true, Diagnostics: func(s, v string) string {
		return "The provided identifier: " + s + "#" + v + " is duplicated"
	}},
}

// keySep separates the parts of a business key: a control character FHIR strings cannot
// hold, so "a|b" + "c" and "a" + "b|c" never make the same key.
const keySep = "\x1f"

// BusinessKeys returns the keys r claims under rules.
func BusinessKeys(r *Resource, rules []UniqueRule) []BusinessKey {
	var keys []BusinessKey
	for _, rule := range rules {
		if rule.Type != r.Type || (rule.Profile != "" && !r.HasProfile(rule.Profile)) {
			continue
		}
		ids, _ := r.Object["identifier"].([]any)
		if rule.FirstOnly && len(ids) > 1 {
			ids = ids[:1]
		}
		for _, x := range ids {
			m, _ := x.(map[string]any)
			sys, _ := m["system"].(string)
			val, _ := m["value"].(string)
			// An identifier of use "old" is no longer the resource's (a superseded NHS
			// number kept on the Patient that replaced it): it claims nothing, so the
			// superseded Patient keeps its own.
			if val == "" || (rule.System != "" && sys != rule.System) || m["use"] == "old" {
				continue
			}
			keys = append(keys, BusinessKey{
				Key:         r.Type + keySep + sys + keySep + val,
				Diagnostics: rule.Diagnostics(sys, val),
			})
		}
	}
	return keys
}

// HasProfile reports whether meta.profile declares canonical (with or without a |version).
func (r *Resource) HasProfile(canonical string) bool {
	meta, _ := r.Object["meta"].(map[string]any)
	profiles, _ := meta["profile"].([]any)
	for _, p := range profiles {
		s, _ := p.(string)
		if s == canonical || strings.HasPrefix(s, canonical+"|") {
			return true
		}
	}
	return false
}
