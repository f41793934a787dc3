package search

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// Normalize is the form string search compares: case-folded, without accents or other
// diacritics, with runs of white space collapsed to one space and none at either end.
// "  Siobhán  Ó'Brien" and "siobhan o'brien" normalise alike, as do "Straße" and
// "STRASSE". The FHIR string search is case- and accent-insensitive
// (https://hl7.org/fhir/R4/search.html#string); both the index entry and the search value
// go through Normalize, and starts-with and contains are then plain byte comparisons.
//
// Letters that carry their mark inside the letter rather than as a combining character
// (ø, ł, đ, ħ, ı) and the ligatures æ and œ are spelled out as their base letters, the way
// people type them on an English keyboard; the typographic apostrophe ’ becomes '.
func Normalize(s string) string {
	if isASCII(s) {
		return collapseSpaces(strings.ToLower(s))
	}
	// Fold case first (ẞ → ss, İ → i + dot), then decompose so that each accent is a
	// separate mark, drop the marks, and recompose what is left.
	t := transform.Chain(cases.Fold(), norm.NFKD, runes.Remove(runes.In(unicode.Mn)), runes.Map(spellOutLetter), norm.NFC)
	out, _, err := transform.String(t, s)
	if err != nil { // invalid UTF-8 cannot reach here through the JSON decoder; be safe anyway
		out = strings.ToLower(s)
	}
	if strings.ContainsAny(out, "æœ") {
		out = strings.NewReplacer("æ", "ae", "œ", "oe").Replace(out)
	}
	return collapseSpaces(out)
}

func spellOutLetter(r rune) rune {
	switch r {
	case 'ø':
		return 'o'
	case 'ł':
		return 'l'
	case 'đ', 'ð':
		return 'd'
	case 'ħ':
		return 'h'
	case 'ı':
		return 'i'
	case '\u2019', '\u2018', '\u02bc':
		return '\''
	}
	return r
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// collapseSpaces trims s and replaces every run of white space inside it with one space,
// without allocating when there is nothing to change.
func collapseSpaces(s string) string {
	s = strings.TrimSpace(s)
	clean := true
	prevSpace := false
	for _, r := range s {
		sp := unicode.IsSpace(r)
		if sp && (prevSpace || r != ' ') {
			clean = false
			break
		}
		prevSpace = sp
	}
	if clean {
		return s
	}
	return strings.Join(strings.Fields(s), " ")
}
