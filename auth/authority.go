package auth

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/nimsproject/nims/fhir"
)

// Config configures an Authority.
type Config struct {
	Dir        string           // data directory: clients.json, keys/
	Issuer     string           // the public FHIR base URL, e.g. https://nims.example/fhir: tokens' iss and aud
	TokenURL   string           // the token endpoint's absolute URL, a client assertion's aud; "": Issuer's origin + /auth/token
	JWKSURL    string           // where the server's public keys are served; "": Issuer's origin + /auth/jwks.json
	Now        func() time.Time // nil: time.Now
	HTTPClient *http.Client     // fetches clients' JWKS URLs; nil: 5 s timeout, no redirects
	TokenTTL   time.Duration    // access token lifetime; 0: 300 s; capped at 300 s (SMART)
}

// Token lifetimes and clock skew.
const (
	maxTokenTTL      = 300 * time.Second // SMART: expires_in SHOULD NOT exceed 300
	maxLocalTokenTTL = 12 * time.Hour    // operator tokens from nims token: a working day
	maxAssertionTTL  = 5 * time.Minute   // SMART: a client assertion's exp at most 5 min ahead
	// clockSkew is the leeway for clocks that disagree a little: on a client
	// assertion's exp, nbf and iat, and on the iat of our own tokens across replicas.
	// Small, so an expired assertion is not usable for long.
	clockSkew = 10 * time.Second
	// maxTokenBytes bounds what is parsed at all: our tokens are well under 2 KB.
	maxTokenBytes = 16 << 10
)

// localPrefix starts the sub of operator tokens; client_ids are hex, so never clash.
const localPrefix = "local:"

// Authority issues and verifies access tokens. Safe for concurrent use.
type Authority struct {
	issuer, tokenURL, jwksURL string
	now                       func() time.Time
	ttl                       time.Duration

	registry *Registry
	keys     *Keys
	remote   *remoteJWKS
	replay   *replayCache
	cache    *tokenCache
}

// New opens the registry and keys in cfg.Dir. Errors: KindInvalid for a bad Config,
// KindInternal when the directory cannot be used.
func New(cfg Config) (*Authority, error) {
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	issuer := strings.TrimSuffix(cfg.Issuer, "/")
	origin, err := originOf(issuer)
	if err != nil {
		return nil, err
	}
	a := &Authority{issuer: issuer, tokenURL: cfg.TokenURL, jwksURL: cfg.JWKSURL, now: now, ttl: cfg.TokenTTL,
		replay: &replayCache{seen: map[string]time.Time{}, max: maxReplayEntries},
		cache:  &tokenCache{m: map[string]*Principal{}, max: maxCachedTokens}}
	if a.tokenURL == "" {
		a.tokenURL = origin + "/auth/token"
	}
	if a.jwksURL == "" {
		a.jwksURL = origin + "/auth/jwks.json"
	}
	if _, err := originOf(a.tokenURL); err != nil {
		return nil, err
	}
	switch {
	case a.ttl < 0:
		return nil, configErr("TokenTTL must not be negative")
	case a.ttl == 0 || a.ttl > maxTokenTTL:
		a.ttl = maxTokenTTL
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = defaultHTTPClient()
	}
	a.remote = &remoteJWKS{client: hc, now: now, sets: map[string]*remoteSet{}}
	if a.registry, err = OpenRegistry(cfg.Dir); err != nil {
		return nil, err
	}
	a.registry.now = now
	if a.keys, err = OpenKeys(cfg.Dir, now); err != nil {
		return nil, err
	}
	return a, nil
}

// originOf returns scheme://host of an absolute http(s) URL.
func originOf(s string) (string, error) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return "", configErr("Issuer and TokenURL must be absolute http(s) URLs without query or fragment")
	}
	return u.Scheme + "://" + u.Host, nil
}

func configErr(msg string) error {
	return &fhir.Error{Kind: fhir.KindInvalid, Op: "auth.New", Details: msg,
		Issues: []fhir.Issue{{Severity: fhir.SeverityError, Code: "invalid", Diagnostics: msg}}}
}

// Registry is the client registry the Authority reads.
func (a *Authority) Registry() *Registry { return a.registry }

// JWKS returns the server's public keys as a JWK Set.
func (a *Authority) JWKS() []byte { return a.keys.JWKS() }

