package fhir

import "strings"

// The top-level elements of each resource type, as _summary and _elements need them
// (https://hl7.org/fhir/R4/search.html#summary). Names are element names: "occurrence"
// stands for occurrence[x], whatever type a resource uses.

// SummaryElements returns the top-level elements of resource type typ that R4 marks
// isSummary, in the definition's order; nil for a type that is not an R4 resource.
func SummaryElements(typ string) []string {
	return topElements(typ, func(e *elem) bool { return e.sum })
}

// MandatoryElements returns the top-level elements of resource type typ with a minimum
// cardinality of 1 or more, in the definition's order.
func MandatoryElements(typ string) []string {
	return topElements(typ, func(e *elem) bool { return e.min > 0 })
}

func topElements(typ string, pick func(*elem) bool) []string {
	s, err := loadSpec()
	if err != nil || s.resources[typ] == nil {
		return nil
	}
	var out []string
	for _, e := range s.resources[typ].elems {
		if pick(e) {
			out = append(out, e.name)
		}
	}
	return out
}

// ElementName returns the top-level element that a JSON member of a resource of type typ
// holds: "occurrenceDateTime" and its extension companion "_occurrenceDateTime" give
// "occurrence", "status" gives "status". It is "" for resourceType and for any name the
// type does not define.
func ElementName(typ, member string) string {
	s, err := loadSpec()
	if err != nil || s.resources[typ] == nil {
		return ""
	}
	fields := s.resources[typ].fields
	if f, ok := fields[member]; ok {
		return f.elem.name
	}
	if name, ok := strings.CutPrefix(member, "_"); ok {
		if f, ok := fields[name]; ok && f.prim != primNone && !f.elem.attr {
			return f.elem.name
		}
	}
	return ""
}
