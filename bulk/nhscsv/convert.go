package nhscsv

import (
	"bytes"
	"encoding/json"

	"github.com/nimsproject/nims/fhir"
)

// The row → Immunization mapping (the table is in doc.go). As in NHS England's
// converter, an element is written only when the row has a value for it, and nothing is
// judged here that the validator judges: a missing mandatory value is reported by
// fhir.Validate, with the column named in the acknowledgement (outcome.go). What is
// checked here is only what JSON cannot carry as the file writes it: dates, the gender
// code, true/false, numbers.

// The JSON shapes of the elements written, in the member order UK Core's examples use.
type (
	immunizationJSON struct {
		ResourceType       string            `json:"resourceType"`
		Meta               metaJSON          `json:"meta"`
		Contained          []any             `json:"contained"`
		Extension          []extensionJSON   `json:"extension,omitempty"`
		Identifier         []identifierJSON  `json:"identifier"`
		Status             string            `json:"status"`
		VaccineCode        conceptJSON       `json:"vaccineCode"`
		Patient            referenceJSON     `json:"patient"`
		OccurrenceDateTime string            `json:"occurrenceDateTime,omitempty"`
		Recorded           string            `json:"recorded,omitempty"`
		PrimarySource      *bool             `json:"primarySource,omitempty"`
		Manufacturer       *referenceJSON    `json:"manufacturer,omitempty"`
		Location           *referenceJSON    `json:"location,omitempty"`
		LotNumber          string            `json:"lotNumber,omitempty"`
		ExpirationDate     string            `json:"expirationDate,omitempty"`
		Site               *conceptJSON      `json:"site,omitempty"`
		Route              *conceptJSON      `json:"route,omitempty"`
		DoseQuantity       *quantityJSON     `json:"doseQuantity,omitempty"`
		Performer          []performerJSON   `json:"performer,omitempty"`
		ReasonCode         []conceptJSON     `json:"reasonCode,omitempty"`
		ProtocolApplied    []protocolApplied `json:"protocolApplied"`
	}
	metaJSON struct {
		Profile []string `json:"profile"`
	}
	patientJSON struct {
		ResourceType string           `json:"resourceType"`
		ID           string           `json:"id"`
		Identifier   []identifierJSON `json:"identifier,omitempty"`
		Name         []nameJSON       `json:"name,omitempty"`
		Gender       string           `json:"gender,omitempty"`
		BirthDate    string           `json:"birthDate,omitempty"`
		Address      []addressJSON    `json:"address,omitempty"`
	}
	practitionerJSON struct {
		ResourceType string     `json:"resourceType"`
		ID           string     `json:"id"`
		Name         []nameJSON `json:"name,omitempty"`
	}
	nameJSON struct {
		Family string   `json:"family,omitempty"`
		Given  []string `json:"given,omitempty"`
	}
	addressJSON struct {
		PostalCode string `json:"postalCode"`
	}
	identifierJSON struct {
		System string `json:"system,omitempty"`
		Value  string `json:"value,omitempty"`
	}
	coding struct {
		System  string `json:"system,omitempty"`
		Code    string `json:"code,omitempty"`
		Display string `json:"display,omitempty"`
	}
	conceptJSON struct {
		Coding []coding `json:"coding"`
	}
	extensionJSON struct {
		URL                  string      `json:"url"`
		ValueCodeableConcept conceptJSON `json:"valueCodeableConcept"`
	}
	referenceJSON struct {
		Reference  string          `json:"reference,omitempty"`
		Type       string          `json:"type,omitempty"`
		Identifier *identifierJSON `json:"identifier,omitempty"`
		Display    string          `json:"display,omitempty"`
	}
	performerJSON struct {
		Actor referenceJSON `json:"actor"`
	}
	quantityJSON struct {
		Value  json.Number `json:"value,omitempty"`
		Unit   string      `json:"unit,omitempty"`
		System string      `json:"system,omitempty"`
		Code   string      `json:"code,omitempty"`
	}
	protocolApplied struct {
		TargetDisease         []conceptJSON `json:"targetDisease"`
		DoseNumberPositiveInt json.Number   `json:"doseNumberPositiveInt,omitempty"`
		DoseNumberString      string        `json:"doseNumberString,omitempty"`
	}
)

