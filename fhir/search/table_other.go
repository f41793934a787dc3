package search

import (
	"slices"
	"strings"

	"github.com/nimsproject/nims/fhir"
)

// The other R4 resource types: identifier, the reference parameters by which each belongs
// to the Patient compartment (https://hl7.org/fhir/R4/compartmentdefinition-patient.html)
// and patient where R4 defines it, so that every type a client may store can be found by
// business identifier and by patient. Their rows are
// data: one line per parameter, with the official definition's FHIRPath (the branch for
// the type), id and targets; the generic extractors do the rest.

// otherRows returns the rows of the types without a table file of their own.
func otherRows() []paramRow {
	var rows []paramRow
	for _, rt := range fhir.ResourceTypes() {
		if ownTable[rt] || slices.Contains(noIdentifier, rt) {
			continue
		}
		rows = append(rows, identifierRow(rt))
	}
	for _, c := range slices.Concat(compartmentRows, byPatientRows) {
		rows = append(rows, paramRow{typ: c.typ, name: c.name, kind: TypeReference, expr: c.expr, def: c.def, targets: c.targets})
	}
	return rows
}

// ownTable are the types whose every R4 parameter is in a table_<type>.go file.
var ownTable = map[string]bool{"Patient": true, "Practitioner": true, "Immunization": true, "Flag": true,
	"Communication": true, "Organization": true, "Group": true, "Subscription": true, "AuditEvent": true}

// noIdentifier are the R4 resource types without an identifier element.
var noIdentifier = strings.Fields(`AuditEvent Binary CapabilityStatement CompartmentDefinition
	GraphDefinition ImplementationGuide Linkage MedicationKnowledge MedicinalProductContraindication
	MedicinalProductIndication MedicinalProductInteraction MedicinalProductManufactured
	MedicinalProductUndesirableEffect MessageHeader NamingSystem OperationDefinition
	OperationOutcome Parameters Provenance SearchParameter Subscription SubstanceNucleicAcid
	SubstancePolymer SubstanceProtein SubstanceReferenceInformation SubstanceSourceMaterial
	TerminologyCapabilities VerificationResult`)

// Which official SearchParameter defines identifier for a type: most types have their
// own (Account-identifier); these share one.
var (
	clinicalIdentifier = strings.Fields(`AllergyIntolerance CarePlan CareTeam Composition Condition
		Consent DetectedIssue DeviceRequest DiagnosticReport DocumentManifest DocumentReference
		Encounter EpisodeOfCare FamilyMemberHistory Goal ImagingStudy Immunization List
		MedicationAdministration MedicationDispense MedicationRequest MedicationStatement
		NutritionOrder Observation Procedure RiskAssessment ServiceRequest SupplyDelivery
		SupplyRequest VisionPrescription`)
	conformanceIdentifier = strings.Fields(`CodeSystem ConceptMap MessageDefinition StructureDefinition
		StructureMap ValueSet`)
	// R4 defines no identifier parameter for these, though they have the element; the
	// server adds one (Definition "").
	unofficialIdentifier = strings.Fields(`AdverseEvent BiologicallyDerivedProduct CatalogEntry
		MedicinalProductIngredient ObservationDefinition SubstanceSpecification`)
)

func identifierRow(rt string) paramRow {
	r := paramRow{typ: rt, name: "identifier", kind: TypeToken, expr: rt + ".identifier", def: rt + "-identifier"}
	switch {
	case slices.Contains(clinicalIdentifier, rt):
		r.def = "clinical-identifier"
	case slices.Contains(conformanceIdentifier, rt):
		r.def = "conformance-identifier"
	case slices.Contains(unofficialIdentifier, rt):
		r.def = ""
	}
	if rt == "DocumentManifest" || rt == "DocumentReference" {
		r.expr = rt + ".masterIdentifier | " + rt + ".identifier"
	}
	return r
}

