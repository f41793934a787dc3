package auth

import (
	"errors"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"

	"github.com/nimsproject/nims/fhir"
)

// SMART v2 scopes (https://hl7.org/fhir/smart-app-launch/scopes-and-launch-context.html):
// context/Type.cruds, optionally granular (?param=value), with the v1 suffixes read,
// write and * accepted and rewritten.

// Access is a set of SMART v2 interactions, one bit per letter of "cruds".
type Access uint8

const (
	Create Access = 1 << iota // c
	Read                      // r: read, vread, history
	Update                    // u
	Delete                    // d
	Search                    // s

	AllAccess = Create | Read | Update | Delete | Search
)

const accessLetters = "cruds"

// ParseAccess parses SMART v2 access letters: a non-empty subsequence of "cruds", in that
// order, without repeats ("rs", "cud", "cruds"; not "sr", "rr", "" or "R").
func ParseAccess(s string) (Access, error) {
	if s == "" {
		return 0, errors.New("no access letters")
	}
	var a Access
	next := 0 // index in accessLetters the next letter may take
	for i := 0; i < len(s); i++ {
		j := strings.IndexByte(accessLetters[next:], s[i])
		if j < 0 {
			return 0, fmt.Errorf("access %q: letters must be from c, r, u, d, s, in that order, each once", s)
		}
		next += j
		a |= 1 << next
		next++
	}
	return a, nil
}

// String gives the letters in the order c, r, u, d, s.
func (a Access) String() string {
	var b strings.Builder
	for i := range len(accessLetters) {
		if a&(1<<i) != 0 {
			b.WriteByte(accessLetters[i])
		}
	}
	return b.String()
}

// Has reports whether a holds every interaction of b, and b holds at least one.
func (a Access) Has(b Access) bool { return b != 0 && a&b == b }

// Scope contexts. Only system scopes grant anything in NIMS: backend services act for
// themselves, not for a user or a patient. user and patient scopes parse, so that a
// client asking for them is narrowed rather than refused, and grant nothing.
const (
	ContextSystem  = "system"
	ContextUser    = "user"
	ContextPatient = "patient"
)

// Scope is one SMART scope.
type Scope struct {
	Context string // "system", "user" or "patient"
	Type    string // a resource type, or "*"
	Access  Access
	// Params are the granular restriction: FHIR search parameters a resource must match
	// (every parameter; a comma in a value is an alternative, as in a search). Each
	// parameter has exactly one value: a repeated one would read as "and" to a search
	// and as "or" to a list of allowed codes, and ambiguity in a permission is a hole.
	Params url.Values
	// Except lists the types a "*" scope does not reach, sorted. It has no wire form
	// (SMART scopes cannot say "all but"): policies set it, Intersect keeps it, Verify
	// restores it from the token's role, and String leaves it out, so a granted
	// system/*.crus may carry an out-of-band exception as SMART allows.
	Except []string
}

// ParseScope parses a SMART scope: v2 ("system/Immunization.rs", "system/*.cruds"),
// granular v2 ("system/Immunization.rs?target-disease=http://snomed.info/sct|840539006")
// or v1 ("system/Patient.read" => rs, ".write" => cud, ".*" => cruds). The type must be
// an R4 resource type or "*". Granular parameters need a v2 suffix, a name made of
// letters, digits and "-_.:", and exactly one non-empty value.
func ParseScope(s string) (Scope, error) {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] >= 0x7f {
			return Scope{}, errors.New("scope has a space, control or non-ASCII character")
		}
	}
	base, query, granular := strings.Cut(s, "?")
	ctx, rest, ok := strings.Cut(base, "/")
	if !ok {
		return Scope{}, errors.New("scope has no context/ prefix")
	}
	if ctx != ContextSystem && ctx != ContextUser && ctx != ContextPatient {
		return Scope{}, fmt.Errorf("scope context %q is not system, user or patient", ctx)
	}
	typ, suffix, ok := strings.Cut(rest, ".")
	if !ok {
		return Scope{}, errors.New("scope has no .access suffix")
	}
	if typ != "*" && !fhir.IsResourceType(typ) {
		return Scope{}, fmt.Errorf("scope type %q is not an R4 resource type", typ)
	}
	sc := Scope{Context: ctx, Type: typ}
	v1 := true
	switch suffix {
	case "read":
		sc.Access = Read | Search
	case "write":
		sc.Access = Create | Update | Delete
	case "*":
		sc.Access = AllAccess
	default:
		a, err := ParseAccess(suffix)
		if err != nil {
			return Scope{}, err
		}
		sc.Access, v1 = a, false
	}
	if !granular {
		return sc, nil
	}
	if v1 {
		return Scope{}, errors.New("granular scopes need SMART v2 access letters")
	}
	params, err := parseParams(query)
	if err != nil {
		return Scope{}, err
	}
	sc.Params = params
	return sc, nil
}

func parseParams(query string) (url.Values, error) {
	if query == "" {
		return nil, errors.New("scope has an empty granular part")
	}
	params, err := url.ParseQuery(query)
	if err != nil {
		return nil, errors.New("scope's granular part is not a query string")
	}
	for k, vs := range params {
		if !validParamName(k) {
			return nil, fmt.Errorf("granular parameter %q is not a search parameter name", k)
		}
		if len(vs) != 1 || vs[0] == "" {
			return nil, fmt.Errorf("granular parameter %q needs exactly one non-empty value", k)
		}
	}
	return params, nil
}

func validParamName(k string) bool {
	if k == "" {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-_.:", c) >= 0) {
			return false
		}
	}
	return true
}

// String gives the canonical v2 form: access letters in order, granular parameters sorted
// by name, values escaped only where a query string needs it (so "|", ":" and "/" stay
// readable, as in the SMART examples).
func (s Scope) String() string {
	var b strings.Builder
	b.WriteString(s.Context)
	b.WriteByte('/')
	b.WriteString(s.Type)
	b.WriteByte('.')
	b.WriteString(s.Access.String())
	for i, k := range slices.Sorted(maps.Keys(s.Params)) {
		if i == 0 {
			b.WriteByte('?')
		} else {
			b.WriteByte('&')
		}
		for j, v := range s.Params[k] {
			if j > 0 {
				b.WriteByte('&')
			}
			escapeParam(&b, k)
			b.WriteByte('=')
			escapeParam(&b, v)
		}
	}
	return b.String()
}

// escapeParam percent-encodes what would change the meaning of a query string or split a
// scope list: everything but letters, digits and -._~:/|@!$'()*, (";" too: Go's query
// parser refuses it).
func escapeParam(b *strings.Builder, s string) {
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-._~:/|@!$'()*,", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
}
