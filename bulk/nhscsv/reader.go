package nhscsv

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"

	"github.com/nimsproject/nims/fhir"
)

// Header is the first line of a v5 file: the 34 columns, in this order.
var Header = []string{
	"NHS_NUMBER", "PERSON_FORENAME", "PERSON_SURNAME", "PERSON_DOB", "PERSON_GENDER_CODE",
	"PERSON_POSTCODE", "DATE_AND_TIME", "SITE_CODE", "SITE_CODE_TYPE_URI", "UNIQUE_ID",
	"UNIQUE_ID_URI", "ACTION_FLAG", "PERFORMING_PROFESSIONAL_FORENAME",
	"PERFORMING_PROFESSIONAL_SURNAME", "RECORDED_DATE", "PRIMARY_SOURCE",
	"VACCINATION_PROCEDURE_CODE", "VACCINATION_PROCEDURE_TERM", "DOSE_SEQUENCE",
	"VACCINE_PRODUCT_CODE", "VACCINE_PRODUCT_TERM", "VACCINE_MANUFACTURER", "BATCH_NUMBER",
	"EXPIRY_DATE", "SITE_OF_VACCINATION_CODE", "SITE_OF_VACCINATION_TERM",
	"ROUTE_OF_VACCINATION_CODE", "ROUTE_OF_VACCINATION_TERM", "DOSE_AMOUNT", "DOSE_UNIT_CODE",
	"DOSE_UNIT_TERM", "INDICATION_CODE", "LOCATION_CODE", "LOCATION_CODE_TYPE_URI",
}

var column = func() map[string]int {
	m := make(map[string]int, len(Header))
	for i, h := range Header {
		m[h] = i
	}
	return m
}()

// Action is what a row asks for: its ACTION_FLAG.
type Action uint8

const (
	ActionNew    Action = iota + 1 // create a record
	ActionUpdate                   // replace the record with the row's UNIQUE_ID
	ActionDelete                   // delete the record with the row's UNIQUE_ID
)

func (a Action) String() string {
	switch a {
	case ActionNew:
		return "NEW"
	case ActionUpdate:
		return "UPDATE"
	case ActionDelete:
		return "DELETE"
	}
	return ""
}

// Row is one data row of a file.
type Row struct {
	No     int      // 1-based among the data rows (the header and blank lines are not rows)
	Line   int      // 1-based line in the file; the header is line 1
	Fields []string // the values, unquoted, decoded and trimmed; nil when the line could not be split
	Action Action   // 0 when ACTION_FLAG is not new, update or delete
	// Immunization is the row as a UK Core Immunization, compact JSON, valid as the API's
	// create would find it. Nil for a delete, or when Err is set.
	Immunization []byte
	// Err is why the row cannot be applied: a *fhir.Error whose issues say what is wrong.
	Err error

	res *fhir.Resource // Immunization decoded, for the store
}

// Value returns the row's value in the named column ("" for an unknown column or a row
// that could not be split).
func (r Row) Value(col string) string {
	if i, ok := column[col]; ok && i < len(r.Fields) {
		return r.Fields[i]
	}
	return ""
}

// LocalID is the row's identifier as the acknowledgement names it: UNIQUE_ID^UNIQUE_ID_URI.
func (r Row) LocalID() string { return r.Value("UNIQUE_ID") + "^" + r.Value("UNIQUE_ID_URI") }

// Reader reads the rows of one file, one at a time: memory does not grow with the file.
type Reader struct {
	br       *bufio.Reader
	diseases []coding // the file's vaccine type as target diseases
	line     int
	row      int
	eof      bool
}

