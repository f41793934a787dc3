package search

import (
	"net/url"
	"sort"
	"strings"

	"github.com/nimsproject/nims/fhir"
)

// ParamType is the FHIR search parameter type.
type ParamType uint8

const (
	TypeToken ParamType = iota
	TypeString
	TypeDate
	TypeReference
	TypeNumber
	TypeQuantity
	TypeURI
	TypeComposite
	TypeSpecial
)

// Param is one supported search parameter of one resource type.
type Param struct {
	Name       string
	Type       ParamType
	Expression string   // the FHIRPath of the definition, for documentation
	Targets    []string // reference: the resource types it may refer to
	Definition string   // canonical URL of the SearchParameter, when official
	Extract    func(obj map[string]any) []Entry
}

// Entry is one index entry of a resource: a value a parameter finds in it. Which fields
// are set depends on the parameter's type:
//   - token: System, Code (and Text: the display or text, normalised, for :text)
//   - string: Text (normalised: lower case, accents removed) and Code (as written, for :exact)
//   - uri: Code
//   - date: Low, High — the range [Low, High) in Unix milliseconds the value covers
//   - number: Number, and NumLow, NumHigh from its precision
//   - quantity: Number, NumLow, NumHigh, and the unit as System, Code
//   - reference: RefType and RefID for a local reference ("Patient/123"), URL for an
//     absolute or canonical one; an identifier in the Reference is a token entry of the
//     same parameter with System and Code
type Entry struct {
	Param   string
	System  string
	Code    string
	Text    string
	Low     int64
	High    int64
	Number  float64
	NumLow  float64
	NumHigh float64
	RefType string
	RefID   string
	URL     string
}

// Kind is the type of the parameter of type typ that e belongs to: the table's, an
// :of-type entry's (a token), or, for a name the table does not know (it changed since
// the entry was made), what the entry's fields say.
func (e *Entry) Kind(typ string) ParamType {
	if strings.HasSuffix(e.Param, OfTypeSuffix) {
		return TypeToken
	}
	if p := LookupParam(typ, e.Param); p != nil {
		return p.Type
	}
	switch {
	case e.RefID != "" || e.URL != "":
		return TypeReference
	case e.Low != 0 || e.High != 0:
		return TypeDate
	case e.Number != 0 || e.NumLow != 0 || e.NumHigh != 0:
		return TypeNumber
	}
	return TypeToken
}

// Query is a parsed search: Filters (ast.go) all hold (AND), then the result parameters
// shape the page.
type Query struct {
	Type       string
	Filters    []Filter
	Sort       []SortKey
	Count      int // page size; 0 means the server's default
	Total      TotalMode
	Summary    SummaryMode
	Elements   []string
	Include    []Include
	RevInclude []Include
	Cursor     string   // opaque position of a next page
	Ignored    []string // parameters skipped under lenient handling, for the OperationOutcome
	Warnings   []string // non-fatal problems with values, for the OperationOutcome (severity warning)
}

func escape(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `,`, `\,`, `|`, `\|`, `$`, `\$`)
	return r.Replace(s)
}

// MaxValues bounds the comma-separated values of one parameter: each is a term of the
// compiled query, and SQL engines cap those.
const MaxValues = 100

// ParseCriteria parses the query part of a conditional interaction (If-None-Exist, a
// conditional update or delete URL) for resource type typ: any search a client could run
// (modifiers, chains, _has), parsed strictly, since a condition that silently ignored a
// parameter would match the wrong resource. Result parameters (_sort, _count, _include,
// …) are refused: they shape a page and select nothing.
func ParseCriteria(typ, raw string) (*Query, error) {
	vals, err := url.ParseQuery(raw)
	if err != nil {
		return nil, fhir.Errorf(fhir.KindInvalid, "invalid", "", "the search criteria are not a valid query string")
	}
	var shaping []string
	for name := range vals {
		if _, ok := resultParams[strings.SplitN(name, ":", 2)[0]]; ok {
			shaping = append(shaping, name)
		}
	}
	if len(shaping) > 0 {
		sort.Strings(shaping)
		return nil, fhir.Errorf(fhir.KindInvalid, "invalid", "",
			"%s cannot be used in the criteria of a conditional interaction: only parameters that select resources can", clip(strings.Join(shaping, ", ")))
	}
	q, err := Parse(typ, vals, ParseOptions{Strict: true})
	if err != nil {
		return nil, err
	}
	if len(q.Filters) == 0 {
		return nil, fhir.Errorf(fhir.KindInvalid, "invalid", "", "conditional interactions need at least one search parameter")
	}
	return q, nil
}

// splitUnescaped splits s at sep, except where sep is preceded by a backslash.
func splitUnescaped(s string, sep byte) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' {
			i++
			continue
		}
		if s[i] == sep {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

var paramTypeNames = [...]string{"token", "string", "date", "reference", "number", "quantity", "uri", "composite", "special"}

func (t ParamType) String() string {
	if int(t) < len(paramTypeNames) {
		return paramTypeNames[t]
	}
	return "special"
}
