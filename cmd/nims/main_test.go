package main

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// startServe runs the real program on port 0 and returns its base URL and a stop function
// that cancels it and returns run's error.
func startServe(t *testing.T, extra ...string) (string, func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	errc := make(chan error, 1)
	args := append([]string{"serve", "--addr", "127.0.0.1:0", "--data", t.TempDir(), "--log-format", "text"}, extra...)
	go func() {
		err := run(ctx, args, func(string) string { return "" }, pw, io.Discard)
		pw.Close()
		errc <- err
	}()
	re := regexp.MustCompile(`http://127\.0\.0\.1:\d+`)
	sc := bufio.NewScanner(pr)
	var base string
	for sc.Scan() {
		if m := re.FindString(sc.Text()); m != "" {
			base = m
			break
		}
	}
	go io.Copy(io.Discard, pr)
	if base == "" {
		cancel()
		t.Fatalf("serve printed no URL: %v", <-errc)
	}
	return base, func() error { cancel(); return <-errc }
}

func TestServeEndToEnd(t *testing.T) {
	base, stop := startServe(t, "--demo")
	resp, err := http.Get(base + "/fhir/Patient/demo-patient-1")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("demo patient: status %d", resp.StatusCode)
	}
	resp, err = http.Post(base+"/fhir/Patient", "application/fhir+json", strings.NewReader(`{"resourceType":"Patient","gender":"male"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Errorf("create: status %d", resp.StatusCode)
	}
	for _, p := range []string{"/healthz", "/readyz", "/metrics", "/fhir/metadata"} {
		resp, err := http.Get(base + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s: status %d", p, resp.StatusCode)
		}
	}
	if err := stop(); err != nil {
		t.Errorf("run returned %v after cancel, want nil", err)
	}
}

// Shutdown lets a request in flight finish: the client sends half a body, the server is
// told to stop, the client sends the rest and still gets its 201.
func TestGracefulShutdownFinishesInFlight(t *testing.T) {
	base, stop := startServe(t)
	body := `{"resourceType":"Patient","gender":"female"}`
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	head := "POST /fhir/Patient HTTP/1.1\r\nHost: x\r\nContent-Type: application/fhir+json\r\nContent-Length: " +
		strconv.Itoa(len(body)) + "\r\n\r\n"
	if _, err := conn.Write([]byte(head + body[:10])); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond) // let the server start reading the request
	done := make(chan error, 1)
	go func() { done <- stop() }()
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