// The ids of the contained resources; the Patient is always first (outcome.go relies on
// it to name columns).
const (
	patientID      = "Patient1"
	practitionerID = "Practitioner1"
)

// targetDiseases are the codings of a vaccine type's diseases; nil for an unknown type.
func targetDiseases(vaccineType string) []coding {
	var out []coding
	for _, code := range fhir.DiseasesOf(vaccineType) {
		out = append(out, coding{System: fhir.SystemSNOMED, Code: code, Display: fhir.DiseaseName(code)})
	}
	return out
}

// immunization converts a split row into a UK Core Immunization. A value that cannot be
// converted is left out and reported in issues, at the element it was for, so that the
// validator can still judge the rest.
func immunization(row *Row, diseases []coding) (js []byte, issues fhir.Issues, err error) {
	v := row.Value
	var is fhir.Issues
	imm := immunizationJSON{
		ResourceType: "Immunization",
		Meta:         metaJSON{Profile: []string{fhir.ProfileUKCoreImmunization}},
		Identifier:   []identifierJSON{{System: v("UNIQUE_ID_URI"), Value: v("UNIQUE_ID")}},
		Status:       "completed", // the file records vaccinations given
		VaccineCode:  vaccineCode(v("VACCINE_PRODUCT_CODE"), v("VACCINE_PRODUCT_TERM")),
		Patient:      referenceJSON{Reference: "#" + patientID},
		LotNumber:    v("BATCH_NUMBER"),
		Site:         snomed(v("SITE_OF_VACCINATION_CODE"), v("SITE_OF_VACCINATION_TERM")),
		Route:        snomed(v("ROUTE_OF_VACCINATION_CODE"), v("ROUTE_OF_VACCINATION_TERM")),
	}
	imm.Contained = append(imm.Contained, patient(v, &is))
	if code, term := v("VACCINATION_PROCEDURE_CODE"), v("VACCINATION_PROCEDURE_TERM"); code != "" || term != "" {
		imm.Extension = []extensionJSON{{URL: fhir.ExtVaccinationProcedure,
			ValueCodeableConcept: conceptJSON{Coding: []coding{{System: fhir.SystemSNOMED, Code: code, Display: term}}}}}
	}
	imm.OccurrenceDateTime = dateTime(v("DATE_AND_TIME"), "DATE_AND_TIME", &is)
	imm.Recorded = date(v("RECORDED_DATE"), "RECORDED_DATE", &is)
	imm.PrimarySource = boolean(v("PRIMARY_SOURCE"), "PRIMARY_SOURCE", &is)
	if m := v("VACCINE_MANUFACTURER"); m != "" {
		imm.Manufacturer = &referenceJSON{Display: m}
	}
	if code, sys := v("LOCATION_CODE"), v("LOCATION_CODE_TYPE_URI"); code != "" || sys != "" {
		imm.Location = &referenceJSON{Identifier: &identifierJSON{System: sys, Value: code}}
	}
	imm.ExpirationDate = date(v("EXPIRY_DATE"), "EXPIRY_DATE", &is)
	imm.DoseQuantity = doseQuantity(v("DOSE_AMOUNT"), v("DOSE_UNIT_CODE"), v("DOSE_UNIT_TERM"), &is)
	imm.Performer, imm.Contained = performers(v, imm.Contained)
	if code := v("INDICATION_CODE"); code != "" {
		imm.ReasonCode = []conceptJSON{{Coding: []coding{{System: fhir.SystemSNOMED, Code: code}}}}
	}
	pa := protocolApplied{TargetDisease: make([]conceptJSON, len(diseases))}
	for i, d := range diseases {
		pa.TargetDisease[i] = conceptJSON{Coding: []coding{d}}
	}
	// doseNumber[x] is mandatory in R4: NHS England writes this text when the file has none.
	pa.DoseNumberString = "Dose sequence not recorded"
	if seq := v("DOSE_SEQUENCE"); seq != "" {
		if n := integer(seq, "DOSE_SEQUENCE", &is); n != "" {
			pa.DoseNumberPositiveInt, pa.DoseNumberString = n, ""
		}
	}
	imm.ProtocolApplied = []protocolApplied{pa}
	js, err = encode(imm)
	return js, is, err
}

