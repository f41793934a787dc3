package mongo

import (
	"encoding/binary"
	"encoding/hex"
	"math"
	"slices"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/nimsproject/nims/fhir/search"
)

// The index entries of a current document (docs/SCALE.md, "Index entries in the
// document"): one array of scalar strings per kind of value, so that a multikey index on
// (type, field) serves each and every query is an equality, an $in, an anchored $regex or
// an $elemMatch range over scalars (FerretDB has no $elemMatch over sub-documents, and
// equality on an embedded document in an array silently matches nothing there). Every key
// starts with the parameter's name and a separator, so one parameter's keys are one
// contiguous range of the index:
//
//	tk  tokens       param \x1f code \x1f system
//	                 uri values as tokens without a system: param \x1f uri \x1f
//	                 a Reference.identifier as a token of the reference parameter
//	                 :of-type  param:of-type \x1f value \x1f type-system \x1f type-code
//	st  strings      param \x1f normalised text
//	                 param:exact \x1f value as written, only when its normalised form is
//	                 not the text (so that :exact may look up Normalize(value) alone)
//	                 param:text \x1f normalised display, of token and reference entries
//	rf  references   param \x1f id \x1f Type   (local: the id first, so that an id of
//	                 any type is a prefix)
//	                 param \x1f url            (absolute or canonical)
//	dt  dates        param \x1f low    and   param \x1e high   (16 hex digits each)
//	nm  numbers      param \x1f number (16 hex digits), quantities' units left to Match
//
// Numbers are written so that bytewise order is numeric order (orderedInt, orderedFloat):
// a date or number comparison is a range of keys. Each date entry gives two keys, one
// ordered by the start of its range and one by the end, because the prefixes compare
// one or the other (compile_date.go): with both, every prefix but ap selects exactly.
//
// The separators are control characters no parameter name has. A code, system or text
// holding one has it replaced (keyPart), which can only make two values share a key:
// the filter then selects a superset, and search.Match, run on every candidate, decides.
//
// _id and _lastUpdated are not indexed here: searches read the document's own id and lu
// (lu is the instant the store stamped into meta.lastUpdated, whatever the client sent).

const (
	sep     = "\x1f" // between the parts of a key
	highSep = "\x1e" // after the parameter, in a date key ordered by the range's end
	// afterSep sorts right after every key "param"+sep+…: the end of a parameter's range.
	afterSep = "\x20"
)

// Suffixes of the parameter name in keys that are not the parameter's plain values.
const (
	exactSuffix = ":exact"
	textSuffix  = ":text"
)

// The fields of the index entries.
const (
	fieldToken  = "tk"
	fieldString = "st"
	fieldRef    = "rf"
	fieldDate   = "dt"
	fieldNumber = "nm"
)

// indexFields turns a resource's search index entries into the fields of its current
// document (the layout above). Each array is sorted and without duplicates, so that the
// same entries always give the same document.
func indexFields(typ string, entries []search.Entry) bson.D {
	var k keys
	for i := range entries {
		k.add(typ, &entries[i])
	}
	return bson.D{
		{Key: fieldToken, Value: sortedSet(k.tk)},
		{Key: fieldString, Value: sortedSet(k.st)},
		{Key: fieldRef, Value: sortedSet(k.rf)},
		{Key: fieldDate, Value: sortedSet(k.dt)},
		{Key: fieldNumber, Value: sortedSet(k.nm)},
	}
}

// keys collects the keys of one document, per field.
type keys struct {
	tk, st, rf, dt, nm []string
}