// compartmentRows: for each type of the Patient compartment, the parameters its
// definition lists (targets "*": any type but Parameters).
var compartmentRows = []struct{ typ, name, expr, def, targets string }{
	{"Account", "subject", "Account.subject", "Account-subject", "Practitioner Organization Device Patient HealthcareService PractitionerRole Location"},
	{"AdverseEvent", "subject", "AdverseEvent.subject", "AdverseEvent-subject", "Practitioner Group Patient RelatedPerson"},
	{"AllergyIntolerance", "patient", "AllergyIntolerance.patient", "clinical-patient", "Patient Group"},
	{"AllergyIntolerance", "recorder", "AllergyIntolerance.recorder", "AllergyIntolerance-recorder", "Practitioner Patient PractitionerRole RelatedPerson"},
	{"AllergyIntolerance", "asserter", "AllergyIntolerance.asserter", "AllergyIntolerance-asserter", "Practitioner Patient PractitionerRole RelatedPerson"},
	{"Appointment", "actor", "Appointment.participant.actor", "Appointment-actor", "Practitioner Device Patient HealthcareService PractitionerRole RelatedPerson Location"},
	{"AppointmentResponse", "actor", "AppointmentResponse.actor", "AppointmentResponse-actor", "Practitioner Device Patient HealthcareService PractitionerRole RelatedPerson Location"},
	{"Basic", "patient", "Basic.subject.where(resolve() is Patient)", "Basic-patient", "Patient"},
	{"Basic", "author", "Basic.author", "Basic-author", "Practitioner Organization Patient PractitionerRole RelatedPerson"},
	{"BodyStructure", "patient", "BodyStructure.patient", "BodyStructure-patient", "Patient"},
	{"CarePlan", "patient", "CarePlan.subject.where(resolve() is Patient)", "clinical-patient", "Patient Group"},
	{"CarePlan", "performer", "CarePlan.activity.detail.performer", "CarePlan-performer", "Practitioner Organization CareTeam Device Patient HealthcareService PractitionerRole RelatedPerson"},
	{"CareTeam", "patient", "CareTeam.subject.where(resolve() is Patient)", "clinical-patient", "Patient Group"},
	{"CareTeam", "participant", "CareTeam.participant.member", "CareTeam-participant", "Practitioner Organization CareTeam Patient PractitionerRole RelatedPerson"},
	{"ChargeItem", "subject", "ChargeItem.subject", "ChargeItem-subject", "Group Patient"},
	{"Claim", "patient", "Claim.patient", "Claim-patient", "Patient"},
	{"Claim", "payee", "Claim.payee.party", "Claim-payee", "Practitioner Organization Patient PractitionerRole RelatedPerson"},
	{"ClaimResponse", "patient", "ClaimResponse.patient", "ClaimResponse-patient", "Patient"},
	{"ClinicalImpression", "subject", "ClinicalImpression.subject", "ClinicalImpression-subject", "Group Patient"},
	{"CommunicationRequest", "subject", "CommunicationRequest.subject", "CommunicationRequest-subject", "Group Patient"},
	{"CommunicationRequest", "sender", "CommunicationRequest.sender", "CommunicationRequest-sender", "Practitioner Organization Device Patient HealthcareService PractitionerRole RelatedPerson"},
	{"CommunicationRequest", "recipient", "CommunicationRequest.recipient", "CommunicationRequest-recipient", "Practitioner Group Organization CareTeam Device Patient HealthcareService PractitionerRole RelatedPerson"},
	{"CommunicationRequest", "requester", "CommunicationRequest.requester", "CommunicationRequest-requester", "Practitioner Organization Device Patient PractitionerRole RelatedPerson"},
	{"Composition", "subject", "Composition.subject", "Composition-subject", "*"},
	{"Composition", "author", "Composition.author", "Composition-author", "Practitioner Organization Device Patient PractitionerRole RelatedPerson"},
	{"Composition", "attester", "Composition.attester.party", "Composition-attester", "Practitioner Organization Patient PractitionerRole RelatedPerson"},
	{"Condition", "patient", "Condition.subject.where(resolve() is Patient)", "clinical-patient", "Patient Group"},
	{"Condition", "asserter", "Condition.asserter", "Condition-asserter", "Practitioner Patient PractitionerRole RelatedPerson"},
	{"Consent", "patient", "Consent.patient", "clinical-patient", "Patient Group"},
	{"Coverage", "policy-holder", "Coverage.policyHolder", "Coverage-policy-holder", "Organization Patient RelatedPerson"},
	{"Coverage", "subscriber", "Coverage.subscriber", "Coverage-subscriber", "Patient RelatedPerson"},
	{"Coverage", "beneficiary", "Coverage.beneficiary", "Coverage-beneficiary", "Patient"},
	{"Coverage", "payor", "Coverage.payor", "Coverage-payor", "Organization Patient RelatedPerson"},
	{"CoverageEligibilityRequest", "patient", "CoverageEligibilityRequest.patient", "CoverageEligibilityRequest-patient", "Patient"},
	{"CoverageEligibilityResponse", "patient", "CoverageEligibilityResponse.patient", "CoverageEligibilityResponse-patient", "Patient"},
	{"DetectedIssue", "patient", "DetectedIssue.patient", "clinical-patient", "Patient Group"},
	{"DeviceRequest", "subject", "DeviceRequest.subject", "DeviceRequest-subject", "Group Device Patient Location"},
	{"DeviceRequest", "performer", "DeviceRequest.performer", "DeviceRequest-performer", "Practitioner Organization CareTeam Device Patient HealthcareService PractitionerRole RelatedPerson"},
	{"DeviceUseStatement", "subject", "DeviceUseStatement.subject", "DeviceUseStatement-subject", "Group Patient"},
	{"DiagnosticReport", "subject", "DiagnosticReport.subject", "DiagnosticReport-subject", "Group Device Patient Location"},
	{"DocumentManifest", "subject", "DocumentManifest.subject", "DocumentManifest-subject", "Practitioner Group Device Patient"},
	{"DocumentManifest", "author", "DocumentManifest.author", "DocumentManifest-author", "Practitioner Organization Device Patient PractitionerRole RelatedPerson"},
	{"DocumentManifest", "recipient", "DocumentManifest.recipient", "DocumentManifest-recipient", "Practitioner Organization Patient PractitionerRole RelatedPerson"},
	{"DocumentReference", "subject", "DocumentReference.subject", "DocumentReference-subject", "Practitioner Group Device Patient"},
	{"DocumentReference", "author", "DocumentReference.author", "DocumentReference-author", "Practitioner Organization Device Patient PractitionerRole RelatedPerson"},
	{"Encounter", "subject", "Encounter.subject", "Encounter-subject", "Group Patient"},
	{"EnrollmentRequest", "subject", "EnrollmentRequest.candidate", "EnrollmentRequest-subject", "Patient"},
	{"EpisodeOfCare", "patient", "EpisodeOfCare.patient", "clinical-patient", "Patient Group"},
	{"ExplanationOfBenefit", "patient", "ExplanationOfBenefit.patient", "ExplanationOfBenefit-patient", "Patient"},
	{"ExplanationOfBenefit", "payee", "ExplanationOfBenefit.payee.party", "ExplanationOfBenefit-payee", "Practitioner Organization Patient PractitionerRole RelatedPerson"},
	{"FamilyMemberHistory", "patient", "FamilyMemberHistory.patient", "clinical-patient", "Patient Group"},
	{"Goal", "patient", "Goal.subject.where(resolve() is Patient)", "clinical-patient", "Patient Group"},
	{"ImagingStudy", "patient", "ImagingStudy.subject.where(resolve() is Patient)", "clinical-patient", "Patient Group"},
	{"ImmunizationEvaluation", "patient", "ImmunizationEvaluation.patient", "ImmunizationEvaluation-patient", "Patient"},
	{"ImmunizationRecommendation", "patient", "ImmunizationRecommendation.patient", "ImmunizationRecommendation-patient", "Patient"},
	{"Invoice", "subject", "Invoice.subject", "Invoice-subject", "Group Patient"},
	{"Invoice", "patient", "Invoice.subject.where(resolve() is Patient)", "Invoice-patient", "Patient"},
	{"Invoice", "recipient", "Invoice.recipient", "Invoice-recipient", "Organization Patient RelatedPerson"},
	{"List", "subject", "List.subject", "List-subject", "Group Device Patient Location"},
	{"List", "source", "List.source", "List-source", "Practitioner Device Patient PractitionerRole"},
	{"MeasureReport", "patient", "MeasureReport.subject.where(resolve() is Patient)", "MeasureReport-patient", "Patient"},
	{"Media", "subject", "Media.subject", "Media-subject", "Practitioner Group Specimen Device Patient PractitionerRole Location"},
	{"MedicationAdministration", "patient", "MedicationAdministration.subject.where(resolve() is Patient)", "clinical-patient", "Patient Group"},
	{"MedicationAdministration", "performer", "MedicationAdministration.performer.actor", "MedicationAdministration-performer", "Practitioner Device Patient PractitionerRole RelatedPerson"},
	{"MedicationAdministration", "subject", "MedicationAdministration.subject", "MedicationAdministration-subject", "Group Patient"},
	{"MedicationDispense", "subject", "MedicationDispense.subject", "MedicationDispense-subject", "Group Patient"},
	{"MedicationDispense", "patient", "MedicationDispense.subject.where(resolve() is Patient)", "clinical-patient", "Patient Group"},
	{"MedicationDispense", "receiver", "MedicationDispense.receiver", "MedicationDispense-receiver", "Practitioner Patient"},
	{"MedicationRequest", "subject", "MedicationRequest.subject", "MedicationRequest-subject", "Group Patient"},
	{"MedicationStatement", "subject", "MedicationStatement.subject", "MedicationStatement-subject", "Group Patient"},
	{"MolecularSequence", "patient", "MolecularSequence.patient", "MolecularSequence-patient", "Patient"},
	{"NutritionOrder", "patient", "NutritionOrder.patient", "clinical-patient", "Patient Group"},
	{"Observation", "subject", "Observation.subject", "Observation-subject", "Group Device Patient Location"},
	{"Observation", "performer", "Observation.performer", "Observation-performer", "Practitioner Organization CareTeam Patient PractitionerRole RelatedPerson"},
	{"Person", "patient", "Person.link.target.where(resolve() is Patient)", "Person-patient", "Patient"},
	{"Procedure", "patient", "Procedure.subject.where(resolve() is Patient)", "clinical-patient", "Patient Group"},
	{"Procedure", "performer", "Procedure.performer.actor", "Procedure-performer", "Practitioner Organization Device Patient PractitionerRole RelatedPerson"},
	{"Provenance", "patient", "Provenance.target.where(resolve() is Patient)", "Provenance-patient", "Patient"},
	{"QuestionnaireResponse", "subject", "QuestionnaireResponse.subject", "QuestionnaireResponse-subject", "*"},
	{"QuestionnaireResponse", "author", "QuestionnaireResponse.author", "QuestionnaireResponse-author", "Practitioner Organization Device Patient PractitionerRole RelatedPerson"},
	{"RelatedPerson", "patient", "RelatedPerson.patient", "RelatedPerson-patient", "Patient"},
	{"RequestGroup", "subject", "RequestGroup.subject", "RequestGroup-subject", "Group Patient"},
	{"RequestGroup", "participant", "RequestGroup.action.participant", "RequestGroup-participant", "Practitioner Device Patient PractitionerRole RelatedPerson"},
	{"ResearchSubject", "individual", "ResearchSubject.individual", "ResearchSubject-individual", "Patient"},
	{"RiskAssessment", "subject", "RiskAssessment.subject", "RiskAssessment-subject", "Group Patient"},
	{"Schedule", "actor", "Schedule.actor", "Schedule-actor", "Practitioner Device Patient HealthcareService PractitionerRole RelatedPerson Location"},
	{"ServiceRequest", "subject", "ServiceRequest.subject", "ServiceRequest-subject", "Group Device Patient Location"},
	{"ServiceRequest", "performer", "ServiceRequest.performer", "ServiceRequest-performer", "Practitioner Organization CareTeam Device Patient HealthcareService PractitionerRole RelatedPerson"},
	{"Specimen", "subject", "Specimen.subject", "Specimen-subject", "Group Device Patient Substance Location"},
	{"SupplyDelivery", "patient", "SupplyDelivery.patient", "clinical-patient", "Patient Group"},
	{"SupplyRequest", "subject", "SupplyRequest.deliverTo", "SupplyRequest-subject", "Organization Patient Location"},
	{"Task", "patient", "Task.for.where(resolve() is Patient)", "Task-patient", "Patient"},
	{"Task", "focus", "Task.focus", "Task-focus", "*"},
	{"VisionPrescription", "patient", "VisionPrescription.patient", "clinical-patient", "Patient Group"},
}

