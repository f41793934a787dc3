package nhscsv

import (
	"encoding/json"
	"errors"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/nimsproject/nims/fhir"
)

// rows reads every row of content.
func rows(t *testing.T, content string) []Row {
	t.Helper()
	rd, err := NewReader(strings.NewReader(content), fluFile(t))
	if err != nil {
		t.Fatalf("NewReader: %v", err)
	}
	var out []Row
	for {
		row, err := rd.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, row)
	}
}

func diagnostics(err error) string {
	var fe *fhir.Error
	if !errors.As(err, &fe) {
		return "not a *fhir.Error: " + err.Error()
	}
	return outcomeText(fe)
}

func TestHeader(t *testing.T) {
	h := headerLine()
	tests := []struct {
		name, content string
		ok            bool
	}{
		{"quoted, CRLF", h + "\r\n", true},
		{"unquoted, LF, no final line break", strings.Join(Header, "|"), true},
		{"byte-order mark", "\ufeff" + h + "\n", true},
		{"empty file", "", false},
		{"blank first line", "\n" + h + "\n", false},
		{"a column missing", strings.Join(Header[:33], "|") + "\n", false},
		{"a column too many", strings.Join(Header, "|") + "|EXTRA\n", false},
		{"columns swapped", strings.Replace(h, "PERSON_FORENAME\"|\"PERSON_SURNAME", "PERSON_SURNAME\"|\"PERSON_FORENAME", 1), false},
		{"lower case", strings.ToLower(h), false},
		{"comma separated", strings.Join(Header, ","), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewReader(strings.NewReader(tc.content), fluFile(t))
			if tc.ok != (err == nil) {
				t.Fatalf("NewReader(%q) = %v, want ok %v", tc.content, err, tc.ok)
			}
			if err != nil && fhir.KindOf(err) != fhir.KindInvalid {
				t.Errorf("NewReader(%q) = %v, want KindInvalid", tc.content, err)
			}
		})
	}
}

func TestSplitValues(t *testing.T) {
	tests := []struct {
		line string
		want []string
		err  bool
	}{
		{`"a"|"b"|"c"`, []string{"a", "b", "c"}, false},
		{`a|b|c`, []string{"a", "b", "c"}, false},
		{`"a"|b|""`, []string{"a", "b", ""}, false},
		{`||`, []string{"", "", ""}, false},
		{`"O""Brien"|"x|y"`, []string{`O"Brien`, "x|y"}, false},
		{`" padded "|  b  `, []string{"padded", "b"}, false},
		{`a"b|c`, []string{`a"b`, "c"}, false}, // a quote inside an unquoted value is a character
		{`"a|b`, nil, true},
		{`"a"b|c`, nil, true},
	}
	for _, tc := range tests {
		got, err := splitValues(tc.line)
		if (err != nil) != tc.err || strings.Join(got, "¦") != strings.Join(tc.want, "¦") {
			t.Errorf("splitValues(%q) = %q, %v; want %q, error %v", tc.line, got, err, tc.want, tc.err)
		}
	}
}

