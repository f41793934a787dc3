package nhscsv

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/nimsproject/nims/fhir"
	"github.com/nimsproject/nims/fhir/search"
	"github.com/nimsproject/nims/store"
)

var received = time.Date(2024, 10, 15, 18, 0, 0, 0, time.UTC)

// ackLines parses an acknowledgement: its header, and each row's values by column.
func ackLines(t *testing.T, ack string) []map[string]string {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(ack, "\n"), "\n")
	if lines[0] != strings.Join(AckHeader, "|") {
		t.Fatalf("acknowledgement header %q", lines[0])
	}
	var out []map[string]string
	for _, l := range lines[1:] {
		vals, err := splitValues(l)
		if err != nil || len(vals) != len(AckHeader) {
			t.Fatalf("acknowledgement line %q: %d values, %v", l, len(vals), err)
		}
		m := map[string]string{}
		for i, h := range AckHeader {
			m[h] = vals[i]
		}
		out = append(out, m)
	}
	return out
}

func apply(t *testing.T, st store.Store, content string, opts Options) (Summary, []map[string]string) {
	t.Helper()
	if opts.Permissions == "" {
		opts.Permissions = "CRUDS"
	}
	if opts.MessageID == "" {
		opts.MessageID = "job-1"
	}
	opts.ReceivedTime = received
	var ack bytes.Buffer
	sum, err := Apply(t.Context(), st, fluFile(t), strings.NewReader(content), &ack, opts)
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}
	return sum, ackLines(t, ack.String())
}

// record returns the live record with a test identifier.
func record(t *testing.T, st store.Store, id string) (store.Record, bool) {
	t.Helper()
	q, err := search.ParseCriteria("Immunization", url.Values{"identifier": {"https://supplierABC/identifiers/vacc|" + id}}.Encode())
	if err != nil {
		t.Fatal(err)
	}
	q.Count = 10
	res, err := st.Search(t.Context(), q)
	if err != nil || len(res.Records) > 1 {
		t.Fatalf("search %s: %v, %d records", id, err, len(res.Records))
	}
	if len(res.Records) == 0 {
		return store.Record{}, false
	}
	return res.Records[0], true
}

// The testdata file applies whole, in one batch or in batches of three, and its
// acknowledgement has one line per row, in order, with the identifiers of the file.
func TestApplyTestdata(t *testing.T) {
	content, err := os.ReadFile(testFile)
	if err != nil {
		t.Fatal(err)
	}
	fileRows := rows(t, string(content))
	for _, batch := range []int{0, 3, 1} {
		t.Run(fmt.Sprintf("batch %d", batch), func(t *testing.T) {
			st := openStore(t)
			sum, ack := apply(t, st, string(content), Options{BatchSize: batch, MailboxFrom: "X26OT181"})
			want := Summary{MessageID: "job-1", Rows: 10, Created: 6, Updated: 2, Deleted: 2}
			if sum != want {
				t.Errorf("summary %+v, want %+v", sum, want)
			}
			if len(ack) != len(fileRows) {
				t.Fatalf("%d acknowledgement lines, want %d", len(ack), len(fileRows))
			}
			for i, a := range ack {
				wantLine := map[string]string{
					"MESSAGE_HEADER_ID": fmt.Sprintf("job-1^%d", i+1), "HEADER_RESPONSE_CODE": "OK",
					"ISSUE_SEVERITY": "Information", "ISSUE_CODE": "OK", "ISSUE_DETAILS_CODE": "30001",
					"RESPONSE_TYPE": "Business", "RESPONSE_CODE": "30001", "RESPONSE_DISPLAY": "Success",
					"RECEIVED_TIME": "20241015T18000000", "MAILBOX_FROM": "X26OT181",
					"LOCAL_ID": fileRows[i].LocalID(), "OPERATION_OUTCOME": "", "MESSAGE_DELIVERY": "True",
				}
				for k, v := range wantLine {
					if a[k] != v {
						t.Errorf("line %d %s = %q, want %q", i+1, k, a[k], v)
					}
				}
				if a["IMMS_ID"] == "" {
					t.Errorf("line %d has no IMMS_ID", i+1)
				}
			}
			// Row 9 updated the record row 1 created, in the same file: same id, version 2.
			rec, ok := record(t, st, "FLU-2024-0001")
			if !ok || rec.ID != ack[0]["IMMS_ID"] || ack[8]["IMMS_ID"] != rec.ID || rec.Version != 2 ||
				!strings.Contains(string(rec.JSON), `"code":"368209003"`) {
				t.Errorf("FLU-2024-0001: %v %s; want the record of line 1 (%s) at version 2 with the right arm",
					ok, rec.JSON, ack[0]["IMMS_ID"])
			}
			if _, ok := record(t, st, "FLU-2024-0003"); ok {
				t.Errorf("FLU-2024-0003 was not deleted")
			}
			if _, err := st.Read(t.Context(), "Immunization", ack[6]["IMMS_ID"]); fhir.KindOf(err) != fhir.KindGone {
				t.Errorf("the record deleted by line 7: %v, want gone", err)
			}
		})
	}
}

