package fhir

import (
	"fmt"
	"sort"
	"sync"
)

// maxIssues bounds the issues one validation reports, so that a hostile body cannot make
// the OperationOutcome larger than the body.
const maxIssues = 100

// Validate checks r against the R4 structure definitions and then the NHS rules. It
// reports every problem it finds (up to maxIssues) in one error of KindInvalid whose
// issues carry a FHIRPath expression each; nil means r is valid. An unknown resourceType
// is reported with issue code "not-supported" so that callers can tell it apart.
//
// The checks follow https://hl7.org/fhir/R4/json.html (no unknown members, no null, no
// empty values, primitive extensions in _x companions, arrays exactly where max > 1) and
// the element definitions: cardinality, choice types, primitive formats, required
// bindings, reference grammar and contained resources.
//
// Errors: KindInvalid, or KindInternal if the embedded specification cannot be read.
func Validate(r *Resource) error {
	s, err := loadSpec()
	if err != nil {
		return Wrap("fhir.Validate", err)
	}
	w := walkers.Get().(*walker)
	*w = walker{spec: s}
	w.path = w.buf[:0]
	if r == nil || r.Object == nil {
		w.add("structure", "the resource is empty")
	} else {
		w.root(r.Object)
	}
	w.sortIssues()
	issues, truncated := w.issues, w.truncated
	*w = walker{}
	walkers.Put(w)
	if r != nil && !truncated {
		issues = append(issues, nhsIssues(r)...)
		if len(issues) > maxIssues {
			issues = append(issues[:maxIssues], truncationNotice())
		}
	}
	return issues.Err(KindInvalid, "the resource does not conform to FHIR R4")
}

// walkers recycles walkers: a walker holds its path buffer inline, and reusing it keeps a
// valid resource's validation free of allocations.
var walkers = sync.Pool{New: func() any { return new(walker) }}

// walker carries the state of one validation: the issues so far, the FHIRPath of the
// element being checked, and the contained resources that #id references resolve to.
type walker struct {
	spec      *spec
	issues    Issues
	full      bool
	truncated bool
	path      []seg
	buf       [32]seg
	contained []any
}

// seg is one step of a FHIRPath: a name and, for repeating elements, an index.
type seg struct {
	name string
	idx  int
}

func (w *walker) push(name string) { w.path = append(w.path, seg{name, -1}) }
func (w *walker) pop()             { w.path = w.path[:len(w.path)-1] }
func (w *walker) index(i int)      { w.path[len(w.path)-1].idx = i }

func (w *walker) root(obj map[string]any) {
	rt, _ := obj["resourceType"].(string)
	n := w.spec.resources[rt]
	if n == nil {
		w.push("resourceType")
		w.add("not-supported", "Unknown resource type '%s'", clip(rt))
		w.pop()
		return
	}
	w.push(rt)
	w.contained, _ = obj["contained"].([]any)
	w.object(n, obj, nil)
	w.pop()
}

// nestedResource checks a resource inside another: a contained resource, or a resource in
// a Bundle entry or a Parameters parameter. Only contained resources share their
// container's #id namespace.
func (w *walker) nestedResource(obj map[string]any, contained bool) {
	rt, ok := obj["resourceType"].(string)
	n := w.spec.resources[rt]
	if n == nil {
		if ok {
			w.add("structure", "Unknown resource type '%s'", clip(rt))
		} else {
			w.add("structure", "A resource must have a resourceType")
		}
		return
	}
	if !contained {
		saved := w.contained
		w.contained, _ = obj["contained"].([]any)
		w.object(n, obj, nil)
		w.contained = saved
		return
	}
	if _, ok := obj["id"]; !ok {
		w.add("required", "A contained resource must have an id")
	}
	if _, ok := obj["contained"]; ok {
		w.add("invariant", "A contained resource must not contain resources (dom-2)")
	}
	if meta, ok := obj["meta"].(map[string]any); ok {
		_, v := meta["versionId"]
		_, l := meta["lastUpdated"]
		if v || l {
			w.add("invariant", "A contained resource must not have meta.versionId or meta.lastUpdated (dom-4)")
		}
	}
	w.object(n, obj, nil)
}

