package storetest

import (
	"fmt"

	"github.com/nimsproject/nims/fhir"
)

// Organizations (regions → ICBs → practices by partOf, and vaccine manufacturers),
// practitioners and vaccination sites.

var regionRows = []struct{ ods, name string }{
	{"Y56", "London"},
	{"Y63", "North East and Yorkshire"},
	{"Y62", "North West"},
}

var icbRows = []struct {
	ods, name string
	region    int
}{
	{"QWO", "NHS West Yorkshire Integrated Care Board", 1},
	{"QOQ", "NHS Humber and North Yorkshire ICB", 1},
	{"QOP", "NHS Greater Manchester Integrated Care Board", 2},
	{"QYG", "NHS Cheshire and Merseyside ICB", 2},
	{"QMJ", "NHS North Central London ICB", 0},
	{"QKK", "NHS South East London ICB", 0},
}

var practiceNames = []string{
	"Riverside Surgery", "The Park Surgery", "Église Street Medical Centre", "St. John's Practice",
	"Kirkstall Lane Medical Centre", "HEADINGLEY SURGERY", "Dr Ó'Neill & Partners", "Millfield Health",
	"The Grange Practice", "Ashcroft Surgery", "Bramley Village Health", "Moorside Medical Practice",
	"Chapeltown Family Practice", "Ridgeway Surgery", "Seacroft Health Centre", "Beeston Hill Practice",
	"Wortley Beck Health", "Oakwood Surgery", "Allerton Medical Centre", "Holt Park Practice",
	"Roundhay Road Surgery", "Garforth Medical", "Yeadon Tarn Practice", "Crossgates Health Centre",
}

var cities = []struct{ name, postcode string }{
	{"Leeds", "LS"}, {"Manchester", "M"}, {"London", "SW"}, {"Bradford", "BD"}, {"Sheffield", "S"},
	{"York", "YO"}, {"Newcastle upon Tyne", "NE"}, {"Kingston upon Hull", "HU"}, {"LEEDS", "LS"},
	{"Saint Helens", "WA"}, {"Llanelli", "SA"}, {"Bury St Edmunds", "IP"},
}

func (g *gen) postcode(prefix string) string {
	letters := "ABDEFGHJLNPQRSTUWXYZ"
	return fmt.Sprintf("%s%d %d%c%c", prefix, 1+g.intn(19), g.intn(10), letters[g.intn(len(letters))], letters[g.intn(len(letters))])
}

func (g *gen) address(use string) obj {
	c := pick(g, cities)
	a := obj{"line": arr{fmt.Sprintf("%d %s", 1+g.intn(200), pick(g, []string{"High Street", "Station Road", "Rue de l'Église", "Church Lane", "Mill Close", "Ñandú Way"}))},
		"city": c.name, "postalCode": g.postcode(c.postcode), "country": pick(g, []string{"GB", "GB", "United Kingdom", "England"})}
	if use != "" {
		a["use"] = use
	}
	if g.chance(0.3) {
		a["district"] = pick(g, []string{"West Yorkshire", "Greater Manchester", "Greater London"})
	}
	return a
}

func orgType(code, display string) arr {
	return arr{concept(coding("http://terminology.hl7.org/CodeSystem/organization-type", code, display))}
}

