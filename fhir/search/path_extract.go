package search

import (
	"encoding/json"
	"strconv"
)

// Index entries from the items a path reached, one function per parameter type
// (https://hl7.org/fhir/R4/search.html#table: which data types each type searches).
// The element's type is read from the JSON shape, since every element of a parameter of
// a given type is one of a few data types that tell themselves apart.

// tokenEntries: code, string, id, uri and boolean (Code); Coding; CodeableConcept (each
// coding, Text its display, and the concept's text); Identifier (system and value, Text
// its type's text, plus the :of-type entries described at OfTypeSuffix); ContactPoint
// (its value, no system: https://hl7.org/fhir/R4/search.html#token).
func tokenEntries(name string, items []pathItem) []Entry {
	var out []Entry
	for _, it := range items {
		switch v := it.v.(type) {
		case string:
			out = append(out, Entry{Param: name, Code: v})
		case bool:
			out = append(out, Entry{Param: name, Code: strconv.FormatBool(v)})
		case json.Number:
			out = append(out, Entry{Param: name, Code: v.String()})
		case map[string]any:
			out = appendTokenObject(out, name, v)
		}
	}
	return out
}

func appendTokenObject(out []Entry, name string, m map[string]any) []Entry {
	_, hasValue := m["value"]
	_, hasCoding := m["coding"]
	switch {
	case hasCoding || (!hasValue && m["text"] != nil && m["code"] == nil): // CodeableConcept
		for _, c := range pathObjects(m["coding"]) {
			out = appendCoding(out, name, c)
		}
		if t := pathStr(m, "text"); t != "" {
			out = append(out, Entry{Param: name, Text: Normalize(t)})
		}
	case hasValue: // Identifier or ContactPoint
		sys, val := pathStr(m, "system"), pathStr(m, "value")
		if contactPointSystems[sys] {
			sys = "" // a ContactPoint: its system is a kind of contact, not a namespace
		}
		if sys == "" && val == "" {
			return out
		}
		e := Entry{Param: name, System: sys, Code: val}
		typ, _ := m["type"].(map[string]any)
		if t := pathStr(typ, "text"); t != "" {
			e.Text = Normalize(t)
		}
		out = append(out, e)
		for _, c := range pathObjects(typ["coding"]) {
			out = append(out, Entry{Param: name + OfTypeSuffix, System: pathStr(c, "system"), Code: pathStr(c, "code"), Text: val})
		}
	default:
		out = appendCoding(out, name, m)
	}
	return out
}

func appendCoding(out []Entry, name string, c map[string]any) []Entry {
	sys, code, display := pathStr(c, "system"), pathStr(c, "code"), pathStr(c, "display")
	if sys == "" && code == "" && display == "" {
		return out
	}
	e := Entry{Param: name, System: sys, Code: code}
	if display != "" {
		e.Text = Normalize(display)
	}
	return append(out, e)
}

// contactPointSystems are the codes of ContactPoint.system. An Identifier's system is an
// absolute URI, so none of them can be one.
var contactPointSystems = map[string]bool{"phone": true, "fax": true, "email": true, "pager": true, "url": true, "sms": true, "other": true}

// stringEntries: string and markdown; HumanName and Address, one entry per part (and
// their text), since the spec lets name= match any part
// (https://hl7.org/fhir/R4/search.html#string).
func stringEntries(name string, items []pathItem) []Entry {
	var out []Entry
	add := func(s string) {
		if s != "" {
			out = append(out, Entry{Param: name, Text: Normalize(s), Code: s})
		}
	}
	for _, it := range items {
		switch v := it.v.(type) {
		case string:
			add(v)
		case map[string]any:
			for _, k := range nameAddressParts {
				switch x := v[k].(type) {
				case string:
					add(x)
				case []any:
					for _, y := range x {
						s, _ := y.(string)
						add(s)
					}
				}
			}
		}
	}
	return out
}

// nameAddressParts are the string members of HumanName and Address, in the order they are
// indexed.
var nameAddressParts = []string{"text", "family", "given", "prefix", "suffix", "line", "city", "district", "state", "postalCode", "country"}

// dateEntries: date, dateTime, instant (their precision ranges), Period (start to end) and
// Timing (each event). Values that are not dates (occurrenceString) give nothing.
func dateEntries(name string, items []pathItem) []Entry {
	var out []Entry
	add := func(low, high int64, ok bool) {
		if ok {
			out = append(out, Entry{Param: name, Low: low, High: high})
		}
	}
	for _, it := range items {
		switch v := it.v.(type) {
		case string:
			if it.typ == "" || it.typ == "date" || it.typ == "dateTime" || it.typ == "instant" {
				add(DateRange(v))
			}
		case map[string]any:
			if events, ok := v["event"].([]any); ok { // Timing
				for _, e := range events {
					s, _ := e.(string)
					add(DateRange(s))
				}
				continue
			}
			add(Period(pathStr(v, "start"), pathStr(v, "end")))
		}
	}
	return out
}

// quantityEntries: Quantity, Age, Duration, Distance, Count, Money: the value with its
// precision range, and the unit as System and Code; when the human unit differs from the
// code, a second entry carries it as Code without a system, so that 5.4||mg finds a
// quantity whose unit is written "mg" but coded otherwise.
func quantityEntries(name string, items []pathItem) []Entry {
	var out []Entry
	for _, it := range items {
		m, ok := it.v.(map[string]any)
		if !ok {
			continue
		}
		n, lo, hi, ok := jsonNumberRange(m["value"])
		if !ok {
			continue
		}
		code, unit := pathStr(m, "code"), pathStr(m, "unit")
		if code == "" {
			code = pathStr(m, "currency") // Money
		}
		out = append(out, Entry{Param: name, Number: n, NumLow: lo, NumHigh: hi, System: pathStr(m, "system"), Code: code})
		if unit != "" && unit != code {
			out = append(out, Entry{Param: name, Number: n, NumLow: lo, NumHigh: hi, Code: unit})
		}
	}
	return out
}

// numberEntries: decimal, integer and their kin, with the precision range as written.
func numberEntries(name string, items []pathItem) []Entry {
	var out []Entry
	for _, it := range items {
		if n, lo, hi, ok := jsonNumberRange(it.v); ok {
			out = append(out, Entry{Param: name, Number: n, NumLow: lo, NumHigh: hi})
		}
	}
	return out
}

// jsonNumberRange reads a JSON number: json.Number as written, or a float64 from a decoder
// without UseNumber (its shortest form stands for the precision).
func jsonNumberRange(v any) (n, lo, hi float64, ok bool) {
	switch x := v.(type) {
	case json.Number:
		return DecimalRange(string(x))
	case float64:
		return DecimalRange(strconv.FormatFloat(x, 'g', -1, 64))
	}
	return 0, 0, 0, false
}

// uriEntries: uri, url, canonical, as written.
func uriEntries(name string, items []pathItem) []Entry {
	var out []Entry
	for _, it := range items {
		if s, ok := it.v.(string); ok && s != "" {
			out = append(out, Entry{Param: name, Code: s})
		}
	}
	return out
}

func pathStr(m map[string]any, k string) string {
	s, _ := m[k].(string)
	return s
}

// pathObjects returns the objects of a JSON array (or of a single object).
func pathObjects(v any) []map[string]any {
	switch x := v.(type) {
	case map[string]any:
		return []map[string]any{x}
	case []any:
		out := make([]map[string]any, 0, len(x))
		for _, y := range x {
			if m, ok := y.(map[string]any); ok {
				out = append(out, m)
			}
		}
		return out
	}
	return nil
}
