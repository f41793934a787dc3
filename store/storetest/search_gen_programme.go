package storetest

import (
	"fmt"

	"github.com/nimsproject/nims/fhir"
)

// The programme's own records: priority-group Flags, invitation and reminder
// Communications, and the cohort Groups they are based on.

var priorityGroups = []struct{ code, display string }{
	{"1300561000000107", "High risk category for developing complication from COVID-19 infection"},
	{"1240581000000104", "Severely immunosuppressed"},
	{"713404003", "Care home resident"},
	{"223366009", "Healthcare professional"},
	{"77386006", "Pregnant"},
}

func (g *gen) flagsOf(p *genResource) {
	n := g.weighted(60, 30, 10)
	for range n {
		g.flagSeq++
		id := fmt.Sprintf("flag-%04d", g.flagSeq)
		pg := pick(g, priorityGroups)
		f := obj{"status": pick(g, []string{"active", "active", "active", "inactive", "entered-in-error"}),
			"code":       obj{"coding": arr{coding(fhir.SystemSNOMED, pg.code, pg.display)}, "text": pg.display},
			"subject":    ref("Patient", p.id),
			"identifier": arr{ident("https://nims.example/flag", id)}}
		cats := arr{concept(coding("http://terminology.hl7.org/CodeSystem/flag-category", pick(g, []string{"clinical", "clinical", "admin", "safety"}), ""))}
		if g.chance(0.3) {
			cats = append(cats, concept(coding(prioritySystem, pick(g, []string{"health-care-worker", "clinical-risk", "care-home"}), "")))
		}
		f["category"] = cats
		switch g.weighted(50, 30, 10, 10) {
		case 0:
			f["period"] = obj{"start": dateTime(g.between(day("2020-12-01"), day("2024-06-01")), pick(g, []int{0, 2, 1}))}
		case 1:
			start := g.between(day("2020-12-01"), day("2023-01-01"))
			f["period"] = obj{"start": dateTime(start, 2), "end": dateTime(start.AddDate(0, 6+g.intn(12), 0), 2)}
		case 2:
			f["period"] = obj{"end": dateTime(g.between(day("2021-01-01"), day("2024-01-01")), 2)}
		}
		switch g.weighted(40, 30, 30) {
		case 0:
			f["author"] = ref("Practitioner", pick(g, g.practs).id)
		case 1:
			f["author"] = ref("Organization", pick(g, g.practices).id)
		}
		if m := g.meta("", 0.05, 0.1, 0); m != nil {
			f["meta"] = m
		}
		if g.flagSeq%13 == 0 {
			old := clone(f)
			old["status"] = "active"
			old["code"] = concept(coding(fhir.SystemSNOMED, "999999999", "Withdrawn group"))
			g.add("Flag", id, old, f)
			continue
		}
		if g.flagSeq%29 == 0 {
			g.add("Flag", id, f, nil)
			continue
		}
		g.add("Flag", id, f)
	}
}

var campaigns = []string{
	"https://nims.example/campaigns/flu-2024/letter-1",
	"https://nims.example/campaigns/flu-2024/sms-1",
	"https://nims.example/campaigns/flu-2024",
	"https://nims.example/campaigns/covid-autumn-2024/letter-1",
	"https://nims.example/campaigns/flu-20245",
	"http://legacy.example/invite",
}

// edgeSent are the first invitations' sent times: the clock changes of 2024 (BST began
// 31 March 01:00 UTC and ended 27 October 01:00 UTC) and midnight.
var edgeSent = []string{
	"2024-03-31T00:30:00+00:00", "2024-03-31T01:30:00+01:00", "2024-03-31T02:30:00+01:00", "2024-03-30T23:59:59Z",
	"2024-10-27T01:30:00+01:00", "2024-10-27T01:30:00+00:00", "2024-10-27", "2024-10-26T23:30:00Z",
	"2024-03-31", "2024-04-01T00:00:00+01:00",
}

