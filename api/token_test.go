package api

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"github.com/nimsproject/nims/audit"
	"github.com/nimsproject/nims/auth"
)

// A registered system gets a token by SMART Backend Services over HTTP and uses it; the
// same assertion twice is refused; OAuth errors are OAuth's, not OperationOutcomes.
func TestTokenEndpoint(t *testing.T) {
	w := newWorld(t, Config{})
	env := envOf(t, w.ts)
	key, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	b64 := func(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
	pub, err := key.PublicKey.ECDH()
	if err != nil {
		t.Fatal(err)
	}
	raw := pub.Bytes() // 0x04 || X || Y
	jwks, _ := json.Marshal(map[string]any{"keys": []any{map[string]any{"kty": "EC", "crv": "P-384", "kid": "k1",
		"x": b64(raw[1:49]), "y": b64(raw[49:])}}})
	c, err := env.auth.Registry().Add(auth.Client{Name: "Test GP system", Role: "gp", JWKS: jwks, ODS: []string{odsA}})
	if err != nil {
		t.Fatal(err)
	}
	tokenURL := "http://nims.test/auth/token"
	assertion := func(aud string) string {
		tok := jwt.NewWithClaims(jwt.SigningMethodES384, jwt.MapClaims{"iss": c.ID, "sub": c.ID, "aud": aud,
			"exp": time.Now().Add(4 * time.Minute).Unix(), "jti": uuid.NewString()})
		tok.Header["kid"] = "k1"
		s, err := tok.SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	post := func(form url.Values) response {
		return do(t, w.ts, "POST", "/auth/token", form.Encode(), "Content-Type", "application/x-www-form-urlencoded", "Authorization", "")
	}
	form := func(a, scope string) url.Values {
		return url.Values{"grant_type": {"client_credentials"}, "scope": {scope},
			"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}, "client_assertion": {a}}
	}
	a := assertion(tokenURL)
	r := post(form(a, "system/Patient.rs system/Immunization.rs system/Patient.cud"))
	wantStatus(t, r, http.StatusOK, "token request")
	var resp struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
		ExpiresIn   int    `json:"expires_in"`
		Scope       string `json:"scope"`
	}
	if err := json.Unmarshal(r.body, &resp); err != nil {
		t.Fatal(err)
	}
	if !strings.EqualFold(resp.TokenType, "bearer") || resp.ExpiresIn <= 0 || resp.ExpiresIn > 300 || strings.Contains(resp.Scope, "cud") {
		t.Errorf("token response %+v: want a bearer token of at most 300 s without write scopes (a gp writes nothing)", resp)
	}
	if r.header.Get("Cache-Control") != "no-store" {
		t.Errorf("token response Cache-Control %q, want no-store", r.header.Get("Cache-Control"))
	}
	wantStatus(t, do(t, w.ts, "GET", "/fhir/Patient/"+w.pa, nil, bearer(resp.AccessToken)...), http.StatusOK, "read with the issued token")
	wantStatus(t, do(t, w.ts, "GET", "/fhir/Patient/"+w.pb, nil, bearer(resp.AccessToken)...), http.StatusForbidden, "the registered client is a GP of practice A")

	oauthErr := func(r response, status int, code string) {
		t.Helper()
		var e struct {
			Error string `json:"error"`
		}
		if r.status != status || json.Unmarshal(r.body, &e) != nil || e.Error != code {
			t.Errorf("status %d body %s, want %d with error %s", r.status, r.body, status, code)
		}
	}
	oauthErr(post(form(a, "system/Patient.rs")), http.StatusUnauthorized, "invalid_client")                  // replayed jti
	oauthErr(post(form(assertion("http://elsewhere/token"), "")), http.StatusUnauthorized, "invalid_client") // wrong aud
	f := form(assertion(tokenURL), "")
	f.Set("grant_type", "password")
	oauthErr(post(f), http.StatusBadRequest, "unsupported_grant_type")

	// Disabling the client refuses its tokens at once.
	if err := env.auth.Registry().Disable(c.ID); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, do(t, w.ts, "GET", "/fhir/Patient/"+w.pa, nil, bearer(resp.AccessToken)...), http.StatusUnauthorized, "a disabled client's token")

	var conf map[string]any
	json.Unmarshal(do(t, w.ts, "GET", "/.well-known/smart-configuration", nil).body, &conf)
	if conf["token_endpoint"] != tokenURL {
		t.Errorf("smart-configuration token_endpoint = %v, want %s", conf["token_endpoint"], tokenURL)
	}
	if err := env.audit.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	issued, _, err := env.audit.Search(t.Context(), audit.Query{Client: c.ID, Interaction: "token"})
	if err != nil {
		t.Fatal(err)
	}
	if len(issued) < 2 || issued[0].Event.ClientName != "Test GP system" {
		t.Errorf("token requests audited: %+v, want the issue and the refusals, with the client's name", issued)
	}
}
