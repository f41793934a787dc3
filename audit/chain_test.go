package audit

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
)

// db opens dir/audit.db directly, as someone tampering with the file would.
func db(t *testing.T, dir string) *sql.DB {
	t.Helper()
	d, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "audit.db")+"?_pragma=busy_timeout%3d10000")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func exec(t *testing.T, d *sql.DB, query string, args ...any) {
	t.Helper()
	res, err := d.Exec(query, args...)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		t.Fatalf("%s changed nothing", query)
	}
}

func storedBody(t *testing.T, d *sql.DB, seq int) []byte {
	t.Helper()
	var b []byte
	if err := d.QueryRow("SELECT body FROM events WHERE seq = ?", seq).Scan(&b); err != nil {
		t.Fatal(err)
	}
	return b
}

// tamperings change a log of ten events (event i: request i, patient i) and name the
// first event Verify must find broken.
var tamperings = []struct {
	name   string
	online bool // done while the log is open, else between Close and Open
	change func(t *testing.T, d *sql.DB)
	seq    int64
}{
	{"body byte changed", false, func(t *testing.T, d *sql.DB) {
		b := storedBody(t, d, 3)
		b[len(b)-2]++ // the last digit of the status
		exec(t, d, "UPDATE events SET body = ? WHERE seq = 3", b)
	}, 3},
	{"middle event deleted", false, func(t *testing.T, d *sql.DB) {
		exec(t, d, "DELETE FROM events WHERE seq = 5")
	}, 5},
	{"bodies swapped", false, func(t *testing.T, d *sql.DB) {
		b4, b7 := storedBody(t, d, 4), storedBody(t, d, 7)
		exec(t, d, "UPDATE events SET body = ? WHERE seq = 4", b7)
		exec(t, d, "UPDATE events SET body = ? WHERE seq = 7", b4)
	}, 4},
	{"last hash edited", false, func(t *testing.T, d *sql.DB) {
		exec(t, d, "UPDATE events SET hash = replace(hash, substr(hash, 1, 1), 'x') WHERE seq = 10")
	}, 10},
	{"events reordered", false, func(t *testing.T, d *sql.DB) {
		exec(t, d, "UPDATE events SET seq = -6 WHERE seq = 6")
		exec(t, d, "UPDATE events SET seq = 6 WHERE seq = 8")
		exec(t, d, "UPDATE events SET seq = 8 WHERE seq = -6")
	}, 6},
	{"first event deleted", false, func(t *testing.T, d *sql.DB) {
		exec(t, d, "DELETE FROM events WHERE seq = 1")
	}, 1},
	{"indexed client changed", false, func(t *testing.T, d *sql.DB) {
		exec(t, d, "UPDATE events SET client = 'someone-else' WHERE seq = 2")
	}, 2},
	{"indexed time changed", false, func(t *testing.T, d *sql.DB) {
		exec(t, d, "UPDATE events SET time = time + 1 WHERE seq = 9")
	}, 9},
	{"patient unindexed", false, func(t *testing.T, d *sql.DB) {
		exec(t, d, "DELETE FROM event_patients WHERE seq = 8")
	}, 8},
	{"patient indexed falsely", false, func(t *testing.T, d *sql.DB) {
		exec(t, d, "INSERT INTO event_patients (patient, seq) VALUES ('Patient/99', 6)")
	}, 6},
	{"body byte changed while open", true, func(t *testing.T, d *sql.DB) {
		b := storedBody(t, d, 7)
		b[len(b)-2]++
		exec(t, d, "UPDATE events SET body = ? WHERE seq = 7", b)
	}, 7},
	{"newest event cut off while open", true, func(t *testing.T, d *sql.DB) {
		exec(t, d, "DELETE FROM events WHERE seq = 10")
	}, 10},
	{"chain rewritten consistently while open", true, func(t *testing.T, d *sql.DB) {
		// Whoever knows the hash can rehash everything after a change; only the
		// head held outside the file (here: by the running process) shows it.
		b := storedBody(t, d, 3)
		b[len(b)-2]++
		exec(t, d, "UPDATE events SET body = ? WHERE seq = 3", b)
		h, prev := newHasher(), Genesis
		for seq := 1; seq <= 10; seq++ {
			hash := h.sum(int64(seq), storedBody(t, d, seq), prev)
			exec(t, d, "UPDATE events SET prev = ?, hash = ? WHERE seq = ?", prev, hash, seq)
			prev = hash
		}
	}, 10},
}

func TestVerifyDetectsTampering(t *testing.T) {
	for _, tc := range tamperings {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			l := open(t, dir, Options{})
			for i := 1; i <= 10; i++ {
				l.Record(Event{RequestID: fmt.Sprint("req-", i), ClientID: "gp-1", Interaction: "read",
					Patients: []string{fmt.Sprint("Patient/", i)}, Status: 200})
			}
			flush(t, l)
			verify(t, l, 10)
			if !tc.online {
				if err := l.Close(); err != nil {
					t.Fatal(err)
				}
			}
			tc.change(t, db(t, dir))
			if !tc.online {
				l = open(t, dir, Options{})
			}
			n, err := l.Verify(context.Background())
			var be *BrokenError
			if !errors.As(err, &be) || be.Seq != tc.seq || n != tc.seq-1 {
				t.Fatalf("Verify = %d, %v; want %d, a BrokenError at event %d", n, err, tc.seq-1, tc.seq)
			}
			t.Log(err)
		})
	}
}

// The chain's hash is defined in chain.go's comment; this pins it to the definition.
func TestHashDefinition(t *testing.T) {
	got := newHasher().sum(12, []byte(`{"time":"x"}`), Genesis)
	// printf '12\n{"time":"x"}\n%s' "$(printf '0%.0s' {1..64})" | sha256sum
	const want = "a7b8acfd69543f9e2e3428b75cda1edfa886047f86ff91a556ef6bfce9312ac3"
	if got != want {
		t.Fatalf("sum = %s, want %s", got, want)
	}
}
