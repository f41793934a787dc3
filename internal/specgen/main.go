// Command specgen writes fhir/r4spec.json.gz, the data the fhir package validates resources
// against, from the official FHIR R4 package hl7.fhir.r4.examples@4.0.1 (which carries the
// StructureDefinitions with snapshots, the ValueSets and the CodeSystems of the core spec).
//
// Run it by hand from the repository root when the data must be rebuilt:
//
//	npm pack hl7.fhir.r4.examples@4.0.1 && mkdir -p /tmp/ex && tar xzf hl7.fhir.r4.examples-4.0.1.tgz -C /tmp/ex
//	go run ./internal/specgen -pkg /tmp/ex/package -out fhir/r4spec.json.gz
//
// The output is deterministic (sorted keys, snapshot order within a structure, no gzip
// timestamp): regenerating from the same package gives the same bytes.
package main

import (
	"compress/gzip"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// specFile is the layout of r4spec.json.gz; fhir/spec.go reads the same layout.
type specFile struct {
	ResourceTypes []string                       `json:"resourceTypes"`
	Primitives    []string                       `json:"primitives"`
	Structures    map[string][]specElem          `json:"structures"` // by type name or backbone path
	ValueSets     map[string]map[string][]string `json:"valueSets"`  // url → system → codes
	Unchecked     []string                       `json:"unchecked"`  // required value sets we cannot expand
}

// specElem is one child element of a structure. Types name primitives or structures;
// Node, when set, names the structure (a backbone path) that is the element's type.
type specElem struct {
	Name  string   `json:"n"`              // FHIR name, "value[x]" for choices
	JSON  []string `json:"json,omitempty"` // JSON names of a choice, parallel to Types
	Min   int      `json:"min,omitempty"`
	Max   string   `json:"max,omitempty"` // "*" or a number; absent means "1"
	Types []string `json:"t,omitempty"`
	Node  string   `json:"node,omitempty"`
	Attr  bool     `json:"attr,omitempty"` // an XML attribute (Element.id, Extension.url): no _x
	VS    string   `json:"vs,omitempty"`   // required binding, version stripped
	// Sum marks a resource's top-level element that R4 flags isSummary: what
	// _summary=true keeps (https://hl7.org/fhir/R4/search.html#summary). It is recorded
	// for resources' own elements only, the level _summary works at.
	Sum bool `json:"sum,omitempty"`
}

type structureDef struct {
	Kind       string `json:"kind"`
	Derivation string `json:"derivation"`
	Abstract   bool   `json:"abstract"`
	Type       string `json:"type"`
	Snapshot   struct {
		Element []elementDef `json:"element"`
	} `json:"snapshot"`
}

type elementDef struct {
	Path             string `json:"path"`
	Min              int    `json:"min"`
	Max              string `json:"max"`
	ContentReference string `json:"contentReference"`
	IsSummary        bool   `json:"isSummary"`
	Type             []struct {
		Code      string `json:"code"`
		Extension []struct {
			URL      string `json:"url"`
			ValueURL string `json:"valueUrl"`
		} `json:"extension"`
	} `json:"type"`
	Binding struct {
		Strength string `json:"strength"`
		ValueSet string `json:"valueSet"`
	} `json:"binding"`
}

func main() {
	pkg := flag.String("pkg", "/tmp/ex/package", "unpacked hl7.fhir.r4.examples package directory")
	out := flag.String("out", "fhir/r4spec.json.gz", "output file")
	flag.Parse()
	if err := run(*pkg, *out); err != nil {
		fmt.Fprintln(os.Stderr, "specgen:", err)
		os.Exit(1)
	}
}

func run(pkg, out string) error {
	sds, err := readAll[structureDef](pkg, "StructureDefinition-*.json")
	if err != nil {
		return err
	}
	spec := specFile{Structures: map[string][]specElem{}, ValueSets: map[string]map[string][]string{}}
	required := map[string]bool{}
	for _, sd := range sds {
		switch {
		case sd.Kind == "primitive-type" && sd.Derivation == "specialization":
			spec.Primitives = append(spec.Primitives, sd.Type)
			continue
		case sd.Kind == "resource" && sd.Derivation == "specialization" && !sd.Abstract:
			spec.ResourceTypes = append(spec.ResourceTypes, sd.Type)
		case sd.Kind == "complex-type" && (sd.Derivation == "specialization" || sd.Type == "Element"):
		default:
			continue // profiles, logical models, abstract Resource/DomainResource (snapshots inline them)
		}
		addStructure(spec.Structures, sd, required)
	}
	sort.Strings(spec.ResourceTypes)
	sort.Strings(spec.Primitives)
	ts, err := loadTerminology(pkg)
	if err != nil {
		return err
	}
	for url := range required {
		if codes, ok := ts.expand(url, 0); ok {
			spec.ValueSets[url] = sortedCodes(codes)
		} else {
			spec.Unchecked = append(spec.Unchecked, url)
		}
	}
	sort.Strings(spec.Unchecked)
	return write(out, &spec)
}

// addStructure records the children of every element of sd that has children, keyed by
// the element's path (the root's path is the type name).
func addStructure(structs map[string][]specElem, sd structureDef, required map[string]bool) {
	els := sd.Snapshot.Element
	parents := map[string]bool{}
	for _, e := range els {
		if i := strings.LastIndexByte(e.Path, '.'); i > 0 {
			parents[e.Path[:i]] = true
		}
	}
	for _, e := range els[1:] {
		i := strings.LastIndexByte(e.Path, '.')
		parent, name := e.Path[:i], e.Path[i+1:]
		se := specElem{Name: name, Min: e.Min, Sum: e.IsSummary && sd.Kind == "resource" && parent == sd.Type}
		if e.Max != "1" {
			se.Max = e.Max
		}
		switch {
		case e.ContentReference != "":
			se.Node = strings.TrimPrefix(e.ContentReference, "#")
		case parents[e.Path]:
			se.Node = e.Path
		default:
			se.Types, se.Attr = elementTypes(e, sd.Kind == "resource" && parent == sd.Type)
		}
		if base, ok := strings.CutSuffix(name, "[x]"); ok {
			for _, t := range se.Types {
				se.JSON = append(se.JSON, base+strings.ToUpper(t[:1])+t[1:])
			}
		}
		if e.Binding.Strength == "required" && e.Binding.ValueSet != "" {
			se.VS, _, _ = strings.Cut(e.Binding.ValueSet, "|")
			required[se.VS] = true
		}
		structs[parent] = append(structs[parent], se)
	}
}

// elementTypes maps the snapshot's type codes to type names. FHIRPath system types stand
// for XML attributes (Element.id, Extension.url) whose FHIR type is in an extension; a
// resource's own id is the exception: it is an element of type id.
func elementTypes(e elementDef, resourceChild bool) (types []string, attr bool) {
	for _, t := range e.Type {
		code := t.Code
		if strings.HasPrefix(code, "http://hl7.org/fhirpath/System.") {
			attr = true
			for _, x := range t.Extension {
				if x.URL == "http://hl7.org/fhir/StructureDefinition/structuredefinition-fhir-type" {
					code = x.ValueURL
				}
			}
			if resourceChild && strings.HasSuffix(e.Path, ".id") {
				code, attr = "id", false
			}
		}
		types = append(types, code)
	}
	return types, attr
}

func sortedCodes(codes map[string]map[string]bool) map[string][]string {
	out := map[string][]string{}
	for sys, set := range codes {
		for c := range set {
			out[sys] = append(out[sys], c)
		}
		sort.Strings(out[sys])
	}
	return out
}

func readAll[T any](dir, pattern string) ([]T, error) {
	names, err := filepath.Glob(filepath.Join(dir, pattern))
	if err != nil {
		return nil, err
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("no %s in %s", pattern, dir)
	}
	sort.Strings(names)
	out := make([]T, 0, len(names))
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			return nil, err
		}
		var v T
		if err := json.Unmarshal(b, &v); err != nil {
			return nil, fmt.Errorf("%s: %w", n, err)
		}
		out = append(out, v)
	}
	return out, nil
}

func write(out string, spec *specFile) error {
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	zw, err := gzip.NewWriterLevel(f, gzip.BestCompression)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(zw)
	enc.SetEscapeHTML(false)
	err = enc.Encode(spec)
	if cerr := zw.Close(); err == nil {
		err = cerr
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
