package storetest

import (
	"fmt"
	"strings"

	"github.com/nimsproject/nims/fhir"
)

// Patients: names with accents and case variety, every birth-date precision, NHS numbers,
// registered practices referred to in every form, the UK Core ethnic category.

const patientCount = 300

var families = []string{
	"Smith", "SMITH", "smith", "Smith-Jones", "Jones", "O'Brien", "Ó'Briain", "Müller", "Mueller",
	"García", "Garcia", "Nguyễn", "Łukasik", "Ødegård", "Brontë", "MacDonald", "Macdonald", "McDonald",
	"Patel", "Khan", "Williams", "Taylor", "Davies", "Évans", "Åberg", "Strauß", "Schröder", "Çelik",
	"Dvořák", "Kowalczyk", "Le Roux", "de la Cruz", "van der Berg", "Ní Bhriain", "Wright", "Æsir",
}

var givens = []string{
	"Siobhán", "Sinead", "Zoë", "Zoe", "José", "Jose", "Renée", "Chloé", "Björn", "Åsa", "John",
	"JOHN", "Mary-Jane", "Aoife", "Eoghan", "Łucja", "Fatima", "Mohammed", "Muhammad", "Olivia",
	"Oliver", "Amelia", "Noah", "Jack", "Émile", "Anne", "Ann", "Anna", "Ravi", "Priya",
}

var ethnicCategories = []struct{ code, display string }{
	{"A", "British, Mixed British"}, {"B", "Irish"}, {"C", "Any other White background"},
	{"D", "White and Black Caribbean"}, {"H", "Indian or British Indian"}, {"J", "Pakistani or British Pakistani"},
	{"M", "Caribbean"}, {"N", "African"}, {"R", "Chinese"}, {"Z", "Not stated"}, {"99", "Not known"},
}

// fixedBirthDates are the first patients' birth dates: on both sides of the day someone
// turns 65 on searchNow (2025-06-15), at every precision, and a 29 February.
var fixedBirthDates = []string{
	"1960-06-14", "1960-06-15", "1960-06-16", "1960-06", "1960", "1959-12-31", "1961-01-01",
	"2020-02-29", "1950", "1950-01", "1950-01-01", "1949-12-31", "2024-12-31", "2025-06-15",
}

func (g *gen) patientsAll() {
	for i := 1; i <= patientCount; i++ {
		id := fmt.Sprintf("pat-%03d", i)
		p := g.patient(i)
		switch {
		case i%23 == 0: // deleted
			g.patients = append(g.patients, g.add("Patient", id, p, nil))
		case i%41 == 0: // deleted, then re-created by an update
			old := clone(p)
			old["name"] = arr{obj{"family": "Deletedbefore", "given": arr{"Lazarus"}}}
			g.patients = append(g.patients, g.add("Patient", id, old, nil, p))
		case i%7 == 0: // updated: earlier versions hold values that must not be found
			v1 := clone(p)
			v1["name"] = arr{obj{"use": "official", "family": "Formername", "given": arr{"Previous"}}}
			v1["birthDate"] = "1901-01-01"
			v1["gender"] = "other"
			v1["address"] = arr{obj{"city": "Oldtown", "postalCode": "ZZ9 9ZZ"}}
			v1["meta"] = obj{"tag": arr{coding(tagSystem, "superseded", "")}}
			v2 := clone(p)
			v2["telecom"] = arr{obj{"system": "phone", "value": "0000 000 0000"}}
			g.patients = append(g.patients, g.add("Patient", id, v1, v2, p))
		default:
			g.patients = append(g.patients, g.add("Patient", id, p))
		}
	}
	// Links between patients (a merged record points at the survivor).
	for _, pair := range [][2]int{{10, 11}, {11, 10}, {12, 13}, {30, 23}} {
		g.patients[pair[0]-1].current()["link"] = arr{obj{"other": ref("Patient", g.patients[pair[1]-1].id), "type": "seealso"}}
	}
}

