package auth

import (
	"crypto/ecdsa"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func openTestKeys(t *testing.T, dir string, c *clock) *Keys {
	t.Helper()
	k, err := OpenKeys(dir, c.now)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// signedKid signs a token with k and returns it and the kid it was signed with.
func signedKid(t *testing.T, k *Keys) (string, string) {
	t.Helper()
	tok, err := k.Sign(jwt.MapClaims{"sub": "x"})
	if err != nil {
		t.Fatal(err)
	}
	parsed, _, err := jwt.NewParser().ParseUnverified(tok, jwt.MapClaims{})
	if err != nil {
		t.Fatal(err)
	}
	return tok, parsed.Header["kid"].(string)
}

func jwksKids(t *testing.T, k *Keys) []string {
	t.Helper()
	var set struct{ Keys []map[string]string }
	if err := json.Unmarshal(k.JWKS(), &set); err != nil {
		t.Fatal(err)
	}
	var kids []string
	for _, j := range set.Keys {
		kids = append(kids, j["kid"])
	}
	return kids
}

func TestKeysFilesAndJWKS(t *testing.T) {
	dir := t.TempDir()
	k := openTestKeys(t, dir, newClock())
	files, _ := filepath.Glob(filepath.Join(dir, "keys", "*.pem"))
	if len(files) != 1 {
		t.Fatalf("keys made: %v, want one", files)
	}
	for _, p := range []string{files[0], filepath.Join(dir, "keys")} {
		info, _ := os.Stat(p)
		want := os.FileMode(0o600)
		if info.IsDir() {
			want = 0o700
		}
		if info.Mode().Perm() != want {
			t.Errorf("%s mode %v, want %v", p, info.Mode().Perm(), want)
		}
	}
	var set struct{ Keys []map[string]string }
	if err := json.Unmarshal(k.JWKS(), &set); err != nil || len(set.Keys) != 1 {
		t.Fatalf("JWKS() = %s, %v", k.JWKS(), err)
	}
	j := set.Keys[0]
	for name, want := range map[string]string{"kty": "EC", "crv": "P-256", "use": "sig", "alg": "ES256"} {
		if j[name] != want {
			t.Errorf("JWKS %s = %q, want %q", name, j[name], want)
		}
	}
	if _, ok := j["d"]; ok || len(j) != 7 {
		t.Errorf("JWKS key has members %v, want kty crv x y kid use alg only", j)
	}
	pub, err := parseJWK(jwk{Kty: "EC", Crv: "P-256", X: j["x"], Y: j["y"]})
	if err != nil {
		t.Fatal(err)
	}
	if got := thumbprint(pub.(*ecdsa.PublicKey)); got != j["kid"] {
		t.Errorf("kid %q is not the key's RFC 7638 thumbprint %q", j["kid"], got)
	}
	tok, kid := signedKid(t, k)
	if kid != j["kid"] {
		t.Errorf("signed with kid %q, JWKS has %q", kid, j["kid"])
	}
	if err := k.Verify(tok, jwt.MapClaims{}); err != nil {
		t.Errorf("Verify(own token): %v", err)
	}
}

// RFC 7638 §3.1's example is RSA; this checks the EC form against a fixed key.
func TestThumbprintStable(t *testing.T) {
	j := jwk{Kty: "EC", Crv: "P-256", X: "MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4", Y: "4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM"}
	pub, err := parseJWK(j)
	if err != nil {
		t.Fatal(err)
	}
	// Computed independently: SHA-256 of {"crv":"P-256","kty":"EC","x":"…","y":"…"}.
	if got, want := thumbprint(pub.(*ecdsa.PublicKey)), "cn-I_WNMClehiVp51i_0VpOENW1upEerA8sEam5hn-s"; got != want {
		t.Errorf("thumbprint = %q, want %q", got, want)
	}
}

func TestKeysRotation(t *testing.T) {
	dir := t.TempDir()
	c := newClock()
	k := openTestKeys(t, dir, c)
	old, kid1 := signedKid(t, k)

	c.add(keyRotateAfter - 30*time.Second)
	if _, kid := signedKid(t, k); kid != kid1 {
		t.Fatal("rotated before a day")
	}
	c.add(40 * time.Second) // a day old, but checked 40 s ago
	if _, kid := signedKid(t, k); kid != kid1 {
		t.Error("rotation checked twice within a minute")
	}
	c.add(time.Minute)
	newer, kid2 := signedKid(t, k)
	if kid2 == kid1 {
		t.Fatal("no new key after a day")
	}
	if kids := jwksKids(t, k); len(kids) != 2 || kids[0] != kid2 || kids[1] != kid1 {
		t.Errorf("JWKS kids = %v, want [%s %s]", kids, kid2, kid1)
	}
	for _, tok := range []string{old, newer} {
		if err := k.Verify(tok, jwt.MapClaims{}); err != nil {
			t.Errorf("Verify after rotation: %v", err)
		}
	}

	// Three days after it was made the first key is gone, from disk too.
	c.add(keyKeepFor - keyRotateAfter - 2*time.Minute) // the first key is 72 h less 50 s old
	if err := k.Verify(old, jwt.MapClaims{}); err != nil {
		t.Errorf("a key under three days old no longer verifies: %v", err)
	}
	c.add(55 * time.Second) // three days old, though the last check was under a minute ago
	if err := k.Verify(old, jwt.MapClaims{}); err == nil {
		t.Error("a key three days old still verifies")
	}
	c.add(time.Minute)
	for _, kid := range jwksKids(t, k) {
		if kid == kid1 {
			t.Error("JWKS still lists the expired key")
		}
	}
	if files, _ := filepath.Glob(filepath.Join(dir, "keys", "*-"+kid1+".pem")); len(files) != 0 {
		t.Errorf("expired key file kept: %v", files)
	}
	if err := k.Verify(newer, jwt.MapClaims{}); err != nil {
		t.Errorf("the second key stopped verifying: %v", err)
	}
}

// Another process's keys (nims token, a replica) are picked up on an unknown kid.
func TestKeysShared(t *testing.T) {
	dir := t.TempDir()
	c := newClock()
	server := openTestKeys(t, dir, c)
	_, kid1 := signedKid(t, server)
	other := openTestKeys(t, dir, c)
	if _, kid := signedKid(t, other); kid != kid1 {
		t.Fatal("a second process made its own key instead of using the shared one")
	}
	c.add(keyRotateAfter + time.Minute)
	tok, kid2 := signedKid(t, other) // the other process rotates first
	if kid2 == kid1 {
		t.Fatal("no rotation")
	}
	c.add(-30 * time.Second) // and the server has checked within the minute
	server.mu.Lock()
	server.lastCheck = c.now()
	server.mu.Unlock()
	c.add(30 * time.Second)
	if err := server.Verify(tok, jwt.MapClaims{}); err != nil {
		t.Errorf("the server does not verify the other process's new key: %v", err)
	}
	if _, kid := signedKid(t, server); kid != kid2 {
		t.Errorf("the server signs with %s, not the newest key %s", kid, kid2)
	}
}

func TestKeysVerifyRefuses(t *testing.T) {
	c := newClock()
	k := openTestKeys(t, t.TempDir(), c)
	other := openTestKeys(t, t.TempDir(), c)
	foreign, _ := signedKid(t, other)
	_, kid := signedKid(t, k)
	noKid, err := jwt.NewWithClaims(jwt.SigningMethodES256, jwt.MapClaims{"sub": "x"}).SignedString(k.keys[0].priv)
	if err != nil {
		t.Fatal(err)
	}
	rsaKey := clientTestKey(t, "RS384", kid)
	es384 := clientTestKey(t, "ES384", kid)
	for name, tok := range map[string]string{
		"another server's key":     foreign,
		"RS384 with our kid":       rsaKey.sign(t, jwt.MapClaims{"sub": "x"}, nil),
		"ES384 with our kid":       es384.sign(t, jwt.MapClaims{"sub": "x"}, nil),
		"alg none":                 unsigned(t, jwt.MapClaims{"sub": "x"}, map[string]any{"kid": kid}),
		"ES256 by our key, no kid": noKid,
		"empty":                    "",
	} {
		if err := k.Verify(tok, jwt.MapClaims{}); err == nil {
			t.Errorf("%s: Verify accepted", name)
		}
	}
}

func TestOpenKeysRefusesBadFiles(t *testing.T) {
	for name, content := range map[string]string{
		"not PEM":        "hello",
		"wrong kid":      "",
		"not a key":      "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
		"public not key": "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			c := newClock()
			if name == "wrong kid" {
				openTestKeys(t, dir, c)
				files, _ := filepath.Glob(filepath.Join(dir, "keys", "*.pem"))
				data, _ := os.ReadFile(files[0])
				content = string(data)
				os.Remove(files[0])
			}
			os.MkdirAll(filepath.Join(dir, "keys"), 0o700)
			p := filepath.Join(dir, "keys", "1772355600-notthekid.pem")
			if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			if _, err := OpenKeys(dir, c.now); err == nil {
				t.Error("OpenKeys accepted it")
			}
		})
	}
	// Files that are not keys by name are left alone.
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "keys"), 0o700)
	os.WriteFile(filepath.Join(dir, "keys", "README"), []byte("x"), 0o600)
	os.WriteFile(filepath.Join(dir, "keys", ".1-x.pem-123.tmp"), []byte("x"), 0o600)
	if _, err := OpenKeys(dir, nil); err != nil {
		t.Errorf("OpenKeys with stray files: %v", err)
	}
}
