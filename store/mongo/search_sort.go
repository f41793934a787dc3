package mongo

import (
	"slices"
	"strings"
	"unicode"

	"github.com/nimsproject/nims/fhir/search"
)

// trimForSort returns obj reduced to what the sort keys read, so that a sorted search can
// hold every match in memory while search.Sort orders them: resourceType, id, and the
// top-level members that a key's expression names (a choice type by its stem, so that
// "occurrence" keeps occurrenceDateTime). The guess is checked: when the reduced object
// gives any key other entries than obj does (an expression the guess misreads), obj
// itself is returned. Trimming saves memory; it never changes the order.
func trimForSort(keys []search.SortKey, obj map[string]any) map[string]any {
	out := map[string]any{"resourceType": obj["resourceType"], "id": obj["id"]}
	for member, v := range obj {
		if named(keys, member) {
			out[member] = v
		}
	}
	for _, k := range keys {
		if k.Param != nil && !slices.Equal(k.Param.Extract(out), k.Param.Extract(obj)) {
			return obj
		}
	}
	return out
}

// named reports whether some key's expression names member, or its stem.
func named(keys []search.SortKey, member string) bool {
	for _, k := range keys {
		if k.Param == nil {
			continue
		}
		for _, word := range strings.FieldsFunc(k.Param.Expression, notIdentRune) {
			if word == member || (strings.HasPrefix(member, word) && unicode.IsUpper(rune(member[len(word)]))) {
				return true
			}
		}
	}
	return false
}

func notIdentRune(r rune) bool {
	return !(r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r))
}
