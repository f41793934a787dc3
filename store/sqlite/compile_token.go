package sqlite

import (
	"github.com/nimsproject/nims/fhir/search"
)

// Token filters (search.matchToken): system|code, code, |code and system| on the tokens
// table; :not is the negation of the same terms (a resource without any entry matches
// it); :text on the texts table; :of-type on the Identifier type rows.

func tokenPred(b *builder, f *search.Filter) *pred {
	switch f.Modifier {
	case search.ModNone, search.ModNot:
		for i := range f.Values {
			tokenTerm(b, &f.Values[i])
		}
		return b.pred(f.Modifier == search.ModNot)
	case search.ModText:
		textTerms(b, f, search.TypeToken)
		return b.pred(false)
	}
	return alwaysFalse // :above, :below, :in, :not-in: Parse rejects them
}

// tokenTerm adds the term of one token value. "code" finds the rows of the code in
// every system; the set form keeps the first system's (dup = 0), one per resource.
func tokenTerm(b *builder, v *search.Value) {
	switch {
	case v.AnySystem:
		t := b.add("tokens", "%[1]s.code = ?", v.Code)
		t.set, t.unique = &sqlPart{b.alias + ".code = ? AND " + b.alias + ".dup = 0", []any{v.Code}}, true
	case v.AnyCode:
		// system|: the primary key starts with the code, so this reads the parameter's
		// rows; rare enough not to pay for a second index on every token.
		b.add("tokens", "%[1]s.system = ?", v.System).scan = true
	default:
		b.add("tokens", "%[1]s.code = ? AND %[1]s.system = ?", v.Code, v.System).unique = true
	}
}

// textTerms adds the terms of :text (token and reference), search.TextMatches on the
// normalised display; an empty query matches every entry of the parameter.
func textTerms(b *builder, f *search.Filter, typ search.ParamType) {
	for _, v := range f.Values {
		if v.Text == "" {
			b.anyRow(typ)
			return
		}
	}
	for _, v := range f.Values {
		b.add("texts", "nims_text_matches(%[1]s.text, ?)", v.Text).scan = true
	}
}

// ofTypePred: type-system|type-code|value on the rows index.go writes under
// "param:of-type".
func ofTypePred(b *builder, f *search.Filter) *pred {
	b.param += search.OfTypeSuffix
	for _, v := range f.Values {
		b.add("tokens", "%[1]s.code = ? AND %[1]s.system = ?", v.Code, ofTypeKey(v.TypeSystem, v.TypeCode)).unique = true
	}
	return b.pred(false)
}

// idPred answers _id from the candidate's own id, as search.Match does from its entry
// (a token with a code and no system, without display): "id" and "|id" find it,
// "system|…" never does; it is never missing; :text matches only an empty query.
func idPred(typ string, f *search.Filter) *pred {
	switch f.Modifier {
	case search.ModNone, search.ModNot:
		p := &pred{kind: predIDs, typ: typ, not: f.Modifier == search.ModNot}
		for _, v := range f.Values {
			if v.AnySystem || (!v.AnyCode && v.System == "") {
				p.ids = append(p.ids, v.Code)
			}
		}
		if len(p.ids) == 0 {
			return constPred(p.not)
		}
		return p
	case search.ModMissing:
		for _, v := range f.Values {
			if !v.Missing {
				return alwaysTrue
			}
		}
	case search.ModText:
		for _, v := range f.Values {
			if v.Text == "" {
				return alwaysTrue
			}
		}
	}
	return alwaysFalse
}

func constPred(b bool) *pred {
	if b {
		return alwaysTrue
	}
	return alwaysFalse
}
