package auth

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/nimsproject/nims/fhir"
)

// issue gets an access token for a new client of role.
func (f *fixture) issue(role string, perms []string, ods []string) (string, Client) {
	f.t.Helper()
	k := clientTestKey(f.t, "ES384", "k")
	c := f.addClient(Client{Role: role, JWKS: jwksOf(k), Permissions: perms, ODS: ods})
	resp, _ := f.token(tokenForm(f.assertion(k, c.ID), ""))
	return resp.AccessToken, c
}

// wantUnauthorized checks err is a KindUnauthorized *fhir.Error that does not echo token.
func wantUnauthorized(t *testing.T, p *Principal, err error, token string) {
	t.Helper()
	if p != nil {
		t.Fatalf("Verify returned %+v, want an error", p)
	}
	var fe *fhir.Error
	if !errors.As(err, &fe) || fe.Kind != fhir.KindUnauthorized {
		t.Fatalf("Verify error %v, want KindUnauthorized", err)
	}
	if len(fe.Issues) != 1 || fe.Issues[0].Diagnostics == "" {
		t.Errorf("Issues = %+v, want one with diagnostics", fe.Issues)
	}
	if token != "" {
		for _, s := range []string{fe.Error(), fe.Details, fe.Issues[0].Diagnostics} {
			if strings.Contains(s, token) || len(token) > 20 && strings.Contains(s, token[len(token)-20:]) {
				t.Errorf("the error echoes the token: %q", s)
			}
		}
	}
}

// forge signs claims with the Authority's own keys: a token it did not issue that way.
func (f *fixture) forge(change func(*accessClaims)) string {
	f.t.Helper()
	now := f.c.now()
	c := accessClaims{RegisteredClaims: jwt.RegisteredClaims{Issuer: testIssuer, Subject: localPrefix + RoleAdmin,
		Audience: jwt.ClaimStrings{testIssuer}, ExpiresAt: jwt.NewNumericDate(now.Add(time.Minute)),
		IssuedAt: jwt.NewNumericDate(now), ID: "j"}, Scope: "system/*.cruds", Role: RoleAdmin, Name: "x"}
	change(&c)
	tok, err := f.a.keys.Sign(c)
	if err != nil {
		f.t.Fatal(err)
	}
	return tok
}