// A COVID record, to check that a FLU file does not reach it.
func covidRow(id string) map[string]string {
	return with("UNIQUE_ID", id, "VACCINATION_PROCEDURE_CODE", "1362591000000103", "VACCINATION_PROCEDURE_TERM", "COVID-19 booster",
		"VACCINE_PRODUCT_CODE", "43111411000001101", "VACCINE_PRODUCT_TERM", "Comirnaty JN.1")
}

func TestApplyRowOutcomes(t *testing.T) {
	row := func(action, id string, kv ...string) map[string]string {
		return with(append([]string{"ACTION_FLAG", action, "UNIQUE_ID", id}, kv...)...)
	}
	tests := []struct {
		name  string
		setup []map[string]string // applied first, all must succeed
		covid []map[string]string // applied first through a COVID file
		file  []map[string]string
		perms string
		want  []string // per row: "OK" or a piece of OPERATION_OUTCOME
	}{
		{name: "duplicate new", setup: []map[string]string{row("new", "T-1")},
			file: []map[string]string{row("new", "T-1"), row("new", "T-2")},
			want: []string{"The provided identifier: https://supplierABC/identifiers/vacc#T-1 is duplicated", "OK"}},
		{name: "duplicate new in the same file",
			file: []map[string]string{row("new", "T-1"), row("new", "T-1"), row("new", "T-2")},
			want: []string{"OK", "is duplicated", "OK"}},
		{name: "more duplicates in a batch than it is retried for", setup: []map[string]string{row("new", "T-1"), row("new", "T-2"), row("new", "T-3"), row("new", "T-4"), row("new", "T-5")},
			file: []map[string]string{row("new", "T-1"), row("new", "T-2"), row("new", "T-6"), row("new", "T-3"), row("new", "T-4"), row("new", "T-5"), row("new", "T-7")},
			want: []string{"is duplicated", "is duplicated", "OK", "is duplicated", "is duplicated", "is duplicated", "OK"}},
		{name: "update of an unknown identifier", file: []map[string]string{row("update", "T-9"), row("new", "T-1")},
			want: []string{"Immunization resource does not exist", "OK"}},
		{name: "delete of an unknown identifier", file: []map[string]string{row("delete", "T-9"), row("new", "T-1")},
			want: []string{"Immunization resource does not exist", "OK"}},
		{name: "delete twice", file: []map[string]string{row("new", "T-1"), row("delete", "T-1"), row("delete", "T-1")},
			want: []string{"OK", "OK", "does not exist"}},
		{name: "update after delete", file: []map[string]string{row("new", "T-1"), row("delete", "T-1"), row("update", "T-1")},
			want: []string{"OK", "OK", "does not exist"}},
		{name: "new after delete", file: []map[string]string{row("new", "T-1"), row("delete", "T-1"), row("new", "T-1")},
			want: []string{"OK", "OK", "OK"}},
		{name: "update twice", setup: []map[string]string{row("new", "T-1")},
			file: []map[string]string{row("update", "T-1", "BATCH_NUMBER", "B2"), row("update", "T-1", "BATCH_NUMBER", "B3")},
			want: []string{"OK", "OK"}},
		{name: "another vaccine type's record", covid: []map[string]string{covidRow("T-1")},
			file: []map[string]string{row("update", "T-1"), row("delete", "T-1"), row("new", "T-1")},
			want: []string{"does not exist", "does not exist", "is duplicated"}},
		{name: "a bad row among good ones", setup: []map[string]string{row("new", "T-0")},
			file: []map[string]string{row("new", "T-1"), row("new", "T-2", "NHS_NUMBER", "9000000001"), row("new", "T-3"),
				row("update", "T-1", "BATCH_NUMBER", "B2"), row("remove", "T-0"), row("delete", "T-3"), row("update", "T-0", "DOSE_SEQUENCE", "0"), row("delete", "T-0")},
			want: []string{"OK", "not a valid NHS number (NHS_NUMBER)", "OK", "OK", "Invalid ACTION_FLAG", "OK", "DOSE_SEQUENCE", "OK"}},
		{name: "permissions", perms: "CU", setup: []map[string]string{row("new", "T-0")},
			file: []map[string]string{row("new", "T-1"), row("update", "T-1"), row("delete", "T-0"), row("DELETE", "", "UNIQUE_ID_URI", "")},
			want: []string{"OK", "OK", "No permissions for requested operation", "No permissions for requested operation"}},
		{name: "no write permitted", perms: "r",
			file: []map[string]string{row("new", "")}, want: nil}, // no write permitted: the file is refused
	}
	for _, tc := range tests {
		for _, batch := range []int{500, 2} {
			t.Run(fmt.Sprintf("%s/batch %d", tc.name, batch), func(t *testing.T) {
				st := openStore(t)
				if len(tc.covid) > 0 {
					fn, _ := ParseFileName("COVID_Vaccinations_v5_RX809_20241015T17300000.csv")
					sum, err := Apply(t.Context(), st, fn, strings.NewReader(file(tc.covid...)), discard(), Options{Permissions: "C"})
					if err != nil || sum.Created != len(tc.covid) {
						t.Fatalf("COVID setup: %+v %v", sum, err)
					}
				}
				if len(tc.setup) > 0 {
					if sum, _ := apply(t, st, file(tc.setup...), Options{}); sum.Created != len(tc.setup) {
						t.Fatalf("setup: %+v", sum)
					}
				}
				if tc.want == nil {
					_, err := Apply(t.Context(), st, fluFile(t), strings.NewReader(file(tc.file...)), discard(), Options{Permissions: tc.perms})
					if fhir.KindOf(err) != fhir.KindForbidden {
						t.Fatalf("Apply = %v, want KindForbidden", err)
					}
					return
				}
				sum, ack := apply(t, st, file(tc.file...), Options{BatchSize: batch, Permissions: tc.perms})
				if len(ack) != len(tc.want) {
					t.Fatalf("%d acknowledgement lines, want %d", len(ack), len(tc.want))
				}
				failed := 0
				for i, w := range tc.want {
					a := ack[i]
					if a["LOCAL_ID"] != tc.file[i]["UNIQUE_ID"]+"^"+tc.file[i]["UNIQUE_ID_URI"] || a["MESSAGE_HEADER_ID"] != fmt.Sprintf("job-1^%d", i+1) {
						t.Errorf("line %d names %s %s", i+1, a["MESSAGE_HEADER_ID"], a["LOCAL_ID"])
					}
					if w == "OK" {
						if a["HEADER_RESPONSE_CODE"] != "OK" || a["IMMS_ID"] == "" {
							t.Errorf("line %d: %s %q, want OK", i+1, a["HEADER_RESPONSE_CODE"], a["OPERATION_OUTCOME"])
						}
						continue
					}
					failed++
					if a["HEADER_RESPONSE_CODE"] != "Fatal Error" || a["RESPONSE_CODE"] != "30002" || a["MESSAGE_DELIVERY"] != "False" ||
						a["IMMS_ID"] != "" || !strings.Contains(a["OPERATION_OUTCOME"], w) {
						t.Errorf("line %d: %s %s %q, want a failure saying %q", i+1, a["HEADER_RESPONSE_CODE"], a["RESPONSE_CODE"], a["OPERATION_OUTCOME"], w)
					}
				}
				if sum.Failed != failed || sum.Rows != len(tc.want) || sum.Created+sum.Updated+sum.Deleted+sum.Unchanged+sum.Failed != sum.Rows {
					t.Errorf("summary %+v, want %d failed of %d", sum, failed, len(tc.want))
				}
			})
		}
	}
}