// NewReader reads and checks the header of a file named file. Errors: KindInvalid when
// the file is empty or its header is not Header exactly (a file-level rejection: no row
// is read), or the error of r.
func NewReader(r io.Reader, file FileName) (*Reader, error) {
	diseases := targetDiseases(file.VaccineType)
	if diseases == nil {
		return nil, fhir.Errorf(fhir.KindInvalid, "invalid", "", "%q is not a vaccine type of this service", file.VaccineType)
	}
	rd := &Reader{br: bufio.NewReaderSize(r, 64<<10), diseases: diseases}
	raw, tooLong, err := readLine(rd.br)
	rd.line = 1
	if err != nil && err != io.EOF {
		return nil, err
	}
	rd.eof = err == io.EOF
	raw = bytes.TrimPrefix(raw, []byte("\ufeff")) // a byte-order mark some editors write
	if len(bytes.TrimSpace(raw)) == 0 && !tooLong {
		return nil, fhir.Errorf(fhir.KindInvalid, "invalid", "", "The file is empty: it has no header line")
	}
	names, splitErr := splitValues(decodeText(raw))
	if tooLong || splitErr != nil || !equal(names, Header) {
		e := fhir.Errorf(fhir.KindInvalid, "invalid", "", "File headers are invalid: the first line must be the %d columns %s, quoted or not, separated by '|'",
			len(Header), strings.Join(Header, "|"))
		e.Details = "file headers are invalid"
		return nil, e
	}
	return rd, nil
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Next returns the next row, converted and validated; io.EOF after the last. Any other
// error is the underlying reader's: a row's own problems are in Row.Err.
func (rd *Reader) Next() (Row, error) {
	row, err := rd.next()
	if err == nil && row.Err == nil {
		rd.convert(&row)
	}
	return row, err
}

// next reads the next row and checks its ACTION_FLAG, without converting it.
func (rd *Reader) next() (Row, error) {
	for !rd.eof {
		raw, tooLong, err := readLine(rd.br)
		if err != nil && err != io.EOF {
			return Row{}, err
		}
		rd.eof = err == io.EOF
		rd.line++
		if len(bytes.TrimSpace(raw)) == 0 && !tooLong {
			continue
		}
		rd.row++
		row := Row{No: rd.row, Line: rd.line}
		switch {
		case tooLong:
			row.Err = rowError(fhir.KindTooLarge, "too-long", "The row is longer than %d bytes", maxLineBytes)
		default:
			row.Fields, row.Err = fields(decodeText(raw))
		}
		if row.Err == nil {
			row.Action, row.Err = action(row.Value("ACTION_FLAG"))
		}
		return row, nil
	}
	return Row{}, io.EOF
}

func fields(line string) ([]string, error) {
	values, err := splitValues(line)
	switch {
	case err != nil:
		return nil, rowError(fhir.KindInvalid, "structure", "The row cannot be read: %s", err.Error())
	case len(values) != len(Header):
		return nil, rowError(fhir.KindInvalid, "structure", "The row has %d values; the header has %d", len(values), len(Header))
	}
	return values, nil
}

func action(flag string) (Action, error) {
	switch strings.ToUpper(flag) {
	case "NEW":
		return ActionNew, nil
	case "UPDATE":
		return ActionUpdate, nil
	case "DELETE":
		return ActionDelete, nil
	}
	return 0, rowError(fhir.KindInvalid, "value", "Invalid ACTION_FLAG - ACTION_FLAG must be 'NEW', 'UPDATE' or 'DELETE'")
}

// convert checks the row's identifier and, but for a delete, makes it an Immunization and
// validates it as the API validates a create: fhir.Validate, which applies the UK Core and
// NHS England rules to a record declaring the UK Core profile. Values the conversion
// could not read and the validator's findings are reported together, the validator's
// dropped where they are about a column already reported.
func (rd *Reader) convert(row *Row) {
	if row.Value("UNIQUE_ID") == "" || row.Value("UNIQUE_ID_URI") == "" {
		row.Err = rowError(fhir.KindInvalid, "required", "UNIQUE_ID or UNIQUE_ID_URI is missing")
		return
	}
	if row.Action == ActionDelete {
		return
	}
	js, issues, err := immunization(row, rd.diseases)
	var r *fhir.Resource
	if err == nil {
		r, err = fhir.Decode(js)
	}
	if err == nil {
		err = fhir.Validate(r)
	}
	var fe *fhir.Error
	if err != nil && !(errors.As(err, &fe) && fe.Kind == fhir.KindInvalid) {
		row.Err = err
		return
	}
	if fe != nil {
		reported := map[string]bool{}
		for _, is := range issues {
			if len(is.Expression) > 0 && columnAt(is.Expression[0]) != "" {
				reported[columnAt(is.Expression[0])] = true
			}
		}
		for _, is := range fe.Issues {
			if len(is.Expression) == 0 || !reported[columnAt(is.Expression[0])] {
				issues = append(issues, is)
			}
		}
	}
	if len(issues) > 0 {
		row.Err = &fhir.Error{Kind: fhir.KindInvalid, Op: opValidate, Details: "the row is not a valid vaccination record", Issues: issues}
		return
	}
	row.Immunization, row.res = r.JSON, r
}

// opValidate marks the errors of the validator, which the acknowledgement introduces as
// NHS England's API does ("Validation errors: …").
const opValidate = "nhscsv.validate"

// rowError is a problem of one row. Details, which is logged, is the format alone: it
// carries no patient data.
func rowError(kind fhir.Kind, code, format string, args ...any) *fhir.Error {
	return fhir.Errorf(kind, code, "", format, args...)
}
