package search

// The parameter table. This first cut holds what conditional interactions need on every
// type (_id and identifier); the full R4 table of the programme's resources replaces it.

var (
	paramID = &Param{Name: "_id", Type: TypeToken, Extract: func(obj map[string]any) []Entry {
		if id, ok := obj["id"].(string); ok {
			return []Entry{{Param: "_id", Code: id}}
		}
		return nil
	}}
	paramIdentifier = &Param{Name: "identifier", Type: TypeToken, Extract: func(obj map[string]any) []Entry {
		return identifierEntries("identifier", obj["identifier"])
	}}
)

// Lookup returns the parameter name of type typ, or nil when it is not supported.
func Lookup(typ, name string) *Param {
	switch name {
	case "_id":
		return paramID
	case "identifier":
		return paramIdentifier
	}
	return nil
}

// Params returns the parameters indexed for type typ (those stored as index entries; _id
// is answered from the record itself).
func Params(typ string) []*Param {
	return []*Param{paramIdentifier}
}

// Extract returns the index entries of a resource of type typ.
func Extract(typ string, obj map[string]any) []Entry {
	var out []Entry
	for _, p := range Params(typ) {
		out = append(out, p.Extract(obj)...)
	}
	return out
}

// identifierEntries reads an Identifier or a list of them (identifier is 0..* on most
// types, 0..1 on a few).
func identifierEntries(name string, v any) []Entry {
	var out []Entry
	add := func(x any) {
		m, ok := x.(map[string]any)
		if !ok {
			return
		}
		sys, _ := m["system"].(string)
		val, _ := m["value"].(string)
		if val != "" || sys != "" {
			out = append(out, Entry{Param: name, System: sys, Code: val})
		}
	}
	switch t := v.(type) {
	case []any:
		for _, x := range t {
			add(x)
		}
	case map[string]any:
		add(t)
	}
	return out
}
