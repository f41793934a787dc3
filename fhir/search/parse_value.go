package search

import (
	"strings"

	"github.com/nimsproject/nims/fhir"
)

// values parses one occurrence's value: comma-separated alternatives (OR), each read for
// the type of the leaf filter's parameter. Escapes (\, \| \$ \\) are honoured
// (https://hl7.org/fhir/R4/search.html#escaping); Value.Raw holds each alternative as
// sent, unescaped.
func (p *parser) values(f *Filter, raw string) ([]Value, *fhir.Error) {
	if raw == "" {
		// An empty value is an error rather than ignored: patient.identifier= returning
		// every record would be the worst way to fail.
		return nil, invalidf("search parameter %s has no value", echo(p.key))
	}
	parts := splitUnescaped(raw, ',')
	out := make([]Value, 0, len(parts))
	for _, part := range parts {
		if part == "" {
			return nil, invalidf("search parameter %s has an empty value in its list %s", echo(p.key), echo(raw))
		}
		v, err := p.value(f, part)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// value parses one alternative, still escaped.
func (p *parser) value(f *Filter, part string) (Value, *fhir.Error) {
	if f.Modifier == ModMissing {
		switch part {
		case "true":
			return Value{Raw: part, Missing: true}, nil
		case "false":
			return Value{Raw: part}, nil
		}
		return Value{}, invalidf("search parameter %s: :missing takes true or false, not %s", echo(p.key), echo(part))
	}
	switch f.Param.Type {
	case TypeToken:
		return p.tokenValue(f.Modifier, part)
	case TypeString:
		s := unescape(part)
		return Value{Raw: s, Text: Normalize(s), Code: s}, nil
	case TypeURI:
		s := unescape(part)
		return Value{Raw: s, Code: s}, nil
	case TypeDate:
		return p.dateValue(part)
	case TypeNumber:
		return p.numberValue(part)
	case TypeQuantity:
		return p.quantityValue(part)
	case TypeReference:
		return p.referenceValue(f, part)
	}
	return Value{}, unsupportedf("search parameter %s (a %s parameter) is not supported by this server", echo(p.key), f.Param.Type)
}

// tokenValue reads system|code, |code, code or system| (and :of-type's
// type-system|type-code|value; :text's free text).
// https://hl7.org/fhir/R4/search.html#token
func (p *parser) tokenValue(mod Modifier, part string) (Value, *fhir.Error) {
	raw := unescape(part)
	switch mod {
	case ModText:
		return Value{Raw: raw, Text: Normalize(raw)}, nil
	case ModOfType:
		ps := splitUnescaped(part, '|')
		if len(ps) != 3 || ps[1] == "" || ps[2] == "" {
			return Value{}, invalidf("search parameter %s: :of-type takes type-system|type-code|value, not %s", echo(p.key), echo(raw))
		}
		return Value{Raw: raw, TypeSystem: unescape(ps[0]), TypeCode: unescape(ps[1]), Code: unescape(ps[2])}, nil
	}
	ps := splitUnescaped(part, '|')
	v := Value{Raw: raw}
	switch len(ps) {
	case 1:
		v.Code, v.AnySystem = unescape(ps[0]), true
	case 2:
		v.System, v.Code = unescape(ps[0]), unescape(ps[1])
		if v.Code == "" {
			if v.System == "" {
				return Value{}, invalidf("search parameter %s: %s has neither a system nor a code", echo(p.key), echo(raw))
			}
			v.AnyCode = true
		}
	default:
		return Value{}, invalidf("search parameter %s: a token is system|code, and %s has more than one unescaped '|'", echo(p.key), echo(raw))
	}
	return v, p.checkNHSNumber(v)
}

// checkNHSNumber rejects a search for an NHS number that cannot exist. The NHS
// Immunisation API does so for patient.identifier (reference/nhs-england.md §1.4); the
// rule holds for any token in the NHS number system, since no stored number fails it.
func (p *parser) checkNHSNumber(v Value) *fhir.Error {
	if v.System == fhir.SystemNHSNumber && !v.AnyCode && !fhir.ValidNHSNumber(v.Code) {
		return invalidf("Search parameter %s must be a valid NHS number.", clip(p.key))
	}
	return nil
}

// prefixes are the comparison prefixes (search.html#prefix).
var prefixes = map[string]Prefix{
	"eq": PrefixEq, "ne": PrefixNe, "gt": PrefixGt, "lt": PrefixLt, "ge": PrefixGe,
	"le": PrefixLe, "sa": PrefixSa, "eb": PrefixEb, "ap": PrefixAp,
}

var prefixWords = [...]string{"eq", "ne", "gt", "lt", "ge", "le", "sa", "eb", "ap"}

// cutPrefix splits a date, number or quantity value into its prefix and the rest. Two
// leading lower-case letters are always a prefix: no date or number starts with one.
func (p *parser) cutPrefix(s string) (Prefix, string, *fhir.Error) {
	if len(s) >= 2 && lowerASCII(s[0]) && lowerASCII(s[1]) {
		x, ok := prefixes[s[:2]]
		if !ok {
			return 0, "", invalidf("search parameter %s: %s is not a prefix; use eq, ne, gt, lt, ge, le, sa, eb or ap", echo(p.key), echo(s[:2]))
		}
		return x, s[2:], nil
	}
	return PrefixEq, s, nil
}

func lowerASCII(c byte) bool { return c >= 'a' && c <= 'z' }

// dateValue reads [prefix]date over the range DateRange gives the date at its
// precision. A value without a zone is read in Zone (daterange.go). The range is the
// value's own, for ap too: Match and the backends widen it (ApproxDateRange) with their
// "now", so that a query re-parsed from a next link later means the same.
// https://hl7.org/fhir/R4/search.html#date
func (p *parser) dateValue(part string) (Value, *fhir.Error) {
	// An unencoded '+' of a zone reaches us as a space; read it as the client meant it.
	s := strings.ReplaceAll(unescape(part), " ", "+")
	x, body, err := p.cutPrefix(s)
	if err != nil {
		return Value{}, err
	}
	low, high, ok := DateRange(body)
	if !ok {
		return Value{}, invalidf("search parameter %s: %s is not a date (YYYY, YYYY-MM, YYYY-MM-DD or YYYY-MM-DDThh:mm[:ss[.sss]][Z|±hh:mm])", echo(p.key), echo(body))
	}
	return Value{Raw: s, Prefix: x, Low: low, High: high}, nil
}

// numberValue reads [prefix]decimal over the range its significant figures imply
// (search.html#number); as for dates, ap is widened where it is matched.
func (p *parser) numberValue(part string) (Value, *fhir.Error) {
	s := unescape(part)
	x, body, err := p.cutPrefix(s)
	if err != nil {
		return Value{}, err
	}
	v, err := p.decimal(body)
	if err != nil {
		return Value{}, err
	}
	v.Raw, v.Prefix = s, x
	return v, nil
}

func (p *parser) decimal(s string) (Value, *fhir.Error) {
	n, lo, hi, ok := DecimalRange(s)
	if !ok {
		return Value{}, invalidf("search parameter %s: %s is not a number", echo(p.key), echo(s))
	}
	return Value{Number: n, NumLow: lo, NumHigh: hi}, nil
}

// quantityValue reads [prefix]number|system|code, [prefix]number||code (the code in any
// system) or [prefix]number (any unit). https://hl7.org/fhir/R4/search.html#quantity
func (p *parser) quantityValue(part string) (Value, *fhir.Error) {
	x, body, err := p.cutPrefix(part)
	if err != nil {
		return Value{}, err
	}
	ps := splitUnescaped(body, '|')
	v, err := p.decimal(unescape(ps[0]))
	if err != nil {
		return Value{}, err
	}
	switch len(ps) {
	case 1:
		v.AnySystem, v.AnyCode = true, true
	case 3:
		v.System, v.Code = unescape(ps[1]), unescape(ps[2])
		if v.Code == "" {
			return Value{}, invalidf("search parameter %s: %s has a system but no unit code", echo(p.key), echo(unescape(part)))
		}
		v.AnySystem = v.System == ""
	default:
		return Value{}, invalidf("search parameter %s: a quantity is number|system|code, number||code or number, not %s", echo(p.key), echo(unescape(part)))
	}
	v.Raw, v.Prefix = unescape(part), x
	return v, nil
}

// referenceValue reads Type/id, id, an absolute URL, or with :identifier a token.
// A bare id means the parameter's one target type, or (:[type]) the named one, or else
// any type. https://hl7.org/fhir/R4/search.html#reference
func (p *parser) referenceValue(f *Filter, part string) (Value, *fhir.Error) {
	s := unescape(part)
	switch f.Modifier {
	case ModIdentifier:
		return p.tokenValue(ModNone, part)
	case ModText:
		return Value{Raw: s, Text: Normalize(s)}, nil
	}
	v := Value{Raw: s}
	if strings.Contains(s, "://") || strings.HasPrefix(s, "urn:") {
		v.URL = s
		return v, nil
	}
	typ, id, local := strings.Cut(s, "/")
	if !local {
		id, typ = s, ""
		switch {
		case f.Modifier == ModType:
			typ = f.TargetType
		case !anyTarget(f.Param) && len(f.Param.Targets) == 1:
			typ = f.Param.Targets[0]
		}
	} else {
		if strings.Contains(id, "/_history/") {
			return Value{}, unsupportedf("search parameter %s: version-specific references are not supported", echo(p.key))
		}
		if !fhir.IsResourceType(typ) {
			return Value{}, invalidf("search parameter %s: %s is not Type/id, an id or an absolute URL", echo(p.key), echo(s))
		}
		if !refersTo(f.Param, typ) || (f.Modifier == ModType && typ != f.TargetType) {
			return Value{}, invalidf("search parameter %s: %s cannot refer to a %s", echo(p.key), f.Param.Name, typ)
		}
	}
	if !fhir.ValidID(id) {
		return Value{}, invalidf("search parameter %s: %s is not a valid resource id", echo(p.key), echo(id))
	}
	v.RefType, v.RefID = typ, id
	return v, nil
}