func TestVerifyRefuses(t *testing.T) {
	f := newFixture(t)
	good, client := f.issue(RoleBooking, nil, nil)
	other := newFixture(t) // another server, same issuer, other keys
	foreign, _ := other.issue(RoleBooking, nil, nil)

	parts := strings.Split(good, ".")
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	var claims map[string]any
	json.Unmarshal(payload, &claims)
	claims["scope"] = "system/*.cruds"
	claims["nims_role"] = RoleAdmin
	tamperedPayload, _ := json.Marshal(claims)
	tampered := parts[0] + "." + b64url(tamperedPayload) + "." + parts[2]
	var header map[string]any
	hb, _ := base64.RawURLEncoding.DecodeString(parts[0])
	json.Unmarshal(hb, &header)

	pub := []byte(f.a.JWKS())
	hs := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims(claims))
	hs.Header["kid"] = header["kid"]
	hmacToken, _ := hs.SignedString(pub)

	// A signature with other padding bits is another string: refused, not the same token.
	// 64 bytes are 86 characters, the last carrying 2 bits and 4 unused ones: flip one of
	// those and lenient decoding gives the same signature.
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	last := strings.IndexByte(alphabet, parts[2][len(parts[2])-1])
	otherBits := parts[0] + "." + parts[1] + "." + parts[2][:len(parts[2])-1] + string(alphabet[last^1])

	for _, tc := range []struct {
		name  string
		token string
	}{
		{"empty", ""},
		{"garbage", "garbage"},
		{"another server's token", foreign},
		{"tampered payload", tampered},
		{"signature changed", otherBits},
		{"alg none", unsigned(t, jwt.MapClaims(claims), map[string]any{"kid": header["kid"]})},
		{"HS256 keyed with our JWKS", hmacToken},
		{"client assertion, not an access token", f.assertion(clientTestKey(t, "ES384", "k"), client.ID)},
		{"wrong aud", f.forge(func(c *accessClaims) { c.Audience = jwt.ClaimStrings{"https://other.example/fhir"} })},
		{"no aud", f.forge(func(c *accessClaims) { c.Audience = nil })},
		{"wrong iss", f.forge(func(c *accessClaims) { c.Issuer = "https://other.example/fhir" })},
		{"no exp", f.forge(func(c *accessClaims) { c.ExpiresAt = nil })},
		{"no iat", f.forge(func(c *accessClaims) { c.IssuedAt = nil })},
		{"no jti", f.forge(func(c *accessClaims) { c.ID = "" })},
		{"no sub", f.forge(func(c *accessClaims) { c.Subject = "" })},
		{"iat in the future", f.forge(func(c *accessClaims) { c.IssuedAt = jwt.NewNumericDate(f.c.now().Add(time.Minute)) })},
		{"nbf in the future", f.forge(func(c *accessClaims) { c.NotBefore = jwt.NewNumericDate(f.c.now().Add(time.Minute)) })},
		{"client token living an hour", f.forge(func(c *accessClaims) {
			c.Subject, c.Role, c.ExpiresAt = client.ID, RoleBooking, jwt.NewNumericDate(f.c.now().Add(time.Hour))
		})},
		{"local token living 13 h", f.forge(func(c *accessClaims) { c.ExpiresAt = jwt.NewNumericDate(f.c.now().Add(13 * time.Hour)) })},
		{"unknown role", f.forge(func(c *accessClaims) { c.Role, c.Subject = "root", localPrefix+"root" })},
		{"local sub of another role", f.forge(func(c *accessClaims) { c.Subject = localPrefix + RolePass })},
		{"unknown client", f.forge(func(c *accessClaims) { c.Subject = "0123456789abcdef0123456789abcdef" })},
		{"malformed scope", f.forge(func(c *accessClaims) { c.Scope = "system/*.cruds everything" })},
		{"no scope", f.forge(func(c *accessClaims) { c.Scope = "" })},
		{"too large", good + strings.Repeat("A", maxTokenBytes)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := f.a.Verify(tc.token)
			wantUnauthorized(t, p, err, tc.token)
		})
	}
	if _, err := f.a.Verify(good); err != nil {
		t.Errorf("the untampered token: %v", err)
	}
}

func TestVerifyExpiry(t *testing.T) {
	f := newFixture(t)
	cached, _ := f.issue(RolePass, nil, nil)
	uncached, _ := f.issue(RolePass, nil, nil)
	if _, err := f.a.Verify(cached); err != nil {
		t.Fatal(err)
	}
	f.c.add(299 * time.Second)
	if _, err := f.a.Verify(cached); err != nil {
		t.Errorf("cached token refused before it expires: %v", err)
	}
	f.c.add(time.Second)
	for name, tok := range map[string]string{"cached": cached, "uncached": uncached} {
		p, err := f.a.Verify(tok)
		if err == nil {
			t.Errorf("%s token accepted at its exp", name)
			continue
		}
		wantUnauthorized(t, p, err, tok)
	}
}

