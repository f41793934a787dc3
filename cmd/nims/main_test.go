package main

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// server is a running nims serve of a test.
type server struct {
	base, data string
	token      string // the admin token serve printed (--demo), or one from nims token
	stop       func() error
}

// startServe runs the real program on port 0 and returns its base URL, data directory,
// an admin token and a stop function that cancels it and returns run's error.
func startServe(t *testing.T, extra ...string) server {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	errc := make(chan error, 1)
	data := t.TempDir()
	args := append([]string{"serve", "--addr", "127.0.0.1:0", "--data", data, "--log-format", "text"}, extra...)
	go func() {
		err := run(ctx, args, func(string) string { return "" }, pw, io.Discard)
		pw.Close()
		errc <- err
	}()
	re := regexp.MustCompile(`http://127\.0\.0\.1:\d+`)
	sc := bufio.NewScanner(pr)
	srv := server{data: data}
	demo := slices.Contains(extra, "--demo")
	for sc.Scan() {
		line := sc.Text()
		if m := re.FindString(line); m != "" && srv.base == "" {
			srv.base = m
		}
		if tok, ok := strings.CutPrefix(strings.TrimSpace(line), "export TOKEN="); ok {
			srv.token = tok
		}
		if srv.base != "" && (!demo || srv.token != "") {
			break
		}
	}
	go io.Copy(io.Discard, pr)
	if srv.base == "" {
		cancel()
		t.Fatalf("serve printed no URL: %v", <-errc)
	}
	if srv.token == "" {
		srv.token = nimsToken(t, data, "--role", "admin")
	}
	srv.stop = func() error { cancel(); return <-errc }
	return srv
}

// nimsToken runs nims token on data and returns the token it prints.
func nimsToken(t *testing.T, data string, args ...string) string {
	t.Helper()
	var out strings.Builder
	if err := run(context.Background(), append([]string{"token", "--data", data}, args...), func(string) string { return "" }, &out, io.Discard); err != nil {
		t.Fatalf("nims token: %v", err)
	}
	return strings.TrimSpace(out.String())
}

// get and post send one request with the server's admin token.
func (s server) do(t *testing.T, method, path, body string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, s.base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+s.token)
	if body != "" {
		req.Header.Set("Content-Type", "application/fhir+json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

func TestServeEndToEnd(t *testing.T) {
	srv := startServe(t, "--demo", "--demo-patients", "300")
	if r := srv.do(t, "GET", "/fhir/Patient/demo-patient-1", ""); r.StatusCode != http.StatusOK {
		t.Errorf("demo patient with the printed token: status %d", r.StatusCode)
	}
	// The synthetic England nims seed makes is there too, searchable (its indexes built).
	if r := srv.do(t, "GET", "/fhir/Patient?_summary=count&identifier=https://fhir.nhs.uk/Id/nhs-number%7C&_total=accurate", ""); r.StatusCode != http.StatusOK {
		t.Errorf("count: %d", r.StatusCode)
	}
	if r := srv.do(t, "GET", "/fhir/Organization/org-Y56", ""); r.StatusCode != http.StatusOK {
		t.Errorf("the seeded region: status %d", r.StatusCode)
	}
	if r := srv.do(t, "POST", "/fhir/Patient", `{"resourceType":"Patient","gender":"male"}`); r.StatusCode != http.StatusCreated {
		t.Errorf("create: status %d", r.StatusCode)
	}
	resp, err := http.Get(srv.base + "/fhir/Patient/demo-patient-1")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("read without a token: status %d, want 401", resp.StatusCode)
	}
	// nims token, run beside the server, makes tokens the server accepts.
	srv.token = nimsToken(t, srv.data, "--role", "gp", "--ods", "A81001")
	if r := srv.do(t, "GET", "/fhir/Patient/demo-patient-1", ""); r.StatusCode != http.StatusOK {
		t.Errorf("demo patient as the GP of its practice: status %d", r.StatusCode)
	}
	srv.token = nimsToken(t, srv.data, "--role", "gp", "--ods", "B82002")
	if r := srv.do(t, "GET", "/fhir/Patient/demo-patient-1", ""); r.StatusCode != http.StatusForbidden {
		t.Errorf("demo patient as another practice's GP: status %d, want 403", r.StatusCode)
	}
	for _, p := range []string{"/healthz", "/readyz", "/metrics", "/fhir/metadata", "/.well-known/smart-configuration", "/auth/jwks.json"} {
		resp, err := http.Get(srv.base + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s: status %d", p, resp.StatusCode)
		}
	}
	if err := srv.stop(); err != nil {
		t.Errorf("run returned %v after cancel, want nil", err)
	}
	var out strings.Builder
	if err := run(context.Background(), []string{"audit", "verify", "--data", srv.data}, func(string) string { return "" }, &out, io.Discard); err != nil {
		t.Fatalf("nims audit verify: %v", err)
	}
	if !strings.Contains(out.String(), "verifies") {
		t.Errorf("nims audit verify said %q", out.String())
	}
}

// Shutdown lets a request in flight finish: the client sends half a body, the server is
// told to stop, the client sends the rest and still gets its 201.
func TestGracefulShutdownFinishesInFlight(t *testing.T) {
	srv := startServe(t)
	body := `{"resourceType":"Patient","gender":"female"}`
	conn, err := net.Dial("tcp", strings.TrimPrefix(srv.base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	head := "POST /fhir/Patient HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + srv.token + "\r\nContent-Type: application/fhir+json\r\nContent-Length: " +
		strconv.Itoa(len(body)) + "\r\n\r\n"
	if _, err := conn.Write([]byte(head + body[:10])); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond) // let the server start reading the request
	done := make(chan error, 1)
	go func() { done <- srv.stop() }()
	time.Sleep(100 * time.Millisecond) // let Shutdown begin
	if _, err := conn.Write([]byte(body[10:])); err != nil {
		t.Fatalf("server closed an in-flight request: %v", err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no response to the in-flight request: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Errorf("in-flight create: status %d, want 201", resp.StatusCode)
	}
	if err := <-done; err != nil {
		t.Errorf("run: %v", err)
	}
}

func TestUnknownCommand(t *testing.T) {
	if err := run(context.Background(), []string{"frobnicate"}, func(string) string { return "" }, io.Discard, io.Discard); err == nil {
		t.Error("unknown command accepted")
	}
	if err := run(context.Background(), []string{"serve", "--store", "ftp://x", "--data", t.TempDir()}, func(string) string { return "" }, io.Discard, io.Discard); err == nil {
		t.Error("bad store URI accepted")
	}
}
