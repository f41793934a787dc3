package fhir

// Identifier systems, code systems and extensions that NHS England and UK Core use.
// See reference/nhs-england.md §2.1-2.4. ProfileUKCoreImmunization is in unique.go.
const (
	// SystemNHSNumber is the system of an NHS number identifier (UK Core Patient, slice nhsNumber).
	SystemNHSNumber = "https://fhir.nhs.uk/Id/nhs-number"
	// SystemODS is the system of an Organisation Data Service code: GP practices, trusts,
	// sites, pharmacies, ICBs, and the vaccination performer and location.
	SystemODS = "https://fhir.nhs.uk/Id/ods-organization-code"
	// SystemSchoolURN identifies a school by its unique reference number; the NHS
	// Immunisation API accepts it for a performing organisation (school-aged programmes).
	SystemSchoolURN = "https://fhir.hl7.org.uk/Id/urn-school-number"

	SystemSNOMED = "http://snomed.info/sct"
	// SystemDMD is dm+d as UK Core's examples write it. The NHS Immunisation API sends the
	// same dm+d ids under SystemSNOMED (dm+d ids are SNOMED extension concept ids).
	SystemDMD             = "https://dmd.nhs.uk"
	SystemUCUM            = "http://unitsofmeasure.org"
	SystemNullFlavor      = "http://terminology.hl7.org/CodeSystem/v3-NullFlavor"
	SystemConfidentiality = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"

	// SystemEthnicCategoryEngland holds the NHS Data Dictionary ETHNIC CATEGORY codes (A-Z, 99).
	SystemEthnicCategoryEngland = "https://fhir.hl7.org.uk/CodeSystem/UKCore-EthnicCategoryEngland"
	// SystemNHSNumberVerificationStatusEngland has the two-digit codes 01-08; PDS sends
	// them under SystemNHSNumberVerificationStatus, so readers must accept both.
	SystemNHSNumberVerificationStatusEngland = "https://fhir.hl7.org.uk/CodeSystem/UKCore-NHSNumberVerificationStatusEngland"
	SystemNHSNumberVerificationStatus        = "https://fhir.hl7.org.uk/CodeSystem/UKCore-NHSNumberVerificationStatus"

	ExtEthnicCategory              = "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-EthnicCategory"
	ExtNHSNumberVerificationStatus = "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-NHSNumberVerificationStatus"
	ExtVaccinationProcedure        = "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-VaccinationProcedure"
)

// ValidNHSNumber reports whether s is an NHS number: exactly ten ASCII digits whose last
// digit is the Modulus 11 check digit of the first nine (weights 10 down to 2; a check
// value of 11 is written 0; a number whose check value would be 10 is never issued).
// No spaces or separators are allowed: FHIR carries the bare digits.
// https://www.datadictionary.nhs.uk/attributes/nhs_number.html
func ValidNHSNumber(s string) bool {
	if len(s) != 10 {
		return false
	}
	sum := 0
	for i := 0; i < 10; i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return false
		}
		if i < 9 {
			sum += int(c-'0') * (10 - i)
		}
	}
	check := 11 - sum%11
	switch check {
	case 11:
		check = 0
	case 10:
		return false
	}
	return int(s[9]-'0') == check
}

// ValidODSCode reports whether s has the shape of an ODS code: 3 to 9 upper-case ASCII
// letters or digits, at least one of them a letter.
//
// Why this shape: NHS England documents ODS codes as "1 to 9 alphanumeric characters";
// the shortest codes in use are the three-character ones (trusts RXX, R1K; ICBs QWO;
// regions Y56), the longest the nine-character branch surgeries (K81003001). Practices
// are A81001, trust sites RR801, pharmacies FA123, dental practices V03462, care homes
// VLAXL, the unknown location X99999. ODS codes are always written in upper case. Every
// family of codes carries a letter, and requiring one catches the common slip of sending
// a school URN or an NHS number under the ODS system. The rule checks shape only: whether
// the organisation exists is a question for the ODS API, not for a validator.
func ValidODSCode(s string) bool {
	if len(s) < 3 || len(s) > 9 {
		return false
	}
	letter := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= 'A' && c <= 'Z':
			letter = true
		case c >= '0' && c <= '9':
		default:
			return false
		}
	}
	return letter
}

// ValidSNOMEDCode reports whether s is a SNOMED CT concept id as the NHS Immunisation API
// checks it (generic_utils.is_valid_simple_snomed): 6 to 18 ASCII digits, no leading
// zero, a valid Verhoeff check digit, and a partition identifier (the two digits before
// the check digit) of 00 (a core concept, short format) or 10 (an extension concept,
// long format, such as the UK's 1324681000000101 and the dm+d ids). Description (01, 11)
// and relationship (02, 12) ids are rejected: a coding names a concept.
// Post-coordinated expressions are not concept ids and fail.
func ValidSNOMEDCode(s string) bool {
	if len(s) < 6 || len(s) > 18 || s[0] == '0' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	if p := s[len(s)-3 : len(s)-1]; p != "00" && p != "10" {
		return false
	}
	return verhoeffValid(s)
}

// The Verhoeff scheme: multiplication in the dihedral group D5, and the position
// permutation p applied i times to the digit i places from the right.
var (
	verhoeffD = [10][10]uint8{
		{0, 1, 2, 3, 4, 5, 6, 7, 8, 9},
		{1, 2, 3, 4, 0, 6, 7, 8, 9, 5},
		{2, 3, 4, 0, 1, 7, 8, 9, 5, 6},
		{3, 4, 0, 1, 2, 8, 9, 5, 6, 7},
		{4, 0, 1, 2, 3, 9, 5, 6, 7, 8},
		{5, 9, 8, 7, 6, 0, 4, 3, 2, 1},
		{6, 5, 9, 8, 7, 1, 0, 4, 3, 2},
		{7, 6, 5, 9, 8, 2, 1, 0, 4, 3},
		{8, 7, 6, 5, 9, 3, 2, 1, 0, 4},
		{9, 8, 7, 6, 5, 4, 3, 2, 1, 0},
	}
	verhoeffP = [8][10]uint8{
		{0, 1, 2, 3, 4, 5, 6, 7, 8, 9},
		{1, 5, 7, 6, 2, 8, 3, 0, 9, 4},
		{5, 8, 0, 3, 7, 9, 6, 1, 4, 2},
		{8, 9, 1, 6, 0, 4, 3, 5, 2, 7},
		{9, 4, 5, 3, 1, 2, 6, 8, 7, 0},
		{4, 2, 8, 6, 5, 7, 3, 9, 0, 1},
		{2, 7, 9, 3, 8, 0, 6, 4, 1, 5},
		{7, 0, 4, 6, 9, 1, 3, 2, 5, 8},
	}
)

// verhoeffValid reports whether the digit string s (check digit last) passes Verhoeff.
func verhoeffValid(s string) bool {
	c := uint8(0)
	for i := 0; i < len(s); i++ {
		c = verhoeffD[c][verhoeffP[i%8][s[len(s)-1-i]-'0']]
	}
	return c == 0
}
