package api

import (
	"net/url"

	"github.com/nimsproject/nims/fhir"
	"github.com/nimsproject/nims/fhir/search"
)

// Patient compartment search, GET [base]/Patient/[id]/[type]
// (https://hl7.org/fhir/R4/compartmentdefinition-patient.html).

// patientCompartmentURL is the definition the CapabilityStatement names.
const patientCompartmentURL = "http://hl7.org/fhir/CompartmentDefinition/patient"

// compartmentParam is, for each type of the Patient compartment, the reference parameter
// that names the patient the record is about: the type's patient parameter where the
// table has one, else the first parameter of the compartment definition that may refer
// to a Patient. A Patient's own compartment holds itself (_id).
//
// One parameter, not all the definition lists: a Query ANDs its filters, and has no OR
// across parameters, so Observation's performer or Communication's sender and recipient
// cannot be added without narrowing the search to records where the patient is both.
// The compartment served is therefore the records about the patient, not those the
// patient performed, wrote or received.
var compartmentParam = map[string]string{
	"Account": "patient", "AdverseEvent": "subject", "AllergyIntolerance": "patient",
	"Appointment": "patient", "AppointmentResponse": "patient", "AuditEvent": "patient",
	"Basic": "patient", "BodyStructure": "patient", "CarePlan": "patient", "CareTeam": "patient",
	"ChargeItem": "patient", "Claim": "patient", "ClaimResponse": "patient",
	"ClinicalImpression": "patient", "Communication": "patient", "CommunicationRequest": "patient",
	"Composition": "patient", "Condition": "patient", "Consent": "patient", "Coverage": "patient",
	"CoverageEligibilityRequest": "patient", "CoverageEligibilityResponse": "patient",
	"DetectedIssue": "patient", "DeviceRequest": "patient", "DeviceUseStatement": "patient",
	"DiagnosticReport": "patient", "DocumentManifest": "patient", "DocumentReference": "patient",
	"Encounter": "patient", "EnrollmentRequest": "patient", "EpisodeOfCare": "patient",
	"ExplanationOfBenefit": "patient", "FamilyMemberHistory": "patient", "Flag": "patient",
	"Goal": "patient", "Group": "member", "ImagingStudy": "patient", "Immunization": "patient",
	"ImmunizationEvaluation": "patient", "ImmunizationRecommendation": "patient",
	"Invoice": "patient", "List": "patient", "MeasureReport": "patient", "Media": "patient",
	"MedicationAdministration": "patient", "MedicationDispense": "patient",
	"MedicationRequest": "patient", "MedicationStatement": "patient", "MolecularSequence": "patient",
	"NutritionOrder": "patient", "Observation": "patient", "Patient": "_id", "Person": "patient",
	"Procedure": "patient", "Provenance": "patient", "QuestionnaireResponse": "patient",
	"RelatedPerson": "patient", "RequestGroup": "patient", "ResearchSubject": "patient",
	"RiskAssessment": "patient", "Schedule": "actor", "ServiceRequest": "patient",
	"Specimen": "patient", "SupplyDelivery": "patient", "SupplyRequest": "subject",
	"Task": "patient", "VisionPrescription": "patient",
}

// compartmentFilter returns the filter that limits a search of typ to the compartment of
// Patient id. Errors: KindNotFound for a compartment other than Patient's, KindInvalid for
// a type outside the Patient compartment.
func compartmentFilter(compartment, id, typ string) (search.Filter, error) {
	if compartment != "Patient" {
		return search.Filter{}, fhir.Errorf(fhir.KindNotFound, "not-supported", "",
			"compartment search is supported for the Patient compartment only, not %s", compartment)
	}
	if !fhir.IsResourceType(typ) {
		return search.Filter{}, fhir.Errorf(fhir.KindNotFound, "not-supported", "", "resource type %q is not supported (not a FHIR R4 resource type)", typ)
	}
	name, ok := compartmentParam[typ]
	if !ok {
		return search.Filter{}, fhir.Errorf(fhir.KindInvalid, "not-supported", "", "%s is not in the Patient compartment", typ)
	}
	value := "Patient/" + id
	if name == "_id" {
		value = id
	}
	// Parse builds the filter, so that it is exactly what the same parameter in a query
	// string would give.
	q, err := search.Parse(typ, url.Values{name: {value}}, search.ParseOptions{Strict: true})
	if err != nil {
		return search.Filter{}, err
	}
	return q.Filters[0], nil
}
