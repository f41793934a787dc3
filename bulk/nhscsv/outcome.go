package nhscsv

import (
	"errors"
	"strings"

	"github.com/nimsproject/nims/fhir"
)

// unhandled is what the acknowledgement says of a fault of ours, in NHS England's words:
// the detail is for the log, not for the supplier.
const unhandled = "An unhandled error occurred during batch processing"

// outcomeText is the OPERATION_OUTCOME of a failed row: the diagnostics of its issues on
// one line, each followed by the column at fault when the issue names an element of the
// Immunization the row became.
func outcomeText(err error) string {
	var fe *fhir.Error
	if !errors.As(err, &fe) {
		return unhandled
	}
	switch fe.Kind {
	case fhir.KindInternal, fhir.KindUnavailable:
		return unhandled
	}
	var parts []string
	for _, is := range fe.Issues {
		if is.Severity != fhir.SeverityError && is.Severity != fhir.SeverityFatal {
			continue
		}
		text := is.Diagnostics
		if len(is.Expression) > 0 {
			if col := columnAt(is.Expression[0]); col != "" && !strings.Contains(text, col) {
				text += " (" + col + ")"
			}
		}
		parts = append(parts, text)
	}
	if len(parts) == 0 {
		parts = append(parts, fe.Details)
	}
	text := strings.Join(parts, "; ")
	if fe.Op == opValidate {
		text = "Validation errors: " + text
	}
	return oneLine(text)
}

// oneLine folds line breaks, tabs and runs of spaces into single spaces.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// columns names the column an element of the converted Immunization came from, the most
// specific path first. The Patient is contained[0] and the Practitioner contained[1]
// (convert.go); performer[0] is the organisation when the row has one.
var columns = []struct{ path, column string }{
	{"contained[0].identifier", "NHS_NUMBER"},
	{"contained[0].name[0].family", "PERSON_SURNAME"},
	{"contained[0].name[0].given", "PERSON_FORENAME"},
	{"contained[0].name", "PERSON_SURNAME, PERSON_FORENAME"},
	{"contained[0].gender", "PERSON_GENDER_CODE"},
	{"contained[0].birthDate", "PERSON_DOB"},
	{"contained[0].address", "PERSON_POSTCODE"},
	{"contained[1].name[0].family", "PERFORMING_PROFESSIONAL_SURNAME"},
	{"contained[1].name[0].given", "PERFORMING_PROFESSIONAL_FORENAME"},
	{"occurrenceDateTime", "DATE_AND_TIME"},
	{"occurrence", "DATE_AND_TIME"}, // R4's "occurrence[x] is required"
	{"performer[0].actor.identifier.system", "SITE_CODE_TYPE_URI"},
	{"performer[0].actor.identifier", "SITE_CODE"},
	{"performer", "SITE_CODE, SITE_CODE_TYPE_URI"},
	{"identifier[0].system", "UNIQUE_ID_URI"},
	{"identifier", "UNIQUE_ID"},
	{"recorded", "RECORDED_DATE"},
	{"primarySource", "PRIMARY_SOURCE"},
	{"extension", "VACCINATION_PROCEDURE_CODE"},
	{"protocolApplied[0].doseNumberPositiveInt", "DOSE_SEQUENCE"},
	{"protocolApplied[0].doseNumberString", "DOSE_SEQUENCE"},
	{"protocolApplied[0].doseNumber", "DOSE_SEQUENCE"},
	{"vaccineCode", "VACCINE_PRODUCT_CODE"},
	{"manufacturer", "VACCINE_MANUFACTURER"},
	{"lotNumber", "BATCH_NUMBER"},
	{"expirationDate", "EXPIRY_DATE"},
	{"site", "SITE_OF_VACCINATION_CODE"},
	{"route", "ROUTE_OF_VACCINATION_CODE"},
	{"doseQuantity.value", "DOSE_AMOUNT"},
	{"doseQuantity", "DOSE_UNIT_CODE"},
	{"reasonCode", "INDICATION_CODE"},
	{"location.identifier.system", "LOCATION_CODE_TYPE_URI"},
	{"location", "LOCATION_CODE"},
}

// columnAt returns the column of the element at the FHIRPath expr, "" when none.
func columnAt(expr string) string {
	rel, ok := strings.CutPrefix(expr, "Immunization.")
	if !ok {
		return ""
	}
	for _, c := range columns {
		if rest, ok := strings.CutPrefix(rel, c.path); ok && (rest == "" || rest[0] == '.' || rest[0] == '[') {
			return c.column
		}
	}
	return ""
}
