package programme

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/nimsproject/nims/fhir"
	"github.com/nimsproject/nims/fhir/search"
	"github.com/nimsproject/nims/store"
	"github.com/nimsproject/nims/store/sqlite"
)

func openStore(t *testing.T) store.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), t.TempDir(), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// nhs returns the i-th valid NHS number of the 999 test range.
func nhs(i int) string {
	for n := i * 7; ; n++ {
		s := fmt.Sprintf("999%06d", n)
		sum := 0
		for k := range 9 {
			sum += int(s[k]-'0') * (10 - k)
		}
		check := 11 - sum%11
		if check == 11 {
			check = 0
		}
		if check != 10 {
			return s + fmt.Sprint(check)
		}
	}
}

func create(t *testing.T, st store.Store, js string) store.Record {
	t.Helper()
	r, err := fhir.Decode([]byte(js))
	if err != nil {
		t.Fatal(err)
	}
	op := store.NewWrite(store.OpCreate, r, fhir.DefaultUniqueRules)
	op.ID = newID()
	res, err := st.Apply(context.Background(), op)
	if err != nil {
		t.Fatal(err)
	}
	return res.Record
}

func search_(t *testing.T, st store.Store, typ, raw string) []store.Record {
	t.Helper()
	vals, err := url.ParseQuery(raw)
	if err != nil {
		t.Fatal(err)
	}
	q, err := search.Parse(typ, vals, search.ParseOptions{Strict: true})
	if err != nil {
		t.Fatal(err)
	}
	q.Count = 100
	res, err := st.Search(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	return res.Records
}

func read(t *testing.T, st store.Store, typ, id string) (store.Record, obj) {
	t.Helper()
	rec, err := st.Read(context.Background(), typ, id)
	if err != nil {
		t.Fatal(err)
	}
	m, err := decodeJSON(rec.JSON)
	if err != nil {
		t.Fatal(err)
	}
	return rec, m
}

// pdsPatient is a delta line; extra is more JSON members.
func pdsPatient(number, family, extra string) string {
	return `{"resourceType":"Patient","id":"` + number + `","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"` + number + `"}],` +
		`"name":[{"family":"` + family + `","given":["Sam"]}],"gender":"female","birthDate":"1948-02-03"` + extra + `}`
}

func demographics(t *testing.T, st store.Store, lines ...string) FeedReport {
	t.Helper()
	rep, err := ApplyDemographics(context.Background(), st, strings.NewReader(strings.Join(lines, "\n")), FeedOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range rep.Errors {
		t.Errorf("feed: %v", e)
	}
	return rep
}

func changes(t *testing.T, st store.Store) int {
	t.Helper()
	recs, err := st.Changes(context.Background(), 0, 1_000_000)
	if err != nil {
		t.Fatal(err)
	}
	return len(recs)
}

// Births, moves, practice changes, deaths (stopping invitations) and restrictions, and
// a replayed delta that writes nothing; ethnicity from a GP feed survives later deltas.
func TestDemographicFeed(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	org := create(t, st, `{"resourceType":"Organization","identifier":[{"system":"https://fhir.nhs.uk/Id/ods-organization-code","value":"A81001"}],"name":"The Health Centre"}`)
	a, b, c := nhs(1), nhs(2), nhs(3)
	gp := `,"generalPractitioner":[{"type":"Organization","identifier":{"system":"https://fhir.nhs.uk/Id/ods-organization-code","value":"A81001"}}]`
	day1 := []string{
		pdsPatient(a, "Able", `,"address":[{"postalCode":"LS1 4AP"}]`+gp),
		pdsPatient(b, "Baker", gp),
		pdsPatient(c, "Cole", ""),
	}
	rep := demographics(t, st, day1...)
	if rep.Created != 3 || rep.Updated != 0 {
		t.Fatalf("day 1: %+v, want 3 created", rep)
	}
	pa := search_(t, st, "Patient", nhsQuery("identifier", a))
	if len(pa) != 1 {
		t.Fatalf("Patient %s: %d found", a, len(pa))
	}
	if pa[0].ID == a {
		t.Error("the PDS id (the NHS number) was kept as the Patient's id")
	}
	if got := search_(t, st, "Patient", "general-practitioner=Organization/"+org.ID); len(got) != 2 {
		t.Errorf("%d Patients linked to the practice's Organization, want 2", len(got))
	}
	before := changes(t, st)
	if rep := demographics(t, st, day1...); rep.Unchanged != 3 || rep.Created+rep.Updated != 0 {
		t.Errorf("replayed day 1: %+v, want 3 unchanged", rep)
	}
	if after := changes(t, st); after != before {
		t.Errorf("a replayed delta wrote %d versions", after-before)
	}

	// A GP feed sets A's ethnicity; an invitation to B is waiting.
	if rep, err := ApplyEthnicity(ctx, st, strings.NewReader("nhs_number,ethnic_category\n"+a+",A\n9999999990,B\n")); err != nil || rep.Updated != 1 || rep.Failed != 1 {
		t.Fatalf("ethnicity: %+v, %v; want 1 updated, 1 failed (a bad number)", rep, err)
	}
	if rep, err := ApplyEthnicity(ctx, st, strings.NewReader(a+"|a\n"+nhs(9)+",B\n")); err != nil || rep.Unchanged != 1 || rep.Unmatched != 1 {
		t.Fatalf("ethnicity again: %+v, %v; want 1 unchanged, 1 unmatched", rep, err)
	}
	pb := search_(t, st, "Patient", nhsQuery("identifier", b))[0]
	inv := create(t, st, `{"resourceType":"Communication","status":"preparation","category":[{"text":"invitation"}],"subject":{"reference":"Patient/`+pb.ID+`"}}`)
	sent := create(t, st, `{"resourceType":"Communication","status":"completed","category":[{"text":"invitation"}],"subject":{"reference":"Patient/`+pb.ID+`"}}`)

	day2 := []string{
		pdsPatient(a, "Able", `,"address":[{"postalCode":"M1 1AA"}]`), // moved, left the practice
		pdsPatient(b, "Baker", gp+`,"deceasedDateTime":"2026-11-20T10:00:00+00:00"`),
		pdsPatient(c, "Cole", `,"meta":{"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-Confidentiality","code":"R"}]}`),
	}
	rep = demographics(t, st, day2...)
	if rep.Updated != 3 || rep.Died != 1 || rep.Stopped != 1 {
		t.Errorf("day 2: %+v, want 3 updated, 1 died, 1 invitation stopped", rep)
	}
	_, ma := read(t, st, "Patient", pa[0].ID)
	if ethnicity(ma) == nil {
		t.Error("the delta dropped the ethnicity the GP feed set")
	}
	if got := search_(t, st, "Patient", "address-postalcode=M1"); len(got) != 1 {
		t.Errorf("moved: %d Patients at M1", len(got))
	}
	if got := search_(t, st, "Patient", "general-practitioner=Organization/"+org.ID); len(got) != 1 {
		t.Errorf("%d Patients still at the practice, want 1", len(got))
	}
	if got := search_(t, st, "Patient", "deceased=false"); len(got) != 2 {
		t.Errorf("%d living Patients, want 2", len(got))
	}
	if _, m := read(t, st, "Communication", inv.ID); m["status"] != "not-done" {
		t.Errorf("the waiting invitation is %v, want not-done", m["status"])
	}
	if rec, _ := read(t, st, "Communication", sent.ID); rec.Version != 1 {
		t.Error("a sent invitation was changed")
	}
	if got := search_(t, st, "Patient", "_security=R"); len(got) != 1 {
		t.Errorf("%d restricted Patients, want 1", len(got))
	}
	before = changes(t, st)
	if rep := demographics(t, st, day2...); rep.Unchanged != 3 || rep.Died != 0 || rep.Stopped != 0 {
		t.Errorf("replayed day 2: %+v", rep)
	}
	if after := changes(t, st); after != before {
		t.Errorf("a replayed delta wrote %d versions", after-before)
	}
}

// A superseded NHS number: the old Patient points to the new one, every record of the
// person follows, either number finds them, and a replay changes nothing.
func TestDemographicFeedSupersededNumber(t *testing.T) {
	st := openStore(t)
	old, cur := nhs(10), nhs(11)
	demographics(t, st, pdsPatient(old, "Dunn", ""))
	p := search_(t, st, "Patient", nhsQuery("identifier", old))[0]
	imm := create(t, st, `{"resourceType":"Immunization","status":"completed","vaccineCode":{"coding":[{"system":"http://snomed.info/sct","code":"39114911000001105"}]},"patient":{"reference":"Patient/`+p.ID+`"},"occurrenceDateTime":"2025-10-01"}`)
	flag := create(t, st, `{"resourceType":"Flag","status":"active","code":{"coding":[{"system":"http://snomed.info/sct","code":"77386006"}]},"subject":{"reference":"Patient/`+p.ID+`"}}`)
	nhsRec := create(t, st, `{"resourceType":"Immunization","status":"completed","contained":[{"resourceType":"Patient","id":"Pat1","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"`+old+`"}]}],"vaccineCode":{"coding":[{"system":"http://snomed.info/sct","code":"39114911000001105"}]},"patient":{"reference":"#Pat1"},"occurrenceDateTime":"2024-10-01"}`)

	delta := pdsPatient(cur, "Dunn", `,"link":[{"type":"replaces","other":{"identifier":{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"`+old+`"}}}]`)
	rep := demographics(t, st, delta)
	if rep.Created != 1 || rep.Superseded != 1 {
		t.Fatalf("supersede: %+v, want 1 created, 1 superseded", rep)
	}
	np := search_(t, st, "Patient", nhsQuery("identifier", cur))
	if len(np) != 1 {
		t.Fatalf("%d Patients with the new number", len(np))
	}
	newRef := "Patient/" + np[0].ID
	_, mo := read(t, st, "Patient", p.ID)
	if mo["active"] != false || !strings.Contains(string(mustJSON(t, mo["link"])), `"reference":"`+newRef+`"`) || !strings.Contains(string(mustJSON(t, mo["link"])), "replaced-by") {
		t.Errorf("old Patient: active %v, link %s", mo["active"], mustJSON(t, mo["link"]))
	}
	if _, m := read(t, st, "Immunization", imm.ID); object(m["patient"])["reference"] != newRef {
		t.Errorf("the record still names %v", m["patient"])
	}
	if _, m := read(t, st, "Flag", flag.ID); object(m["subject"])["reference"] != newRef {
		t.Errorf("the Flag still names %v", m["subject"])
	}
	for _, n := range []string{old, cur} {
		if got := search_(t, st, "Immunization", nhsQuery("patient.identifier", n)); len(got) != 2 {
			t.Errorf("patient.identifier=%s finds %d records, want 2 (the moved one and the NHS one)", n, len(got))
		}
	}
	if got := search_(t, st, "Patient", nhsQuery("identifier", old)); len(got) != 2 {
		t.Errorf("identifier=%s finds %d Patients, want 2 (the old and its replacement)", old, len(got))
	}
	if _, m := read(t, st, "Immunization", nhsRec.ID); currentNHS(object(arr(m["contained"])[0])) != cur {
		t.Errorf("the NHS record's contained Patient is %s", mustJSON(t, m["contained"]))
	}
	before := changes(t, st)
	if rep := demographics(t, st, delta); rep.Unchanged != 1 || rep.Superseded != 0 {
		t.Errorf("replayed supersede: %+v", rep)
	}
	if after := changes(t, st); after != before {
		recs, _ := st.Changes(context.Background(), 0, 1000)
		for _, r := range recs[before:] {
			prev, _ := st.VRead(context.Background(), r.Type, r.ID, r.Version-1)
			t.Logf("%s\n%s", prev.JSON, r.JSON)
		}
		t.Errorf("a replayed supersede wrote %d versions", after-before)
	}
}

// Lines that are not a Patient with a valid NHS number are reported with their line
// numbers; the others apply.
func TestDemographicFeedBadLines(t *testing.T) {
	st := openStore(t)
	in := strings.Join([]string{
		pdsPatient(nhs(20), "Good", ""),
		`{"resourceType":"Patient","name":[{"family":"NoNumber"}]}`,
		`not json`,
		pdsPatient("9000000001", "BadCheck", ""),
		`{"resourceType":"Organization","name":"x"}`,
		pdsPatient(nhs(21), "Good", ""),
	}, "\n")
	rep, err := ApplyDemographics(context.Background(), st, strings.NewReader(in), FeedOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Created != 2 || rep.Failed != 4 {
		t.Fatalf("%+v, want 2 created, 4 failed", rep)
	}
	var lines []int64
	for _, e := range rep.Errors {
		lines = append(lines, e.Line)
	}
	if fmt.Sprint(lines) != "[2 3 4 5]" {
		t.Errorf("failed lines %v, want [2 3 4 5]", lines)
	}
}

func mustJSON(t *testing.T, v any) []byte {
	b, err := encodeJSON(obj{"v": v})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// A new version of a list flags newcomers, keeps those already flagged, and ends (not
// deletes) the Flags of people no longer on it; the same list twice writes nothing.
func TestPriorityList(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	var lines []string
	for i := range 4 {
		lines = append(lines, pdsPatient(nhs(30+i), "Listed", ""))
	}
	demographics(t, st, lines...)
	unknown := nhs(40)
	list := PriorityList{Code: "77386006", Display: "Pregnant", Category: "pregnant", Start: time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)}
	now := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	load := func(numbers ...string) ListReport {
		t.Helper()
		rep, err := ApplyPriorityList(ctx, st, list, strings.NewReader("NHS_NUMBER\n"+strings.Join(numbers, "\n")), now)
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	rep := load(nhs(30), nhs(31), nhs(32), unknown, nhs(31))
	if rep.Listed != 4 || rep.Flagged != 4 || rep.Unmatched != 1 || rep.Ended != 0 {
		t.Fatalf("v1: %+v", rep)
	}
	before := changes(t, st)
	if rep := load(nhs(30), nhs(31), nhs(32), unknown); rep.Kept != 4 || rep.Flagged+rep.Ended != 0 {
		t.Errorf("v1 again: %+v", rep)
	}
	if after := changes(t, st); after != before {
		t.Errorf("the same list again wrote %d versions", after-before)
	}
	rep = load(nhs(31), nhs(32), nhs(33))
	if rep.Flagged != 1 || rep.Kept != 2 || rep.Ended != 2 {
		t.Errorf("v2: %+v, want 1 flagged, 2 kept, 2 ended", rep)
	}
	if got := search_(t, st, "Flag", "code=77386006&status=active"); len(got) != 3 {
		t.Errorf("%d active Flags, want 3", len(got))
	}
	ended := search_(t, st, "Flag", "status=inactive&identifier="+SystemPriorityGroupFlag+"|77386006-"+nhs(30))
	if len(ended) != 1 {
		t.Fatalf("the Flag of someone taken off the list: %d found", len(ended))
	}
	if _, m := read(t, st, "Flag", ended[0].ID); object(m["period"])["end"] != "2026-11-27" {
		t.Errorf("ended Flag period %v", m["period"])
	}
	p31 := search_(t, st, "Patient", nhsQuery("identifier", nhs(31)))[0]
	if got := search_(t, st, "Flag", "patient=Patient/"+p31.ID+"&status=active"); len(got) != 1 {
		t.Errorf("Flags of a listed person by patient: %d", len(got))
	}
	if _, err := ApplyPriorityList(ctx, st, PriorityList{Code: "x", Category: "pregnant", Start: now}, strings.NewReader(""), now); err == nil {
		t.Error("a list with a bad code was taken")
	}
}

// Lines are applied concurrently, but one person's lines in the order they come: the last
// line of each person wins, whatever the others do meanwhile; a supersede waits for the
// lines before it.
func TestDemographicFeedOrderPerPerson(t *testing.T) {
	st := openStore(t)
	var lines []string
	for v := 1; v <= 5; v++ {
		for p := range 40 {
			lines = append(lines, pdsPatient(nhs(100+p), fmt.Sprintf("V%d", v), ""))
		}
	}
	// The last person's number is superseded after all its lines.
	lines = append(lines, pdsPatient(nhs(200), "V5", `,"link":[{"type":"replaces","other":{"identifier":{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"`+nhs(139)+`"}}}]`))
	rep := demographics(t, st, lines...)
	if rep.Created != 41 || rep.Updated != 160 || rep.Superseded != 1 {
		t.Errorf("%+v, want 41 created, 160 updated, 1 superseded", rep)
	}
	for p := range 40 {
		got := search_(t, st, "Patient", nhsQuery("identifier", nhs(100+p)))
		var current []store.Record
		for _, r := range got {
			if m, _ := decodeJSON(r.JSON); currentNHS(m) == nhs(100+p) {
				current = append(current, r)
			}
		}
		if len(current) != 1 || current[0].Version != 5 && p != 39 || !strings.Contains(string(current[0].JSON), `"V5"`) {
			t.Fatalf("person %d: %d records, version %d, %s", p, len(current), current[0].Version, current[0].JSON)
		}
	}
}

// A person loaded by other means (its JSON laid out otherwise) and sent by the feed as it
// is stored changes nothing.
func TestDemographicFeedSameContentOtherLayout(t *testing.T) {
	st := openStore(t)
	n := nhs(300)
	rec := create(t, st, `{"birthDate":"1948-02-03","gender":"female","name":[{"given":["Sam"],"family":"Layout"}],"identifier":[{"value":"`+n+`","system":"https://fhir.nhs.uk/Id/nhs-number"}],"resourceType":"Patient"}`)
	if rep := demographics(t, st, pdsPatient(n, "Layout", "")); rep.Unchanged != 1 {
		t.Errorf("%+v, want 1 unchanged", rep)
	}
	if got, _ := read(t, st, "Patient", rec.ID); got.Version != 1 {
		t.Errorf("version %d, want 1", got.Version)
	}
}
