package fhir

import (
	"encoding/json"
	"strconv"
	"strings"
)

// primType is an R4 primitive data type. The lexical rules below follow
// https://hl7.org/fhir/R4/datatypes.html#primitive, written by hand so that no regular
// expression runs on the write path.
type primType uint8

const (
	primNone primType = iota
	primBase64Binary
	primBoolean
	primCanonical
	primCode
	primDate
	primDateTime
	primDecimal
	primID
	primInstant
	primInteger
	primMarkdown
	primOID
	primPositiveInt
	primString
	primTime
	primUnsignedInt
	primURI
	primURL
	primUUID
	primXHTML
)

var primByName = map[string]primType{
	"base64Binary": primBase64Binary, "boolean": primBoolean, "canonical": primCanonical,
	"code": primCode, "date": primDate, "dateTime": primDateTime, "decimal": primDecimal,
	"id": primID, "instant": primInstant, "integer": primInteger, "markdown": primMarkdown,
	"oid": primOID, "positiveInt": primPositiveInt, "string": primString, "time": primTime,
	"unsignedInt": primUnsignedInt, "uri": primURI, "url": primURL, "uuid": primUUID,
	"xhtml": primXHTML,
}

func (p primType) String() string {
	for name, q := range primByName {
		if q == p {
			return name // one name per type: the order of the loop does not matter
		}
	}
	return "complex"
}

// maxString is the R4 limit on string and markdown values ("SHALL NOT exceed 1MB"). Other
// types, base64Binary above all, have no limit in the specification.
const maxString = 1 << 20

// jsonKind is the JSON type a primitive must be written as: FHIR JSON writes boolean
// and the numeric types as JSON literals, everything else as strings.
func (p primType) jsonKind() string {
	switch p {
	case primBoolean:
		return "boolean"
	case primInteger, primPositiveInt, primUnsignedInt, primDecimal:
		return "number"
	}
	return "string"
}

// numberProblem checks a JSON number against an integer or decimal type. JSON's grammar
// for numbers is exactly FHIR's for decimal; integers must be written without fraction or
// exponent and fit in 32 bits.
func numberProblem(p primType, lit string) string {
	if p == primDecimal {
		return ""
	}
	if strings.ContainsAny(lit, ".eE") {
		return "a whole number is required"
	}
	n, err := strconv.ParseInt(lit, 10, 32)
	switch {
	case err != nil:
		return "out of range for a 32-bit integer"
	case p == primPositiveInt && n < 1:
		return "a positiveInt must be at least 1"
	case p == primUnsignedInt && n < 0:
		return "an unsignedInt must not be negative"
	}
	return ""
}

// stringProblem checks the lexical form of a string-valued primitive; "" means valid.
func stringProblem(p primType, s string) string {
	if s == "" {
		return "empty strings are not allowed"
	}
	switch p {
	case primString, primMarkdown:
		if strings.TrimSpace(s) == "" {
			return "the value is only whitespace"
		}
	case primCode:
		return codeProblem(s)
	case primID:
		if !ValidID(s) {
			return "an id is 1 to 64 of A-Z, a-z, 0-9, '-' and '.'"
		}
	case primURI, primURL, primCanonical:
		if strings.ContainsAny(s, " \t\r\n\f\v") {
			return "whitespace is not allowed"
		}
	case primOID:
		if !isOID(s) {
			return "an oid is urn:oid: and dotted numbers"
		}
	case primUUID:
		if !isUUID(s) {
			return "a uuid is urn:uuid: and a lower-case UUID"
		}
	case primBase64Binary:
		if !isBase64(s) {
			return "not valid base64"
		}
	case primDate, primDateTime, primInstant:
		return dateTimeProblem(p, s)
	case primTime:
		if n, msg := scanTime(s); msg != "" || n != len(s) {
			return "a time is hh:mm:ss"
		}
	case primXHTML:
		if !strings.HasPrefix(strings.TrimSpace(s), "<div") {
			return "narrative must be an XHTML div element"
		}
	}
	return ""
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

// codeProblem applies the code grammar [^\s]+(\s[^\s]+)*: no leading, trailing or
// repeated whitespace.
func codeProblem(s string) string {
	if isSpace(s[0]) || isSpace(s[len(s)-1]) {
		return "leading or trailing whitespace"
	}
	for i := 1; i < len(s); i++ {
		if isSpace(s[i]) && isSpace(s[i-1]) {
			return "repeated whitespace"
		}
	}
	return ""
}

// isOID applies urn:oid:[0-2](\.(0|[1-9][0-9]*))+.
func isOID(s string) bool {
	rest, ok := strings.CutPrefix(s, "urn:oid:")
	if !ok || len(rest) < 3 || rest[0] < '0' || rest[0] > '2' || rest[1] != '.' {
		return false
	}
	for _, arc := range strings.Split(rest[2:], ".") {
		if arc == "" || (arc[0] == '0' && len(arc) > 1) || strings.Trim(arc, "0123456789") != "" {
			return false
		}
	}
	return true
}

func isUUID(s string) bool {
	rest, ok := strings.CutPrefix(s, "urn:uuid:")
	if !ok || len(rest) != 36 {
		return false
	}
	for i := 0; i < len(rest); i++ {
		c := rest[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
				return false
			}
		}
	}
	return true
}

// isBase64 accepts standard base64 with padding; whitespace between groups is allowed
// as in R4's grammar.
func isBase64(s string) bool {
	n, pad := 0, 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case isSpace(c):
			continue
		case c == '=':
			pad++
		case pad > 0:
			return false
		case c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/':
		default:
			return false
		}
		n++
	}
	return n > 0 && n%4 == 0 && pad <= 2
}

// numberLiteral returns the literal of a JSON number as decoded, and false for any other
// JSON value. float64 is accepted for resources decoded without UseNumber.
func numberLiteral(v any) (string, bool) {
	switch n := v.(type) {
	case json.Number:
		return string(n), true
	case float64:
		return strconv.FormatFloat(n, 'g', -1, 64), true
	}
	return "", false
}
