package auth

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/nimsproject/nims/fhir"
)

// The server's signing keys: ECDSA P-256 (ES256), one file each in DIR/keys/, named
// <unix seconds created>-<kid>.pem. Rotation: the newest signs; a new one is made once
// it is a day old; every key verifies until it is three days old, which outlives any
// token it signed (300 s, or 12 h for operator tokens) by two days.
const (
	keyRotateAfter = 24 * time.Hour
	keyKeepFor     = 72 * time.Hour
	keyCheckEvery  = time.Minute // how often use looks at rotation and the directory
	keyRescanEvery = time.Second // how often an unknown kid may make us read the directory
)

// Keys are the server's signing keys. Several processes may share the directory (a
// server and nims token, or replicas on a shared volume): each picks up the others' keys
// when it meets an unknown kid or at its next rotation check. Safe for concurrent use.
type Keys struct {
	dir string
	now func() time.Time

	mu        sync.Mutex
	keys      []*serverKey // oldest first
	lastCheck time.Time
	lastScan  time.Time
}

type serverKey struct {
	kid     string
	created time.Time
	priv    *ecdsa.PrivateKey
	file    string
}

// OpenKeys opens the keys in dir/keys, making the directory and a first key if need be.
// now nil means time.Now.
func OpenKeys(dir string, now func() time.Time) (*Keys, error) {
	if now == nil {
		now = time.Now
	}
	k := &Keys{dir: filepath.Join(dir, "keys"), now: now}
	if err := os.MkdirAll(k.dir, 0o700); err != nil {
		return nil, fhir.Wrap("auth.OpenKeys", err)
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if err := k.check(true); err != nil {
		return nil, err
	}
	return k, nil
}

// check rescans the directory, makes a new key if the newest is too old and deletes the
// expired ones, at most once per keyCheckEvery unless forced. The caller holds mu.
func (k *Keys) check(force bool) error {
	now := k.now()
	if !force && now.Sub(k.lastCheck) < keyCheckEvery && !now.Before(k.lastCheck) {
		return nil
	}
	k.lastCheck = now
	if err := k.scan(); err != nil {
		return err
	}
	for _, sk := range k.keys {
		if now.Sub(sk.created) >= keyKeepFor {
			if err := os.Remove(sk.file); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fhir.Wrap("auth.Keys", err)
			}
		}
	}
	k.keys = slices.DeleteFunc(k.keys, func(sk *serverKey) bool { return now.Sub(sk.created) >= keyKeepFor })
	if len(k.keys) == 0 || now.Sub(k.keys[len(k.keys)-1].created) >= keyRotateAfter {
		sk, err := k.create(now)
		if err != nil {
			return fhir.Wrap("auth.Keys", err)
		}
		k.keys = append(k.keys, sk)
	}
	return nil
}

// scan reads the directory: keys made by another process are added, deleted ones dropped.
func (k *Keys) scan() error {
	k.lastScan = k.now()
	entries, err := os.ReadDir(k.dir)
	if err != nil {
		return fhir.Wrap("auth.Keys", err)
	}
	known := map[string]*serverKey{}
	for _, sk := range k.keys {
		known[filepath.Base(sk.file)] = sk
	}
	var keys []*serverKey
	for _, e := range entries {
		created, kid, ok := parseKeyName(e.Name())
		if !ok {
			continue // temporary files and strangers
		}
		if sk := known[e.Name()]; sk != nil {
			keys = append(keys, sk)
			continue
		}
		sk, err := loadKey(filepath.Join(k.dir, e.Name()), kid, created)
		if err != nil {
			return fhir.Wrap("auth.Keys", err)
		}
		keys = append(keys, sk)
	}
	slices.SortFunc(keys, func(a, b *serverKey) int {
		if c := a.created.Compare(b.created); c != 0 {
			return c
		}
		return strings.Compare(a.kid, b.kid)
	})
	k.keys = keys
	return nil
}

func parseKeyName(name string) (time.Time, string, bool) {
	base, ok := strings.CutSuffix(name, ".pem")
	if !ok {
		return time.Time{}, "", false
	}
	secs, kid, ok := strings.Cut(base, "-")
	n, err := strconv.ParseInt(secs, 10, 64)
	if !ok || err != nil || kid == "" {
		return time.Time{}, "", false
	}
	return time.Unix(n, 0), kid, true
}

func loadKey(path, kid string, created time.Time) (*serverKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("%s is not a PEM private key", filepath.Base(path))
	}
	key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	priv, ok := key.(*ecdsa.PrivateKey)
	if err != nil || !ok || priv.Curve != elliptic.P256() {
		return nil, fmt.Errorf("%s is not an ECDSA P-256 key", filepath.Base(path))
	}
	if thumbprint(&priv.PublicKey) != kid {
		return nil, fmt.Errorf("%s: the kid in the name does not match the key", filepath.Base(path))
	}
	return &serverKey{kid: kid, created: created, priv: priv, file: path}, nil
}

