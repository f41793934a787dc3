package programme

import (
	"bytes"
	"context"
	"encoding/json"
	"net/url"
	"reflect"
	"strconv"

	"github.com/google/uuid"

	"github.com/nimsproject/nims/fhir"
	"github.com/nimsproject/nims/fhir/search"
	"github.com/nimsproject/nims/store"
)

// The programme edits resources as generic JSON objects (numbers kept as written, by
// json.Number) and writes them back through encodeJSON, whose output is a function of
// the object alone, so that the same edit twice gives the same bytes and the store sees
// no change.

type obj = map[string]any

func decodeJSON(b []byte) (obj, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var m obj
	if err := d.Decode(&m); err != nil {
		return nil, err
	}
	return m, nil
}

func encodeJSON(m obj) ([]byte, error) {
	var buf bytes.Buffer
	e := json.NewEncoder(&buf)
	e.SetEscapeHTML(false)
	if err := e.Encode(m); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// writeOp prepares the write of m (a resource of type typ with id, when updating) after
// validating it as the API would.
func writeOp(kind store.OpKind, id string, m obj) (store.Op, error) {
	m = withoutStamp(m)
	b, err := encodeJSON(m)
	if err != nil {
		return store.Op{}, err
	}
	r, err := fhir.Decode(b)
	if err != nil {
		return store.Op{}, err
	}
	if err := fhir.Validate(r); err != nil {
		return store.Op{}, err
	}
	op := store.NewWrite(kind, r, fhir.DefaultUniqueRules)
	op.ID = id
	if kind == store.OpUpdate {
		op.SkipUnchanged = true
	}
	return op, nil
}

// updateOp prepares the update of the stored version rec to m, joined to it by If-Match.
// When m says what rec says (however its JSON is laid out: a record loaded by nims import
// or nims seed is not in encodeJSON's key order), the op carries rec's own bytes, so the
// store writes nothing (Op.SkipUnchanged).
func updateOp(rec store.Record, m obj) (store.Op, error) {
	op, err := writeOp(store.OpUpdate, rec.ID, m)
	if err != nil {
		return op, err
	}
	op.IfMatch = rec.Version
	if stored, err := decodeJSON(rec.JSON); err == nil && reflect.DeepEqual(withoutStamp(stored), withoutStamp(m)) {
		op.JSON = rec.JSON
	}
	return op, nil
}

// reread runs attempt (a read, then a write joined to it by If-Match) again while the
// write fails because someone else wrote meanwhile, at most maxAttempts times.
func reread(attempt func() error) error {
	for n := 1; ; n++ {
		err := attempt()
		if n == maxAttempts || fhir.KindOf(err) != fhir.KindPreconditionFailed {
			return err
		}
	}
}

// withoutStamp drops what the store stamps (id, meta.versionId, meta.lastUpdated), and
// meta when nothing else is in it.
func withoutStamp(m obj) obj {
	delete(m, "id")
	if meta, ok := m["meta"].(obj); ok {
		delete(meta, "versionId")
		delete(meta, "lastUpdated")
		if len(meta) == 0 {
			delete(m, "meta")
		}
	}
	return m
}

// find returns up to n live resources of typ matching the criteria raw.
func find(ctx context.Context, st store.Store, typ, raw string, n int) ([]store.Record, error) {
	vals, err := url.ParseQuery(raw)
	if err != nil {
		return nil, err
	}
	q, err := search.Parse(typ, vals, search.ParseOptions{Strict: true})
	if err != nil {
		return nil, err
	}
	q.Count = n
	res, err := st.Search(ctx, q)
	return res.Records, err
}

func arr(v any) []any  { a, _ := v.([]any); return a }
func object(v any) obj { m, _ := v.(obj); return m }
func str(v any) string { s, _ := v.(string); return s }

// nhsQuery is the criteria of a Patient identifier search for an NHS number.
func nhsQuery(param, nhs string) string {
	return param + "=" + url.QueryEscape(fhir.SystemNHSNumber+"|"+nhs)
}

// currentNHS is the NHS number a Patient goes by: its first NHS number identifier whose
// use is not "old".
func currentNHS(p obj) string {
	for _, x := range arr(p["identifier"]) {
		id := object(x)
		if str(id["system"]) == fhir.SystemNHSNumber && str(id["use"]) != "old" {
			return str(id["value"])
		}
	}
	return ""
}

// patient is a stored Patient, decoded.
type patient struct {
	rec store.Record
	obj obj
}

// patientByNHS returns the live Patient whose current NHS number is nhs, if any (a
// Patient that holds nhs as a superseded number is not it).
func patientByNHS(ctx context.Context, st store.Store, nhs string) (*patient, error) {
	recs, err := find(ctx, st, "Patient", nhsQuery("identifier", nhs), 10)
	if err != nil {
		return nil, err
	}
	for _, rec := range recs {
		m, err := decodeJSON(rec.JSON)
		if err != nil {
			return nil, err
		}
		if currentNHS(m) == nhs {
			return &patient{rec: rec, obj: m}, nil
		}
	}
	return nil, nil
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func newID() string { return uuid.Must(uuid.NewV7()).String() }

// criteria parses a condition of the programme's own writes.
func criteria(typ, raw string) (*search.Query, error) { return search.ParseCriteria(typ, raw) }
