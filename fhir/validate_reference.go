package fhir

import "strings"

// reference checks the grammar of Reference.reference
// (https://hl7.org/fhir/R4/references.html#literal): a local #id that a contained
// resource carries, a relative Type/id[/_history/vid], a conditional Type?query (allowed
// in transactions and bulk import), an absolute http(s) URL, or a urn:uuid / urn:oid.
func (w *walker) reference(s string) {
	var msg string
	switch {
	case s == "#":
		// the containing resource itself
	case s[0] == '#':
		switch {
		case !ValidID(s[1:]):
			msg = "has an invalid local id"
		case !w.hasContained(s[1:]):
			msg = "refers to a contained resource that is not there"
		}
	case strings.HasPrefix(s, "urn:uuid:"):
		if !isUUID(s) {
			msg = "is not a valid urn:uuid"
		}
	case strings.HasPrefix(s, "urn:oid:"):
		if !isOID(s) {
			msg = "is not a valid urn:oid"
		}
	case strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://"):
		if strings.ContainsAny(s, " \t\r\n") || strings.Index(s, "://")+3 == len(s) {
			msg = "is not a valid URL"
		}
	default:
		msg = relativeProblem(s)
	}
	if msg != "" {
		w.add("value", "The reference '%s' %s", clip(s), msg)
	}
}

func relativeProblem(s string) string {
	if q := strings.IndexByte(s, '?'); q >= 0 && !strings.Contains(s[:q], "/") {
		if !IsResourceType(s[:q]) {
			return "names an unknown resource type"
		}
		if q == len(s)-1 {
			return "has an empty search"
		}
		return ""
	}
	typ, rest, ok := strings.Cut(s, "/")
	if !ok {
		return "is not Type/id, a URL, a urn:uuid, a urn:oid or #id"
	}
	if !IsResourceType(typ) {
		return "names an unknown resource type"
	}
	id, rest, hasVersion := strings.Cut(rest, "/")
	if !ValidID(id) {
		return "has an invalid id"
	}
	if hasVersion {
		hist, vid, _ := strings.Cut(rest, "/")
		if hist != "_history" || !ValidID(vid) {
			return "must be Type/id or Type/id/_history/version"
		}
	}
	return ""
}

// hasContained reports whether the container has a contained resource with this id.
func (w *walker) hasContained(id string) bool {
	for _, c := range w.contained {
		if obj, ok := c.(map[string]any); ok && obj["id"] == id {
			return true
		}
	}
	return false
}