// Bytes that are not UTF-8 are read as Windows-1252; UTF-8 stays UTF-8, even on the same
// line.
func TestDecodeText(t *testing.T) {
	tests := []struct {
		in   []byte
		want string
	}{
		{[]byte("Chloé"), "Chloé"},
		{[]byte("Chlo\xe9"), "Chloé"},
		{[]byte("\x93quoted\x94 \x80 Ren\xe9e"), "“quoted” € Renée"},
		{[]byte("Zoë and Chlo\xe9"), "Zoë and Chloé"},
		{[]byte("\x81"), "\ufffd"},
	}
	for _, tc := range tests {
		if got := decodeText(tc.in); got != tc.want {
			t.Errorf("decodeText(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	// Through the reader: a cp1252 surname reaches the record as UTF-8.
	content := file(with("PERSON_SURNAME", "Renée"))
	content = strings.Replace(content, "Renée", "Ren\xe9e", 1)
	got := rows(t, content)
	if len(got) != 1 || got[0].Err != nil {
		t.Fatalf("rows = %+v", got)
	}
	if !strings.Contains(string(got[0].Immunization), `"family":"Renée"`) {
		t.Errorf("the surname was not decoded: %s", got[0].Immunization)
	}
}

// The testdata file reads whole: ten rows, all good, numbered, with their actions.
func TestReadTestdata(t *testing.T) {
	b, err := os.ReadFile(testFile)
	if err != nil {
		t.Fatal(err)
	}
	got := rows(t, string(b))
	wantActions := []Action{ActionNew, ActionNew, ActionNew, ActionNew, ActionNew, ActionUpdate, ActionDelete, ActionNew, ActionUpdate, ActionDelete}
	if len(got) != len(wantActions) {
		t.Fatalf("%d rows, want %d", len(got), len(wantActions))
	}
	for i, row := range got {
		if row.Err != nil {
			t.Errorf("row %d: %s", row.No, diagnostics(row.Err))
		}
		if row.No != i+1 || row.Line != i+2 || row.Action != wantActions[i] {
			t.Errorf("row %d: No %d Line %d Action %v, want %d, %d, %v", i, row.No, row.Line, row.Action, i+1, i+2, wantActions[i])
		}
		if (row.Immunization == nil) != (row.Action == ActionDelete) {
			t.Errorf("row %d (%v): Immunization %q", row.No, row.Action, row.Immunization)
		}
	}
}

// A row becomes the Immunization doc.go describes.
func TestConvert(t *testing.T) {
	got := rows(t, file(good()))
	if len(got) != 1 || got[0].Err != nil {
		t.Fatalf("rows = %+v (%v)", got, got[0].Err)
	}
	var imm map[string]any
	if err := json.Unmarshal(got[0].Immunization, &imm); err != nil {
		t.Fatal(err)
	}
	checks := []struct{ path, want string }{
		{"meta.profile.0", fhir.ProfileUKCoreImmunization},
		{"status", "completed"},
		{"identifier.0.system", "https://supplierABC/identifiers/vacc"},
		{"identifier.0.value", "T-1"},
		{"patient.reference", "#Patient1"},
		{"contained.0.identifier.0.value", "9000000009"},
		{"contained.0.name.0.family", "Taylor"},
		{"contained.0.name.0.given.0", "Sarah"},
		{"contained.0.gender", "female"},
		{"contained.0.birthDate", "1948-02-28"},
		{"contained.0.address.0.postalCode", "LS1 4AP"},
		{"contained.1.name.0.family", "Okafor"},
		{"occurrenceDateTime", "2024-10-14T10:30:00+01:00"},
		{"recorded", "2024-10-14"},
		{"primarySource", "true"},
		{"performer.0.actor.type", "Organization"},
		{"performer.0.actor.identifier.value", "RX809"},
		{"performer.1.actor.reference", "#Practitioner1"},
		{"extension.0.valueCodeableConcept.coding.0.code", "822851000000102"},
		{"vaccineCode.coding.0.code", "39566211000001103"},
		{"manufacturer.display", "Sanofi"},
		{"lotNumber", "SP7741A"},
		{"expirationDate", "2025-06-30"},
		{"site.coding.0.code", "368208006"},
		{"route.coding.0.code", "78421000"},
		{"doseQuantity.value", "0.5"},
		{"doseQuantity.system", fhir.SystemSNOMED},
		{"doseQuantity.code", "258773002"},
		{"reasonCode.0.coding.0.code", "78648007"},
		{"location.identifier.value", "X99999"},
		{"protocolApplied.0.targetDisease.0.coding.0.code", "6142004"},
		{"protocolApplied.0.doseNumberPositiveInt", "1"},
	}
	for _, c := range checks {
		if v := lookup(imm, c.path); v != c.want {
			t.Errorf("%s = %q, want %q", c.path, v, c.want)
		}
	}

	// No DOSE_SEQUENCE: the text NHS England writes; a UCUM unit; no product.
	got = rows(t, file(with("DOSE_SEQUENCE", "", "DOSE_UNIT_CODE", "ml", "VACCINE_PRODUCT_CODE", "", "VACCINE_PRODUCT_TERM", "", "DATE_AND_TIME", "20241214T103000")))
	if got[0].Err != nil {
		t.Fatal(diagnostics(got[0].Err))
	}
	json.Unmarshal(got[0].Immunization, &imm)
	for _, c := range []struct{ path, want string }{
		{"protocolApplied.0.doseNumberString", "Dose sequence not recorded"},
		{"doseQuantity.system", fhir.SystemUCUM},
		{"vaccineCode.coding.0.code", "NAVU"},
		{"occurrenceDateTime", "2024-12-14T10:30:00+00:00"},
	} {
		if v := lookup(imm, c.path); v != c.want {
			t.Errorf("%s = %q, want %q", c.path, v, c.want)
		}
	}
}

// lookup follows a dotted path of members and indexes.
func lookup(v any, path string) string {
	for _, seg := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			v = x[seg]
		case []any:
			i := int(seg[0] - '0')
			if i >= len(x) {
				return ""
			}
			v = x[i]
		}
	}
	switch x := v.(type) {
	case string:
		return x
	case nil:
		return ""
	default:
		b, _ := json.Marshal(x)
		return string(b)
	}
}

// Each row error, alone on an otherwise good row, with what its outcome says.
func TestRowErrors(t *testing.T) {
	tests := []struct {
		name string
		line string
		want string // a piece of the OPERATION_OUTCOME
	}{
		{"action flag", line(with("ACTION_FLAG", "insert")), "Invalid ACTION_FLAG"},
		{"action flag empty", line(with("ACTION_FLAG", "")), "Invalid ACTION_FLAG"},
		{"unique id missing", line(with("UNIQUE_ID", "")), "UNIQUE_ID or UNIQUE_ID_URI is missing"},
		{"unique id uri missing on a delete", line(with("UNIQUE_ID_URI", "", "ACTION_FLAG", "delete")), "UNIQUE_ID or UNIQUE_ID_URI is missing"},
		{"too few values", strings.Join(strings.Split(line(good()), "|")[:20], "|"), "The row has 20 values; the header has 34"},
		{"unterminated quote", line(good()) + `|"x`, "no closing quote"},
		{"date of birth", line(with("PERSON_DOB", "1948-02-28")), `PERSON_DOB "1948-02-28" must be a date YYYYMMDD`},
		{"impossible date", line(with("EXPIRY_DATE", "20250230")), "EXPIRY_DATE"},
		{"date and time offset", line(with("DATE_AND_TIME", "20241014T10300002")), "DATE_AND_TIME"},
		{"recorded date", line(with("RECORDED_DATE", "14/10/2024")), "RECORDED_DATE"},
		{"gender", line(with("PERSON_GENDER_CODE", "F")), "PERSON_GENDER_CODE"},
		{"primary source", line(with("PRIMARY_SOURCE", "yes")), "PRIMARY_SOURCE"},
		{"dose amount", line(with("DOSE_AMOUNT", "half")), "DOSE_AMOUNT"},
		{"dose sequence", line(with("DOSE_SEQUENCE", "first")), "DOSE_SEQUENCE"},
		// What the validator refuses, named by column.
		{"NHS number", line(with("NHS_NUMBER", "1234567890")), "not a valid NHS number (NHS_NUMBER)"},
		{"surname", line(with("PERSON_SURNAME", "")), "PERSON_SURNAME"},
		{"postcode", line(with("PERSON_POSTCODE", "")), "PERSON_POSTCODE"},
		{"future vaccination", line(with("DATE_AND_TIME", "20991014T10300001")), "must not be in the future (DATE_AND_TIME)"},
		{"dose sequence range", line(with("DOSE_SEQUENCE", "10")), "range 1 to 9 (DOSE_SEQUENCE)"},
		{"procedure code", line(with("VACCINATION_PROCEDURE_CODE", "1234567")), "not a valid snomed code (VACCINATION_PROCEDURE_CODE)"},
		{"procedure missing", line(with("VACCINATION_PROCEDURE_CODE", "", "VACCINATION_PROCEDURE_TERM", "")), "VACCINATION_PROCEDURE_CODE"},
		{"site code", line(with("SITE_CODE", "")), "SITE_CODE"},
		{"location", line(with("LOCATION_CODE", "", "LOCATION_CODE_TYPE_URI", "")), "LOCATION_CODE"},
		{"primary source missing", line(with("PRIMARY_SOURCE", "")), "primarySource is a mandatory field (PRIMARY_SOURCE)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := rows(t, headerLine()+"\n"+tc.line+"\n")
			if len(got) != 1 {
				t.Fatalf("%d rows, want 1", len(got))
			}
			if got[0].Err == nil {
				t.Fatalf("no error; Immunization %s", got[0].Immunization)
			}
			if d := diagnostics(got[0].Err); !strings.Contains(d, tc.want) {
				t.Errorf("outcome %q, want it to contain %q", d, tc.want)
			}
			if got[0].Immunization != nil {
				t.Errorf("a row in error has an Immunization")
			}
		})
	}
}

