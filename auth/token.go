package auth

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// The token endpoint: OAuth 2.0 client credentials with a private_key_jwt client
// assertion (RFC 6749 §4.4, RFC 7523, SMART Backend Services).

const (
	grantClientCredentials = "client_credentials"
	assertionTypeJWTBearer = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
)

// TokenResponse is a successful token response (RFC 6749 §5.1).
type TokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"` // "bearer"
	ExpiresIn   int    `json:"expires_in"` // seconds
	Scope       string `json:"scope"`      // granted, canonical
}

// OAuthError is a token error response (RFC 6749 §5.2): invalid_request,
// invalid_client, unsupported_grant_type or invalid_scope, and server_error (500) when
// a token cannot be signed. Status is 401 for invalid_client, 500 for server_error, 400
// otherwise. Description is for the client developer and never names another client.
type OAuthError struct {
	Status      int    `json:"-"`
	Code        string `json:"error"`
	Description string `json:"error_description,omitempty"`
}

func (e *OAuthError) Error() string { return e.Code + ": " + e.Description }

func oauthErr(code, desc string) *OAuthError {
	status := http.StatusBadRequest
	switch code {
	case "invalid_client":
		status = http.StatusUnauthorized
	case "server_error":
		status = http.StatusInternalServerError
	}
	return &OAuthError{Status: status, Code: code, Description: desc}
}

// TokenIssued is what the audit records of a token request: all of it for a token
// issued; for a refused request, the client when the assertion named a registered one.
type TokenIssued struct {
	ClientID   string
	ClientName string
	Role       string
	Scope      string    // granted
	TokenID    string    // the access token's jti
	Expires    time.Time // of the access token
}

// assertionClaims are the claims of a client assertion.
type assertionClaims struct {
	jwt.RegisteredClaims
}

// descError carries an error_description out of the parser's key function.
type descError struct{ desc string }

func (e *descError) Error() string { return e.desc }

// Token answers a token request (the form of POST /auth/token). Exactly one of the
// response and the error is non-nil; issued is nil when no registered client is known.
// The checks, in order: grant_type client_credentials (else unsupported_grant_type);
// client_assertion_type jwt-bearer and a client_assertion (else invalid_request); the
// assertion (else invalid_client, see authenticate); the scope asked for, "" meaning the
// whole policy, cut to the client's policy (invalid_scope when nothing remains).
func (a *Authority) Token(ctx context.Context, form url.Values) (*TokenResponse, *OAuthError, *TokenIssued) {
	for _, k := range []string{"grant_type", "client_assertion_type", "client_assertion", "client_id", "scope"} {
		if len(form[k]) > 1 {
			return nil, oauthErr("invalid_request", k+" is repeated"), nil
		}
	}
	switch form.Get("grant_type") {
	case grantClientCredentials:
	case "":
		return nil, oauthErr("invalid_request", "grant_type is required"), nil
	default:
		return nil, oauthErr("unsupported_grant_type", "only client_credentials is supported"), nil
	}
	if form.Get("client_assertion_type") != assertionTypeJWTBearer {
		return nil, oauthErr("invalid_request", "client_assertion_type must be "+assertionTypeJWTBearer), nil
	}
	assertion := form.Get("client_assertion")
	if assertion == "" {
		return nil, oauthErr("invalid_request", "client_assertion is required"), nil
	}
	client, known, oerr := a.authenticate(ctx, assertion)
	var issued *TokenIssued
	if known {
		issued = &TokenIssued{ClientID: client.ID, ClientName: client.Name, Role: client.Role}
	}
	if oerr != nil {
		return nil, oerr, issued
	}
	if id := form.Get("client_id"); id != "" && id != client.ID {
		return nil, oauthErr("invalid_client", "client_id differs from the assertion's iss"), issued
	}
	policy, err := PolicyScopes(client.Role, client.Permissions)
	if err != nil {
		return nil, oauthErr("invalid_client", "the client's registration is not valid; ask the service's operators"), issued
	}
	requested := policy
	if strings.TrimSpace(form.Get("scope")) != "" {
		// Scopes that do not parse (other servers' scopes, OpenID's) are left out, as a
		// server may grant less than asked; nothing left is invalid_scope below.
		requested, _ = ParseScopes(form.Get("scope"))
	}
	granted := Intersect(requested, policy)
	if len(granted) == 0 {
		return nil, oauthErr("invalid_scope", "none of the scopes asked for is within this client's policy"), issued
	}
	token, jti, exp, err := a.sign(client.ID, client.Role, client.Name, client.ODS, granted, a.ttl)
	if err != nil {
		return nil, oauthErr("server_error", "the token could not be signed; try again later"), issued
	}
	issued.Scope, issued.TokenID, issued.Expires = granted.String(), jti, exp
	return &TokenResponse{AccessToken: token, TokenType: "bearer", ExpiresIn: int(a.ttl / time.Second),
		Scope: issued.Scope}, nil, issued
}