// SmartConfiguration returns the body of /.well-known/smart-configuration
// (https://hl7.org/fhir/smart-app-launch/conformance.html), Backend Services only.
func (a *Authority) SmartConfiguration() map[string]any {
	return map[string]any{
		"token_endpoint":                        a.tokenURL,
		"jwks_uri":                              a.jwksURL,
		"grant_types_supported":                 []string{"client_credentials"},
		"token_endpoint_auth_methods_supported": []string{"private_key_jwt"},
		"token_endpoint_auth_signing_alg_values_supported": slices.Clone(assertionAlgs),
		"scopes_supported": []string{"system/*.rs", "system/*.cruds", "system/Patient.rs",
			"system/Immunization.rs", "system/Immunization.cruds",
			"system/Immunization.rs?target-disease=" + SystemSNOMED + "|840539006",
			"system/Immunization.cruds?target-disease=" + SystemSNOMED + "|6142004"},
		"capabilities":                     []string{"client-confidential-asymmetric", "permission-v2", "permission-v1"},
		"code_challenge_methods_supported": []string{"S256"},
	}
}

// accessClaims are the claims of an access token. The private claims carry what a
// request needs, so that verifying costs no registry lookup but the disabled check.
type accessClaims struct {
	jwt.RegisteredClaims
	Scope string   `json:"scope"`
	Role  string   `json:"nims_role"`
	Name  string   `json:"nims_name"`
	ODS   []string `json:"nims_ods,omitempty"`
}

func newID() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// sign issues an access token for sub.
func (a *Authority) sign(sub, role, name string, ods []string, granted Scopes, ttl time.Duration) (token, jti string, exp time.Time, err error) {
	now := a.now().Truncate(time.Second)
	exp, jti = now.Add(ttl), newID()
	token, err = a.keys.Sign(accessClaims{
		RegisteredClaims: jwt.RegisteredClaims{Issuer: a.issuer, Subject: sub, Audience: jwt.ClaimStrings{a.issuer},
			ExpiresAt: jwt.NewNumericDate(exp), IssuedAt: jwt.NewNumericDate(now), ID: jti},
		Scope: granted.String(), Role: role, Name: name, ODS: ods})
	return token, jti, exp, err
}

// LocalToken issues a token for an operator on the machine (nims token): sub
// "local:"+role, the scopes asked for ("" for the whole policy) cut to the role's policy.
// ttl 0 means the usual TokenTTL; up to 12 h is allowed, since the operator already holds
// the data directory and its keys, and a working day's token spares them re-running the
// command; no client is involved, so nothing can disable it but deleting the keys.
// Errors: KindInvalid for an unknown role, bad permissions or ODS codes, a gp without
// ODS codes, a scope that does not parse, nothing left to grant, or a ttl out of range.
func (a *Authority) LocalToken(role string, scope string, ods []string, permissions []string, ttl time.Duration) (string, error) {
	policy, err := PolicyScopes(role, permissions)
	if err != nil {
		return "", err
	}
	if role == RoleGP && len(ods) == 0 {
		return "", fhir.Errorf(fhir.KindInvalid, "invalid", "", "a gp token needs the ODS code of at least one practice")
	}
	for _, c := range ods {
		if !fhir.ValidODSCode(c) {
			return "", fhir.Errorf(fhir.KindInvalid, "invalid", "", "%q is not an ODS code", c)
		}
	}
	if ttl == 0 {
		ttl = a.ttl
	}
	if ttl < time.Second || ttl > maxLocalTokenTTL {
		return "", fhir.Errorf(fhir.KindInvalid, "invalid", "", "a local token lasts from 1 s to %s", maxLocalTokenTTL)
	}
	requested := policy
	if strings.TrimSpace(scope) != "" {
		var rejected []string
		if requested, rejected = ParseScopes(scope); len(rejected) > 0 {
			return "", fhir.Errorf(fhir.KindInvalid, "invalid", "", "%q is not a SMART scope", rejected[0])
		}
	}
	granted := Intersect(requested, policy)
	if len(granted) == 0 {
		return "", fhir.Errorf(fhir.KindInvalid, "invalid", "", "role %s may be granted none of the scopes asked for", role)
	}
	token, _, _, err := a.sign(localPrefix+role, role, "local operator ("+role+")", slices.Clone(ods), granted, ttl)
	return token, err
}
