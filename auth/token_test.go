package auth

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

const (
	testIssuer   = "https://nims.example/fhir"
	testTokenURL = "https://nims.example/auth/token"
)

type fixture struct {
	t   *testing.T
	a   *Authority
	c   *clock
	dir string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{t: t, c: newClock(), dir: t.TempDir()}
	a, err := New(Config{Dir: f.dir, Issuer: testIssuer, TokenURL: testTokenURL, Now: f.c.now})
	if err != nil {
		t.Fatal(err)
	}
	f.a = a
	return f
}

func (f *fixture) addClient(c Client) Client {
	f.t.Helper()
	if c.Name == "" {
		c.Name = "test client"
	}
	added, err := f.a.Registry().Add(c)
	if err != nil {
		f.t.Fatal(err)
	}
	return added
}

// claims are a valid assertion's claims for client id.
func (f *fixture) claims(id string) jwt.MapClaims {
	now := f.c.now()
	return jwt.MapClaims{"iss": id, "sub": id, "aud": testTokenURL, "iat": now.Unix(),
		"exp": now.Add(4 * time.Minute).Unix(), "jti": newID()}
}

func (f *fixture) assertion(k testKey, id string) string {
	return k.sign(f.t, f.claims(id), nil)
}

func tokenForm(assertion, scope string) url.Values {
	v := url.Values{"grant_type": {"client_credentials"},
		"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
		"client_assertion":      {assertion}}
	if scope != "" {
		v.Set("scope", scope)
	}
	return v
}

// token posts form and fails the test unless a token comes back.
func (f *fixture) token(form url.Values) (*TokenResponse, *TokenIssued) {
	f.t.Helper()
	resp, oerr, issued := f.a.Token(context.Background(), form)
	if oerr != nil {
		f.t.Fatalf("Token: %v", oerr)
	}
	return resp, issued
}

// refused posts form and checks the error code and status.
func (f *fixture) refused(form url.Values, code string) (*OAuthError, *TokenIssued) {
	f.t.Helper()
	resp, oerr, issued := f.a.Token(context.Background(), form)
	if oerr == nil {
		f.t.Fatalf("Token succeeded (%+v), want %s", resp, code)
	}
	if resp != nil {
		f.t.Error("Token returned a response and an error")
	}
	wantStatus := http.StatusBadRequest
	if code == "invalid_client" {
		wantStatus = http.StatusUnauthorized
	}
	if oerr.Code != code || oerr.Status != wantStatus {
		f.t.Errorf("Token error = %d %s (%s), want %d %s", oerr.Status, oerr.Code, oerr.Description, wantStatus, code)
	}
	if oerr.Description == "" {
		f.t.Error("no error_description")
	}
	return oerr, issued
}

func TestTokenHappyPath(t *testing.T) {
	for _, alg := range []string{"RS384", "ES384", "RS512"} {
		for _, how := range []string{"inline", "url"} {
			t.Run(alg+"/"+how, func(t *testing.T) {
				f := newFixture(t)
				k := clientTestKey(t, alg, "key-1")
				c := Client{Name: "Vaccination app", Role: RolePOC, Permissions: []string{"FLU.CRUDS"}, ODS: []string{"X26"}}
				if how == "inline" {
					c.JWKS = jwksOf(k)
				} else {
					c.JWKSURL = newJWKSServer(t, jwksOf(k)).url
				}
				c = f.addClient(c)
				resp, issued := f.token(tokenForm(f.assertion(k, c.ID), ""))
				policy, _ := PolicyScopes(RolePOC, c.Permissions)
				if resp.TokenType != "bearer" || resp.ExpiresIn != 300 || resp.Scope != policy.String() || resp.AccessToken == "" {
					t.Errorf("response = %+v", resp)
				}
				if issued.ClientID != c.ID || issued.ClientName != c.Name || issued.Role != RolePOC ||
					issued.Scope != resp.Scope || issued.TokenID == "" || !issued.Expires.Equal(f.c.now().Add(300*time.Second)) {
					t.Errorf("issued = %+v", issued)
				}
				p, err := f.a.Verify(resp.AccessToken)
				if err != nil {
					t.Fatal(err)
				}
				if p.ClientID != c.ID || p.Name != c.Name || p.Role != RolePOC || p.ODS[0] != "X26" ||
					p.TokenID != issued.TokenID || !p.Expires.Equal(issued.Expires) || p.Scopes.String() != resp.Scope {
					t.Errorf("principal = %+v", p)
				}
				if !p.Can("Immunization", Create) || p.Can("Flag", Read) {
					t.Error("principal's access is not the poc policy")
				}
				params, unrestricted := p.Scopes.Granular("Immunization", Create)
				if unrestricted || len(params) != 1 || params[0].Get("target-disease") != SystemSNOMED+"|6142004" {
					t.Errorf("Granular = %v, %v", params, unrestricted)
				}
			})
		}
	}
}

