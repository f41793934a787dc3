package api

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"testing"
)

// decodeExact decodes JSON keeping numbers as written (1.50 stays 1.50).
func decodeExact(t *testing.T, raw []byte) map[string]any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("decode: %v\n%.300s", err, raw)
	}
	return m
}

// roundTrip PUTs raw by its id and checks that reading it back gives the same document
// apart from id and meta.versionId/lastUpdated.
func roundTrip(t *testing.T, srv *testServer, raw []byte) {
	t.Helper()
	sent := decodeExact(t, raw)
	typ, _ := sent["resourceType"].(string)
	id, _ := sent["id"].(string)
	r := do(t, srv.ts, "PUT", "/fhir/"+typ+"/"+id, raw)
	if r.status != http.StatusCreated && r.status != http.StatusOK {
		t.Fatalf("PUT %s/%s: status %d\n%s", typ, id, r.status, r.body)
	}
	got := do(t, srv.ts, "GET", "/fhir/"+typ+"/"+id, nil)
	wantStatus(t, got, http.StatusOK, "read back")
	back := decodeExact(t, got.body)
	if back["id"] != id {
		t.Errorf("read back id %v, want %s", back["id"], id)
	}
	if a, b := stripMeta(sent), stripMeta(back); !reflect.DeepEqual(a, b) {
		ja, _ := json.Marshal(a)
		jb, _ := json.Marshal(b)
		t.Errorf("%s/%s changed in storage:\nsent %s\ngot  %s", typ, id, ja, jb)
	}
}

// The official R4 examples of the programme's resources (hl7.fhir.r4.examples 4.0.1,
// CC0, copied to testdata) are accepted with PUT by id and read back unchanged.
func TestOfficialExamplesRoundTrip(t *testing.T) {
	srv := newTestServerT(t)
	files, _ := filepath.Glob(filepath.Join("..", "testdata", "r4-examples", "*.json"))
	if len(files) < 50 {
		t.Fatalf("found %d example files, want the whole set", len(files))
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			roundTrip(t, srv, raw)
		})
	}
}

// The Bulk Data corpus beside the repository (../shared/corpus, not part of the repo):
// its Patient, Organization and Practitioner records are accepted by PUT and read back
// unchanged. Where the corpus is absent the test says so and checks nothing.
func TestCorpusBulkRecordsRoundTrip(t *testing.T) {
	dir := filepath.Join("..", "..", "shared", "corpus", "bulk-ndjson-10-patients")
	if _, err := os.Stat(dir); err != nil {
		t.Logf("corpus not found at %s; nothing to check", dir)
		return
	}
	srv := newTestServerT(t)
	for _, typ := range []string{"Organization", "Practitioner", "Patient"} {
		f, err := os.Open(filepath.Join(dir, typ+".000.ndjson"))
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 16<<20)
		n := 0
		for sc.Scan() {
			line := bytes.TrimSpace(sc.Bytes())
			if len(line) == 0 {
				continue
			}
			n++
			t.Run(typ+"-"+strconv.Itoa(n), func(t *testing.T) {
				roundTrip(t, srv, append([]byte(nil), line...))
			})
		}
		f.Close()
		if n == 0 {
			t.Errorf("%s: no records read", typ)
		}
	}
}

// What the client sent comes back apart from id and meta: contained resources,
// extensions, primitive extensions, decimals as written, unicode.
func TestLosslessStorage(t *testing.T) {
	srv := newTestServerT(t)
	raw := []byte(`{"resourceType":"Immunization","id":"lossless-1",
	 "meta":{"profile":["http://example.org/p"],"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-Confidentiality","code":"R"}]},
	 "contained":[{"resourceType":"Patient","id":"p","name":[{"family":"Ní Bhriain","given":["Siobhán"]}],"_birthDate":{"extension":[{"url":"http://hl7.org/fhir/StructureDefinition/data-absent-reason","valueCode":"unknown"}]}}],
	 "extension":[{"url":"https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-VaccinationProcedure","valueCodeableConcept":{"coding":[{"system":"http://snomed.info/sct","code":"1324681000000101"}]}}],
	 "status":"completed","_status":{"extension":[{"url":"http://example.org/x","valueString":"kept"}]},
	 "vaccineCode":{"coding":[{"system":"http://snomed.info/sct","code":"39114911000001105"}]},
	 "patient":{"reference":"#p"},"occurrenceDateTime":"2021-01-04T10:00:00+00:00",
	 "doseQuantity":{"value":0.50,"unit":"ml","system":"http://unitsofmeasure.org","code":"ml"},
	 "protocolApplied":[{"doseNumberPositiveInt":1}]}`)
	roundTrip(t, srv, raw)
	got := do(t, srv.ts, "GET", "/fhir/Immunization/lossless-1", nil)
	for _, want := range []string{`"value":0.50`, `Siobhán`, `"_status"`, `"contained"`, `"security"`} {
		if !bytes.Contains(got.body, []byte(want)) {
			t.Errorf("stored resource lacks %s: %s", want, got.body)
		}
	}
}
