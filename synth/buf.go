package synth

// The JSON of a million people is built by appending to byte slices: encoding/json over
// maps would spend most of the time in reflection and allocation.

// appendQuoted appends s as a JSON string. Only what JSON requires is escaped: the quote,
// the backslash and control characters; s is UTF-8 (every string here is).
func appendQuoted(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\t':
			b = append(b, '\\', 't')
		default:
			b = append(b, '\\', 'u', '0', '0', "0123456789abcdef"[c>>4], "0123456789abcdef"[c&15])
		}
		start = i + 1
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// coding appends a Coding object.
func coding(b []byte, system, code, display string) []byte {
	b = append(b, `{"system":`...)
	b = appendQuoted(b, system)
	b = append(b, `,"code":`...)
	b = appendQuoted(b, code)
	if display != "" {
		b = append(b, `,"display":`...)
		b = appendQuoted(b, display)
	}
	return append(b, '}')
}

// concept is the JSON of a CodeableConcept with one coding, built once for the tables.
func concept(system, code, display string) string {
	b := append([]byte(`{"coding":[`), coding(nil, system, code, display)...)
	return string(append(b, "]}"...))
}

// odsIdentifier is the JSON of an Identifier holding an ODS code.
func odsIdentifier(b []byte, code string) []byte {
	b = append(b, `{"system":"`+odsSystem+`","value":`...)
	b = appendQuoted(b, code)
	return append(b, '}')
}

// append2 appends n (0-99) as two digits.
func append2(b []byte, n int) []byte {
	return append(b, byte('0'+n/10), byte('0'+n%10))
}
