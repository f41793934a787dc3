package search

import (
	"cmp"
	"slices"
	"strings"
)

// _sort (https://hl7.org/fhir/R4/search.html#sort). Less and Sort define the order every
// backend must reproduce:
//
//  1. Each key gives each resource one sort value taken from the parameter's entries:
//     the lowest for an ascending key, the highest for a descending one (so a repeating
//     element sorts by its first value in the requested direction).
//  2. The value of an entry, by parameter type:
//     - string: Text (normalised), compared bytewise;
//     - token and uri: Code, bytewise (a token's system is ignored);
//     - reference: "Type/id" for a local reference, the URL for an absolute one,
//     bytewise; Reference.identifier entries give none;
//     - date: Low for an ascending key, High for a descending one: ascending orders by
//     the start of the earliest range, descending by the end of the latest;
//     ascending and after them when descending only if it ends later);
//     - number and quantity: Number (units are not compared or converted).
//     An empty string value counts as no value. Composite and special parameters give
//     no value.
//  3. A resource with no value for a key sorts after every resource with one, in both
//     directions.
//  4. Equal values (or both missing) fall to the next key; after the last key, resources
//     are ordered by id, bytewise ascending, then by type: the order is total, so pages
//     cut from it are stable.

// Less reports whether a sorts before b under keys, by the rules above.
func Less(keys []SortKey, a, b map[string]any) bool {
	return compareSorted(keys, sortValues(keys, a), sortValues(keys, b), a, b) < 0
}

// Sort sorts objs by keys, by the rules above, extracting each resource's values once.
func Sort(keys []SortKey, objs []map[string]any) {
	type row struct {
		obj  map[string]any
		vals []sortValue
	}
	rows := make([]row, len(objs))
	for i, obj := range objs {
		rows[i] = row{obj, sortValues(keys, obj)}
	}
	slices.SortFunc(rows, func(x, y row) int { return compareSorted(keys, x.vals, y.vals, x.obj, y.obj) })
	for i := range rows {
		objs[i] = rows[i].obj
	}
}

// sortValue is one resource's value for one key: s for string-like types, n for
// numbers, t for dates; ok false when the resource has none.
type sortValue struct {
	s  string
	n  float64
	t  int64
	ok bool
}

func sortValues(keys []SortKey, obj map[string]any) []sortValue {
	vals := make([]sortValue, len(keys))
	for i, k := range keys {
		vals[i] = keyValue(k, obj)
	}
	return vals
}

// keyValue picks the lowest (ascending) or highest (descending) value of obj's entries.
func keyValue(k SortKey, obj map[string]any) sortValue {
	var best sortValue
	if k.Param == nil {
		return best
	}
	for _, e := range withoutOfType(k.Param.Extract(obj)) {
		v := entrySortValue(k.Param.Type, k.Descending, &e)
		if !v.ok {
			continue
		}
		if !best.ok {
			best = v
			continue
		}
		c := compareValues(v, best)
		if (k.Descending && c > 0) || (!k.Descending && c < 0) {
			best = v
		}
	}
	return best
}

func entrySortValue(typ ParamType, desc bool, e *Entry) sortValue {
	str := func(s string) sortValue { return sortValue{s: s, ok: s != ""} }
	switch typ {
	case TypeString:
		return str(e.Text)
	case TypeToken, TypeURI:
		return str(e.Code)
	case TypeReference:
		if e.RefType != "" && e.RefID != "" {
			return str(e.RefType + "/" + e.RefID)
		}
		return str(e.URL)
	case TypeDate:
		if desc {
			return sortValue{t: e.High, ok: true}
		}
		return sortValue{t: e.Low, ok: true}
	case TypeNumber, TypeQuantity:
		return sortValue{n: e.Number, ok: true}
	}
	return sortValue{}
}

// compareValues compares two present values of the same key (only one field is set).
func compareValues(a, b sortValue) int {
	if c := strings.Compare(a.s, b.s); c != 0 {
		return c
	}
	if c := cmp.Compare(a.n, b.n); c != 0 {
		return c
	}
	return cmp.Compare(a.t, b.t)
}

// compareSorted is the total order of rule 4 over precomputed values.
func compareSorted(keys []SortKey, va, vb []sortValue, a, b map[string]any) int {
	for i, k := range keys {
		x, y := va[i], vb[i]
		switch {
		case !x.ok && !y.ok:
			continue
		case !x.ok:
			return 1
		case !y.ok:
			return -1
		}
		if c := compareValues(x, y); c != 0 {
			if k.Descending {
				return -c
			}
			return c
		}
	}
	ta, ida := resourceKey(a)
	tb, idb := resourceKey(b)
	if c := strings.Compare(ida, idb); c != 0 {
		return c
	}
	return strings.Compare(ta, tb)
}
