package auth

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"math/big"
	"strings"
	"testing"
)

func TestParseJWK(t *testing.T) {
	rsaKey := clientTestKey(t, "RS384", "rsa")
	p384 := clientTestKey(t, "ES384", "p384")
	p256 := clientTestKey(t, "ES256", "p256")
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	smallKey := testKey{alg: "RS384", kid: "small", priv: small}

	with := func(k testKey, name string, v any) jwk {
		m := k.jwk()
		if v == nil {
			delete(m, name)
		} else {
			m[name] = v
		}
		b, _ := json.Marshal(m)
		var j jwk
		json.Unmarshal(b, &j)
		return j
	}
	for _, tc := range []struct {
		name string
		j    jwk
		ok   bool
	}{
		{"RSA", with(rsaKey, "use", "sig"), true},
		{"EC P-384", with(p384, "use", "sig"), true},
		{"EC P-256", with(p256, "use", "sig"), true},
		{"RSA padded base64", with(rsaKey, "n", rsaKey.jwk()["n"].(string)+"=="), true},
		{"RSA private", with(rsaKey, "d", "AQAB"), false},
		{"EC private", with(p384, "d", "AQAB"), false},
		{"symmetric", jwk{Kty: "oct", K: "c2VjcmV0"}, false},
		{"unknown kty", with(rsaKey, "kty", "OKP"), false},
		{"no kty", with(rsaKey, "kty", nil), false},
		{"RSA no n", with(rsaKey, "n", nil), false},
		{"RSA no e", with(rsaKey, "e", nil), false},
		{"RSA n not base64url", with(rsaKey, "n", "+/+/"), false},
		{"RSA e even", with(rsaKey, "e", b64url([]byte{2})), false},
		{"RSA e one", with(rsaKey, "e", b64url([]byte{1})), false},
		{"RSA e too long", with(rsaKey, "e", b64url([]byte{1, 0, 0, 0, 1})), false},
		{"RSA 1024 bits", smallKey.jwkOf(), false},
		{"EC P-521", with(p384, "crv", "P-521"), false},
		{"EC no crv", with(p384, "crv", nil), false},
		{"EC wrong crv for size", with(p384, "crv", "P-256"), false},
		{"EC no y", with(p384, "y", nil), false},
		{"EC off the curve", with(p384, "y", b64url(make([]byte, 48))), false},
		{"EC x too long", with(p256, "x", b64url(make([]byte, 33))), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pub, err := parseJWK(tc.j)
			if (err == nil) != tc.ok {
				t.Fatalf("parseJWK(%+v) = %v, %v; want ok %v", tc.j, pub, err, tc.ok)
			}
		})
	}

	// The keys come out equal to the originals.
	pub, _ := parseJWK(with(rsaKey, "use", nil))
	if !pub.(*rsa.PublicKey).Equal(rsaKey.priv.Public()) {
		t.Error("RSA key differs from the original")
	}
	pub, _ = parseJWK(with(p384, "use", nil))
	if !pub.(*ecdsa.PublicKey).Equal(p384.priv.Public()) {
		t.Error("EC key differs from the original")
	}
}

func (k testKey) jwkOf() jwk {
	b, _ := json.Marshal(k.jwk())
	var j jwk
	json.Unmarshal(b, &j)
	return j
}

func TestParseECShortCoordinates(t *testing.T) {
	// A coordinate with a leading zero byte, written without it, as some libraries do.
	for range 512 {
		priv, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		raw, _ := priv.PublicKey.Bytes()
		if raw[1] != 0 {
			continue
		}
		x := new(big.Int).SetBytes(raw[1:33]).Bytes()
		pub, err := parseJWK(jwk{Kty: "EC", Crv: "P-256", X: b64url(x), Y: b64url(raw[33:])})
		if err != nil || !pub.(*ecdsa.PublicKey).Equal(&priv.PublicKey) {
			t.Fatalf("short x: %v", err)
		}
		return
	}
	t.Skip("no key with a leading zero x in 512 tries")
}

func TestParseJWKSet(t *testing.T) {
	rsaKey := clientTestKey(t, "RS384", "rsa")
	p384 := clientTestKey(t, "ES384", "p384")
	mixed := `{"keys":[{"kty":"OKP","crv":"Ed25519","x":"abc","kid":"ed"},` + string(jwksOf(rsaKey, p384))[9:]
	keys, err := parseJWKSet([]byte(mixed))
	if err != nil || len(keys) != 2 {
		t.Fatalf("parseJWKSet(mixed) = %d keys, %v; want the 2 usable ones", len(keys), err)
	}
	for _, bad := range []string{
		``, `[]`, `{}`, `{"keys":{}}`, `{"keys":null}`, `"x"`,
		`{"keys":[{"kty":"RSA","kid":"a","n":"AQAB","e":"AQAB","d":"AQAB"}]}`, // private material
		`{"keys":[` + strings.Repeat(`{},`, maxJWKSet) + `{}]}`,
	} {
		if _, err := parseJWKSet([]byte(bad)); err == nil {
			t.Errorf("parseJWKSet(%.60q) accepted", bad)
		}
	}
}

func TestKeyFits(t *testing.T) {
	rsaKey := clientTestKey(t, "RS384", "rsa")
	p384 := clientTestKey(t, "ES384", "p384")
	p256 := clientTestKey(t, "ES256", "p256")
	key := func(k testKey, alg, use string, ops []string) clientKey {
		pub, err := parseJWK(k.jwkOf())
		if err != nil {
			t.Fatal(err)
		}
		return clientKey{kid: k.kid, alg: alg, use: use, keyOps: ops, key: pub}
	}
	for _, tc := range []struct {
		name string
		k    clientKey
		alg  string
		want bool
	}{
		{"RSA RS384", key(rsaKey, "", "", nil), "RS384", true},
		{"RSA RS512", key(rsaKey, "", "", nil), "RS512", true},
		{"RSA ES384", key(rsaKey, "", "", nil), "ES384", false},
		{"RSA RS256", key(rsaKey, "", "", nil), "RS256", false},
		{"RSA HS256", key(rsaKey, "", "", nil), "HS256", false},
		{"P-384 ES384", key(p384, "", "", nil), "ES384", true},
		{"P-384 RS384", key(p384, "", "", nil), "RS384", false},
		{"P-256 ES384", key(p256, "", "", nil), "ES384", false},
		{"JWK alg agrees", key(rsaKey, "RS384", "", nil), "RS384", true},
		{"JWK alg differs", key(rsaKey, "RS512", "", nil), "RS384", false},
		{"use sig", key(rsaKey, "", "sig", nil), "RS384", true},
		{"use enc", key(rsaKey, "", "enc", nil), "RS384", false},
		{"key_ops verify", key(rsaKey, "", "", []string{"verify"}), "RS384", true},
		{"key_ops encrypt", key(rsaKey, "", "", []string{"encrypt"}), "RS384", false},
	} {
		if got := tc.k.fits(tc.alg); got != tc.want {
			t.Errorf("%s: fits(%s) = %v, want %v", tc.name, tc.alg, got, tc.want)
		}
	}
	if k := key(p256, "", "", nil); k.usable() {
		t.Error("a P-256 key is usable, but no accepted alg verifies with it")
	}
	noKid := key(rsaKey, "", "", nil)
	noKid.kid = ""
	if noKid.usable() {
		t.Error("a key without kid is usable")
	}
}