func (k *Keys) create(now time.Time) (*serverKey, error) {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, err
	}
	sk := &serverKey{kid: thumbprint(&priv.PublicKey), created: time.Unix(now.Unix(), 0), priv: priv}
	sk.file = filepath.Join(k.dir, fmt.Sprintf("%d-%s.pem", now.Unix(), sk.kid))
	if err := writeFileAtomic(sk.file, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})); err != nil {
		return nil, err
	}
	return sk, nil
}

// thumbprint is the key's RFC 7638 JWK thumbprint, its kid.
func thumbprint(pub *ecdsa.PublicKey) string {
	x, y := coordinates(pub)
	// The members in lexicographic order, no spaces: the canonical form RFC 7638 hashes.
	sum := sha256.Sum256([]byte(`{"crv":"P-256","kty":"EC","x":"` + x + `","y":"` + y + `"}`))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// coordinates returns x and y of a P-256 key, base64url, full length.
func coordinates(pub *ecdsa.PublicKey) (x, y string) {
	b, err := pub.Bytes() // 0x04 || X || Y
	if err != nil || len(b) != 65 {
		return "", ""
	}
	return base64.RawURLEncoding.EncodeToString(b[1:33]), base64.RawURLEncoding.EncodeToString(b[33:])
}

// Sign signs claims with the newest key (ES256, header kid).
func (k *Keys) Sign(claims jwt.Claims) (string, error) {
	k.mu.Lock()
	err := k.check(false)
	var sk *serverKey
	if n := len(k.keys); n > 0 {
		sk = k.keys[n-1]
	}
	k.mu.Unlock()
	if sk == nil { // a failed rotation with a key left still signs: keys live for days
		if err == nil {
			err = &fhir.Error{Kind: fhir.KindInternal, Op: "auth.Keys", Details: "no signing key"}
		}
		return "", err
	}
	t := jwt.NewWithClaims(jwt.SigningMethodES256, claims)
	t.Header["kid"] = sk.kid
	s, err := t.SignedString(sk.priv)
	if err != nil {
		return "", fhir.Wrap("auth.Keys", err)
	}
	return s, nil
}

// Verify parses token into claims, checking an ES256 signature by one of the kept keys
// and the claims with opts.
func (k *Keys) Verify(token string, claims jwt.Claims, opts ...jwt.ParserOption) error {
	// Strict decoding: a token with other padding bits is another string, not the same token.
	opts = append([]jwt.ParserOption{jwt.WithValidMethods([]string{"ES256"}), jwt.WithStrictDecoding()}, opts...)
	_, err := jwt.ParseWithClaims(token, claims, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		if pub, ok := k.public(kid); ok {
			return pub, nil
		}
		return nil, errors.New("unknown kid")
	}, opts...)
	return err
}

// public returns the public key with kid, reading the directory (at most once per
// keyRescanEvery) when it is not known: another process may have made it.
func (k *Keys) public(kid string) (*ecdsa.PublicKey, bool) {
	if kid == "" {
		return nil, false
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	_ = k.check(false) // a failure leaves the keys known
	if pub, ok := k.find(kid); ok {
		return pub, true
	}
	if now := k.now(); now.Sub(k.lastScan) >= keyRescanEvery || now.Before(k.lastScan) {
		if k.scan() != nil {
			return nil, false
		}
	}
	return k.find(kid)
}

func (k *Keys) find(kid string) (*ecdsa.PublicKey, bool) {
	now := k.now()
	for _, sk := range k.keys {
		if sk.kid == kid && now.Sub(sk.created) < keyKeepFor {
			return &sk.priv.PublicKey, true
		}
	}
	return nil, false
}

// JWKS returns the public keys as a JWK Set, newest first: what /auth/jwks.json serves.
func (k *Keys) JWKS() []byte {
	type ecJWK struct {
		Kty string `json:"kty"`
		Crv string `json:"crv"`
		X   string `json:"x"`
		Y   string `json:"y"`
		Kid string `json:"kid"`
		Use string `json:"use"`
		Alg string `json:"alg"`
	}
	k.mu.Lock()
	_ = k.check(false)
	set := struct {
		Keys []ecJWK `json:"keys"`
	}{Keys: []ecJWK{}}
	for i := len(k.keys) - 1; i >= 0; i-- {
		x, y := coordinates(&k.keys[i].priv.PublicKey)
		set.Keys = append(set.Keys, ecJWK{Kty: "EC", Crv: "P-256", X: x, Y: y, Kid: k.keys[i].kid, Use: "sig", Alg: "ES256"})
	}
	k.mu.Unlock()
	data, _ := json.Marshal(set) // plain strings: cannot fail
	return data
}
