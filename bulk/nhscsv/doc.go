// Package nhscsv loads the batch files suppliers send NHS England's Immunisation API
// (reference/nhs-england.md §1.11): the national flat "vaccination event" format, v5.
//
// A file is named {VACCTYPE}_Vaccinations_v5_{ODSCODE}_{YYYYMMDDThhmmssZZ}.csv (or .dat)
// (ParseFileName). It is text, UTF-8 (bytes that are not are read as Windows-1252), lines
// ending in LF or CRLF; the first line is the header, exactly the 34 columns of Header;
// every other non-blank line is one row. Values are separated by '|', each usually in
// double quotes ("" inside stands for a quote; unquoted values are accepted). A line is
// always one row: a value cannot hold a line break. Dates are YYYYMMDD; DATE_AND_TIME is
// YYYYMMDDThhmmssZZ, ZZ 00 for UTC and 01 for British Summer Time.
//
// ACTION_FLAG (new, update or delete, in any case) says what a row does; UNIQUE_ID_URI and
// UNIQUE_ID, the supplier's identifier of the record, say which record. A new or update
// row becomes a UK Core Immunization, validated by fhir.Validate as the API validates a
// create, so that a record the API would refuse is refused here in the same words; a
// delete needs only the identifier. Apply writes the rows through the store and reports
// each in NHS England's BUSACK acknowledgement.
//
// The Immunization a row becomes (an element is left out when its columns are empty):
//
//	column                            element
//	(file name VACCTYPE)              protocolApplied[0].targetDisease: the type's SNOMED CT diseases (fhir.DiseasesOf)
//	(always)                          meta.profile UK Core Immunization; status completed
//	NHS_NUMBER                        contained Patient.identifier, system https://fhir.nhs.uk/Id/nhs-number
//	PERSON_FORENAME, PERSON_SURNAME   contained Patient.name[0].given[0], .family
//	PERSON_DOB                        contained Patient.birthDate (YYYYMMDD to YYYY-MM-DD)
//	PERSON_GENDER_CODE                contained Patient.gender: 1 male, 2 female, 9 other, 0 unknown
//	PERSON_POSTCODE                   contained Patient.address[0].postalCode
//	                                  (the Patient, id Patient1, is contained[0]; patient is #Patient1)
//	DATE_AND_TIME                     occurrenceDateTime, offset +00:00 or +01:00 from ZZ (none: +00:00)
//	SITE_CODE, SITE_CODE_TYPE_URI     performer[0].actor: type Organization, identifier value, system
//	UNIQUE_ID, UNIQUE_ID_URI          identifier[0].value, .system
//	ACTION_FLAG                       (what is done with the record)
//	PERFORMING_PROFESSIONAL_FORENAME, contained Practitioner (id Practitioner1).name[0].given[0], .family,
//	PERFORMING_PROFESSIONAL_SURNAME     referred to by the next performer's actor
//	RECORDED_DATE                     recorded (a date)
//	PRIMARY_SOURCE                    primarySource (true or false, any case)
//	VACCINATION_PROCEDURE_CODE, _TERM extension VaccinationProcedure valueCodeableConcept, SNOMED CT code, display
//	DOSE_SEQUENCE                     protocolApplied[0].doseNumberPositiveInt (none: doseNumberString
//	                                    "Dose sequence not recorded", as NHS England writes)
//	VACCINE_PRODUCT_CODE, _TERM       vaccineCode, SNOMED CT (none: v3-NullFlavor NAVU "Not available")
//	VACCINE_MANUFACTURER              manufacturer.display
//	BATCH_NUMBER                      lotNumber
//	EXPIRY_DATE                       expirationDate
//	SITE_OF_VACCINATION_CODE, _TERM   site, SNOMED CT
//	ROUTE_OF_VACCINATION_CODE, _TERM  route, SNOMED CT
//	DOSE_AMOUNT                       doseQuantity.value (a decimal)
//	DOSE_UNIT_CODE, DOSE_UNIT_TERM    doseQuantity.code, .unit; system SNOMED CT for a concept id, else UCUM
//	INDICATION_CODE                   reasonCode[0], SNOMED CT
//	LOCATION_CODE, _TYPE_URI          location.identifier.value, .system
//
// The acknowledgement (AckHeader) has one line per data row, in the file's order, whatever
// happened to it: MESSAGE_HEADER_ID is the job's id and ^row number, LOCAL_ID is
// UNIQUE_ID^UNIQUE_ID_URI, IMMS_ID the record's id on success, OPERATION_OUTCOME why the
// row failed, with the column at fault where the problem is an element's. The codes are
// NHS England's (lambdas/ack_backend): OK/30001/Success, or Fatal Error/30002/"Business
// Level Response Value - Processing Error".
//
// Departures from NHS England's batch processing, on purpose:
//   - a new row whose identifier belongs to a deleted record creates a new record, as the
//     NIMS API's create does, where NHS England reinstates the deleted one;
//   - update and delete act only on records of the file's vaccine type, the one the
//     supplier's permissions were given for;
//   - the legacy supplier systems YGA and YGJ are not rewritten to their v5 URIs;
//   - no InfAck is written: a file rejected whole is an error of Apply.
//
// nhscsv imports fhir, fhir/search and store (the Store interface, not a backend), and
// nothing of api, auth, cmd or the HTTP framework: whatever receives a file (an endpoint,
// a MESH poller, a command) checks who sent it and passes the permissions in Options.
package nhscsv
