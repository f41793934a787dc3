package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nimsproject/nims/fhir"
	"github.com/nimsproject/nims/store"
	"github.com/nimsproject/nims/store/sqlite"
)

// The benchmark population: deterministic by index, so the search scenarios can name
// patients without asking the server. Patient n has id pat-n and NHSNumber(n); it is
// registered at practice n % practices and has three Immunizations imm-n-0..2 (COVID,
// FLU, and one childhood vaccine).

const practices = 6500

// NHSNumber returns a Modulus 11-valid NHS number unique to n (n < 10^8): the first
// prefix range (4…, 5…, 6…, 7…) whose check digit exists.
func NHSNumber(n int) string {
	for base := 400000000; ; base += 100000000 {
		p := strconv.Itoa(base + n)
		sum := 0
		for i := range 9 {
			sum += int(p[i]-'0') * (10 - i)
		}
		check := 11 - sum%11
		if check == 11 {
			check = 0
		}
		if check != 10 {
			return p + strconv.Itoa(check)
		}
	}
}

func odsCode(k int) string { return fmt.Sprintf("A%05d", k) }

var childhood = []struct{ code, display string }{
	{"14189004", "Measles"}, {"240532009", "Human papilloma virus infection"}, {"23511006", "Meningococcal infectious disease"},
}

func genPatient(n int) map[string]any {
	given := []string{"Ada", "Alan", "Mary", "Edward", "Rosalind", "Florence", "Joseph", "Grace", "Siobhán", "Zoë"}
	family := []string{"Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Evans", "Patel", "Ní Bhriain", "O'Neill"}
	return map[string]any{
		"resourceType": "Patient", "id": "pat-" + strconv.Itoa(n),
		"identifier": []any{map[string]any{"system": fhir.SystemNHSNumber, "value": NHSNumber(n)}},
		"name":       []any{map[string]any{"family": family[n%len(family)], "given": []any{given[(n/10)%len(given)]}}},
		"gender":     []string{"male", "female"}[n%2],
		"birthDate":  fmt.Sprintf("%d-%02d-%02d", 1930+n%90, 1+n%12, 1+n%28),
		"address":    []any{map[string]any{"postalCode": fmt.Sprintf("LS%d %dAB", 1+n%20, n%10)}},
		"generalPractitioner": []any{map[string]any{"reference": "Organization/org-" + strconv.Itoa(n%practices),
			"identifier": map[string]any{"system": fhir.SystemODS, "value": odsCode(n % practices)}}},
	}
}

func genImmunization(n, k int) map[string]any {
	disease, display, date := "840539006", "Disease caused by severe acute respiratory syndrome coronavirus 2", fmt.Sprintf("202%d-%02d-%02dT10:%02d:00+00:00", 1+n%4, 1+n%12, 1+n%28, n%60)
	switch k {
	case 1:
		disease, display, date = "6142004", "Influenza", fmt.Sprintf("202%d-10-%02d", 2+n%4, 1+n%28)
	case 2:
		c := childhood[n%len(childhood)]
		disease, display, date = c.code, c.display, fmt.Sprintf("20%02d-%02d-%02d", 5+n%15, 1+n%12, 1+n%28)
	}
	return map[string]any{
		"resourceType": "Immunization", "id": fmt.Sprintf("imm-%d-%d", n, k), "status": "completed",
		"vaccineCode":        map[string]any{"coding": []any{map[string]any{"system": fhir.SystemSNOMED, "code": "39114911000001105"}}},
		"patient":            map[string]any{"reference": "Patient/pat-" + strconv.Itoa(n)},
		"occurrenceDateTime": date,
		"primarySource":      true,
		"lotNumber":          fmt.Sprintf("LOT%04d", n%5000),
		"protocolApplied": []any{map[string]any{"doseNumberPositiveInt": 1 + n%3, "targetDisease": []any{map[string]any{
			"coding": []any{map[string]any{"system": fhir.SystemSNOMED, "code": disease, "display": display}}}}}},
	}
}