// byPatientRows: the patient parameter R4 defines for types whose compartment membership
// goes by another (Observation is in the compartment by subject; clients ask for
// Observation?patient=…).
var byPatientRows = []struct{ typ, name, expr, def, targets string }{
	{"Account", "patient", "Account.subject.where(resolve() is Patient)", "Account-patient", "Patient"},
	{"Appointment", "patient", "Appointment.participant.actor.where(resolve() is Patient)", "Appointment-patient", "Patient"},
	{"AppointmentResponse", "patient", "AppointmentResponse.actor.where(resolve() is Patient)", "AppointmentResponse-patient", "Patient"},
	{"ChargeItem", "patient", "ChargeItem.subject.where(resolve() is Patient)", "ChargeItem-patient", "Patient"},
	{"ClinicalImpression", "patient", "ClinicalImpression.subject.where(resolve() is Patient)", "clinical-patient", "Patient Group"},
	{"CommunicationRequest", "patient", "CommunicationRequest.subject.where(resolve() is Patient)", "CommunicationRequest-patient", "Patient"},
	{"Composition", "patient", "Composition.subject.where(resolve() is Patient)", "clinical-patient", "Patient Group"},
	{"Contract", "patient", "Contract.subject.where(resolve() is Patient)", "Contract-patient", "Patient"},
	{"Coverage", "patient", "Coverage.beneficiary", "Coverage-patient", "Patient"},
	{"Device", "patient", "Device.patient", "Device-patient", "Patient"},
	{"DeviceRequest", "patient", "DeviceRequest.subject.where(resolve() is Patient)", "clinical-patient", "Patient Group"},
	{"DeviceUseStatement", "patient", "DeviceUseStatement.subject", "clinical-patient", "Patient Group"},
	{"DiagnosticReport", "patient", "DiagnosticReport.subject.where(resolve() is Patient)", "clinical-patient", "Patient Group"},
	{"DocumentManifest", "patient", "DocumentManifest.subject.where(resolve() is Patient)", "clinical-patient", "Patient Group"},
	{"DocumentReference", "patient", "DocumentReference.subject.where(resolve() is Patient)", "clinical-patient", "Patient Group"},
	{"Encounter", "patient", "Encounter.subject.where(resolve() is Patient)", "clinical-patient", "Patient Group"},
	{"EnrollmentRequest", "patient", "EnrollmentRequest.candidate", "EnrollmentRequest-patient", "Patient"},
	{"GuidanceResponse", "patient", "GuidanceResponse.subject.where(resolve() is Patient)", "GuidanceResponse-patient", "Patient"},
	{"List", "patient", "List.subject.where(resolve() is Patient)", "clinical-patient", "Patient Group"},
	{"Media", "patient", "Media.subject.where(resolve() is Patient)", "Media-patient", "Patient"},
	{"MedicationRequest", "patient", "MedicationRequest.subject.where(resolve() is Patient)", "clinical-patient", "Patient Group"},
	{"MedicationStatement", "patient", "MedicationStatement.subject.where(resolve() is Patient)", "clinical-patient", "Patient Group"},
	{"Observation", "patient", "Observation.subject.where(resolve() is Patient)", "clinical-patient", "Patient Group"},
	{"QuestionnaireResponse", "patient", "QuestionnaireResponse.subject.where(resolve() is Patient)", "QuestionnaireResponse-patient", "Patient"},
	{"RequestGroup", "patient", "RequestGroup.subject.where(resolve() is Patient)", "RequestGroup-patient", "Patient"},
	{"ResearchSubject", "patient", "ResearchSubject.individual", "ResearchSubject-patient", "Patient"},
	{"RiskAssessment", "patient", "RiskAssessment.subject.where(resolve() is Patient)", "clinical-patient", "Patient Group"},
	{"ServiceRequest", "patient", "ServiceRequest.subject.where(resolve() is Patient)", "clinical-patient", "Patient Group"},
	{"Specimen", "patient", "Specimen.subject.where(resolve() is Patient)", "Specimen-patient", "Patient"},
}
