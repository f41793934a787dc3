package fhir

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// complex checks the value of a complex, backbone or resource element: an object, or an
// array of objects when the element repeats.
func (w *walker) complex(f *field, v any, vs *valueSet) {
	w.push(f.elem.name)
	defer w.pop()
	if !f.elem.many {
		if _, ok := v.([]any); ok {
			w.add("structure", "'%s' must be a single value, not an array", f.json)
			return
		}
		w.complexItem(f, v, vs)
		return
	}
	arr, ok := v.([]any)
	if !ok {
		w.add("structure", "'%s' must be an array", f.json)
		return
	}
	if !w.arrayLength(f, len(arr)) {
		return
	}
	for i, item := range arr {
		if w.full {
			return
		}
		w.index(i)
		w.complexItem(f, item, vs)
	}
}

func (w *walker) complexItem(f *field, v any, vs *valueSet) {
	obj, ok := v.(map[string]any)
	if !ok {
		w.add("structure", "'%s' must be a JSON object, not %s", f.json, jsonType(v))
		return
	}
	if len(obj) == 0 {
		w.add("structure", "'%s' must not be an empty object", f.json)
		return
	}
	if f.resource {
		w.nestedResource(obj, f.elem.name == "contained")
		return
	}
	w.object(f.node, obj, vs)
}

// arrayLength reports an empty array, or fewer items than the element's minimum.
func (w *walker) arrayLength(f *field, n int) bool {
	switch {
	case n == 0:
		w.add("structure", "'%s' must not be an empty array", f.json)
		return false
	case n < f.elem.min:
		w.add("required", "'%s' needs at least %d items", f.json, f.elem.min)
	}
	return true
}

// primitive checks a primitive element given as its value v, its _x companion ext, or
// both (https://hl7.org/fhir/R4/json.html#primitive).
func (w *walker) primitive(f *field, v any, hasV bool, ext any, hasExt bool) {
	w.push(f.elem.name)
	defer w.pop()
	if f.elem.many {
		w.primitiveArray(f, v, hasV, ext, hasExt)
		return
	}
	if _, ok := v.([]any); ok {
		w.add("structure", "'%s' must be a single value, not an array", f.json)
	} else if hasV {
		w.primitiveItem(f, v, f.json)
	}
	if _, ok := ext.([]any); ok {
		w.add("structure", "'%s' must be a single object, not an array", f.ext)
	} else if hasExt {
		w.companion(ext, f.ext)
	}
}

// primitiveArray checks a repeating primitive: the value array and the companion array
// line up by position, and null may stand in one of them where the other has an entry.
func (w *walker) primitiveArray(f *field, v any, hasV bool, ext any, hasExt bool) {
	va, vok := v.([]any)
	ea, eok := ext.([]any)
	if hasV && !vok {
		w.add("structure", "'%s' must be an array", f.json)
	}
	if hasExt && !eok {
		w.add("structure", "'%s' must be an array", f.ext)
	}
	if vok && !w.arrayLength(f, len(va)) {
		return
	}
	if eok && len(ea) == 0 {
		w.add("structure", "'%s' must not be an empty array", f.ext)
		return
	}
	if vok && eok && len(va) != len(ea) {
		w.add("structure", "'%s' and '%s' must have the same length", f.json, f.ext)
		return
	}
	for i := range max(len(va), len(ea)) {
		if w.full {
			return
		}
		w.index(i)
		var x, e any
		if i < len(va) {
			x = va[i]
		}
		if i < len(ea) {
			e = ea[i]
		}
		if x == nil && e == nil {
			w.add("structure", "null is allowed in '%s' only where '%s' has an entry", f.json, f.ext)
			continue
		}
		if x != nil {
			w.primitiveItem(f, x, f.json)
		}
		if e != nil {
			w.companion(e, f.ext)
		}
	}
}

// companion checks the content of a _x member: an Element (id, extension).
func (w *walker) companion(v any, name string) {
	obj, ok := v.(map[string]any)
	if !ok {
		w.add("structure", "'%s' must be a JSON object, not %s", name, jsonType(v))
		return
	}
	if len(obj) == 0 {
		w.add("structure", "'%s' must not be an empty object", name)
		return
	}
	w.object(w.spec.element, obj, nil)
}