func (k *keys) add(typ string, e *search.Entry) {
	if e.Param == "_id" || e.Param == "_lastUpdated" {
		return
	}
	if strings.HasSuffix(e.Param, search.OfTypeSuffix) {
		k.tk = append(k.tk, ofTypeKey(e.Param, e.Text, e.System, e.Code))
		return
	}
	switch e.Kind(typ) {
	case search.TypeToken:
		k.token(e)
	case search.TypeURI:
		k.tk = append(k.tk, tokenKey(e.Param, e.Code, ""))
	case search.TypeString:
		k.st = append(k.st, stringKey(e.Param, e.Text))
		if search.Normalize(e.Code) != e.Text {
			k.st = append(k.st, stringKey(e.Param+exactSuffix, e.Code))
		}
	case search.TypeReference:
		switch {
		case e.RefType != "" && e.RefID != "":
			k.rf = append(k.rf, localRefKey(e.Param, e.RefType, e.RefID))
		case e.URL != "":
			k.rf = append(k.rf, urlRefKey(e.Param, e.URL))
		default: // a Reference.identifier
			k.token(e)
			return
		}
		k.text(e)
	case search.TypeDate:
		k.dt = append(k.dt, dateLowKey(e.Param, e.Low), dateHighKey(e.Param, e.High))
	case search.TypeNumber, search.TypeQuantity:
		k.nm = append(k.nm, numberKey(e.Param, e.Number))
	}
}

// token adds a token entry and, when it has one, its display for :text.
func (k *keys) token(e *search.Entry) {
	k.tk = append(k.tk, tokenKey(e.Param, e.Code, e.System))
	k.text(e)
}

func (k *keys) text(e *search.Entry) {
	if e.Text != "" {
		k.st = append(k.st, stringKey(e.Param+textSuffix, e.Text))
	}
}

// sortedSet sorts keys and drops repeats; never nil, so that the field is always an array.
func sortedSet(keys []string) []string {
	if keys == nil {
		return []string{}
	}
	slices.Sort(keys)
	return slices.Compact(keys)
}

// keyPart makes s safe inside a key: the separators become another control character.
func keyPart(s string) string {
	if !strings.ContainsAny(s, sep+highSep) {
		return s
	}
	return strings.NewReplacer(sep, "\x1d", highSep, "\x1d").Replace(s)
}

// hasControl reports whether a value from a query holds a character keyPart may have
// replaced in an entry (or its replacement): its key may then be shared with other
// values, and a filter on it is not exact.
func hasControl(s string) bool { return strings.ContainsAny(s, "\x1d\x1e\x1f") }

func tokenKey(param, code, system string) string {
	return param + sep + keyPart(code) + sep + keyPart(system)
}

func ofTypeKey(param, value, typeSystem, typeCode string) string {
	return param + sep + keyPart(value) + sep + keyPart(typeSystem) + sep + keyPart(typeCode)
}

func stringKey(param, text string) string { return param + sep + keyPart(text) }

func localRefKey(param, typ, id string) string {
	return param + sep + keyPart(id) + sep + keyPart(typ)
}

func urlRefKey(param, url string) string { return param + sep + keyPart(url) }

func dateLowKey(param string, low int64) string { return param + sep + orderedInt(low) }

func dateHighKey(param string, high int64) string { return param + highSep + orderedInt(high) }

func numberKey(param string, n float64) string { return param + sep + orderedFloat(n) }

// orderedInt writes v as 16 hex digits whose bytewise order is the numeric order.
func orderedInt(v int64) string { return hexKey(intOrder(v)) }

// orderedFloat writes f as 16 hex digits whose bytewise order is the numeric order.
func orderedFloat(f float64) string { return hexKey(floatOrder(f)) }

// intOrder maps v to an unsigned number in the same order: the sign bit flipped.
func intOrder(v int64) uint64 { return uint64(v) ^ (1 << 63) }

// floatOrder maps f to an unsigned number in the same order: positive numbers with the
// sign bit set, negative ones with every bit flipped. -0 maps as 0, which it equals.
func floatOrder(f float64) uint64 {
	if f == 0 {
		f = 0
	}
	u := math.Float64bits(f)
	if u>>63 == 1 {
		return ^u
	}
	return u | 1<<63
}

// hexKey writes u as 16 lowercase hex digits, big-endian: bytewise order is u's order.
func hexKey(u uint64) string {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], u)
	return hex.EncodeToString(b[:])
}
