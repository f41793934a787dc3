package search

// The typed query of a FHIR search (https://hl7.org/fhir/R4/search.html). Parse builds
// it and is the only place that validates; Match evaluates it in memory; each store
// backend compiles it. Clause and Token (query.go) are the first, token-only cut used by
// conditional interactions; Filter and Value replace them as the backends move over.

// Modifier is a search modifier (the ":x" after a parameter name).
type Modifier uint8

const (
	ModNone       Modifier = iota
	ModMissing             // :missing=true|false, any type
	ModExact               // string
	ModContains            // string, uri
	ModText                // token (display/text), reference (display)
	ModNot                 // token
	ModAbove               // uri, token (not supported without terminology: Parse rejects)
	ModBelow               // uri, token (idem)
	ModIn                  // token (idem)
	ModNotIn               // token (idem)
	ModOfType              // token on Identifier: type-system|type-code|value
	ModIdentifier          // reference: the Reference.identifier
	ModType                // reference :[type]; the type is Filter.TargetType
)

// Prefix is a comparison prefix of date, number and quantity values.
type Prefix uint8

const (
	PrefixEq Prefix = iota // the default
	PrefixNe
	PrefixGt
	PrefixLt
	PrefixGe
	PrefixLe
	PrefixSa // starts after
	PrefixEb // ends before
	PrefixAp // approximately: ±10% of the distance to now for dates, ±10% for numbers
)

// Filter is one occurrence of a parameter in the request: any of its Values may match
// (comma = OR); the Filters of a Query must all hold (repetition = AND).
type Filter struct {
	Param      *Param
	Modifier   Modifier
	TargetType string // reference: the type of :[type] or of a chain's target
	// Chain, for a reference parameter, is the filter the referenced resource must pass
	// (patient.identifier=…, subject:Patient.birthdate=…); it nests to any depth.
	Chain *Filter
	// Has is a reverse chain (_has:Type:param:filter=…); Param is nil when Has is set.
	Has    *Has
	Values []Value
}

// Has is _has:Type:RefParam:… : some resource of Type whose RefParam refers to the
// candidate passes Filter (which may itself be a Has).
type Has struct {
	Type     string
	RefParam *Param
	Filter   Filter
}

// Value is one comma-separated value of a Filter, parsed for the parameter's type. Only
// the fields of that type are set.
type Value struct {
	Raw    string // the value as sent, unescaped
	Prefix Prefix

	// token, and the system|code part of quantity; uri uses Code
	System, Code         string
	AnySystem, AnyCode   bool   // "code" (any system); "system|" (any code)
	TypeSystem, TypeCode string // :of-type
	// string (normalised: lower case, accents removed) and token/reference :text
	Text string
	// date: the value's implicit range [Low, High) in Unix milliseconds
	Low, High int64
	// number and quantity: the value and its implicit range from its precision
	Number          float64
	NumLow, NumHigh float64
	// reference: Type/ID for local references, URL for absolute ones
	RefType, RefID, URL string
	// :missing
	Missing bool
}

// SortKey is one key of _sort.
type SortKey struct {
	Param      *Param
	Descending bool
}

// Include is one _include or _revinclude: resources of Type whose Param refers to (or is
// referred to by) the matches; TargetType narrows an _include; Iterate repeats it over
// included resources; Wildcard is Type:*.
type Include struct {
	Type       string
	Param      *Param
	TargetType string
	Iterate    bool
	Wildcard   bool
}

// TotalMode is _total.
type TotalMode uint8

const (
	TotalNone TotalMode = iota // the default: cheap
	TotalEstimate
	TotalAccurate
)

// SummaryMode is _summary.
type SummaryMode uint8

const (
	SummaryFalse SummaryMode = iota
	SummaryTrue
	SummaryText
	SummaryData
	SummaryCount
)
