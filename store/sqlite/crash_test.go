package sqlite

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nimsproject/nims/fhir/search"
	"github.com/nimsproject/nims/store"
)

// crashDirEnv tells a re-executed test binary to act as the writer that TestKill9 kills.
const crashDirEnv = "NIMS_SQLITE_CRASH_DIR"

// TestHelperWriter is not a test on its own: TestKill9 runs it in a child process. It
// creates and updates resources from several goroutines and prints "ack ID VERSION" as
// soon as each Apply returns, until it is killed.
func TestHelperWriter(t *testing.T) {
	dir := os.Getenv(crashDirEnv)
	if dir == "" {
		t.Skip("helper process for TestKill9")
	}
	time.AfterFunc(2*time.Minute, func() { os.Exit(4) }) // never outlive a parent that died
	db, err := Open(context.Background(), dir, Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, "open:", err)
		os.Exit(2)
	}
	var mu sync.Mutex
	ack := func(rec store.Record) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(os.Stdout, "ack %s %d\n", rec.ID, rec.Version) // os.Stdout is unbuffered
	}
	prefix := os.Getenv(crashDirEnv + "_PREFIX")
	for g := range 8 {
		go func() {
			for i := 0; ; i++ {
				id := fmt.Sprintf("%s-%d-%d", prefix, g, i)
				for _, kind := range []store.OpKind{store.OpCreate, store.OpUpdate} {
					js := fmt.Sprintf(`{"resourceType":"Patient","identifier":[{"system":"crash","value":%q}],"gender":"other"}`, id)
					op := store.Op{Kind: kind, Type: "Patient", ID: id, JSON: []byte(js),
						Entries: []search.Entry{{Param: "identifier", System: "crash", Code: id}}}
					res, err := db.Apply(context.Background(), op)
					if err != nil {
						fmt.Fprintln(os.Stderr, "apply:", err)
						os.Exit(3)
					}
					ack(res.Record)
				}
			}
		}()
	}
	select {}
}

// TestKill9 checks durability: every write acknowledged before a SIGKILL is there after
// reopening, and the database is not corrupt. Two rounds, so that the second writer
// starts from a database recovered from a crash.
func TestKill9(t *testing.T) {
	dir := t.TempDir()
	for round := range 2 {
		acked := runAndKill(t, dir, fmt.Sprintf("r%d", round), 1500)
		db := openTest(t, dir, Options{})
		for id, version := range acked {
			rec, err := db.Read(t.Context(), "Patient", id)
			if err != nil {
				t.Fatalf("round %d: acknowledged Patient/%s: Read: %v", round, id, err)
			}
			if rec.Version < version {
				t.Fatalf("round %d: Patient/%s at version %d, but version %d was acknowledged", round, id, rec.Version, version)
			}
			if _, err := db.VRead(t.Context(), "Patient", id, version); err != nil {
				t.Fatalf("round %d: acknowledged Patient/%s version %d: VRead: %v", round, id, version, err)
			}
		}
		var check string
		if err := db.rdb.QueryRowContext(t.Context(), `PRAGMA integrity_check`).Scan(&check); err != nil || check != "ok" {
			t.Fatalf("round %d: integrity_check = %q, %v", round, check, err)
		}
		if err := db.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
	}
}

// runAndKill runs TestHelperWriter on dir, kills it with SIGKILL once it has acknowledged
// n writes, and returns the highest acknowledged version of every id.
func runAndKill(t *testing.T, dir, prefix string, n int) map[string]int64 {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperWriter$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashDirEnv+"="+dir, crashDirEnv+"_PREFIX="+prefix)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	killed := false
	kill := func() {
		if !killed {
			killed = true
			cmd.Process.Kill() // SIGKILL: no deferred function, no Close, no flush runs
		}
	}
	defer kill()
	acked := map[string]int64{}
	lines := 0
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 3 || f[0] != "ack" {
			continue
		}
		v, err := strconv.ParseInt(f[2], 10, 64)
		if err != nil {
			t.Fatalf("bad helper line %q", sc.Text())
		}
		acked[f[1]] = max(acked[f[1]], v)
		if lines++; lines == n {
			kill() // lines already in the pipe were acknowledged too: keep reading them
		}
	}
	cmd.Wait()
	if !killed {
		t.Fatalf("the helper stopped after %d acknowledgements: %s", lines, stderr.String())
	}
	return acked
}
