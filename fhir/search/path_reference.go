package search

import (
	"strings"

	"github.com/nimsproject/nims/fhir"
)

// referenceEntries: a Reference gives a local entry (RefType, RefID; the version of
// Type/id/_history/n is dropped) or an absolute one (URL), with Text its display, and
// its identifier as a token entry of the same parameter (System, Code), so that
// general-practitioner:identifier=https://fhir.nhs.uk/Id/ods-organization-code|A81001
// finds it. A contained reference ("#x") refers to nothing stored: it gives its
// identifier, and (containedIdentifiers) the identifiers of the contained resource. A canonical (a string) gives URL, and a second entry without its
// |version when it has one.
func referenceEntries(name string, items []pathItem) []Entry {
	var out []Entry
	for _, it := range items {
		switch v := it.v.(type) {
		case string:
			if v == "" {
				continue
			}
			out = append(out, Entry{Param: name, URL: v})
			if base, _, ok := strings.Cut(v, "|"); ok && base != "" {
				out = append(out, Entry{Param: name, URL: base})
			}
		case map[string]any:
			out = appendReference(out, name, v)
		}
	}
	return out
}

func appendReference(out []Entry, name string, m map[string]any) []Entry {
	display := ""
	if d := pathStr(m, "display"); d != "" {
		display = Normalize(d)
	}
	if ref := pathStr(m, "reference"); ref != "" {
		if e, ok := refEntryOf(ref); ok {
			e.Param, e.Text = name, display
			out = append(out, e)
			display = ""
		}
	}
	if id, ok := m["identifier"].(map[string]any); ok {
		sys, val := pathStr(id, "system"), pathStr(id, "value")
		if sys != "" || val != "" {
			out = append(out, Entry{Param: name, System: sys, Code: val, Text: display})
		}
	}
	return out
}

// containedIdentifiers adds to out, for each contained reference ("#x") among items,
// the identifiers of the resource obj contains with id x, as entries of the parameter
// like a Reference.identifier's: the NHS Immunisation API's records name their patient
// by a contained Patient and are searched by its NHS number (patient.identifier, which
// Matcher.chain also answers from these entries).
func containedIdentifiers(out []Entry, name string, obj map[string]any, items []pathItem) []Entry {
	contained, _ := obj["contained"].([]any)
	if len(contained) == 0 {
		return out
	}
	for _, it := range items {
		m, _ := it.v.(map[string]any)
		ref, _ := m["reference"].(string)
		local, ok := strings.CutPrefix(ref, "#")
		if !ok || local == "" {
			continue
		}
		for _, c := range contained {
			cm, _ := c.(map[string]any)
			if id, _ := cm["id"].(string); id != local {
				continue
			}
			ids, _ := cm["identifier"].([]any)
			for _, x := range ids {
				im, _ := x.(map[string]any)
				if sys, val := pathStr(im, "system"), pathStr(im, "value"); sys != "" || val != "" {
					out = append(out, Entry{Param: name, System: sys, Code: val})
				}
			}
			break
		}
	}
	return out
}

// refEntryOf reads Reference.reference: Type/id, Type/id/_history/n, an absolute URL
// or URN; false for a contained reference or a malformed one.
func refEntryOf(ref string) (Entry, bool) {
	if strings.HasPrefix(ref, "#") {
		return Entry{}, false
	}
	if strings.Contains(ref, ":") { // http(s)://…, urn:uuid:…, urn:oid:…
		return Entry{URL: ref}, true
	}
	typ, rest, _ := strings.Cut(ref, "/")
	id, hist, versioned := strings.Cut(rest, "/")
	if versioned {
		vid, ok := strings.CutPrefix(hist, "_history/")
		if !ok || vid == "" || strings.Contains(vid, "/") {
			return Entry{}, false
		}
	}
	if !fhir.IsResourceType(typ) || !fhir.ValidID(id) {
		return Entry{}, false
	}
	return Entry{RefType: typ, RefID: id}, true
}

// referenceTargetType is the type a Reference points to, for where(resolve() is T): the
// type in its reference, or its type element when it has only an identifier.
func referenceTargetType(m map[string]any) string {
	ref := pathStr(m, "reference")
	if ref == "" {
		return pathStr(m, "type")
	}
	if e, ok := refEntryOf(ref); ok {
		if e.URL == "" {
			return e.RefType
		}
		if t := urlResourceType(e.URL); t != "" {
			return t
		}
	}
	return pathStr(m, "type")
}

// urlResourceType reads the type of …/Type/id or …/Type/id/_history/n.
func urlResourceType(u string) string {
	segs := strings.Split(u, "/")
	if n := len(segs); n >= 4 && segs[n-2] == "_history" {
		segs = segs[:n-2]
	}
	if n := len(segs); n >= 3 && fhir.IsResourceType(segs[n-2]) && fhir.ValidID(segs[n-1]) {
		return segs[n-2]
	}
	return ""
}
