package auth

import (
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/nimsproject/nims/fhir"
)

// Principal is the verified caller of a request. Treat it as read-only: Verify may hand
// the same slices to several requests.
type Principal struct {
	ClientID string // client_id, or "local:<role>" for an operator token
	Name     string
	Role     string
	ODS      []string // the organisations the client acts for (gp: its practices)
	Scopes   Scopes   // granted; "*" scopes carry the role's exceptions
	TokenID  string   // the access token's jti
	Expires  time.Time
}

// Can reports whether the principal's scopes allow access a to resources of type typ.
// Granular restrictions are for the caller to apply: see Scopes.Granular.
func (p *Principal) Can(typ string, a Access) bool { return p != nil && p.Scopes.Allows(typ, a) }

// Verify checks a bearer token: one this server issued (ES256 by a kept key, iss and aud
// the Issuer, not expired, iat not in the future, lifetime within bounds) of a client
// still enabled. Verified tokens are cached until they expire, so a repeated token costs
// a map lookup and the disabled check.
//
// Errors are *fhir.Error of KindUnauthorized with a generic diagnostics text (the token
// is never echoed); Details, which is logged, says which check failed.
//
// BenchmarkVerify (verify_bench_test.go) measures both paths.
func (a *Authority) Verify(bearer string) (*Principal, error) {
	now := a.now()
	if p, ok := a.cache.get(bearer, now); ok {
		if !a.active(p.ClientID) {
			return nil, unauthorized("client disabled or unknown")
		}
		cp := *p
		return &cp, nil
	}
	if len(bearer) > maxTokenBytes {
		return nil, unauthorized("token too large")
	}
	var c accessClaims
	err := a.keys.Verify(bearer, &c, jwt.WithIssuer(a.issuer), jwt.WithAudience(a.issuer),
		jwt.WithExpirationRequired(), jwt.WithIssuedAt(), jwt.WithLeeway(clockSkew), jwt.WithTimeFunc(a.now))
	if err != nil {
		return nil, unauthorized(jwtReason(err))
	}
	p, why := a.principal(&c, now)
	if p == nil {
		return nil, unauthorized(why)
	}
	a.cache.put(bearer, p, now)
	cp := *p
	return &cp, nil
}

// principal checks what the signature and the standard claims do not, and builds the
// Principal; why says what failed.
func (a *Authority) principal(c *accessClaims, now time.Time) (p *Principal, why string) {
	if c.IssuedAt == nil || c.ID == "" || c.Subject == "" {
		return nil, "iat, jti or sub missing"
	}
	exp := c.ExpiresAt.Time
	if !now.Before(exp) { // the parser allowed clockSkew; our own tokens get none
		return nil, "token expired"
	}
	local := strings.HasPrefix(c.Subject, localPrefix)
	limit := maxTokenTTL
	if local {
		limit = maxLocalTokenTTL
	}
	if exp.Sub(c.IssuedAt.Time) > limit {
		return nil, "token lifetime too long"
	}
	if !ValidRole(c.Role) || local && c.Subject != localPrefix+c.Role {
		return nil, "role unknown or not the token's"
	}
	scopes, rejected := ParseScopes(c.Scope)
	if len(rejected) > 0 || len(scopes) == 0 {
		return nil, "scope malformed"
	}
	if !a.active(c.Subject) {
		return nil, "client disabled or unknown"
	}
	return &Principal{ClientID: c.Subject, Name: c.Name, Role: c.Role, ODS: c.ODS,
		Scopes: withExcept(scopes, policyExcept(c.Role)), TokenID: c.ID, Expires: exp}, ""
}

// active reports whether sub may still use its tokens: a registered client not disabled,
// or an operator.
func (a *Authority) active(sub string) bool {
	return strings.HasPrefix(sub, localPrefix) || a.registry.enabled(sub)
}

// withExcept restores the exceptions of a role's "*" scopes, which the token's scope
// string cannot carry, and drops any scope naming an excepted type.
func withExcept(ss Scopes, except []string) Scopes {
	if len(except) == 0 {
		return ss
	}
	out := ss[:0]
	for _, s := range ss {
		switch {
		case s.Type == "*":
			s.Except = union(s.Except, except)
		case slices.Contains(except, s.Type):
			continue
		}
		out = append(out, s)
	}
	return out
}

func unauthorized(why string) error {
	return &fhir.Error{Kind: fhir.KindUnauthorized, Op: "auth.Verify", Details: why,
		Issues: []fhir.Issue{{Severity: fhir.SeverityError, Code: "login",
			Diagnostics: "The access token has expired or is otherwise invalid; request a new one from the token endpoint."}}}
}

// jwtReason names the check a token failed, for the log.
func jwtReason(err error) string {
	for _, r := range []struct {
		err error
		why string
	}{
		{jwt.ErrTokenMalformed, "token malformed"},
		{jwt.ErrTokenUnverifiable, "token signed by an unknown key"},
		{jwt.ErrTokenSignatureInvalid, "signature invalid or algorithm not ES256"},
		{jwt.ErrTokenExpired, "token expired"},
		{jwt.ErrTokenRequiredClaimMissing, "required claim missing"},
		{jwt.ErrTokenInvalidAudience, "aud is not this server"},
		{jwt.ErrTokenInvalidIssuer, "iss is not this server"},
		{jwt.ErrTokenUsedBeforeIssued, "iat in the future"},
		{jwt.ErrTokenNotValidYet, "nbf in the future"},
	} {
		if errors.Is(err, r.err) {
			return r.why
		}
	}
	return "token invalid"
}