// primitiveItem checks one primitive value: its JSON type, its lexical form, its required
// binding and, for Reference, its grammar.
func (w *walker) primitiveItem(f *field, v any, name string) {
	p := f.prim
	switch p {
	case primBoolean:
		if _, ok := v.(bool); !ok {
			w.wrongType(name, p, v)
		}
		return
	case primInteger, primPositiveInt, primUnsignedInt, primDecimal:
		lit, ok := numberLiteral(v)
		if !ok {
			w.wrongType(name, p, v)
		} else if msg := numberProblem(p, lit); msg != "" {
			w.add("value", "Invalid %s %s: %s", p, clip(lit), msg)
		}
		return
	}
	s, ok := v.(string)
	switch {
	case !ok:
		w.wrongType(name, p, v)
	case len(s) > maxString && (p == primString || p == primMarkdown):
		w.add("too-long", "'%s' is longer than 1 MB", name)
	default:
		if msg := stringProblem(p, s); msg != "" {
			w.add("value", "Invalid %s '%s': %s", p, clip(s), msg)
			return
		}
		if vs := f.elem.vs; vs != nil && p == primCode {
			if _, ok := vs.all[s]; !ok {
				w.add("code-invalid", "The value '%s' is not in the required value set %s", clip(s), vs.url)
			}
		}
		switch f.special {
		case specialReference:
			w.reference(s)
		case specialRefType:
			if !strings.Contains(s, ":") && !IsResourceType(s) {
				w.add("code-invalid", "Reference.type '%s' is not a resource type", clip(s))
			}
		}
	}
}

func (w *walker) wrongType(name string, p primType, v any) {
	if v == nil {
		w.add("structure", "'%s' must not be null", name)
		return
	}
	w.add("structure", "'%s' must be a JSON %s (type %s), not %s", name, p.jsonKind(), p, jsonType(v))
}

// extension applies ext-1: an extension has a value or nested extensions, not both.
func (w *walker) extension(obj map[string]any, choices []*field) {
	_, nested := obj["extension"]
	for _, f := range choices {
		if f.elem.name == "value" && nested {
			w.add("invariant", "An extension must have either extensions or value[x], not both (ext-1)")
			return
		}
	}
}

// coding checks a Coding under a required binding: a code from a system the value set
// draws on must be one of the value set's codes.
func (w *walker) coding(obj map[string]any, vs *valueSet) {
	if vs == nil {
		return
	}
	system, _ := obj["system"].(string)
	code, _ := obj["code"].(string)
	codes, ok := vs.bySystem[system]
	if !ok || code == "" {
		return
	}
	if _, ok := codes[code]; !ok {
		w.push("code")
		w.add("code-invalid", "The code '%s' of system %s is not in the required value set %s", clip(code), clip(system), vs.url)
		w.pop()
	}
}

// add records an issue at the current path, up to maxIssues.
func (w *walker) add(code, format string, args ...any) {
	if w.full {
		return
	}
	if len(w.issues) >= maxIssues {
		w.full, w.truncated = true, true
		w.issues = append(w.issues, truncationNotice())
		return
	}
	w.issues.Add(code, w.expr(), format, args...)
}

// expr renders the current path as FHIRPath, e.g. Patient.name[0].given[1].
func (w *walker) expr() string {
	var b strings.Builder
	for i, s := range w.path {
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(s.name)
		if s.idx >= 0 {
			b.WriteByte('[')
			b.WriteString(strconv.Itoa(s.idx))
			b.WriteByte(']')
		}
	}
	return b.String()
}

// clip shortens client values quoted in diagnostics.
func clip(s string) string {
	const limit = 64
	if len(s) <= limit {
		return s
	}
	i := limit
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + "…"
}

func jsonType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	}
	if _, ok := numberLiteral(v); ok {
		return "a number"
	}
	return "an unsupported value"
}
