package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "nimsload:", err)
		os.Exit(1)
	}
}

func run(args []string, out io.Writer) error {
	if len(args) > 0 && args[0] == "bare" {
		return serveBare(args[1:])
	}
	if len(args) > 0 && args[0] == "gen" {
		return generate(args[1:], out)
	}
	fs := flag.NewFlagSet("nimsload", flag.ContinueOnError)
	target := fs.String("target", "http://127.0.0.1:8080", "server base URL (without /fhir)")
	scenario := fs.String("scenario", "read", "read | create | bare | a search shape: "+strings.Join(shapeNames(), " | "))
	conc := fs.String("c", "1,16,64", "comma-separated concurrency levels")
	dur := fs.Duration("d", 10*time.Second, "measurement time per level")
	warm := fs.Duration("warmup", 2*time.Second, "warm-up time per level (not measured)")
	seed := fs.Int("seed-resources", 1000, "patients created before a read run")
	label := fs.String("label", "", "label printed in the result rows (default: scenario)")
	population := fs.Int("patients", 1000, "search scenarios: patients in the generated population (nimsload gen)")
	token := fs.String("token", os.Getenv("NIMS_TOKEN"), "bearer token sent with every request, e.g. from nims token (NIMS_TOKEN)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *label == "" {
		*label = *scenario
	}
	var rt http.RoundTripper = &http.Transport{MaxIdleConnsPerHost: 256, DisableCompression: true}
	if *token != "" {
		rt = bearerTransport{rt, "Bearer " + *token}
	}
	client := &http.Client{Transport: rt, Timeout: 30 * time.Second}
	var req func(rnd *rand.Rand) (*http.Request, int)
	switch *scenario {
	case "read":
		ids, err := seedPatients(client, *target, *seed)
		if err != nil {
			return err
		}
		req = func(rnd *rand.Rand) (*http.Request, int) {
			r, _ := http.NewRequest("GET", *target+"/fhir/Patient/"+ids[rnd.IntN(len(ids))], nil)
			return r, http.StatusOK
		}
	case "bare":
		req = func(*rand.Rand) (*http.Request, int) {
			r, _ := http.NewRequest("GET", *target+"/fhir/Patient/fixed", nil)
			return r, http.StatusOK
		}
	case "create":
		req = func(rnd *rand.Rand) (*http.Request, int) {
			r, _ := http.NewRequest("POST", *target+"/fhir/Patient", bytes.NewReader(patientBody(rnd)))
			r.Header.Set("Content-Type", "application/fhir+json")
			return r, http.StatusCreated
		}
	default:
		shape, ok := searchShapes[*scenario]
		if !ok {
			return fmt.Errorf("unknown scenario %q", *scenario)
		}
		req = func(rnd *rand.Rand) (*http.Request, int) {
			r, _ := http.NewRequest("GET", *target+"/fhir/"+shape(rnd.IntN(*population)), nil)
			return r, http.StatusOK
		}
	}
	fmt.Fprintf(out, "| scenario | concurrency | requests/s | p50 ms | p99 ms | errors |\n|---|---|---|---|---|---|\n")
	for _, c := range strings.Split(*conc, ",") {
		var n int
		if _, err := fmt.Sscan(c, &n); err != nil || n <= 0 {
			return fmt.Errorf("bad concurrency %q", c)
		}
		measure(client, req, n, *warm)
		res := measure(client, req, n, *dur)
		fmt.Fprintf(out, "| %s | %d | %.0f | %.2f | %.2f | %d |\n", *label, n, res.rate, res.p50, res.p99, res.errors)
	}
	return nil
}

type result struct {
	rate, p50, p99 float64
	errors         int
}

// measure runs conc workers for d and collects every latency.
func measure(client *http.Client, req func(*rand.Rand) (*http.Request, int), conc int, d time.Duration) result {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var mu sync.Mutex
	var all []time.Duration
	errs := 0
	var wg sync.WaitGroup
	start := time.Now()
	for w := range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rnd := rand.New(rand.NewPCG(uint64(w), uint64(time.Now().UnixNano())))
			var lat []time.Duration
			bad := 0
			for ctx.Err() == nil {
				r, want := req(rnd)
				t0 := time.Now()
				resp, err := client.Do(r)
				if err == nil {
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
				lat = append(lat, time.Since(t0))
				if err != nil || resp.StatusCode != want {
					bad++
				}
			}
			mu.Lock()
			all = append(all, lat...)
			errs += bad
			mu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	pct := func(p float64) float64 {
		if len(all) == 0 {
			return 0
		}
		return float64(all[int(p*float64(len(all)-1))].Microseconds()) / 1000
	}
	return result{rate: float64(len(all)) / elapsed.Seconds(), p50: pct(0.50), p99: pct(0.99), errors: errs}
}

func patientBody(rnd *rand.Rand) []byte {
	given := []string{"Ada", "Alan", "Mary", "Edward", "Rosalind", "Florence", "Joseph", "Grace"}
	family := []string{"Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Evans", "Patel"}
	p := map[string]any{
		"resourceType": "Patient",
		"name":         []any{map[string]any{"family": family[rnd.IntN(len(family))], "given": []any{given[rnd.IntN(len(given))]}}},
		"gender":       []string{"male", "female"}[rnd.IntN(2)],
		"birthDate":    fmt.Sprintf("%d-%02d-%02d", 1930+rnd.IntN(90), 1+rnd.IntN(12), 1+rnd.IntN(28)),
		"address":      []any{map[string]any{"postalCode": fmt.Sprintf("LS%d %dAB", 1+rnd.IntN(20), rnd.IntN(10))}},
	}
	b, _ := json.Marshal(p)
	return b
}

func seedPatients(client *http.Client, target string, n int) ([]string, error) {
	rnd := rand.New(rand.NewPCG(1, 2))
	ids := make([]string, 0, n)
	for range n {
		resp, err := client.Post(target+"/fhir/Patient", "application/fhir+json", bytes.NewReader(patientBody(rnd)))
		if err != nil {
			return nil, err
		}
		var m struct {
			ID string `json:"id"`
		}
		err = json.NewDecoder(resp.Body).Decode(&m)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusCreated {
			return nil, fmt.Errorf("seeding: status %d: %v", resp.StatusCode, err)
		}
		ids = append(ids, m.ID)
	}
	return ids, nil
}

// serveBare is the baseline: gin answering every read with a fixed Patient, so the
// benchmark shows what NIMS adds over the HTTP stack itself.
func serveBare(args []string) error {
	fs := flag.NewFlagSet("bare", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:8090", "listen address")
	if err := fs.Parse(args); err != nil {
		return err
	}
	gin.SetMode(gin.ReleaseMode)
	body := []byte(`{"resourceType":"Patient","id":"fixed","meta":{"versionId":"1","lastUpdated":"2026-01-01T00:00:00.000Z"},"name":[{"family":"Smith","given":["Ada"]}],"gender":"female","birthDate":"1950-12-10","address":[{"postalCode":"LS1 4AB"}]}`)
	e := gin.New()
	e.GET("/fhir/:type/:id", func(c *gin.Context) { c.Data(http.StatusOK, "application/fhir+json", body) })
	return http.ListenAndServe(*addr, e)
}

// bearerTransport sends a bearer token with every request.
type bearerTransport struct {
	next   http.RoundTripper
	header string
}

func (b bearerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", b.header)
	return b.next.RoundTrip(r)
}
