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

// Query is a parsed search. Clauses is the token-only form of conditional interactions;
// Filters (ast.go) is the general form. All must hold (AND).
type Query struct {
	Type    string
	Clauses []Clause

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

// Clause is one parameter occurrence; any of its Values may match (OR).
type Clause struct {
	Param  *Param
	Values []Token
}

// Token is a parsed token value: system|code, |code (no system), code (any system),
// system| (any code in system).
type Token struct {
	System    string
	Code      string
	AnySystem bool // "code": the system does not matter
	AnyCode   bool // "system|": the code does not matter
}

// String renders the query in canonical form, e.g. for a self link.
func (q *Query) String() string {
	var parts []string
	for _, c := range q.Clauses {
		var vs []string
		for _, v := range c.Values {
			vs = append(vs, v.String())
		}
		parts = append(parts, url.QueryEscape(c.Param.Name)+"="+url.QueryEscape(strings.Join(vs, ",")))
	}
	sort.Strings(parts)
	return strings.Join(parts, "&")
}

func (t Token) String() string {
	switch {
	case t.AnySystem:
		return escape(t.Code)
	case t.AnyCode:
		return escape(t.System) + "|"
	default:
		return escape(t.System) + "|" + escape(t.Code)
	}
}

func escape(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `,`, `\,`, `|`, `\|`, `$`, `\$`)
	return r.Replace(s)
}

// MaxValues bounds the comma-separated values of one parameter: each is a term of the
// compiled query, and SQL engines cap those.
const MaxValues = 100

// ParseCriteria parses the query part of a conditional interaction (If-None-Exist, a
// conditional update or delete URL) for resource type typ. Every parameter must be known:
// a condition that silently ignored a parameter would match the wrong resource.
func ParseCriteria(typ, raw string) (*Query, error) {
	vals, err := url.ParseQuery(raw)
	if err != nil {
		return nil, fhir.Errorf(fhir.KindInvalid, "invalid", "", "the search criteria are not a valid query string")
	}
	if len(vals) == 0 {
		return nil, fhir.Errorf(fhir.KindInvalid, "invalid", "", "conditional interactions need at least one search parameter")
	}
	q := &Query{Type: typ}
	names := make([]string, 0, len(vals))
	for n := range vals {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		p := Lookup(typ, name)
		if p == nil {
			return nil, fhir.Errorf(fhir.KindInvalid, "not-supported", "", "search parameter %q is not supported for %s in conditional interactions", name, typ)
		}
		for _, v := range vals[name] {
			c := Clause{Param: p}
			parts := splitUnescaped(v, ',')
			if len(parts) > MaxValues {
				return nil, fhir.Errorf(fhir.KindInvalid, "too-costly", "", "search parameter %q has %d values; at most %d are allowed", name, len(parts), MaxValues)
			}
			for _, part := range parts {
				tok, err := parseToken(p, part)
				if err != nil {
					return nil, err
				}
				c.Values = append(c.Values, tok)
			}
			q.Clauses = append(q.Clauses, c)
		}
	}
	return q, nil
}

func parseToken(p *Param, s string) (Token, error) {
	if s == "" {
		return Token{}, fhir.Errorf(fhir.KindInvalid, "invalid", "", "search parameter %q has an empty value", p.Name)
	}
	parts := splitUnescaped(s, '|')
	switch len(parts) {
	case 1:
		return Token{Code: unescape(parts[0]), AnySystem: true}, nil
	case 2:
		t := Token{System: unescape(parts[0]), Code: unescape(parts[1])}
		if t.Code == "" {
			if t.System == "" {
				return Token{}, fhir.Errorf(fhir.KindInvalid, "invalid", "", "search parameter %q has an empty value", p.Name)
			}
			t.AnyCode = true
		}
		return t, nil
	}
	return Token{}, fhir.Errorf(fhir.KindInvalid, "invalid", "", "search parameter %q: a token has at most one unescaped '|'", p.Name)
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