func (g *gen) organizations() {
	for i, row := range regionRows {
		o := obj{"identifier": arr{ident(fhir.SystemODS, row.ods)}, "name": "NHS England " + row.name,
			"type": orgType("govt", "Government"), "active": true}
		g.regions = append(g.regions, g.add("Organization", fmt.Sprintf("org-reg-%d", i+1), o))
	}
	for i, row := range icbRows {
		o := obj{"identifier": arr{ident(fhir.SystemODS, row.ods)}, "name": row.name,
			"type": orgType("govt", "Government"), "partOf": ref("Organization", g.regions[row.region].id),
			"address": arr{g.address("work")}}
		if i%2 == 0 {
			o["alias"] = arr{row.name[4:len(row.name)-4] + " ICB"}
		}
		g.icbs = append(g.icbs, g.add("Organization", fmt.Sprintf("org-icb-%d", i+1), o))
	}
	for i, name := range practiceNames {
		ods := fmt.Sprintf("%c%05d", "ABCDFGHJKLMNPY"[i%14], 81001+i*37)
		o := obj{"identifier": arr{ident(fhir.SystemODS, ods)}, "name": name,
			"type": orgType("prov", "Healthcare Provider"), "partOf": ref("Organization", g.icbs[i%len(g.icbs)].id),
			"address": arr{g.address("work")}, "active": i != 7}
		if i%5 == 0 {
			o["telecom"] = arr{obj{"system": "phone", "value": fmt.Sprintf("0113 496 %04d", i*13)}}
		}
		if i%6 == 1 {
			o["alias"] = arr{"The " + name[:len(name)/2]}
		}
		id := fmt.Sprintf("org-prac-%02d", i+1)
		var res *genResource
		switch i {
		case 3: // renamed: the old name must not be found
			old := clone(o)
			old["name"] = "Old Mill Surgery"
			res = g.add("Organization", id, old, o)
		case 23: // closed: deleted after patients were registered with it
			res = g.add("Organization", id, o, nil)
		default:
			res = g.add("Organization", id, o)
		}
		if m := g.meta("", 0, 0.1, 0.1); m != nil {
			o["meta"] = m
		}
		g.practices = append(g.practices, res)
	}
	for i, name := range []string{"Pfizer Limited", "AstraZeneca UK Limited", "Sanofi Pasteur", "Merck Sharp & Dohme (UK) Limited"} {
		o := obj{"identifier": arr{ident("https://nims.example/manufacturer", fmt.Sprintf("MFR%d", i+1))},
			"name": name, "type": orgType("bus", "Non-Healthcare Business or Corporation")}
		g.mfrs = append(g.mfrs, g.add("Organization", fmt.Sprintf("org-mfr-%d", i+1), o))
	}
}

var practitionerNames = []struct{ family, given string }{
	{"Okafor", "Chidi"}, {"Ní Bhriain", "Róisín"}, {"Schröder", "Jürgen"}, {"Patel", "Anjali"},
	{"Smith", "Jane"}, {"SMITH", "JOHN"}, {"Dvořák", "Tomáš"}, {"Lefèvre", "Hélène"},
	{"Khan", "Imran"}, {"Wright", "Olivia"}, {"Ødegård", "Øystein"}, {"Brontë", "Emily"},
	{"García", "José"}, {"Nguyen", "Lan"}, {"O'Brien", "Siobhan"},
}

func (g *gen) practitionersAndLocations() {
	for i, n := range practitionerNames {
		o := obj{"identifier": arr{ident(gmcSystem, fmt.Sprintf("7%06d", 100000+i*7919))},
			"name":   arr{obj{"use": "official", "family": n.family, "given": arr{n.given}, "prefix": arr{pick(g, []string{"Dr", "Nurse", "Mr", "Ms"})}}},
			"gender": pick(g, []string{"male", "female"}), "active": i != 4}
		if i%3 == 0 {
			o["telecom"] = arr{obj{"system": "email", "value": fmt.Sprintf("practitioner%d@nhs.example", i+1)}}
		}
		id := fmt.Sprintf("prac-%02d", i+1)
		if i == 14 {
			g.practs = append(g.practs, g.add("Practitioner", id, o, nil))
			continue
		}
		g.practs = append(g.practs, g.add("Practitioner", id, o))
	}
	sites := []struct{ ods, name string }{{"RR801", "Leeds General Infirmary"}, {"RR813", "St James's University Hospital"},
		{"FA123", "Boots Pharmacy Briggate"}, {"X99999", "Unknown location"}, {"RJ122", "Guy's Hospital vaccination hub"}}
	for i, s := range sites {
		o := obj{"identifier": arr{ident(fhir.SystemODS, s.ods)}, "name": s.name, "status": "active"}
		g.locations = append(g.locations, g.add("Location", fmt.Sprintf("loc-%d", i+1), o))
	}
}
