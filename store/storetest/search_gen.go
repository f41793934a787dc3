package storetest

import (
	"encoding/json"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/nimsproject/nims/fhir"
)

// The generated dataset of the differential suite: a small immunisation programme
// (regions, ICBs and practices; practitioners; patients with their vaccinations, priority
// flags and invitations; cohorts), built from a fixed seed so that every run writes the
// same resources with the same ids. Values are chosen to sit on the edges the search
// semantics care about: accents and case in names, dates at every precision and on both
// sides of midnight and of the clock changes, references in every form (relative,
// absolute, versioned, contained, identifier only), resources updated several times and
// resources deleted, so that old versions and deletions are there to be wrongly found.

type (
	obj = map[string]any
	arr = []any
)

// genResource is one resource as the generator writes it: its versions in order, nil for
// a deletion. The last one is what searches see (nothing, when it is nil).
type genResource struct {
	typ, id  string
	versions []obj
}

func (g *genResource) key() string { return g.typ + "/" + g.id }

// current is the final content, or nil when the resource ends deleted.
func (g *genResource) current() obj { return g.versions[len(g.versions)-1] }

// gen carries the generator's state: the random source and what has been made so far,
// so that later resources can refer to earlier ones.
type gen struct {
	r   *rand.Rand
	out []*genResource

	nhsUsed    map[string]bool
	patients   []*genResource
	practices  []*genResource
	icbs       []*genResource
	regions    []*genResource
	mfrs       []*genResource
	practs     []*genResource
	locations  []*genResource
	groups     []*genResource
	immSeq     int
	flagSeq    int
	commSeq    int
	obsSeq     int
	ukCoreSeq  int
	ukCoreLeft int
}

// searchSeed fixes the dataset. Changing it changes every resource, so the cases that name
// ids (pat-001 and so on) may need reviewing.
const searchSeed = 20250615

func generateSearchData() []*genResource {
	g := &gen{r: rand.New(rand.NewPCG(searchSeed, 7)), nhsUsed: map[string]bool{}, ukCoreLeft: 24}
	g.organizations()
	g.practitionersAndLocations()
	g.patientsAll()
	g.groupsAll()
	for _, p := range g.patients {
		g.immunizationsOf(p)
		g.flagsOf(p)
		g.communicationsOf(p)
	}
	g.awkwardValues()
	return g.out
}

func (g *gen) add(typ, id string, versions ...obj) *genResource {
	for _, v := range versions {
		if v != nil {
			v["resourceType"] = typ
			v["id"] = id
		}
	}
	res := &genResource{typ: typ, id: id, versions: versions}
	g.out = append(g.out, res)
	return res
}

// Random helpers. Every choice goes through g.r, in a fixed order.

func (g *gen) chance(p float64) bool { return g.r.Float64() < p }

func (g *gen) intn(n int) int { return g.r.IntN(n) }

func pick[T any](g *gen, xs []T) T { return xs[g.r.IntN(len(xs))] }

// weighted picks an index by weight.
func (g *gen) weighted(ws ...int) int {
	total := 0
	for _, w := range ws {
		total += w
	}
	n := g.r.IntN(total)
	for i, w := range ws {
		if n < w {
			return i
		}
		n -= w
	}
	return len(ws) - 1
}

// nhsNumber returns a new valid NHS number (Modulus 11), never one returned before.
func (g *gen) nhsNumber() string {
	for {
		var b [10]byte
		sum := 0
		b[0] = byte('4' + g.intn(6)) // 4xx to 9xx, as issued in England and Wales
		for i := 1; i < 9; i++ {
			b[i] = byte('0' + g.intn(10))
		}
		for i := 0; i < 9; i++ {
			sum += int(b[i]-'0') * (10 - i)
		}
		check := 11 - sum%11
		if check == 10 {
			continue
		}
		if check == 11 {
			check = 0
		}
		b[9] = byte('0' + check)
		s := string(b[:])
		if !fhir.ValidNHSNumber(s) || g.nhsUsed[s] {
			continue
		}
		g.nhsUsed[s] = true
		return s
	}
}

func ref(typ, id string) obj { return obj{"reference": typ + "/" + id} }

func coding(system, code, display string) obj {
	c := obj{"system": system, "code": code}
	if display != "" {
		c["display"] = display
	}
	return c
}