// authenticate checks a client assertion (RFC 7523 §3, SMART client-confidential-
// asymmetric): alg RS384, ES384 or RS512 (never none or HMAC); kid present; typ, if
// present, JWT; iss = sub = an enabled client's id; jku, if present, the client's
// registered JWKS URL; the signature by the client's key with that kid and a kty fitting
// alg; aud the token endpoint; exp present, not past, at most 5 minutes ahead (each with
// clockSkew); jti present and not seen for this iss while the assertion lives. known
// reports whether iss named a registered client.
func (a *Authority) authenticate(ctx context.Context, assertion string) (client Client, known bool, oerr *OAuthError) {
	if len(assertion) > maxTokenBytes {
		return Client{}, false, oauthErr("invalid_client", "client_assertion is too large")
	}
	aud := strings.TrimSuffix(a.tokenURL, "/")
	parser := jwt.NewParser(jwt.WithValidMethods(assertionAlgs), jwt.WithStrictDecoding(), jwt.WithExpirationRequired(),
		jwt.WithAudience(aud, aud+"/"), jwt.WithIssuedAt(), jwt.WithLeeway(clockSkew), jwt.WithTimeFunc(a.now))
	var c assertionClaims
	_, err := parser.ParseWithClaims(assertion, &c, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		if kid == "" {
			return nil, &descError{"the assertion's header needs a kid"}
		}
		if typ, ok := t.Header["typ"]; ok {
			if s, _ := typ.(string); !strings.EqualFold(s, "JWT") {
				return nil, &descError{"the assertion's typ, when given, must be JWT"}
			}
		}
		if c.Issuer == "" || c.Issuer != c.Subject {
			return nil, &descError{"iss and sub must both be the client_id"}
		}
		cl, ok := a.registry.Get(c.Issuer)
		if !ok {
			return nil, &descError{"no client is registered with this client_id"}
		}
		client, known = cl, true
		if cl.Disabled {
			return nil, &descError{"this client is disabled"}
		}
		if jku, ok := t.Header["jku"]; ok {
			if s, _ := jku.(string); cl.JWKSURL == "" || s != cl.JWKSURL {
				return nil, &descError{"jku is not the client's registered JWKS URL"}
			}
		}
		return a.clientKey(ctx, cl, kid, t.Method.Alg())
	})
	if err != nil {
		return client, known, oauthErr("invalid_client", assertionReason(err, &c))
	}
	now := a.now()
	if c.ExpiresAt.Time.After(now.Add(maxAssertionTTL + clockSkew)) {
		return client, known, oauthErr("invalid_client", "the assertion's exp is more than 5 minutes ahead")
	}
	if c.ID == "" {
		return client, known, oauthErr("invalid_client", "the assertion needs a jti")
	}
	if ok, full := a.replay.admit(c.Issuer, c.ID, c.ExpiresAt.Time.Add(clockSkew), now); !ok {
		if full {
			return client, known, oauthErr("invalid_client", "too many assertions in flight; try again shortly")
		}
		return client, known, oauthErr("invalid_client", "this assertion's jti has been used already")
	}
	return client, known, nil
}

// clientKey returns the client's key with kid that fits alg, from its inline JWK Set or
// its JWKS URL.
func (a *Authority) clientKey(ctx context.Context, cl Client, kid, alg string) (any, error) {
	if cl.JWKSURL == "" {
		keys, err := parseJWKSet(cl.JWKS)
		if err != nil {
			return nil, &descError{"the client's registered JWK Set is not usable"}
		}
		if k, ok := findKey(keys, kid, alg); ok {
			return k, nil
		}
		return nil, &descError{"no key in the client's JWK Set has the assertion's kid and fits " + alg}
	}
	k, err := a.remote.key(ctx, cl.ID, cl.JWKSURL, kid, alg)
	if err != nil {
		return nil, &descError{err.Error()}
	}
	return k, nil
}

// assertionReason is the error_description for an assertion the parser refused.
func assertionReason(err error, c *assertionClaims) string {
	var d *descError
	if errors.As(err, &d) {
		return d.desc
	}
	if errors.Is(err, jwt.ErrTokenRequiredClaimMissing) && c.ExpiresAt == nil {
		return "the assertion needs exp"
	}
	for _, r := range []struct {
		err  error
		desc string
	}{
		{jwt.ErrTokenMalformed, "client_assertion is not a well-formed JWT"},
		{jwt.ErrTokenSignatureInvalid, "the assertion's signature is invalid or its alg is not RS384, ES384 or RS512"},
		{jwt.ErrTokenExpired, "the assertion has expired"},
		{jwt.ErrTokenInvalidAudience, "the assertion's aud must be the token endpoint URL"},
		{jwt.ErrTokenRequiredClaimMissing, "the assertion's aud must be the token endpoint URL"}, // the only other required claim
		{jwt.ErrTokenUsedBeforeIssued, "the assertion's iat is in the future"},
		{jwt.ErrTokenNotValidYet, "the assertion's nbf is in the future"},
	} {
		if errors.Is(err, r.err) {
			return r.desc
		}
	}
	return "the client assertion is not valid"
}
