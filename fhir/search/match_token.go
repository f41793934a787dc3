package search

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Token, string and uri matching (https://hl7.org/fhir/R4/search.html#token,
// #string, #uri). Codes, systems and uris compare exactly (case-sensitive): the server
// knows no code system that is case-insensitive.

// matchToken: system|code, code (any system), |code (no system), system| (any code);
// :text on the entry's Text; :not is universal — the resource matches when none of its
// entries equals any of the values, so a resource with no entry at all matches :not
// (as the spec's gender:not=male example returns patients without a gender).
func matchToken(f *Filter, entries []Entry) bool {
	switch f.Modifier {
	case ModNone:
		return anyValue(f, entries, func(_ Modifier, v *Value, e *Entry) bool {
			return tokenEqual(v.System, v.Code, v.AnySystem, v.AnyCode, e)
		})
	case ModNot:
		return !anyValue(f, entries, func(_ Modifier, v *Value, e *Entry) bool {
			return tokenEqual(v.System, v.Code, v.AnySystem, v.AnyCode, e)
		})
	case ModText:
		return anyValue(f, entries, func(_ Modifier, v *Value, e *Entry) bool { return TextMatches(e.Text, v.Text) })
	}
	// :above, :below, :in, :not-in need terminology; Parse rejects them.
	return false
}

// tokenEqual is the one token comparison, shared by Clause and Filter.
func tokenEqual(system, code string, anySystem, anyCode bool, e *Entry) bool {
	switch {
	case anySystem:
		return e.Code == code
	case anyCode:
		return e.System == system
	default:
		return e.System == system && e.Code == code
	}
}

// matchOfType answers identifier:of-type=type-system|type-code|value on the entries
// described at OfTypeSuffix: all three parts must equal, the value exactly.
func matchOfType(f *Filter, entries []Entry) bool {
	for i := range f.Values {
		v := &f.Values[i]
		for j := range entries {
			e := &entries[j]
			if isOfType(e) && e.System == v.TypeSystem && e.Code == v.TypeCode && e.Text == v.Code {
				return true
			}
		}
	}
	return false
}

// TextMatches is the rule of token :text (and reference :text): the normalised query
// starts a word of the normalised text — it is a prefix of the text, or of the part of
// it that follows any character that is neither a letter nor a digit. So "influenza"
// finds "seasonal influenza vaccine" and "flu" finds "(flu) vaccine", but "fluenza" finds
// neither. This is string search's starts-with, applied per word, because a display
// rarely starts with the word a user has in mind. An empty query matches any text.
// Backends without a word index may register this function.
func TextMatches(text, query string) bool {
	if strings.HasPrefix(text, query) {
		return true
	}
	for i := 0; i < len(text); {
		r, w := utf8.DecodeRuneInString(text[i:])
		i += w
		if !isWordRune(r) && strings.HasPrefix(text[i:], query) {
			return true
		}
	}
	return false
}

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

// matchString: the entry's normalised Text starts with the value's (normalised) Text;
// :contains finds it anywhere in Text; :exact compares the value as sent with the entry
// as written (Code), case and accents included.
func matchString(mod Modifier, v *Value, e *Entry) bool {
	switch mod {
	case ModNone:
		return strings.HasPrefix(e.Text, v.Text)
	case ModContains:
		return strings.Contains(e.Text, v.Text)
	case ModExact:
		return e.Code == exactValue(v)
	}
	return false
}

// exactValue is the value of :exact as the client wrote it: Code when Parse sets it,
// otherwise Raw (Text is normalised, so it cannot serve).
func exactValue(v *Value) string {
	if v.Code != "" {
		return v.Code
	}
	return v.Raw
}

// matchURI: exact equality; :below when the value is the entry or an ancestor of it by
// path segment (http://a/fhir is below-matched by http://a/fhir/ValueSet/1, not by
// http://a/fhirx); :above the reverse; :contains a substring.
func matchURI(mod Modifier, v *Value, e *Entry) bool {
	switch mod {
	case ModNone:
		return e.Code == v.Code
	case ModBelow:
		return uriWithin(e.Code, v.Code)
	case ModAbove:
		return uriWithin(v.Code, e.Code)
	case ModContains:
		return strings.Contains(e.Code, v.Code)
	}
	return false
}

// uriWithin reports whether uri equals base or lies under it by whole path segments.
func uriWithin(uri, base string) bool {
	if base == "" || !strings.HasPrefix(uri, base) {
		return false
	}
	if len(uri) == len(base) || strings.HasSuffix(base, "/") {
		return true
	}
	return uri[len(base)] == '/'
}
