package auth

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// clock is a fake time source tests move by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)} }

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// testKey is a client's key pair, for one signing algorithm.
type testKey struct {
	alg  string
	kid  string
	priv crypto.Signer
}

var (
	keyMu    sync.Mutex
	keyCache = map[string]crypto.Signer{}
)

// clientTestKey returns a key for alg, the same one for the same name: RSA keys take a
// while to make on a busy machine.
func clientTestKey(t testing.TB, alg, name string) testKey {
	t.Helper()
	keyMu.Lock()
	defer keyMu.Unlock()
	id := alg + "/" + name
	if alg == "RS512" {
		id = "RS384/" + name // one RSA key serves both hashes
	}
	priv := keyCache[id]
	if priv == nil {
		var err error
		switch alg {
		case "RS384", "RS512":
			priv, err = rsa.GenerateKey(rand.Reader, 2048)
		case "ES384":
			priv, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
		case "ES256":
			priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		default:
			t.Fatalf("no test key for %s", alg)
		}
		if err != nil {
			t.Fatal(err)
		}
		keyCache[id] = priv
	}
	return testKey{alg: alg, kid: name, priv: priv}
}

func b64url(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// jwk is the public JWK of k.
func (k testKey) jwk() map[string]any {
	switch pub := k.priv.Public().(type) {
	case *rsa.PublicKey:
		return map[string]any{"kty": "RSA", "kid": k.kid, "n": b64url(pub.N.Bytes()),
			"e": b64url(big.NewInt(int64(pub.E)).Bytes())}
	case *ecdsa.PublicKey:
		raw, _ := pub.Bytes()
		size := (len(raw) - 1) / 2
		return map[string]any{"kty": "EC", "kid": k.kid, "crv": pub.Curve.Params().Name,
			"x": b64url(raw[1 : 1+size]), "y": b64url(raw[1+size:])}
	}
	return nil
}

// jwksOf is a JWK Set of the public keys.
func jwksOf(keys ...testKey) json.RawMessage {
	set := map[string]any{"keys": []any{}}
	for _, k := range keys {
		set["keys"] = append(set["keys"].([]any), k.jwk())
	}
	b, _ := json.Marshal(set)
	return b
}

// sign makes a JWT of claims signed by k, with header kid and typ JWT plus hdr (a nil
// value removes a member).
func (k testKey) sign(t testing.TB, claims jwt.MapClaims, hdr map[string]any) string {
	t.Helper()
	tok := jwt.NewWithClaims(jwt.GetSigningMethod(k.alg), claims)
	tok.Header["kid"] = k.kid
	for name, v := range hdr {
		if v == nil {
			delete(tok.Header, name)
		} else {
			tok.Header[name] = v
		}
	}
	s, err := tok.SignedString(k.priv)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// unsigned makes an alg none JWT.
func unsigned(t testing.TB, claims jwt.MapClaims, hdr map[string]any) string {
	t.Helper()
	h := map[string]any{"alg": "none", "typ": "JWT"}
	for k, v := range hdr {
		h[k] = v
	}
	hb, _ := json.Marshal(h)
	cb, _ := json.Marshal(claims)
	return b64url(hb) + "." + b64url(cb) + "."
}