// A delete needs only its identifier.
func TestDeleteNeedsOnlyIdentifier(t *testing.T) {
	m := map[string]string{"UNIQUE_ID": "T-1", "UNIQUE_ID_URI": "https://supplierABC/identifiers/vacc", "ACTION_FLAG": "Delete"}
	got := rows(t, file(m))
	if len(got) != 1 || got[0].Err != nil || got[0].Action != ActionDelete || got[0].LocalID() != "T-1^https://supplierABC/identifiers/vacc" {
		t.Fatalf("rows = %+v", got)
	}
}

// Blank lines are not rows; LF and CRLF both end lines.
func TestLines(t *testing.T) {
	content := headerLine() + "\n" + line(with("UNIQUE_ID", "a")) + "\r\n\r\n  \n" + line(with("UNIQUE_ID", "b"))
	got := rows(t, content)
	if len(got) != 2 || got[0].No != 1 || got[1].No != 2 || got[1].Line != 5 || got[1].Value("UNIQUE_ID") != "b" {
		t.Fatalf("rows = %+v", got)
	}
	for _, r := range got {
		if r.Err != nil {
			t.Errorf("row %d: %s", r.No, diagnostics(r.Err))
		}
	}
}

// Every problem of a row is reported at once: values that cannot be converted and what
// the validator finds in the rest, without the validator repeating a column already
// reported.
func TestRowErrorsTogether(t *testing.T) {
	got := rows(t, file(with("PERSON_DOB", "1948", "NHS_NUMBER", "9000000001", "PRIMARY_SOURCE", "yes", "DATE_AND_TIME", "2024")))
	d := diagnostics(got[0].Err)
	for _, want := range []string{"Validation errors: ", `PERSON_DOB "1948"`, "(NHS_NUMBER)", `PRIMARY_SOURCE "yes"`, `DATE_AND_TIME "2024"`} {
		if !strings.Contains(d, want) {
			t.Errorf("outcome %q, want it to contain %q", d, want)
		}
	}
	for _, unwanted := range []string{"birthDate is a mandatory field", "primarySource is a mandatory field", "'occurrence' is required"} {
		if strings.Contains(d, unwanted) {
			t.Errorf("outcome %q repeats a reported column: %q", d, unwanted)
		}
	}
}