func TestVerifyDisabledClient(t *testing.T) {
	f := newFixture(t)
	k := clientTestKey(t, "RS384", "k")
	c := f.addClient(Client{Role: RoleBooking, JWKS: jwksOf(k)})
	first, _ := f.token(tokenForm(f.assertion(k, c.ID), ""))
	second, _ := f.token(tokenForm(f.assertion(k, c.ID), ""))
	if _, err := f.a.Verify(first.AccessToken); err != nil { // now cached
		t.Fatal(err)
	}
	// nims client disable, run as another process.
	command, err := OpenRegistry(f.dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := command.Disable(c.ID); err != nil {
		t.Fatal(err)
	}
	f.c.add(registryCheck)
	for name, tok := range map[string]string{"cached": first.AccessToken, "uncached": second.AccessToken} {
		p, err := f.a.Verify(tok)
		if err == nil {
			t.Errorf("%s token of a disabled client accepted", name)
			continue
		}
		wantUnauthorized(t, p, err, tok)
	}
	f.refused(tokenForm(f.assertion(k, c.ID), ""), "invalid_client")
}

// A token verified once is served from the cache: it keeps working when the keys that
// signed it are gone, while an uncached one does not.
func TestVerifyCacheHit(t *testing.T) {
	f := newFixture(t)
	cached, c := f.issue(RoleGP, nil, []string{"A81001"})
	uncached, _ := f.issue(RoleGP, nil, []string{"A81001"})
	p1, err := f.a.Verify(cached)
	if err != nil {
		t.Fatal(err)
	}
	f.a.keys = openTestKeys(t, t.TempDir(), f.c) // forget every key
	p2, err := f.a.Verify(cached)
	if err != nil {
		t.Fatalf("cached token: %v", err)
	}
	if p2 == p1 || p2.ClientID != c.ID || p2.TokenID != p1.TokenID || p2.ODS[0] != "A81001" || p2.Role != RoleGP {
		t.Errorf("cached principal = %+v (first %+v); want an equal copy", p2, p1)
	}
	p, err := f.a.Verify(uncached)
	wantUnauthorized(t, p, err, uncached)
	// A copy: the caller changing it changes nothing for the next request.
	p2.Role = RoleAdmin
	if p3, _ := f.a.Verify(cached); p3.Role != RoleGP {
		t.Error("the cache hands out its own Principal")
	}
}

func TestVerifyPolicyExceptions(t *testing.T) {
	f := newFixture(t)
	for _, role := range []string{RoleProgramme, RoleLoader} {
		tok, _ := f.issue(role, nil, nil)
		p, err := f.a.Verify(tok)
		if err != nil {
			t.Fatal(err)
		}
		if p.Can("AuditEvent", Read) || p.Can("AuditEvent", Search) || !p.Can("Patient", Read) {
			t.Errorf("%s: %q, AuditEvent read %v", role, p.Scopes, p.Can("AuditEvent", Read))
		}
	}
	tok, _ := f.issue(RoleAdmin, nil, nil)
	if p, _ := f.a.Verify(tok); !p.Can("AuditEvent", Read) {
		t.Error("admin cannot read AuditEvent")
	}
	var nobody *Principal
	if nobody.Can("Patient", Read) || (&Principal{}).Can("Patient", Read) {
		t.Error("an empty principal can read")
	}
}

// Token, Verify, the registry and the keys under concurrent use (run with -race).
func TestConcurrentUse(t *testing.T) {
	f := newFixture(t)
	k := clientTestKey(t, "ES384", "k")
	srv := newJWKSServer(t, jwksOf(k))
	c := f.addClient(Client{Role: RolePass, JWKSURL: srv.url})
	victim := f.addClient(Client{Role: RolePass, JWKS: jwksOf(k)})
	var assertions [4][10]string // signed here: t.Fatal belongs to the test's goroutine
	for g := range assertions {
		for i := range assertions[g] {
			assertions[g][i] = f.assertion(k, c.ID)
		}
	}
	done := make(chan error)
	for g := range 4 {
		go func() {
			var err error
			defer func() { done <- err }()
			for i := range 10 {
				_, oerr, _ := f.a.Token(context.Background(), tokenForm(assertions[g][i], ""))
				if oerr != nil {
					err = oerr
					return
				}
				tok, lerr := f.a.LocalToken(RoleAdmin, "", nil, nil, 0)
				if lerr != nil {
					err = lerr
					return
				}
				if _, err = f.a.Verify(tok); err != nil {
					return
				}
				f.a.JWKS()
				f.a.Registry().List()
				if g == 0 && i == 5 {
					if err = f.a.Registry().Disable(victim.ID); err != nil {
						return
					}
				}
				f.c.add(time.Second)
			}
		}()
	}
	for range 4 {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}