// Accepted variations of a valid assertion.
func TestTokenAssertionVariants(t *testing.T) {
	f := newFixture(t)
	k := clientTestKey(t, "RS384", "key-1")
	srv := newJWKSServer(t, jwksOf(k))
	inline := f.addClient(Client{Role: RoleBooking, JWKS: jwksOf(k)})
	byURL := f.addClient(Client{Role: RoleBooking, JWKSURL: srv.url})
	for _, tc := range []struct {
		name   string
		client Client
		claims func(jwt.MapClaims)
		hdr    map[string]any
	}{
		{"aud array", inline, func(c jwt.MapClaims) { c["aud"] = []string{"https://other.example", testTokenURL} }, nil},
		{"aud with trailing slash", inline, func(c jwt.MapClaims) { c["aud"] = testTokenURL + "/" }, nil},
		{"no typ", inline, nil, map[string]any{"typ": nil}},
		{"typ lower case", inline, nil, map[string]any{"typ": "jwt"}},
		{"no iat", inline, func(c jwt.MapClaims) { delete(c, "iat") }, nil},
		{"exp within the leeway", inline, func(c jwt.MapClaims) { c["exp"] = f.c.now().Add(-5 * time.Second).Unix() }, nil},
		{"exp 5 minutes ahead", inline, func(c jwt.MapClaims) { c["exp"] = f.c.now().Add(5 * time.Minute).Unix() }, nil},
		{"jku matching", byURL, nil, map[string]any{"jku": srv.url}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			claims := f.claims(tc.client.ID)
			if tc.claims != nil {
				tc.claims(claims)
			}
			f.token(tokenForm(k.sign(t, claims, tc.hdr), ""))
		})
	}
}

func TestTokenReplay(t *testing.T) {
	f := newFixture(t)
	k := clientTestKey(t, "ES384", "k")
	c := f.addClient(Client{Role: RolePass, JWKS: jwksOf(k)})
	a := f.assertion(k, c.ID)
	f.token(tokenForm(a, ""))
	oerr, _ := f.refused(tokenForm(a, ""), "invalid_client")
	if !strings.Contains(oerr.Description, "jti") {
		t.Errorf("replay description %q does not say jti", oerr.Description)
	}
	// Another client may use the same jti: replay is per iss.
	k2 := clientTestKey(t, "ES384", "k2")
	c2 := f.addClient(Client{Role: RolePass, JWKS: jwksOf(k2)})
	claims := f.claims(c2.ID)
	first, _, _ := jwt.NewParser().ParseUnverified(a, jwt.MapClaims{})
	claims["jti"] = first.Claims.(jwt.MapClaims)["jti"]
	f.token(tokenForm(k2.sign(t, claims, nil), ""))
}

func TestTokenRequestErrors(t *testing.T) {
	f := newFixture(t)
	k := clientTestKey(t, "RS384", "k")
	c := f.addClient(Client{Role: RolePass, JWKS: jwksOf(k)})
	good := tokenForm(f.assertion(k, c.ID), "")
	for _, tc := range []struct {
		name   string
		change func(url.Values)
		code   string
	}{
		{"no grant_type", func(v url.Values) { v.Del("grant_type") }, "invalid_request"},
		{"grant_type password", func(v url.Values) { v.Set("grant_type", "password") }, "unsupported_grant_type"},
		{"grant_type authorization_code", func(v url.Values) { v.Set("grant_type", "authorization_code") }, "unsupported_grant_type"},
		{"grant_type repeated", func(v url.Values) { v.Add("grant_type", "client_credentials") }, "invalid_request"},
		{"no client_assertion_type", func(v url.Values) { v.Del("client_assertion_type") }, "invalid_request"},
		{"other client_assertion_type", func(v url.Values) {
			v.Set("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:saml2-bearer")
		}, "invalid_request"},
		{"no client_assertion", func(v url.Values) { v.Del("client_assertion") }, "invalid_request"},
		{"empty client_assertion", func(v url.Values) { v.Set("client_assertion", "") }, "invalid_request"},
		{"client_assertion repeated", func(v url.Values) { v.Add("client_assertion", v.Get("client_assertion")) }, "invalid_request"},
		{"scope repeated", func(v url.Values) { v.Add("scope", "system/Patient.s"); v.Add("scope", "system/Patient.s") }, "invalid_request"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			form := url.Values{}
			for k, v := range good {
				form[k] = append([]string(nil), v...)
			}
			tc.change(form)
			if _, issued := f.refused(form, tc.code); issued != nil {
				t.Errorf("issued = %+v for a request refused before the assertion was read", issued)
			}
		})
	}
}