func (g *gen) patient(i int) obj {
	p := obj{}
	if m := g.meta(pick(g, []string{profileBase + "UKCore-Patient", profileBase + "UKCore-Patient", profileBase + "UKCore-Patient|2.4.0", ""}), 0.1, 0.15, 0.3); m != nil {
		p["meta"] = m
	}
	var ids arr
	if g.chance(0.9) {
		ids = append(ids, ident(fhir.SystemNHSNumber, g.nhsNumber()))
	}
	if g.chance(0.3) {
		ids = append(ids, obj{"type": obj{"coding": arr{coding("http://terminology.hl7.org/CodeSystem/v2-0203", "MR", "Medical record number")}, "text": "Hospital number"},
			"system": mrnSystem, "value": fmt.Sprintf("H%05d", i*31)})
	}
	if i <= 5 { // values with the characters search must escape
		ids = append(ids, ident(oddSystem, []string{`A,1`, `B|2`, `C$3`, `D\4`, `E,|$5`}[i-1]))
	}
	if len(ids) > 0 {
		p["identifier"] = ids
	}
	if g.chance(0.97) {
		p["name"] = g.names()
	}
	if k := g.weighted(40, 40, 5, 5, 10); k < 4 {
		p["gender"] = []string{"male", "female", "other", "unknown"}[k]
	}
	if i <= len(fixedBirthDates) {
		p["birthDate"] = fixedBirthDates[i-1]
	} else if k := g.weighted(80, 8, 7, 5); k < 3 {
		p["birthDate"] = dateTime(g.between(day("1925-01-01"), day("2025-01-01")), []int{2, 4, 5}[k])
	}
	if g.chance(0.92) {
		addrs := arr{g.address(pick(g, []string{"home", "home", ""}))}
		if g.chance(0.15) {
			addrs = append(addrs, g.address("old"))
		}
		p["address"] = addrs
	}
	var telecom arr
	if g.chance(0.6) {
		telecom = append(telecom, obj{"system": "phone", "value": fmt.Sprintf("07700 9%05d", i*17), "use": pick(g, []string{"home", "mobile"})})
	}
	if g.chance(0.4) {
		telecom = append(telecom, obj{"system": "email", "value": fmt.Sprintf("patient%03d@example.org", i)})
	}
	if telecom != nil {
		p["telecom"] = telecom
	}
	if g.chance(0.9) {
		p["generalPractitioner"] = arr{g.gpReference()}
	}
	if g.chance(0.7) {
		e := pick(g, ethnicCategories)
		p["extension"] = arr{obj{"url": fhir.ExtEthnicCategory,
			"valueCodeableConcept": concept(coding(fhir.SystemEthnicCategoryEngland, e.code, e.display))}}
	}
	switch g.weighted(5, 4, 10, 81) {
	case 0:
		p["deceasedBoolean"] = true
	case 1:
		p["deceasedDateTime"] = pick(g, []string{"2023-01-05T10:00:00+00:00", "2022-11", "2021-07-01", "2024-03-31T00:30:00+01:00"})
	case 2:
		p["deceasedBoolean"] = false
	}
	switch g.weighted(70, 10, 20) {
	case 0:
		p["active"] = true
	case 1:
		p["active"] = false
	}
	if g.chance(0.1) {
		p["communication"] = arr{obj{"language": concept(coding("urn:ietf:bcp:47", pick(g, []string{"cy", "en-GB", "pl", "pa"}), ""))}}
	}
	if g.chance(0.2) {
		p["managingOrganization"] = ref("Organization", pick(g, g.icbs).id)
	}
	return p
}

func (g *gen) names() arr {
	family, given := pick(g, families), pick(g, givens)
	n := obj{"use": "official", "family": family, "given": arr{given}}
	if g.chance(0.3) {
		n["given"] = arr{given, pick(g, givens)}
	}
	if g.chance(0.1) {
		n["text"] = given + " " + strings.ToUpper(family)
	}
	if g.chance(0.1) {
		n["prefix"] = arr{pick(g, []string{"Mr", "Mrs", "Ms", "Dr"})}
	}
	names := arr{n}
	if g.chance(0.12) {
		names = append(names, obj{"use": pick(g, []string{"maiden", "old", "nickname"}), "family": pick(g, families)})
	}
	return names
}

// gpReference refers to the registered practice in one of the forms GP systems send.
func (g *gen) gpReference() obj {
	prac := pick(g, g.practices)
	ods := prac.versions[0]["identifier"].([]any)[0].(obj)["value"].(string)
	switch g.weighted(60, 15, 10, 5, 5, 5) {
	case 1:
		return obj{"reference": "Organization/" + prac.id, "identifier": ident(fhir.SystemODS, ods), "display": prac.versions[0]["name"]}
	case 2:
		return obj{"identifier": ident(fhir.SystemODS, ods), "type": "Organization"}
	case 3:
		return ref("Practitioner", pick(g, g.practs).id)
	case 4:
		return obj{"reference": absBase + "Organization/" + prac.id}
	case 5:
		return obj{"reference": "Organization/" + prac.id + "/_history/1"}
	}
	return ref("Organization", prac.id)
}
