package search

import (
	"encoding/json"
	"strings"
)

// A tiny evaluator of the FHIRPath the parameter table needs
// (https://hl7.org/fhir/R4/fhirpath.html, http://hl7.org/fhirpath/N1/), over a resource
// decoded from JSON (maps, arrays, strings, json.Number, bool). It understands:
//
//	Type.element.element          child elements; arrays are flattened; the first name
//	                              is the resource type, or Resource / DomainResource
//	Type.occurrence               a choice element: occurrenceDateTime, occurrenceString…
//	a | b                         union
//	(x as T), x.as(T), x.ofType(T)  only the items of FHIR type T
//	x.where(resolve() is T)       only the References whose target type is T
//	x.where(name='literal')       only the items whose child name equals the literal
//
// That is every expression of the official R4 parameters the table evaluates; the few it
// cannot (Patient.deceased.exists() and …) have hand-written extractors.

// fhirPath is a compiled expression: a union of branches.
type fhirPath struct {
	branches []pathBranch
}

// pathBranch is one dotted path of a union, for one resource type.
type pathBranch struct {
	head  string // resource type the branch applies to; "" for Resource and DomainResource
	steps []pathStep
}

type pathStep struct {
	name   string     // child element; "" for a filter step
	choice bool       // name may be a choice element (occurrence[x]): look for occurrenceDateTime…
	as     string     // keep items of this FHIR type
	cond   *whereCond // keep items that satisfy this
}

// whereCond is where(resolve() is T) when isType is set, else where(field='value').
type whereCond struct {
	isType       string
	field, value string
}

// pathItem is one value the evaluation reached, with its FHIR type when the JSON name
// said it (occurrenceDateTime is a dateTime); "" when the table's element type tells.
type pathItem struct {
	v   any
	typ string
}

// eval returns the items the path reaches in obj, a resource of any type.
func (p *fhirPath) eval(obj map[string]any) []pathItem {
	rt, _ := obj["resourceType"].(string)
	var out []pathItem
	for i := range p.branches {
		b := &p.branches[i]
		if b.head != "" && b.head != rt {
			continue
		}
		items := []pathItem{{v: obj, typ: rt}}
		for j := range b.steps {
			items = b.steps[j].apply(items)
			if len(items) == 0 {
				break
			}
		}
		out = append(out, items...)
	}
	return out
}

func (s *pathStep) apply(in []pathItem) []pathItem {
	var out []pathItem
	switch {
	case s.name != "":
		for _, it := range in {
			if m, ok := it.v.(map[string]any); ok {
				out = appendChild(out, m, s.name, s.choice)
			}
		}
	case s.as != "":
		for _, it := range in {
			if isOfFHIRType(it, s.as) {
				out = append(out, pathItem{v: it.v, typ: s.as})
			}
		}
	case s.cond != nil:
		for _, it := range in {
			if s.cond.holds(it) {
				out = append(out, it)
			}
		}
	}
	return out
}

// appendChild appends the value(s) of element name of m: the member itself, or for a
// choice element the member name+Type, typed.
func appendChild(out []pathItem, m map[string]any, name string, choice bool) []pathItem {
	if v, ok := m[name]; ok {
		return appendFlat(out, v, "")
	}
	if !choice {
		return out
	}
	for k, v := range m {
		if len(k) > len(name) && strings.HasPrefix(k, name) {
			if t, ok := choiceTypeBySuffix[k[len(name):]]; ok {
				out = appendFlat(out, v, t)
			}
		}
	}
	return out
}

func appendFlat(out []pathItem, v any, typ string) []pathItem {
	if arr, ok := v.([]any); ok {
		for _, x := range arr {
			if x != nil {
				out = append(out, pathItem{v: x, typ: typ})
			}
		}
		return out
	}
	if v == nil {
		return out
	}
	return append(out, pathItem{v: v, typ: typ})
}

// isOfFHIRType: the type the JSON name gave, or, for an element of one type, a guess from
// the JSON shape that is right wherever the table uses as/ofType.
func isOfFHIRType(it pathItem, t string) bool {
	if it.typ != "" {
		return it.typ == t
	}
	switch it.v.(type) {
	case bool:
		return t == "boolean"
	case string:
		return t != "boolean" && t[0] >= 'a' && t[0] <= 'z'
	case json.Number, float64:
		return t == "decimal" || t == "integer" || t == "positiveInt" || t == "unsignedInt"
	case map[string]any:
		return t[0] >= 'A' && t[0] <= 'Z'
	}
	return false
}

func (c *whereCond) holds(it pathItem) bool {
	m, ok := it.v.(map[string]any)
	if !ok {
		return false
	}
	if c.isType != "" {
		return referenceTargetType(m) == c.isType
	}
	s, _ := m[c.field].(string)
	return s == c.value
}

// choiceElements are the names of the choice elements the table's paths walk through
// (TestTablePathsExistInR4 checks the list is complete). Any other name is looked up
// directly: scanning an object's members for name+Type when the element is absent would
// cost every absent element a walk over its parent.
var choiceElements = map[string]bool{"deceased": true, "occurrence": true, "value": true, "scheduled": true}

// choiceTypeBySuffix maps the type suffix of a choice element's JSON name to the FHIR type: the
// types value[x] may take (https://hl7.org/fhir/R4/datatypes.html#open).
var choiceTypeBySuffix = func() map[string]string {
	m := map[string]string{}
	for _, t := range strings.Fields(`base64Binary boolean canonical code date dateTime decimal id
		instant integer markdown oid positiveInt string time unsignedInt uri url uuid Address Age
		Annotation Attachment CodeableConcept Coding ContactPoint Count Distance Duration
		HumanName Identifier Money Period Quantity Range Ratio Reference SampledData Signature
		Timing ContactDetail Contributor DataRequirement Expression ParameterDefinition
		RelatedArtifact TriggerDefinition UsageContext Dosage Meta`) {
		m[strings.ToUpper(t[:1])+t[1:]] = t
	}
	return m
}()
