package nhscsv

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/nimsproject/nims/fhir"
)

// The conversions of single values from the file's notation to FHIR's. Each reports a
// value it cannot convert as an issue naming the column, at the element the column fills
// (elementOf), and returns the zero value so that conversion goes on and every bad value
// of the row is reported at once.

// elementOf is the FHIRPath of the element a converted column fills.
var elementOf = map[string]string{
	"PERSON_DOB":         "Immunization.contained[0].birthDate",
	"PERSON_GENDER_CODE": "Immunization.contained[0].gender",
	"DATE_AND_TIME":      "Immunization.occurrenceDateTime",
	"RECORDED_DATE":      "Immunization.recorded",
	"EXPIRY_DATE":        "Immunization.expirationDate",
	"PRIMARY_SOURCE":     "Immunization.primarySource",
	"DOSE_AMOUNT":        "Immunization.doseQuantity.value",
	"DOSE_SEQUENCE":      "Immunization.protocolApplied[0].doseNumberPositiveInt",
}

// dateTime converts DATE_AND_TIME, YYYYMMDDThhmmssZZ, ZZ being 00 (UTC) or 01 (British
// Summer Time), to a FHIR dateTime with the offset written +00:00 or +01:00. Without ZZ
// the time is UTC, as NHS England's converter takes it.
func dateTime(s, col string, is *fhir.Issues) string {
	if s == "" {
		return ""
	}
	ts := s
	if len(ts) == 15 {
		ts += "00"
	}
	t, err := parseTimestamp(strings.ToUpper(ts))
	if err != nil {
		is.Add("value", elementOf[col], "%s %q must be a date and time YYYYMMDDThhmmss followed by 00 (UTC) or 01 (British Summer Time)", col, s)
		return ""
	}
	return t.Format("2006-01-02T15:04:05-07:00")
}

// date converts YYYYMMDD to a FHIR date, YYYY-MM-DD.
func date(s, col string, is *fhir.Issues) string {
	if s == "" {
		return ""
	}
	t, err := time.Parse("20060102", s)
	if err != nil || len(s) != 8 || !allDigits(s) {
		is.Add("value", elementOf[col], "%s %q must be a date YYYYMMDD", col, s)
		return ""
	}
	return t.Format(time.DateOnly)
}

// genders are the NHS Data Dictionary person stated gender codes, as the file carries
// them, and the FHIR codes they stand for; the FHIR codes themselves are accepted too.
var genders = map[string]string{
	"1": "male", "2": "female", "9": "other", "0": "unknown",
	"male": "male", "female": "female", "other": "other", "unknown": "unknown",
}

func gender(s string, is *fhir.Issues) string {
	if s == "" {
		return ""
	}
	g, ok := genders[strings.ToLower(s)]
	if !ok {
		is.Add("value", elementOf["PERSON_GENDER_CODE"], "PERSON_GENDER_CODE %q must be 1 (male), 2 (female), 9 (other) or 0 (unknown)", s)
	}
	return g
}

func boolean(s, col string, is *fhir.Issues) *bool {
	var b bool
	switch strings.ToLower(s) {
	case "":
		return nil
	case "true":
		b = true
	case "false":
	default:
		is.Add("value", elementOf[col], "%s %q must be true or false", col, s)
		return nil
	}
	return &b
}

// integer returns a whole number as a JSON number, without leading zeros; how large it
// may be is the validator's question (a dose number is 1 to 9).
func integer(s, col string, is *fhir.Issues) json.Number {
	if !allDigits(s) {
		is.Add("value", elementOf[col], "%s %q must be a whole number", col, s)
		return ""
	}
	return json.Number(trimZeros(s))
}

// decimal returns a non-negative decimal as a JSON number: "0.5", ".5" and "00.5" are all
// 0.5; the digits written after the point are kept (FHIR decimals keep their precision).
func decimal(s, col string, is *fhir.Issues) json.Number {
	whole, frac, point := strings.Cut(s, ".")
	if whole == "" {
		whole = "0"
	}
	if !allDigits(whole) || point && !allDigits(frac) {
		is.Add("value", elementOf[col], "%s %q must be a number", col, s)
		return ""
	}
	if point {
		return json.Number(trimZeros(whole) + "." + frac)
	}
	return json.Number(trimZeros(whole))
}

func trimZeros(digits string) string {
	if t := strings.TrimLeft(digits, "0"); t != "" {
		return t
	}
	return "0"
}
