package auth

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strings"
)

// JSON Web Keys (RFC 7517, RFC 7518 §6) of clients, turned into public keys. Only what
// client assertions need: RSA, and EC on P-256 and P-384.

// jwk is one key as a JWK Set carries it.
type jwk struct {
	Kty    string   `json:"kty"`
	Kid    string   `json:"kid"`
	Use    string   `json:"use"`
	Alg    string   `json:"alg"`
	KeyOps []string `json:"key_ops"`
	Crv    string   `json:"crv"`
	X      string   `json:"x"`
	Y      string   `json:"y"`
	N      string   `json:"n"`
	E      string   `json:"e"`
	D      string   `json:"d"` // private exponent (RSA) or scalar (EC): must be absent
	K      string   `json:"k"` // symmetric key: must be absent
}

// clientKey is a usable public key of a client.
type clientKey struct {
	kid    string
	alg    string // the JWK's alg, "" when it names none
	use    string
	keyOps []string
	key    crypto.PublicKey // *rsa.PublicKey or *ecdsa.PublicKey
}

// Bounds on RSA keys: below 2048 bits is too weak (NIST SP 800-131A); above 8192 a
// verification is slow enough to be a way to tire the server.
const (
	minRSABits = 2048
	maxRSABits = 8192
	maxJWKSet  = 64 // keys a set may hold
)

// assertionAlgs are the signature algorithms a client assertion may use: SMART's RS384 and
// ES384, and NHS England's RS512. Never "none", never HMAC (a public key is no secret).
var assertionAlgs = []string{"RS384", "ES384", "RS512"}

// parseJWK returns the public key of j.
func parseJWK(j jwk) (crypto.PublicKey, error) {
	if j.D != "" || j.K != "" {
		return nil, errors.New("the key holds private or symmetric key material")
	}
	switch j.Kty {
	case "RSA":
		return parseRSA(j)
	case "EC":
		return parseEC(j)
	}
	return nil, fmt.Errorf("key type %q is not RSA or EC", j.Kty)
}

func parseRSA(j jwk) (*rsa.PublicKey, error) {
	n, err := b64(j.N)
	if err != nil || len(n) == 0 {
		return nil, errors.New("RSA key: n is not base64url")
	}
	e, err := b64(j.E)
	if err != nil || len(e) == 0 || len(e) > 4 {
		return nil, errors.New("RSA key: e is not a base64url integer of at most 4 bytes")
	}
	pub := &rsa.PublicKey{N: new(big.Int).SetBytes(n)}
	ev := new(big.Int).SetBytes(e).Int64()
	if ev < 3 || ev%2 == 0 || ev > 1<<31-1 {
		return nil, errors.New("RSA key: e must be an odd number from 3 to 2^31-1")
	}
	pub.E = int(ev)
	if bits := pub.N.BitLen(); bits < minRSABits || bits > maxRSABits {
		return nil, fmt.Errorf("RSA key: %d bits; %d to %d are accepted", bits, minRSABits, maxRSABits)
	}
	return pub, nil
}

func parseEC(j jwk) (*ecdsa.PublicKey, error) {
	var curve elliptic.Curve
	var size int
	switch j.Crv {
	case "P-256":
		curve, size = elliptic.P256(), 32
	case "P-384":
		curve, size = elliptic.P384(), 48
	default:
		return nil, fmt.Errorf("EC key: curve %q is not P-256 or P-384", j.Crv)
	}
	x, errX := b64(j.X)
	y, errY := b64(j.Y)
	if errX != nil || errY != nil || len(x) == 0 || len(y) == 0 || len(x) > size || len(y) > size {
		return nil, errors.New("EC key: x and y must be base64url coordinates of the curve's size")
	}
	// RFC 7518 §6.2.1.2 wants full-length coordinates; some libraries drop leading zeros.
	point := make([]byte, 1+2*size)
	point[0] = 4 // uncompressed
	copy(point[1+size-len(x):1+size], x)
	copy(point[1+2*size-len(y):], y)
	pub, err := ecdsa.ParseUncompressedPublicKey(curve, point)
	if err != nil {
		return nil, errors.New("EC key: the point is not on the curve")
	}
	return pub, nil
}

// b64 decodes base64url, without padding as RFC 7515 wants, tolerating padding.
func b64(s string) ([]byte, error) {
	return base64.RawURLEncoding.Strict().DecodeString(strings.TrimRight(s, "="))
}

// parseJWKSet parses a JWK Set ({"keys": [...]}) and returns its usable keys. Keys of
// other types or curves, and malformed ones, are skipped: a set may carry keys for other
// purposes. A set carrying private key material is refused whole: its owner has
// published a secret and must replace the key.
func parseJWKSet(data []byte) ([]clientKey, error) {
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(data, &set); err != nil {
		return nil, errors.New("not a JWK Set (JSON object with keys)")
	}
	if set.Keys == nil {
		return nil, errors.New("not a JWK Set: no keys member")
	}
	if len(set.Keys) > maxJWKSet {
		return nil, fmt.Errorf("JWK Set has %d keys; at most %d are accepted", len(set.Keys), maxJWKSet)
	}
	var keys []clientKey
	for _, raw := range set.Keys {
		var j jwk
		if err := json.Unmarshal(raw, &j); err != nil {
			continue
		}
		if j.D != "" || j.K != "" {
			return nil, errors.New("JWK Set holds private or symmetric key material: publish public keys only")
		}
		pub, err := parseJWK(j)
		if err != nil {
			continue
		}
		keys = append(keys, clientKey{kid: j.Kid, alg: j.Alg, use: j.Use, keyOps: j.KeyOps, key: pub})
	}
	return keys, nil
}

// fits reports whether k may verify a signature of alg: kty consistent with alg (RSA for
// RS*, P-384 for ES384), and the JWK's alg, use and key_ops, when given, allowing it.
func (k clientKey) fits(alg string) bool {
	if k.alg != "" && k.alg != alg || k.use != "" && k.use != "sig" ||
		k.keyOps != nil && !slices.Contains(k.keyOps, "verify") {
		return false
	}
	switch pub := k.key.(type) {
	case *rsa.PublicKey:
		return alg == "RS384" || alg == "RS512"
	case *ecdsa.PublicKey:
		return alg == "ES384" && pub.Curve == elliptic.P384()
	}
	return false
}

// usable reports whether k has a kid and fits some assertion algorithm.
func (k clientKey) usable() bool {
	if k.kid == "" {
		return false
	}
	return slices.ContainsFunc(assertionAlgs, k.fits)
}

// findKey returns the key of keys with kid that fits alg.
func findKey(keys []clientKey, kid, alg string) (crypto.PublicKey, bool) {
	for _, k := range keys {
		if k.kid == kid && k.fits(alg) {
			return k.key, true
		}
	}
	return nil, false
}
