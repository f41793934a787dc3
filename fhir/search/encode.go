package search

import (
	"net/url"
	"strconv"
	"strings"
)

// Encode returns the query in canonical form: the parameters the server applied, for
// the self link and the next links. Parse(q.Type, q.Encode(), opts) gives back a query
// with the same Encode (the round trip FuzzParse checks). Canonical means: one spelling
// per meaning (no eq prefix, Type/id for a reference whose type is known, :Type in a
// chain only where the parameter may refer to several types), the programme's
// parameters in their FHIR form, default result parameters left out. Ignored parameters
// are not applied, so are not written.
func (q *Query) Encode() url.Values {
	out := url.Values{}
	for _, f := range q.Filters {
		key, val := encodeFilter(f)
		out.Add(key, val)
	}
	if len(q.Sort) > 0 {
		keys := make([]string, len(q.Sort))
		for i, s := range q.Sort {
			keys[i] = s.Param.Name
			if s.Descending {
				keys[i] = "-" + keys[i]
			}
		}
		out.Set("_sort", strings.Join(keys, ","))
	}
	if q.Count > 0 {
		out.Set("_count", strconv.Itoa(q.Count))
	}
	if q.Total != TotalNone {
		out.Set("_total", totalNames[q.Total])
	}
	if q.Summary != SummaryFalse {
		out.Set("_summary", summaryNames[q.Summary])
	}
	if len(q.Elements) > 0 {
		out.Set("_elements", strings.Join(q.Elements, ","))
	}
	encodeIncludes(out, "_include", q.Include)
	encodeIncludes(out, "_revinclude", q.RevInclude)
	if q.Cursor != "" {
		out.Set("_cursor", q.Cursor)
	}
	return out
}

var totalNames = map[TotalMode]string{TotalEstimate: "estimate", TotalAccurate: "accurate", TotalNone: "none"}

var summaryNames = map[SummaryMode]string{
	SummaryTrue: "true", SummaryText: "text", SummaryData: "data", SummaryCount: "count", SummaryFalse: "false",
}

func encodeIncludes(out url.Values, name string, incs []Include) {
	for _, inc := range incs {
		key := name
		if inc.Iterate {
			key += ":iterate"
		}
		v := inc.Type + ":"
		switch {
		case inc.Wildcard:
			v += "*"
		case inc.TargetType != "":
			v += inc.Param.Name + ":" + inc.TargetType
		default:
			v += inc.Param.Name
		}
		out.Add(key, v)
	}
}

// encodeFilter returns the key and value of one filter.
func encodeFilter(f Filter) (key, value string) {
	switch {
	case f.Has != nil:
		k, v := encodeFilter(f.Has.Filter)
		return "_has:" + f.Has.Type + ":" + f.Has.RefParam.Name + ":" + k, v
	case f.Chain != nil:
		k, v := encodeFilter(*f.Chain)
		link := f.Param.Name
		if anyTarget(f.Param) || len(f.Param.Targets) > 1 {
			link += ":" + f.TargetType
		}
		return link + "." + k, v
	}
	vs := make([]string, len(f.Values))
	for i, v := range f.Values {
		vs[i] = encodeValue(f, v)
	}
	return f.Param.Name + modifierSuffix(f), strings.Join(vs, ",")
}

var modifierText = map[Modifier]string{
	ModMissing: ":missing", ModExact: ":exact", ModContains: ":contains", ModText: ":text",
	ModNot: ":not", ModAbove: ":above", ModBelow: ":below", ModIn: ":in", ModNotIn: ":not-in",
	ModOfType: ":of-type", ModIdentifier: ":identifier",
}

func modifierSuffix(f Filter) string {
	if f.Modifier == ModType {
		return ":" + f.TargetType
	}
	return modifierText[f.Modifier]
}

// encodeValue writes one value, escaped, from its parsed fields (Raw only where the
// parsed form is the text as sent).
func encodeValue(f Filter, v Value) string {
	if f.Modifier == ModMissing {
		return strconv.FormatBool(v.Missing)
	}
	switch f.Param.Type {
	case TypeToken:
		return encodeToken(f.Modifier, v)
	case TypeString:
		return escape(v.Raw)
	case TypeURI:
		return escape(v.Code)
	case TypeDate, TypeNumber:
		return prefixText(v.Prefix) + bodyOf(v.Raw)
	case TypeQuantity:
		num, _, _ := strings.Cut(bodyOf(v.Raw), "|")
		s := prefixText(v.Prefix) + num
		if !(v.AnySystem && v.AnyCode) {
			s += "|" + escape(v.System) + "|" + escape(v.Code)
		}
		return s
	case TypeReference:
		switch {
		case f.Modifier == ModIdentifier:
			return encodeToken(ModNone, v)
		case f.Modifier == ModText:
			return escape(v.Raw)
		case v.URL != "":
			return escape(v.URL)
		case f.Modifier == ModType || v.RefType == "":
			return escape(v.RefID)
		}
		return v.RefType + "/" + escape(v.RefID)
	}
	return escape(v.Raw)
}

func encodeToken(mod Modifier, v Value) string {
	switch mod {
	case ModText:
		return escape(v.Raw)
	case ModOfType:
		return escape(v.TypeSystem) + "|" + escape(v.TypeCode) + "|" + escape(v.Code)
	}
	switch {
	case v.AnySystem:
		return escape(v.Code)
	case v.AnyCode:
		return escape(v.System) + "|"
	}
	return escape(v.System) + "|" + escape(v.Code)
}

// prefixText is the canonical prefix: none for eq, the default.
func prefixText(x Prefix) string {
	if x == PrefixEq || int(x) >= len(prefixWords) {
		return ""
	}
	return prefixWords[x]
}

// bodyOf strips the prefix from a date, number or quantity value as sent.
func bodyOf(raw string) string {
	if len(raw) >= 2 && lowerASCII(raw[0]) && lowerASCII(raw[1]) {
		return raw[2:]
	}
	return raw
}

// String is the query in canonical form after its type, as in "Patient?family=smith".
func (q *Query) String() string {
	return q.Type + "?" + q.Encode().Encode()
}
