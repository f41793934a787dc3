package fhir

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

var stampTime = time.Date(2026, 11, 27, 9, 30, 0, 123456789, time.UTC)

// checkStamp stamps a decoded resource and checks the result: valid JSON, id and meta set,
// everything else (and the rest of meta) exactly as sent.
func checkStamp(t *testing.T, body []byte) {
	t.Helper()
	r, err := Decode(body)
	if err != nil {
		return
	}
	out, err := Stamp(r.JSON, "the-id", 7, stampTime)
	if _, isObject := r.Object["meta"].(map[string]any); err != nil && r.Object["meta"] != nil && !isObject {
		return // meta that is not an object is refused; validation reports it before
	}
	if err != nil {
		t.Fatalf("Stamp(%s) error %v", body, err)
	}
	back, err := Decode(out)
	if err != nil {
		t.Fatalf("Stamp(%s) = %s, which does not decode: %v", body, out, err)
	}
	if back.ID != "the-id" {
		t.Errorf("Stamp id = %q", back.ID)
	}
	meta, _ := back.Object["meta"].(map[string]any)
	if meta["versionId"] != "7" || meta["lastUpdated"] != "2026-11-27T09:30:00.123Z" {
		t.Errorf("Stamp meta = %v", meta)
	}
	want := map[string]any{}
	for k, v := range r.Object {
		want[k] = v
	}
	got := map[string]any{}
	for k, v := range back.Object {
		got[k] = v
	}
	delete(want, "id")
	delete(got, "id")
	wm, _ := want["meta"].(map[string]any)
	gm := map[string]any{}
	for k, v := range meta {
		if k != "versionId" && k != "lastUpdated" {
			gm[k] = v
		}
	}
	wmr := map[string]any{}
	for k, v := range wm {
		if k != "versionId" && k != "lastUpdated" {
			wmr[k] = v
		}
	}
	if !reflect.DeepEqual(gm, wmr) {
		t.Errorf("Stamp changed meta: got %v, want %v", gm, wmr)
	}
	delete(want, "meta")
	delete(got, "meta")
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Stamp changed the resource:\n got %v\nwant %v", got, want)
	}
}

func TestStamp(t *testing.T) {
	for _, body := range []string{
		`{"resourceType":"Patient"}`,
		`{ "resourceType" : "Patient" , "id" : "old", "gender":"male" }`,
		`{"gender":"male","meta":{"versionId":"9","profile":["http://x/p"],"lastUpdated":"2000-01-01T00:00:00Z"},"resourceType":"Patient"}`,
		`{"resourceType":"Patient","\u006deta":{"security":[{"code":"R"}]},"name":[{"given":["a\"b","c}"]}]}`,
		`{"resourceType":"Patient","extension":[{"url":"u","valueDecimal":1.50}],"_birthDate":{"id":"x"}}`,
	} {
		checkStamp(t, []byte(body))
	}
	files, _ := filepath.Glob(filepath.Join("..", "testdata", "r4-examples", "*.json"))
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		checkStamp(t, raw)
	}
}

func FuzzStamp(f *testing.F) {
	f.Add([]byte(`{"resourceType":"Patient","meta":{"tag":[{"code":"x"}]},"a":[1,{"b":"}"}]}`))
	f.Add([]byte(`{"resourceType":"Patient","\u006deta":{}}`))
	f.Add([]byte(`{"resourceType":"0000000","meta":[]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		if !json.Valid(body) {
			return
		}
		checkStamp(t, body)
	})
}
