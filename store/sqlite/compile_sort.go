package sqlite

import (
	"fmt"

	"github.com/nimsproject/nims/fhir/search"
)

// _sort (search.Less): each key gives a candidate one value, the lowest of its entries
// for an ascending key and the highest for a descending one (dates: the lowest low, the
// highest high), empty strings counting as none; a candidate without a value sorts last
// in both directions; ties fall to the next key and finally to the id.

// sortKey is one compiled key: an expression over the candidate r (NULL when it has no
// value) and its direction.
type sortKey struct {
	expr sqlPart
	desc bool
}

func sortKeys(typ string, keys []search.SortKey) ([]sortKey, error) {
	out := make([]sortKey, len(keys))
	for i, k := range keys {
		e, err := sortExpr(typ, k, fmt.Sprintf("s%d", i))
		if err != nil {
			return nil, err
		}
		out[i] = sortKey{e, k.Descending}
	}
	return out, nil
}

// sortExpr is the value of key k for candidate r; a is the alias of the entries read.
func sortExpr(typ string, k search.SortKey, a string) (sqlPart, error) {
	if k.Param == nil {
		return part("NULL"), nil
	}
	if k.Param.Name == "_id" {
		return part("r.id"), nil
	}
	agg := "min"
	if k.Descending {
		agg = "max"
	}
	var table, col string
	switch k.Param.Type {
	case search.TypeString:
		table, col = "strings", a+".text"
	case search.TypeToken:
		table, col = "tokens", a+".code"
	case search.TypeURI:
		table, col = "uris", a+".value"
	case search.TypeDate:
		table, col = "dates", a+".low"
		if k.Descending {
			col = a + ".high"
		}
	case search.TypeNumber, search.TypeQuantity:
		table, col = "numbers", a+".number"
	case search.TypeReference:
		table = "refs"
		col = fmt.Sprintf("CASE WHEN %[1]s.url <> '' THEN %[1]s.url ELSE %[1]s.reftype || '/' || %[1]s.refid END", a)
	default:
		return sqlPart{}, fmt.Errorf("_sort: %s parameters have no order", k.Param.Type)
	}
	where := ""
	if table != "dates" && table != "numbers" {
		where = fmt.Sprintf(" AND %s <> ''", col)
	}
	// INDEXED BY: for min(low) or max(high) SQLite would walk the whole parameter in
	// the order of low or high looking for this resource.
	return part(fmt.Sprintf("(SELECT %s(%s) FROM %s %s INDEXED BY %[3]s_resource WHERE %[4]s.type = ? AND %[4]s.id = r.id AND %[4]s.param = ?%s)",
		agg, col, table, a, where), typ, k.Param.Name), nil
}
