package conformance

import (
	"slices"
	"sort"
)

// Input is what the running server supports.
type Input struct {
	BaseURL            string
	Version            string
	Types              []string // resource types served
	TypeInteractions   []string // route interactions applying to every type
	SystemInteractions []string
	Formats            []string
	Operations         []Operation            // on every type
	TypeOperations     map[string][]Operation // on one type only, by type
	SystemOperations   []Operation            // on the whole server, e.g. $import
	SearchParams       func(typ string) []SearchParam
	SearchIncludes     func(typ string) []string // _include values a search of typ accepts
	SearchRevIncludes  func(typ string) []string // _revinclude values
	// Compartments are the canonical URLs of the compartments searched by
	// [base]/[Compartment]/[id]/[type].
	Compartments []string
	// TokenURL, when set, declares SMART on FHIR security: every interaction but this
	// statement needs an access token from that endpoint.
	TokenURL string
}

// Operation is an operation the server runs (on every type, or on the system).
type Operation struct {
	Name       string
	Definition string
}

// SearchParam is one supported search parameter of a type.
type SearchParam struct {
	Name, Type, Definition, Documentation string
}

// typeInteractions are the FHIR names of interactions listed under rest.resource.
var typeInteractions = map[string]bool{
	"read": true, "vread": true, "update": true, "patch": true, "delete": true,
	"history-instance": true, "history-type": true, "create": true, "search-type": true,
}

var systemInteractions = map[string]bool{
	"transaction": true, "batch": true, "search-system": true, "history-system": true,
}

// Build returns the CapabilityStatement as a JSON-ready value.
func Build(in Input) map[string]any {
	var interactions []map[string]any
	conditional := map[string]bool{}
	for _, i := range uniq(in.TypeInteractions) {
		if typeInteractions[i] {
			interactions = append(interactions, map[string]any{"code": i})
		}
		conditional[i] = true
	}
	var sys []map[string]any
	for _, i := range uniq(in.SystemInteractions) {
		if systemInteractions[i] {
			sys = append(sys, map[string]any{"code": i})
		}
	}
	var ops []map[string]any
	for _, o := range in.Operations {
		ops = append(ops, map[string]any{"name": o.Name, "definition": o.Definition})
	}
	var resources []map[string]any
	for _, t := range in.Types {
		r := map[string]any{
			"type":              t,
			"profile":           "http://hl7.org/fhir/StructureDefinition/" + t,
			"interaction":       interactions,
			"versioning":        "versioned-update",
			"readHistory":       true,
			"updateCreate":      conditional["update"],
			"conditionalCreate": conditional["create"],
			"conditionalUpdate": conditional["conditional-update"],
			"conditionalDelete": conditionalDelete(conditional["conditional-delete"]),
			"conditionalRead":   "full-support",
		}
		if in.SearchParams != nil {
			var sps []map[string]any
			for _, p := range in.SearchParams(t) {
				sp := map[string]any{"name": p.Name, "type": p.Type}
				if p.Definition != "" {
					sp["definition"] = p.Definition
				}
				if p.Documentation != "" {
					sp["documentation"] = p.Documentation
				}
				sps = append(sps, sp)
			}
			if len(sps) > 0 {
				r["searchParam"] = sps
			}
		}
		if in.SearchIncludes != nil {
			if inc := in.SearchIncludes(t); len(inc) > 0 {
				r["searchInclude"] = inc
			}
		}
		if in.SearchRevIncludes != nil {
			if rev := in.SearchRevIncludes(t); len(rev) > 0 {
				r["searchRevInclude"] = rev
			}
		}
		if typeOps := operations(ops, in.TypeOperations[t]); len(typeOps) > 0 {
			r["operation"] = typeOps
		}
		resources = append(resources, r)
	}
	rest := map[string]any{
		"mode":          "server",
		"documentation": restDocumentation,
		"resource":      resources,
	}
	if len(in.Compartments) > 0 {
		rest["compartment"] = in.Compartments
	}
	if in.TokenURL != "" {
		rest["security"] = map[string]any{
			"cors": false,
			"service": []any{map[string]any{"coding": []any{map[string]any{
				"system": "http://terminology.hl7.org/CodeSystem/restful-security-service", "code": "SMART-on-FHIR"}},
				"text": "SMART Backend Services (client_credentials, private_key_jwt)"}},
			"extension": []any{map[string]any{
				"url":       "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris",
				"extension": []any{map[string]any{"url": "token", "valueUri": in.TokenURL}},
			}},
			"description": "Every interaction but this CapabilityStatement needs a bearer token from the token endpoint (SMART Backend Services); discovery at /.well-known/smart-configuration. Each client's role bounds its scopes, and every access is audited.",
		}
	}
	if len(sys) > 0 {
		rest["interaction"] = sys
	}
	var sysOps []map[string]any
	for _, o := range in.SystemOperations {
		sysOps = append(sysOps, map[string]any{"name": o.Name, "definition": o.Definition})
	}
	if len(sysOps) > 0 {
		rest["operation"] = sysOps
	}
	return map[string]any{
		"resourceType": "CapabilityStatement",
		"status":       "active",
		"date":         buildDate,
		"publisher":    "NIMS",
		"kind":         "instance",
		"software":     map[string]any{"name": "NIMS", "version": orDefault(in.Version, "dev")},
		"implementation": map[string]any{
			"description": "NIMS: national immunisation management service",
			"url":         in.BaseURL,
		},
		"fhirVersion": "4.0.1",
		"format":      in.Formats,
		"rest":        []any{rest},
	}
}

const restDocumentation = "NIMS FHIR R4 API. JSON only: XML is answered with 406. " +
	"Search: GET [type]?…, POST [type]/_search (form body) and GET Patient/[id]/[type]; unknown parameters are " +
	"ignored and reported in an OperationOutcome entry (search.mode outcome) unless the request sends " +
	"Prefer: handling=strict, which makes them a 400. Parameters without a definition URL are this server's own, " +
	"with no SearchParameter resource: the programme's are defined by their searchParam.documentation."

// buildDate is when this statement's content last changed in meaning; FHIR requires a date.
const buildDate = "2026-11-27"

// operations are a type's operations: those on every type, then its own.
func operations(common []map[string]any, own []Operation) []map[string]any {
	if len(own) == 0 {
		return common
	}
	out := slices.Clip(common)
	for _, o := range own {
		out = append(out, map[string]any{"name": o.Name, "definition": o.Definition})
	}
	return out
}

func conditionalDelete(ok bool) string {
	if ok {
		return "single"
	}
	return "not-supported"
}

func uniq(xs []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range xs {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	sort.Strings(out)
	return out
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}