func TestTokenScopes(t *testing.T) {
	f := newFixture(t)
	k := clientTestKey(t, "RS512", "k")
	booking := f.addClient(Client{Role: RoleBooking, JWKS: jwksOf(k)})
	research := f.addClient(Client{Role: RoleResearch, JWKS: jwksOf(k)})
	programme := f.addClient(Client{Role: RoleProgramme, JWKS: jwksOf(k)})
	for _, tc := range []struct {
		name   string
		client Client
		scope  string
		want   string // granted; "" means invalid_scope
	}{
		{"narrowed to the policy", booking, "system/Patient.cruds system/Immunization.cruds system/AuditEvent.rs",
			"system/Patient.rs system/Immunization.rs"},
		{"unknown scopes dropped", booking, "launch openid system/Bogus.rs system/Flag.r", "system/Flag.r"},
		{"v1 scopes", booking, "system/Appointment.write system/Patient.read", "system/Appointment.cud system/Patient.rs"},
		{"star narrowed to types", booking, "system/*.s",
			"system/Patient.s system/Communication.s system/Flag.s system/Immunization.s system/Appointment.s"},
		{"granular kept", booking, "system/Immunization.rs?target-disease=http://snomed.info/sct|6142004",
			"system/Immunization.rs?target-disease=http://snomed.info/sct|6142004"},
		{"star under an exception", programme, "system/*.rs", "system/*.rs"},
		{"nothing within the policy", booking, "system/AuditEvent.rs system/Encounter.cruds", ""},
		{"user scopes grant nothing", booking, "user/Patient.rs patient/*.rs", ""},
		{"only unknown scopes", booking, "launch openid", ""},
		{"excepted type", programme, "system/AuditEvent.rs", ""},
		{"empty policy", research, "", ""},
		{"empty policy, scope asked", research, "system/*.rs", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			form := tokenForm(f.assertion(k, tc.client.ID), tc.scope)
			if tc.want == "" {
				_, issued := f.refused(form, "invalid_scope")
				if issued == nil || issued.ClientID != tc.client.ID || issued.TokenID != "" {
					t.Errorf("issued = %+v, want the client only", issued)
				}
				return
			}
			resp, _ := f.token(form)
			if resp.Scope != tc.want {
				t.Errorf("scope %q granted %q, want %q", tc.scope, resp.Scope, tc.want)
			}
			p, err := f.a.Verify(resp.AccessToken)
			if err != nil {
				t.Fatal(err)
			}
			if tc.client.Role == RoleProgramme && p.Can("AuditEvent", Read) {
				t.Error("programme token reaches AuditEvent")
			}
		})
	}
}

func TestTokenTTLConfig(t *testing.T) {
	for _, tc := range []struct {
		ttl  time.Duration
		want int
	}{{0, 300}, {60 * time.Second, 60}, {time.Hour, 300}} {
		c := newClock()
		a, err := New(Config{Dir: t.TempDir(), Issuer: testIssuer, Now: c.now, TokenTTL: tc.ttl})
		if err != nil {
			t.Fatal(err)
		}
		k := clientTestKey(t, "RS384", "k")
		cl, _ := a.Registry().Add(Client{Name: "x", Role: RolePass, JWKS: jwksOf(k)})
		claims := jwt.MapClaims{"iss": cl.ID, "sub": cl.ID, "aud": "https://nims.example/auth/token", // the default TokenURL
			"exp": c.now().Add(time.Minute).Unix(), "jti": "1"}
		resp, oerr, _ := a.Token(context.Background(), tokenForm(k.sign(t, claims, nil), ""))
		if oerr != nil || resp.ExpiresIn != tc.want {
			t.Errorf("TokenTTL %v: expires_in %+v %v, want %d", tc.ttl, resp, oerr, tc.want)
		}
	}
}

func TestNewConfigErrors(t *testing.T) {
	for _, cfg := range []Config{
		{Issuer: ""},
		{Issuer: "nims.example/fhir"},
		{Issuer: "ftp://nims.example/fhir"},
		{Issuer: "https://nims.example/fhir?x=1"},
		{Issuer: testIssuer, TokenURL: "/auth/token"},
		{Issuer: testIssuer, TokenTTL: -time.Second},
	} {
		cfg.Dir = t.TempDir()
		if _, err := New(cfg); err == nil {
			t.Errorf("New(%+v) accepted", cfg)
		}
	}
}

func TestSmartConfiguration(t *testing.T) {
	f := newFixture(t)
	sc := f.a.SmartConfiguration()
	want := map[string]string{
		"token_endpoint":                        testTokenURL,
		"jwks_uri":                              "https://nims.example/auth/jwks.json",
		"grant_types_supported":                 "[client_credentials]",
		"token_endpoint_auth_methods_supported": "[private_key_jwt]",
		"token_endpoint_auth_signing_alg_values_supported": "[RS384 ES384 RS512]",
		"capabilities":                     "[client-confidential-asymmetric permission-v2 permission-v1]",
		"code_challenge_methods_supported": "[S256]",
	}
	for k, v := range want {
		if got := fmt.Sprint(sc[k]); got != v {
			t.Errorf("%s = %s, want %s", k, got, v)
		}
	}
	scopes, _ := sc["scopes_supported"].([]string)
	if len(scopes) == 0 {
		t.Fatal("no scopes_supported")
	}
	for _, s := range scopes {
		if _, err := ParseScope(s); err != nil {
			t.Errorf("scopes_supported has %q: %v", s, err)
		}
	}
	a, err := New(Config{Dir: t.TempDir(), Issuer: testIssuer, JWKSURL: "https://keys.example/jwks"})
	if err != nil {
		t.Fatal(err)
	}
	if a.SmartConfiguration()["jwks_uri"] != "https://keys.example/jwks" {
		t.Error("Config.JWKSURL not used")
	}
}