func genOrganization(k int) map[string]any {
	return map[string]any{
		"resourceType": "Organization", "id": "org-" + strconv.Itoa(k), "active": true,
		"identifier": []any{map[string]any{"system": fhir.SystemODS, "value": odsCode(k)}},
		"name":       fmt.Sprintf("Practice %d", k),
	}
}

// generate writes the population straight into an embedded store, from several
// goroutines so that group commit batches the writes.
func generate(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("gen", flag.ContinueOnError)
	dir := fs.String("data", "./data", "data directory of the embedded store")
	patients := fs.Int("patients", 1000, "patients to create (each with 3 immunizations)")
	workers := fs.Int("workers", 64, "concurrent writers")
	outDir := fs.String("out", "", "write FHIR NDJSON files (Organization, Patient, Immunization) to this directory instead of a store, for nims import")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *outDir != "" {
		return writeNDJSON(*outDir, *patients, out)
	}
	ctx := context.Background()
	st, err := sqlite.Open(ctx, *dir, sqlite.Options{CacheBytes: -1})
	if err != nil {
		return err
	}
	defer st.Close()
	put := func(doc map[string]any) error {
		raw, err := json.Marshal(doc)
		if err != nil {
			return err
		}
		r, err := fhir.Decode(raw)
		if err != nil {
			return err
		}
		if err := fhir.Validate(r); err != nil {
			return fmt.Errorf("%s/%s: %w", r.Type, r.ID, err)
		}
		_, err = st.Apply(ctx, store.NewWrite(store.OpUpdate, r, fhir.DefaultUniqueRules))
		return err
	}
	start := time.Now()
	for k := range practices {
		if err := put(genOrganization(k)); err != nil {
			return err
		}
	}
	var next, done atomic.Int64
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup
	for range *workers {
		wg.Go(func() {
			for {
				n := int(next.Add(1) - 1)
				if n >= *patients {
					return
				}
				docs := []map[string]any{genPatient(n), genImmunization(n, 0), genImmunization(n, 1), genImmunization(n, 2)}
				for _, d := range docs {
					if err := put(d); err != nil {
						once.Do(func() { firstErr = err })
						return
					}
				}
				if d := done.Add(1); d%50000 == 0 {
					fmt.Fprintf(out, "%d patients (%.0f resources/s)\n", d, float64(4*d)/time.Since(start).Seconds())
				}
			}
		})
	}
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	total := practices + 4**patients
	fmt.Fprintf(out, "wrote %d resources in %s (%.0f/s)\n", total, time.Since(start).Round(time.Second), float64(total)/time.Since(start).Seconds())
	return nil
}

// writeNDJSON writes the population as Bulk Data files, one resource per line.
func writeNDJSON(dir string, patients int, out io.Writer) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	write := func(typ string, n int, gen func(i int) []map[string]any) error {
		f, err := os.Create(filepath.Join(dir, typ+".000.ndjson"))
		if err != nil {
			return err
		}
		w := bufio.NewWriterSize(f, 1<<20)
		enc := json.NewEncoder(w)
		for i := range n {
			for _, doc := range gen(i) {
				if err := enc.Encode(doc); err != nil {
					f.Close()
					return err
				}
			}
		}
		if err := w.Flush(); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	}
	if err := write("Organization", practices, func(k int) []map[string]any { return []map[string]any{genOrganization(k)} }); err != nil {
		return err
	}
	if err := write("Patient", patients, func(n int) []map[string]any { return []map[string]any{genPatient(n)} }); err != nil {
		return err
	}
	if err := write("Immunization", patients, func(n int) []map[string]any {
		return []map[string]any{genImmunization(n, 0), genImmunization(n, 1), genImmunization(n, 2)}
	}); err != nil {
		return err
	}
	fmt.Fprintf(out, "wrote %d resources to %s\n", practices+4*patients, dir)
	return nil
}
