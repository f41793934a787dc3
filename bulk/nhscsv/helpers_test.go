package nhscsv

import (
	"context"
	"strings"
	"testing"

	"github.com/nimsproject/nims/fhir"
	"github.com/nimsproject/nims/store"
	"github.com/nimsproject/nims/store/sqlite"
)

const testFile = "testdata/FLU_Vaccinations_v5_RX809_20241015T17300000.csv"

func openStore(t *testing.T) store.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), t.TempDir(), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func fluFile(t *testing.T) FileName {
	t.Helper()
	fn, err := ParseFileName("FLU_Vaccinations_v5_RX809_20241015T17300000.csv")
	if err != nil {
		t.Fatal(err)
	}
	return fn
}

// good is a complete, valid flu row.
func good() map[string]string {
	return map[string]string{
		"NHS_NUMBER": "9000000009", "PERSON_FORENAME": "Sarah", "PERSON_SURNAME": "Taylor",
		"PERSON_DOB": "19480228", "PERSON_GENDER_CODE": "2", "PERSON_POSTCODE": "LS1 4AP",
		"DATE_AND_TIME": "20241014T10300001", "SITE_CODE": "RX809", "SITE_CODE_TYPE_URI": fhir.SystemODS,
		"UNIQUE_ID": "T-1", "UNIQUE_ID_URI": "https://supplierABC/identifiers/vacc", "ACTION_FLAG": "new",
		"PERFORMING_PROFESSIONAL_FORENAME": "Adaeze", "PERFORMING_PROFESSIONAL_SURNAME": "Okafor",
		"RECORDED_DATE": "20241014", "PRIMARY_SOURCE": "TRUE",
		"VACCINATION_PROCEDURE_CODE": "822851000000102", "VACCINATION_PROCEDURE_TERM": "Seasonal influenza vaccination (procedure)",
		"DOSE_SEQUENCE": "1", "VACCINE_PRODUCT_CODE": "39566211000001103", "VACCINE_PRODUCT_TERM": "Supemtek Quadrivalent (Sanofi)",
		"VACCINE_MANUFACTURER": "Sanofi", "BATCH_NUMBER": "SP7741A", "EXPIRY_DATE": "20250630",
		"SITE_OF_VACCINATION_CODE": "368208006", "SITE_OF_VACCINATION_TERM": "Left upper arm structure (body structure)",
		"ROUTE_OF_VACCINATION_CODE": "78421000", "ROUTE_OF_VACCINATION_TERM": "Intramuscular route (qualifier value)",
		"DOSE_AMOUNT": "0.5", "DOSE_UNIT_CODE": "258773002", "DOSE_UNIT_TERM": "Milliliter (qualifier value)",
		"INDICATION_CODE": "78648007", "LOCATION_CODE": "X99999", "LOCATION_CODE_TYPE_URI": fhir.SystemODS,
	}
}

// with returns the good row changed by pairs of column and value.
func with(kv ...string) map[string]string {
	m := good()
	for i := 0; i < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

// line writes a row as a file does: every value quoted.
func line(m map[string]string) string {
	vals := make([]string, len(Header))
	for i, h := range Header {
		vals[i] = `"` + strings.ReplaceAll(m[h], `"`, `""`) + `"`
	}
	return strings.Join(vals, "|")
}

func headerLine() string {
	return `"` + strings.Join(Header, `"|"`) + `"`
}

// file is a header and rows, CRLF-terminated.
func file(rows ...map[string]string) string {
	lines := []string{headerLine()}
	for _, r := range rows {
		lines = append(lines, line(r))
	}
	return strings.Join(lines, "\r\n") + "\r\n"
}
