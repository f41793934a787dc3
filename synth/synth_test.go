package synth

import (
	"crypto/sha256"
	"encoding/json"
	"runtime"
	"strings"
	"testing"

	"github.com/nimsproject/nims/fhir"
)

func generate(t testing.TB, cfg Config) []Resource {
	t.Helper()
	var out []Resource
	if err := Generate(cfg, func(r Resource) error { out = append(out, r); return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

func digest(t testing.TB, cfg Config, procs int) [32]byte {
	t.Helper()
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
	h := sha256.New()
	for _, r := range generate(t, cfg) {
		h.Write([]byte(r.Type + "/" + r.ID + "\n"))
		h.Write(r.JSON)
	}
	return [32]byte(h.Sum(nil))
}

// The same configuration gives the same bytes, however many cores make them; another
// seed gives another England.
func TestDeterministic(t *testing.T) {
	cfg := Config{Patients: 5000, Seed: 7}
	one, four := digest(t, cfg, 1), digest(t, cfg, 4)
	if one != four {
		t.Errorf("Generate(%+v): GOMAXPROCS 1 and 4 differ", cfg)
	}
	if again := digest(t, cfg, 2); again != one {
		t.Errorf("Generate(%+v): a second run differs", cfg)
	}
	if other := digest(t, Config{Patients: 5000, Seed: 8}, 2); other == one {
		t.Errorf("seeds 7 and 8 gave the same output")
	}
}

// Every resource passes the server's own validation, has a unique id, and refers only
// to resources emitted before it.
func TestEveryResourceValid(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range generate(t, Config{Patients: 4000, Seed: 3}) {
		res, err := fhir.Decode(r.JSON)
		if err != nil {
			t.Fatalf("Decode(%s/%s): %v", r.Type, r.ID, err)
		}
		if res.Type != r.Type || res.ID != r.ID {
			t.Fatalf("%s/%s decodes as %s/%s", r.Type, r.ID, res.Type, res.ID)
		}
		if err := fhir.Validate(res); err != nil {
			t.Fatalf("Validate(%s/%s): %v\n%s", r.Type, r.ID, err, r.JSON)
		}
		key := r.Type + "/" + r.ID
		if seen[key] {
			t.Fatalf("%s emitted twice", key)
		}
		seen[key] = true
		for _, ref := range references(res.Object) {
			if !seen[ref] {
				t.Fatalf("%s refers to %s, not emitted before it", key, ref)
			}
		}
	}
}

// references returns every "reference" string in a decoded resource.
func references(v any) []string {
	var out []string
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if s, ok := e.(string); ok && k == "reference" {
				out = append(out, s)
			} else {
				out = append(out, references(e)...)
			}
		}
	case []any:
		for _, e := range x {
			out = append(out, references(e)...)
		}
	}
	return out
}

// The vaccination records have the NHS Immunisation API's shape in all but one respect:
// they point at the stored Patient (so chained search by NHS number works) where the
// API wants a contained copy. Made into the API's form, each passes the UK Core rules.
func TestImmunizationsMeetUKCoreRules(t *testing.T) {
	patients := map[string]map[string]any{}
	checked := 0
	for _, r := range generate(t, Config{Patients: 1500, Seed: 5}) {
		var m map[string]any
		if err := json.Unmarshal(r.JSON, &m); err != nil {
			t.Fatal(err)
		}
		switch r.Type {
		case "Patient":
			id := m["identifier"].([]any)[0].(map[string]any)
			contained := map[string]any{"resourceType": "Patient", "id": "p",
				"identifier": []any{map[string]any{"system": id["system"], "value": id["value"]}},
				"name":       m["name"], "gender": m["gender"], "birthDate": m["birthDate"], "address": m["address"]}
			patients["Patient/"+r.ID] = contained
		case "Immunization":
			ref := m["patient"].(map[string]any)["reference"].(string)
			m["meta"] = map[string]any{"profile": []any{fhir.ProfileUKCoreImmunization}}
			m["contained"] = []any{patients[ref]}
			m["patient"] = map[string]any{"reference": "#p"}
			js, _ := json.Marshal(m)
			res, err := fhir.Decode(js)
			if err != nil {
				t.Fatal(err)
			}
			if err := fhir.Validate(res); err != nil {
				t.Fatalf("%s as UK Core: %v\n%s", r.ID, err, js)
			}
			checked++
		}
	}
	if checked < 500 {
		t.Errorf("checked only %d Immunizations", checked)
	}
}

// The codes in the tables are SNOMED CT concept ids, as the NHS API checks them (digits,
// partition, Verhoeff check digit), and every target-disease set is an NHS vaccine type.
func TestCodes(t *testing.T) {
	var fragments []string
	for _, v := range []vaccine{fluNasal, fluInfant, fluAdultSanofi, fluAdultPfizer, fluOlder, covidComirnty, covidSpikevax,
		covidChild, covidInfant, rsv, mmrFirst, mmrSecond, sixInOne} {
		fragments = append(fragments, v.procedure, v.product, v.sites[0], v.sites[1], v.route)
		var diseases []struct {
			Coding []struct{ Code string }
		}
		if err := json.Unmarshal([]byte(v.diseases), &diseases); err != nil || len(diseases) == 0 {
			t.Fatalf("targetDisease %s: %v", v.diseases, err)
		}
		var codes []string
		for _, d := range diseases {
			codes = append(codes, d.Coding[0].Code)
		}
		if _, ok := fhir.VaccineTypeOf(codes); !ok {
			t.Errorf("target diseases %v are no NHS vaccine type", codes)
		}
	}
	fragments = append(fragments, pharmacistFlu)
	for _, k := range flagKinds {
		fragments = append(fragments, concept(sct, k.code, k.display))
	}
	n := 0
	for _, f := range fragments {
		var cc struct {
			Coding []struct{ System, Code string }
			Text   string
		}
		if err := json.Unmarshal([]byte(f), &cc); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, c := range cc.Coding {
			n++
			if c.System != sct || !fhir.ValidSNOMEDCode(c.Code) {
				t.Errorf("%s|%s is not a SNOMED CT concept id", c.System, c.Code)
			}
		}
		if len(cc.Coding) == 0 && cc.Text == "" {
			t.Errorf("%s says nothing", f)
		}
	}
	if n < 25 {
		t.Errorf("checked only %d codes", n)
	}
}

// The geography has England's 7 regions and 42 ICBs, distinct ODS codes, and
// populations summing to about England's 57.1 million.
func TestGeography(t *testing.T) {
	if len(regions) != 7 || len(icbs) != 42 {
		t.Fatalf("%d regions, %d ICBs; want 7 and 42", len(regions), len(icbs))
	}
	codes := map[string]bool{}
	total := 0
	for _, c := range icbs {
		total += c.pop
		if codes[c.ods] || !fhir.ValidODSCode(c.ods) {
			t.Errorf("ICB code %q repeated or malformed", c.ods)
		}
		codes[c.ods] = true
		if len(c.areas) == 0 || !strings.HasSuffix(c.name, "Integrated Care Board") {
			t.Errorf("ICB %s: %q, %d postcode runs", c.ods, c.name, len(c.areas))
		}
	}
	if total < 56500 || total > 57700 {
		t.Errorf("ICB populations sum to %d thousand; England mid-2022 is 57,106 thousand", total)
	}
	w := newWorld(Config{Patients: 1_000_000, RefDate: DefaultRefDate})
	seen := map[string]bool{}
	sum := 0
	for _, p := range w.practices {
		if seen[p.ods] || !fhir.ValidODSCode(p.ods) || len(p.ods) != 6 {
			t.Fatalf("practice code %q repeated or malformed", p.ods)
		}
		seen[p.ods] = true
		sum += p.count
	}
	if n := len(w.practices); n < 100 || n > 110 || sum != 1_000_000 {
		t.Errorf("1,000,000 people: %d practices holding %d; want about 105 holding all", n, sum)
	}
}

func TestNames(t *testing.T) {
	for i, pool := range namePools {
		for _, list := range [][]string{pool.family, pool.given[0], pool.given[1]} {
			if len(list) < 8 {
				t.Errorf("pool %d: a list of %d names", i, len(list))
			}
			for _, s := range list {
				if s == "" || len([]rune(s)) > 35 || strings.ContainsAny(s, "\"\\") {
					t.Errorf("pool %d: name %q", i, s)
				}
			}
		}
	}
}