func concept(codings ...obj) obj {
	cs := make(arr, len(codings))
	for i, c := range codings {
		cs[i] = c
	}
	return obj{"coding": cs}
}

func ident(system, value string) obj { return obj{"system": system, "value": value} }

// clone deep-copies a JSON object, so that a version can be derived from another.
func clone(o obj) obj {
	b, err := json.Marshal(o)
	if err != nil {
		panic(err)
	}
	var out obj
	d := json.NewDecoder(strings.NewReader(string(b)))
	d.UseNumber()
	if err := d.Decode(&out); err != nil {
		panic(err)
	}
	return out
}

// meta builds a meta element from the generator's choices: profile, security label,
// tag and source, each present or not.
func (g *gen) meta(profile string, pSecurity, pTag, pSource float64) obj {
	m := obj{}
	if profile != "" {
		m["profile"] = arr{profile}
	}
	if g.chance(pSecurity) {
		sec := arr{coding(fhir.SystemConfidentiality, "R", "restricted")}
		if g.chance(0.3) {
			sec = append(sec, coding("http://terminology.hl7.org/CodeSystem/v3-ActCode", "HIV", "HIV/AIDS information sensitivity"))
		}
		m["security"] = sec
	} else if g.chance(0.05) {
		m["security"] = arr{coding(fhir.SystemConfidentiality, "N", "normal")}
	}
	if g.chance(pTag) {
		tags := arr{coding(tagSystem, pick(g, []string{"imported", "imported", "backfill", "test"}), "")}
		if g.chance(0.2) {
			tags = append(tags, coding("https://other.example/tags", "imported", ""))
		}
		m["tag"] = tags
	}
	if g.chance(pSource) {
		m["source"] = pick(g, []string{
			"https://supplier-a.example/gp-system#batch-1",
			"https://supplier-a.example/gp-system/v2",
			"https://supplier-b.example/pds",
			"https://supplier-ab.example",
			"urn:uuid:5b1e9f2c-3d4a-4b6c-8e7f-9a0b1c2d3e4f",
		})
	}
	if len(m) == 0 {
		return nil
	}
	return m
}

const (
	tagSystem      = "https://nims.example/tags"
	profileBase    = "https://fhir.hl7.org.uk/StructureDefinition/"
	mrnSystem      = "https://trust.example/mrn"
	gmcSystem      = "https://fhir.hl7.org.uk/Id/gmc-number"
	oddSystem      = "https://nims.example/odd"
	supplierSystem = "https://supplier.example/vaccinations"
	commCategory   = "https://nims.example/communication-category"
	cohortSystem   = "https://nims.example/cohort"
	prioritySystem = "https://nims.example/priority-category"
	modeSystem     = "http://terminology.hl7.org/CodeSystem/v3-ParticipationMode"
	actReason      = "http://terminology.hl7.org/CodeSystem/v3-ActReason"
	absBase        = "https://nims.example/fhir/"
)

// dateTime renders a London wall-clock time in the form chosen by style:
//
//	0 with the offset in force (+00:00 or +01:00)   1 in UTC with Z
//	2 the date only                                 3 with milliseconds and offset
//	4 the month only (YYYY-MM)                      5 the year only
//	6 in another zone (-05:00)
func dateTime(t time.Time, style int) string {
	lt := t.In(londonZone)
	switch style {
	case 1:
		return t.UTC().Format("2006-01-02T15:04:05Z")
	case 2:
		return lt.Format(time.DateOnly)
	case 3:
		return lt.Format("2006-01-02T15:04:05.000-07:00")
	case 4:
		return lt.Format("2006-01")
	case 5:
		return lt.Format("2006")
	case 6:
		return t.In(time.FixedZone("", -5*3600)).Format("2006-01-02T15:04:05-07:00")
	}
	return lt.Format("2006-01-02T15:04:05-07:00")
}

var londonZone = func() *time.Location {
	loc, err := time.LoadLocation("Europe/London")
	if err != nil {
		panic(err) // fhir/search embeds time/tzdata
	}
	return loc
}()

// between returns a random instant in [from, to), to the minute.
func (g *gen) between(from, to time.Time) time.Time {
	span := int64(to.Sub(from) / time.Minute)
	return from.Add(time.Duration(g.r.Int64N(span)) * time.Minute)
}

func day(s string) time.Time {
	t, err := time.ParseInLocation(time.DateOnly, s, londonZone)
	if err != nil {
		panic(err)
	}
	return t
}
