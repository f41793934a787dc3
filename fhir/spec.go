package fhir

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
)

// r4spec.json.gz is what validation needs from the R4 StructureDefinitions and ValueSets,
// written by internal/specgen from the official hl7.fhir.r4.examples@4.0.1 package.
//
//go:embed r4spec.json.gz
var specData []byte

// specFile is the layout internal/specgen writes.
type specFile struct {
	ResourceTypes []string                       `json:"resourceTypes"`
	Primitives    []string                       `json:"primitives"`
	Structures    map[string][]specElem          `json:"structures"`
	ValueSets     map[string]map[string][]string `json:"valueSets"`
	Unchecked     []string                       `json:"unchecked"`
}

type specElem struct {
	Name  string   `json:"n"`
	JSON  []string `json:"json"`
	Min   int      `json:"min"`
	Max   string   `json:"max"`
	Types []string `json:"t"`
	Node  string   `json:"node"`
	Attr  bool     `json:"attr"`
	VS    string   `json:"vs"`
	Sum   bool     `json:"sum"`
}

// nodeKind marks the structures whose validation goes beyond their element definitions.
type nodeKind uint8

const (
	nodePlain nodeKind = iota
	nodeResource
	nodeExtension
	nodeReference
	nodeCoding
	nodeCodeableConcept
)

// node is a complex type, a resource or a backbone element: the JSON object shape at one
// place in a resource.
type node struct {
	name     string
	kind     nodeKind
	fields   map[string]*field // by JSON name: "valueString", not "value[x]"
	required []*elem           // elements with min ≥ 1
	elems    []*elem           // every element, in the definition's order
}

// elem is one element definition; a choice element has one field per allowed type.
type elem struct {
	name   string // FHIRPath name: "occurrence" for occurrence[x]
	min    int
	many   bool
	choice bool
	attr   bool      // an XML attribute in FHIR's XML form (Element.id): takes no _x companion
	sum    bool      // a resource's top-level element marked isSummary
	vs     *valueSet // required binding that could be expanded, else nil
	fields []*field
}

// special marks fields whose strings have a grammar beyond their primitive type.
type special uint8

const (
	specialNone special = iota
	specialReference
	specialRefType
)

// field is one JSON member name and the type it holds.
type field struct {
	elem     *elem
	json     string
	ext      string // "_" + json: the primitive's extension companion
	prim     primType
	node     *node // complex type or backbone element, when prim is primNone
	resource bool  // a nested resource (contained, Bundle.entry.resource)
	special  special
}

// valueSet is an expanded required value set.
type valueSet struct {
	url      string
	all      map[string]struct{}
	bySystem map[string]map[string]struct{}
}

type spec struct {
	resourceTypes []string
	resources     map[string]*node
	element       *node // Element: the content of a _x primitive companion
}

var (
	specOnce   sync.Once
	loadedSpec *spec
	specErr    error
)

// loadSpec decodes the embedded data on first use. It fails only if the embedded file is
// corrupt, which a test rules out.
func loadSpec() (*spec, error) {
	specOnce.Do(func() { loadedSpec, specErr = decodeSpec(specData) })
	return loadedSpec, specErr
}

// IsResourceType reports whether name is one of the 146 R4 resource types.
func IsResourceType(name string) bool {
	s, err := loadSpec()
	if err != nil {
		return false
	}
	_, ok := s.resources[name]
	return ok
}

// ResourceTypes returns the R4 resource type names, sorted.
func ResourceTypes() []string {
	s, err := loadSpec()
	if err != nil {
		return nil
	}
	return slices.Clone(s.resourceTypes)
}

func decodeSpec(data []byte) (*spec, error) {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("r4spec: %w", err)
	}
	var f specFile
	if err := json.NewDecoder(zr).Decode(&f); err != nil {
		return nil, fmt.Errorf("r4spec: %w", err)
	}
	vss := make(map[string]*valueSet, len(f.ValueSets))
	for url, bySys := range f.ValueSets {
		vss[url] = newValueSet(url, bySys)
	}
	nodes := make(map[string]*node, len(f.Structures))
	for name := range f.Structures {
		nodes[name] = &node{name: name, kind: kindOf(name), fields: map[string]*field{}}
	}
	s := &spec{resourceTypes: f.ResourceTypes, resources: map[string]*node{}, element: nodes["Element"]}
	for _, rt := range f.ResourceTypes {
		n := nodes[rt]
		if n == nil {
			return nil, fmt.Errorf("r4spec: no structure for resource %s", rt)
		}
		n.kind = nodeResource
		s.resources[rt] = n
	}
	for name, els := range f.Structures {
		for _, se := range els {
			if err := addElem(nodes[name], se, nodes, vss); err != nil {
				return nil, err
			}
		}
	}
	if s.element == nil {
		return nil, fmt.Errorf("r4spec: no Element structure")
	}
	return s, nil
}

func kindOf(name string) nodeKind {
	switch name {
	case "Extension":
		return nodeExtension
	case "Reference":
		return nodeReference
	case "Coding":
		return nodeCoding
	case "CodeableConcept":
		return nodeCodeableConcept
	}
	return nodePlain
}

func addElem(n *node, se specElem, nodes map[string]*node, vss map[string]*valueSet) error {
	base, choice := strings.CutSuffix(se.Name, "[x]")
	e := &elem{name: base, min: se.Min, many: se.Max != "" && se.Max != "1", choice: choice, attr: se.Attr, sum: se.Sum, vs: vss[se.VS]}
	if se.Node != "" {
		child := nodes[se.Node]
		if child == nil {
			return fmt.Errorf("r4spec: %s.%s refers to unknown %s", n.name, se.Name, se.Node)
		}
		e.fields = []*field{{elem: e, json: base, node: child}}
	}
	for i, t := range se.Types {
		name := base
		if choice {
			if i >= len(se.JSON) {
				return fmt.Errorf("r4spec: %s.%s lacks JSON names", n.name, se.Name)
			}
			name = se.JSON[i]
		}
		f := &field{elem: e, json: name, prim: primByName[t], node: nodes[t], resource: t == "Resource"}
		if f.prim == primNone && f.node == nil && !f.resource {
			return fmt.Errorf("r4spec: %s.%s has unknown type %s", n.name, se.Name, t)
		}
		e.fields = append(e.fields, f)
	}
	for _, f := range e.fields {
		f.ext = "_" + f.json
		if n.kind == nodeReference {
			switch f.json {
			case "reference":
				f.special = specialReference
			case "type":
				f.special = specialRefType
			}
		}
		n.fields[f.json] = f
	}
	n.elems = append(n.elems, e)
	if e.min > 0 {
		n.required = append(n.required, e)
	}
	return nil
}

func newValueSet(url string, bySys map[string][]string) *valueSet {
	vs := &valueSet{url: url, all: map[string]struct{}{}, bySystem: map[string]map[string]struct{}{}}
	for sys, codes := range bySys {
		set := make(map[string]struct{}, len(codes))
		for _, c := range codes {
			set[c] = struct{}{}
			vs.all[c] = struct{}{}
		}
		vs.bySystem[sys] = set
	}
	return vs
}
