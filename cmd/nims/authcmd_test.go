package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runCmd(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out strings.Builder
	err := run(context.Background(), args, func(string) string { return "" }, &out, io.Discard)
	return out.String(), err
}

// nims client add registers a client from a JWK Set file and prints its id last; list
// shows it; disable marks it.
func TestClientCommands(t *testing.T) {
	data := t.TempDir()
	key, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := key.PublicKey.ECDH()
	raw := pub.Bytes()
	b64 := base64.RawURLEncoding.EncodeToString
	jwks, _ := json.Marshal(map[string]any{"keys": []any{map[string]any{"kty": "EC", "crv": "P-384", "kid": "k1", "x": b64(raw[1:49]), "y": b64(raw[49:])}}})
	file := filepath.Join(t.TempDir(), "jwks.json")
	if err := os.WriteFile(file, jwks, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := runCmd(t, "client", "add", "--data", data, "--name", "Surgery system", "--role", "gp", "--ods", "A81001", "--jwks", file)
	if err != nil {
		t.Fatalf("client add: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	id := lines[len(lines)-1]
	if len(id) < 16 || strings.ContainsAny(id, " \t") {
		t.Fatalf("client add's last line %q is not a client_id", id)
	}
	if out, _ := runCmd(t, "client", "list", "--data", data); !strings.Contains(out, id) || !strings.Contains(out, "enabled") {
		t.Errorf("client list:\n%s", out)
	}
	if _, err := runCmd(t, "client", "disable", "--data", data, id); err != nil {
		t.Fatalf("client disable: %v", err)
	}
	if out, _ := runCmd(t, "client", "list", "--data", data); !strings.Contains(out, "disabled") {
		t.Errorf("client list after disable:\n%s", out)
	}
	// Refusals: a gp without a practice, a role that does not exist, no keys.
	for _, args := range [][]string{
		{"client", "add", "--data", data, "--name", "x", "--role", "gp", "--jwks", file},
		{"client", "add", "--data", data, "--name", "x", "--role", "superuser", "--jwks", file},
		{"client", "add", "--data", data, "--name", "x", "--role", "programme"},
		{"client", "disable", "--data", data, "no-such-client"},
	} {
		if _, err := runCmd(t, args...); err == nil {
			t.Errorf("%v accepted", args)
		}
	}
}

// nims token needs to know which server the token is for: the one that last ran on the
// data directory, or --base-url.
func TestTokenCommand(t *testing.T) {
	data := t.TempDir()
	if _, err := runCmd(t, "token", "--data", data); err == nil || !strings.Contains(errText(err), "--base-url") {
		t.Errorf("token without a server or --base-url: %v", err)
	}
	out, err := runCmd(t, "token", "--data", data, "--base-url", "https://nims.example/fhir", "--role", "programme")
	if err != nil || strings.Count(strings.TrimSpace(out), ".") != 2 {
		t.Errorf("token = %q, %v; want a JWT", out, err)
	}
	if _, err := runCmd(t, "token", "--data", data, "--base-url", "https://nims.example/fhir", "--role", "superuser"); err == nil {
		t.Errorf("a token for an unknown role was printed")
	}
}