// discard is a sink for acknowledgements a test does not read.
func discard() *bytes.Buffer { return new(bytes.Buffer) }

// A file rejected whole writes nothing, not even the acknowledgement's header.
func TestApplyFileErrors(t *testing.T) {
	tests := []struct {
		name, content, perms string
		kind                 fhir.Kind
	}{
		{"header", strings.Replace(file(good()), "NHS_NUMBER", "NHS_NO", 1), "CRUD", fhir.KindInvalid},
		{"empty", "", "CRUD", fhir.KindInvalid},
		{"no write permission", file(good()), "RS", fhir.KindForbidden},
		{"no permissions", file(good()), "", fhir.KindForbidden},
		{"not CRUDS", file(good()), "CX", fhir.KindInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := openStore(t)
			var ack bytes.Buffer
			sum, err := Apply(t.Context(), st, fluFile(t), strings.NewReader(tc.content), &ack, Options{Permissions: tc.perms})
			if fhir.KindOf(err) != tc.kind || ack.Len() != 0 || sum.Rows != 0 {
				t.Errorf("Apply = %+v, %v, ack %q; want %v and nothing written", sum, err, ack.String(), tc.kind)
			}
		})
	}
}

// The acknowledgement has exactly one line per data row, in order, whatever the rows
// hold: good, invalid, unreadable, blank lines between them, and across batches.
func TestAckOneLinePerRow(t *testing.T) {
	var lines []string
	var localIDs []string
	for i := range 40 {
		id := fmt.Sprintf("R-%02d", i)
		m := with("UNIQUE_ID", id)
		l := line(m)
		switch i % 7 {
		case 1:
			m["NHS_NUMBER"] = "123"
			l = line(m)
		case 2:
			l = strings.Replace(l, `"new"`, `"upsert"`, 1)
		case 3:
			l += `|"extra"` // 35 values: LOCAL_ID cannot be read
			id = ""
		case 4:
			lines = append(lines, "", "   ") // blank lines are not rows
		case 5:
			m["ACTION_FLAG"] = "delete" // of a record created earlier in the file
			m["UNIQUE_ID"] = fmt.Sprintf("R-%02d", i-5)
			id = m["UNIQUE_ID"]
			l = line(m)
		case 6:
			l = strings.Replace(l, `"Taylor"`, "\"Tay\x92lor\"", 1) // cp1252
		}
		lines = append(lines, l)
		if id == "" {
			localIDs = append(localIDs, "^")
		} else {
			localIDs = append(localIDs, id+"^https://supplierABC/identifiers/vacc")
		}
	}
	content := headerLine() + "\n" + strings.Join(lines, "\n")
	for _, batch := range []int{1, 4, 500} {
		t.Run(fmt.Sprintf("batch %d", batch), func(t *testing.T) {
			sum, ack := apply(t, openStore(t), content, Options{BatchSize: batch})
			if len(ack) != len(localIDs) || sum.Rows != len(localIDs) {
				t.Fatalf("%d acknowledgement lines, summary %+v; want %d", len(ack), sum, len(localIDs))
			}
			for i, a := range ack {
				if a["MESSAGE_HEADER_ID"] != fmt.Sprintf("job-1^%d", i+1) || a["LOCAL_ID"] != localIDs[i] {
					t.Errorf("line %d: %s %s, want row %d %s", i+1, a["MESSAGE_HEADER_ID"], a["LOCAL_ID"], i+1, localIDs[i])
				}
			}
			// Per 7 rows: 3 fail (bad NHS number, action flag, 35 values), 3 created, 1 deleted.
			if sum.Failed != 18 || sum.Created != 17 || sum.Deleted != 5 {
				t.Errorf("summary %+v", sum)
			}
		})
	}
}