// object checks the members of a JSON object against node n. vs is the required binding
// of the element holding the object, for Coding and CodeableConcept.
func (w *walker) object(n *node, obj map[string]any, vs *valueSet) {
	if len(w.path) > 2*MaxDepth {
		w.add("structure", "the resource is nested too deeply")
		return
	}
	var choiceBuf [4]*field
	choices := choiceBuf[:0]
	for k, v := range obj {
		if w.full {
			return
		}
		if k == "resourceType" && n.kind == nodeResource {
			continue
		}
		f, companion := w.lookup(n, k)
		if f == nil {
			w.unknown(k)
			continue
		}
		if f.elem.choice {
			choices = w.choice(choices, f)
		}
		switch {
		case companion:
			if _, ok := obj[f.json]; !ok {
				w.primitive(f, nil, false, v, true)
			} // else checked with its value
		case f.prim != primNone:
			ext, hasExt := obj[f.ext]
			if f.elem.attr {
				hasExt = false
			}
			w.primitive(f, v, true, ext, hasExt)
		default:
			childVS := f.elem.vs
			if n.kind == nodeCodeableConcept && f.json == "coding" {
				childVS = vs
			}
			w.complex(f, v, childVS)
		}
	}
	w.required(n, obj)
	switch n.kind {
	case nodeExtension:
		w.extension(obj, choices)
	case nodeCoding:
		w.coding(obj, vs)
	}
}

// lookup finds the field a member name stands for; companion is true for the _x
// extension companion of a primitive.
func (w *walker) lookup(n *node, key string) (f *field, companion bool) {
	if len(key) > 1 && key[0] == '_' {
		f = n.fields[key[1:]]
		if f == nil || f.prim == primNone || f.elem.attr {
			return nil, false
		}
		return f, true
	}
	return n.fields[key], false
}

func (w *walker) unknown(key string) {
	w.push(key)
	w.add("structure", "Unrecognized property '%s'", clip(key))
	w.pop()
}

// choice records a present choice-type variant and reports a second variant of the same
// element.
func (w *walker) choice(seen []*field, f *field) []*field {
	for _, s := range seen {
		if s.elem == f.elem {
			if s != f {
				w.push(f.elem.name)
				w.add("structure", "Only one of %s[x] may be present, found '%s' and '%s' (choice types are exclusive)", f.elem.name, s.json, f.json)
				w.pop()
			}
			return seen
		}
	}
	return append(seen, f)
}

// required reports elements with min ≥ 1 that are absent. A primitive given only by its
// _x companion is present.
func (w *walker) required(n *node, obj map[string]any) {
	for _, e := range n.required {
		if !present(e, obj) {
			w.push(e.name)
			w.add("required", "'%s' is required (minimum cardinality %d)", e.name, e.min)
			w.pop()
		}
	}
}

func present(e *elem, obj map[string]any) bool {
	for _, f := range e.fields {
		if _, ok := obj[f.json]; ok {
			return true
		}
		if f.prim != primNone && !e.attr {
			if _, ok := obj[f.ext]; ok {
				return true
			}
		}
	}
	return false
}

func truncationNotice() Issue {
	return Issue{Severity: SeverityInformation, Code: "too-costly",
		Diagnostics: fmt.Sprintf("Validation stopped after %d issues; there may be more", maxIssues)}
}

// sortIssues orders issues by expression, so that the same resource always gets the same
// outcome although Go maps are walked in random order. The truncation notice stays last.
func (w *walker) sortIssues() {
	is := w.issues
	if w.truncated {
		is = is[:len(is)-1]
	}
	sort.SliceStable(is, func(i, j int) bool { return firstExpr(is[i]) < firstExpr(is[j]) })
}

func firstExpr(i Issue) string {
	if len(i.Expression) == 0 {
		return ""
	}
	return i.Expression[0]
}