func patient(v func(string) string, is *fhir.Issues) patientJSON {
	p := patientJSON{ResourceType: "Patient", ID: patientID}
	if nhs := v("NHS_NUMBER"); nhs != "" {
		p.Identifier = []identifierJSON{{System: fhir.SystemNHSNumber, Value: nhs}}
	}
	if n := name(v("PERSON_SURNAME"), v("PERSON_FORENAME")); n != nil {
		p.Name = []nameJSON{*n}
	}
	p.Gender = gender(v("PERSON_GENDER_CODE"), is)
	p.BirthDate = date(v("PERSON_DOB"), "PERSON_DOB", is)
	if pc := v("PERSON_POSTCODE"); pc != "" {
		p.Address = []addressJSON{{PostalCode: pc}}
	}
	return p
}

// performers: the organisation (SITE_CODE) and, when named, the vaccinator as a
// contained Practitioner.
func performers(v func(string) string, contained []any) ([]performerJSON, []any) {
	var out []performerJSON
	if code, sys := v("SITE_CODE"), v("SITE_CODE_TYPE_URI"); code != "" || sys != "" {
		out = append(out, performerJSON{Actor: referenceJSON{Type: "Organization", Identifier: &identifierJSON{System: sys, Value: code}}})
	}
	if n := name(v("PERFORMING_PROFESSIONAL_SURNAME"), v("PERFORMING_PROFESSIONAL_FORENAME")); n != nil {
		contained = append(contained, practitionerJSON{ResourceType: "Practitioner", ID: practitionerID, Name: []nameJSON{*n}})
		out = append(out, performerJSON{Actor: referenceJSON{Reference: "#" + practitionerID}})
	}
	return out, contained
}

func name(family, given string) *nameJSON {
	if family == "" && given == "" {
		return nil
	}
	n := &nameJSON{Family: family}
	if given != "" {
		n.Given = []string{given}
	}
	return n
}

// vaccineCode: the product, or the null flavour NAVU ("not available") NHS England's
// converter writes when the row names none, vaccineCode being mandatory in R4.
func vaccineCode(code, term string) conceptJSON {
	if code == "" && term == "" {
		return conceptJSON{Coding: []coding{{System: fhir.SystemNullFlavor, Code: "NAVU", Display: "Not available"}}}
	}
	return conceptJSON{Coding: []coding{{System: fhir.SystemSNOMED, Code: code, Display: term}}}
}

func snomed(code, term string) *conceptJSON {
	if code == "" && term == "" {
		return nil
	}
	return &conceptJSON{Coding: []coding{{System: fhir.SystemSNOMED, Code: code, Display: term}}}
}

// doseQuantity: the unit code is SNOMED CT when it is a concept id (258773002 millilitre,
// as NHS England's files carry), else taken as UCUM (ml).
func doseQuantity(amount, code, term string, is *fhir.Issues) *quantityJSON {
	if amount == "" && code == "" && term == "" {
		return nil
	}
	q := &quantityJSON{Unit: term, Code: code}
	if amount != "" {
		q.Value = decimal(amount, "DOSE_AMOUNT", is)
	}
	switch {
	case code == "":
	case allDigits(code):
		q.System = fhir.SystemSNOMED
	default:
		q.System = fhir.SystemUCUM
	}
	return q
}

// encode writes v as compact JSON, leaving <, > and & as they are.
func encode(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fhir.Wrap("nhscsv.encode", err)
	}
	return bytes.TrimSuffix(b.Bytes(), []byte{'\n'}), nil
}