// When Apply cannot go on (here its context ends), it still acknowledges every row: the
// ones not applied as failed.
func TestAckWhenStopped(t *testing.T) {
	var rowsIn []map[string]string
	for i := range 10 {
		rowsIn = append(rowsIn, with("UNIQUE_ID", fmt.Sprintf("S-%d", i)))
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	var ack bytes.Buffer
	sum, err := Apply(ctx, openStore(t), fluFile(t), strings.NewReader(file(rowsIn...)), &ack, Options{Permissions: "C", BatchSize: 3, MessageID: "job-1"})
	if err == nil {
		t.Fatal("Apply with an ended context succeeded")
	}
	lines := ackLines(t, ack.String())
	if len(lines) != 10 || sum.Failed != 10 || sum.Rows != 10 {
		t.Fatalf("%d lines, summary %+v; want 10 failed", len(lines), sum)
	}
	for i, a := range lines {
		if a["LOCAL_ID"] != fmt.Sprintf("S-%d^https://supplierABC/identifiers/vacc", i) || a["OPERATION_OUTCOME"] != unhandled {
			t.Errorf("line %d: %v", i+1, a)
		}
	}
}

// A file that cannot be read to its end: the rows read are applied and acknowledged, and
// the read error is Apply's.
func TestApplyReadError(t *testing.T) {
	boom := errors.New("connection reset")
	content := file(with("UNIQUE_ID", "A"), with("UNIQUE_ID", "B"), with("UNIQUE_ID", "C")) + `"9000000009"|"Sar`
	var ack bytes.Buffer
	sum, err := Apply(t.Context(), openStore(t), fluFile(t), io.MultiReader(strings.NewReader(content), iotest.ErrReader(boom)),
		&ack, Options{Permissions: "C", BatchSize: 2, MessageID: "job-1"})
	if !errors.Is(err, boom) || sum.Created != 3 || len(ackLines(t, ack.String())) != 3 {
		t.Fatalf("Apply = %+v, %v, ack %q; want 3 created and %v", sum, err, ack.String(), boom)
	}
}

// An acknowledgement that cannot be written stops Apply.
func TestApplyAckWriteError(t *testing.T) {
	var many []map[string]string
	for i := range 30 {
		many = append(many, with("UNIQUE_ID", fmt.Sprint(i)))
	}
	_, err := Apply(t.Context(), openStore(t), fluFile(t), strings.NewReader(file(many...)), failingWriter{},
		Options{Permissions: "C", BatchSize: 5})
	if err == nil {
		t.Fatal("Apply succeeded with an acknowledgement that cannot be written")
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }
