package nhscsv

import (
	"bufio"
	"bytes"
	"errors"
	"strings"
	"unicode/utf8"
)

// The byte level of the format: lines, their encoding, and the quoted values in them.

// maxLineBytes bounds one line. A real row is well under 2 KB; the bound keeps a file
// without line breaks from being read into memory whole.
const maxLineBytes = 64 << 10

// readLine reads one line without its line break (LF or CRLF), the content dropped when it
// is longer than maxLineBytes. At the end of the input it returns io.EOF, with the last
// line's content when the file does not end in a line break.
func readLine(r *bufio.Reader) (content []byte, tooLong bool, err error) {
	var buf []byte
	for {
		chunk, e := r.ReadSlice('\n')
		if !tooLong {
			if len(buf)+len(chunk) > maxLineBytes+2 {
				tooLong, buf = true, nil
			} else {
				buf = append(buf, chunk...)
			}
		}
		if e == bufio.ErrBufferFull {
			continue
		}
		buf = bytes.TrimSuffix(buf, []byte{'\n'})
		return bytes.TrimSuffix(buf, []byte{'\r'}), tooLong, e
	}
}

// decodeText turns a line into a string: UTF-8 as it is, and every byte that is not part
// of valid UTF-8 read as Windows-1252, which is what suppliers' systems write when they
// are not writing UTF-8 (NHS England's processor retries a file as cp1252 for the same
// reason). The five bytes cp1252 leaves undefined become U+FFFD.
func decodeText(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	var s strings.Builder
	s.Grow(len(b) + len(b)/8)
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		if r == utf8.RuneError && n == 1 {
			r = cp1252(b[0])
		}
		s.WriteRune(r)
		b = b[n:]
	}
	return s.String()
}

// cp1252High maps Windows-1252 bytes 0x80-0x9F; the rest of the upper half is Latin-1.
var cp1252High = [32]rune{
	'€', utf8.RuneError, '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', utf8.RuneError, 'Ž', utf8.RuneError,
	utf8.RuneError, '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', utf8.RuneError, 'ž', 'Ÿ',
}

func cp1252(c byte) rune {
	if c >= 0x80 && c < 0xA0 {
		return cp1252High[c-0x80]
	}
	return rune(c) // ASCII never gets here; 0xA0-0xFF are Latin-1
}

var (
	errUnterminated = errors.New("a quoted value has no closing quote")
	errAfterQuote   = errors.New("a closing quote is followed by something other than '|'")
)

// splitValues splits a line at '|'. A value may be in double quotes, inside which '|' is
// an ordinary character and "" stands for one quote; unquoted values are taken as they
// are. Values are trimmed of surrounding white space. A line break cannot be inside a
// value: every line is one row, so that the acknowledgement has one line per row even for
// a file with a stray quote.
func splitValues(line string) ([]string, error) {
	values := make([]string, 0, len(Header))
	for i := 0; ; {
		if i < len(line) && line[i] == '"' {
			v, next, err := quoted(line, i+1)
			if err != nil {
				return nil, err
			}
			values = append(values, strings.TrimSpace(v))
			if next == len(line) {
				return values, nil
			}
			if line[next] != '|' {
				return nil, errAfterQuote
			}
			i = next + 1
			continue
		}
		j := strings.IndexByte(line[i:], '|')
		if j < 0 {
			return append(values, strings.TrimSpace(line[i:])), nil
		}
		values = append(values, strings.TrimSpace(line[i:i+j]))
		i += j + 1
	}
}

// quoted reads a quoted value starting after its opening quote at i; next is the
// position after the closing quote.
func quoted(line string, i int) (v string, next int, err error) {
	var b strings.Builder
	for {
		j := strings.IndexByte(line[i:], '"')
		if j < 0 {
			return "", 0, errUnterminated
		}
		b.WriteString(line[i : i+j])
		i += j + 1
		if i < len(line) && line[i] == '"' {
			b.WriteByte('"')
			i++
			continue
		}
		return b.String(), i, nil
	}
}