func (g *gen) communicationsOf(p *genResource) {
	n := g.weighted(40, 40, 20)
	for range n {
		g.commSeq++
		id := fmt.Sprintf("comm-%04d", g.commSeq)
		grp := pick(g, g.groups)
		c := obj{"status": pick(g, []string{"completed", "completed", "completed", "in-progress", "not-done", "entered-in-error"}),
			"category":   arr{concept(coding(commCategory, pick(g, []string{"invitation", "invitation", "reminder"}), ""))},
			"subject":    ref("Patient", p.id),
			"recipient":  arr{ref("Patient", p.id)},
			"identifier": arr{ident("https://nims.example/communication", id)},
			"basedOn":    arr{ref("Group", grp.id)},
			"about":      arr{ref("Group", grp.id)}}
		if g.chance(0.9) {
			mode := pick(g, []struct{ code, display string }{{"MAILWRIT", "mail"}, {"SMSWRIT", "SMS message"}, {"EMAILWRIT", "email"}, {"PHONE", "telephone"}})
			c["medium"] = arr{concept(coding(modeSystem, mode.code, mode.display))}
		}
		if c["status"] != "not-done" && g.chance(0.9) {
			c["sent"] = dateTime(g.between(day("2023-09-01"), day("2025-03-01")), g.weighted(60, 20, 20))
			if g.commSeq <= len(edgeSent) {
				c["sent"] = edgeSent[g.commSeq-1]
			}
			if g.chance(0.3) {
				c["received"] = dateTime(g.between(day("2024-01-01"), day("2025-03-01")), 1)
			}
		}
		if c["status"] == "not-done" {
			c["statusReason"] = concept(coding("http://terminology.hl7.org/CodeSystem/communication-not-done-reason", "recipient-unavailable", ""))
		}
		if g.chance(0.8) {
			c["instantiatesUri"] = arr{pick(g, campaigns)}
		}
		if g.chance(0.7) {
			c["sender"] = ref("Organization", pick(g, append(g.practices[:4:4], g.icbs...)).id)
		}
		if g.commSeq > 1 && g.chance(0.1) {
			c["partOf"] = arr{ref("Communication", fmt.Sprintf("comm-%04d", 1+g.intn(g.commSeq-1)))}
		}
		if m := g.meta("", 0.05, 0.05, 0); m != nil {
			c["meta"] = m
		}
		if g.commSeq%19 == 0 {
			old := clone(c)
			old["status"] = "preparation"
			old["category"] = arr{concept(coding(commCategory, "draft", ""))}
			g.add("Communication", id, old, c)
			continue
		}
		if g.commSeq%31 == 0 {
			g.add("Communication", id, c, nil)
			continue
		}
		g.add("Communication", id, c)
	}
}

var cohorts = []struct {
	code, name string
	actual     bool
}{
	{"flu-65plus", "Flu: aged 65 and over", false},
	{"flu-carehome", "Flu: care home residents", true},
	{"covid-autumn-75plus", "COVID autumn: aged 75 and over", false},
	{"covid-immunosuppressed", "COVID: immunosuppressed", true},
	{"mmr-catchup", "MMR catch-up", true},
	{"hcw", "Health and care workers", false},
	{"retired", "Retired cohort", false},
}

func (g *gen) groupsAll() {
	age := concept(coding(fhir.SystemSNOMED, "424144002", "Current chronological age"))
	for i, c := range cohorts {
		o := obj{"type": "person", "actual": c.actual, "name": c.name,
			"code":       concept(coding(cohortSystem, c.code, c.name)),
			"identifier": arr{ident(cohortSystem, c.code)}}
		var chars arr
		switch i % 3 {
		case 0:
			chars = append(chars, obj{"code": age, "valueQuantity": obj{"value": 65 + 10*(i%2), "unit": "a", "system": fhir.SystemUCUM, "code": "a"}, "exclude": false})
		case 1:
			chars = append(chars, obj{"code": concept(coding(fhir.SystemSNOMED, "713404003", "Care home resident")), "valueBoolean": true, "exclude": false})
		case 2:
			chars = append(chars, obj{"code": concept(coding(fhir.SystemSNOMED, "1240581000000104", "Severely immunosuppressed")),
				"valueCodeableConcept": concept(coding(fhir.SystemSNOMED, "373066001", "Yes")), "exclude": false})
		}
		if i%2 == 1 {
			chars = append(chars, obj{"code": concept(coding(fhir.SystemSNOMED, "77386006", "Pregnant")), "valueBoolean": true, "exclude": true})
		}
		o["characteristic"] = chars
		if c.actual {
			var members arr
			for j := range 6 + g.intn(10) {
				members = append(members, obj{"entity": ref("Patient", fmt.Sprintf("pat-%03d", 1+(i*37+j*13)%patientCount))})
			}
			o["member"] = members
			o["quantity"] = len(members)
		}
		if i < len(g.icbs) {
			o["managingEntity"] = ref("Organization", g.icbs[i].id)
		}
		id := fmt.Sprintf("grp-%d", i+1)
		if i == len(cohorts)-1 {
			g.groups = append(g.groups, g.add("Group", id, o, nil))
			continue
		}
		g.groups = append(g.groups, g.add("Group", id, o))
	}
}
