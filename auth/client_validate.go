package auth

import (
	"net"
	"net/url"
	"slices"
	"strings"

	"github.com/nimsproject/nims/fhir"
)

// validate checks a client before it is registered.
func (c Client) validate() error {
	if strings.TrimSpace(c.Name) == "" {
		return invalid("a client needs a name")
	}
	if !ValidRole(c.Role) {
		return invalid("unknown role %q; roles are %s", c.Role, strings.Join(Roles(), ", "))
	}
	switch {
	case c.JWKSURL != "" && len(c.JWKS) > 0:
		return invalid("give the client's keys as a JWKS URL or an inline JWK Set, not both")
	case c.JWKSURL != "":
		if err := checkJWKSURL(c.JWKSURL); err != nil {
			return err
		}
	case len(c.JWKS) > 0:
		keys, err := parseJWKSet(c.JWKS)
		if err != nil {
			return invalid("inline JWK Set: %v", err)
		}
		if !slices.ContainsFunc(keys, clientKey.usable) {
			return invalid("inline JWK Set has no usable key: one with a kid, RSA of 2048 to 8192 bits or EC P-384, for RS384, RS512 or ES384")
		}
	default:
		return invalid("a client needs a JWKS URL or an inline JWK Set")
	}
	if c.Role == RoleGP && len(c.ODS) == 0 {
		return invalid("a gp client needs the ODS code of at least one practice")
	}
	for _, ods := range c.ODS {
		if !fhir.ValidODSCode(ods) {
			return invalid("%q is not an ODS code (3 to 9 upper-case letters and digits)", ods)
		}
	}
	if _, err := PolicyScopes(c.Role, c.Permissions); err != nil {
		return err
	}
	return nil
}

// checkJWKSURL accepts https URLs, and http ones on a loopback host (a client on the same
// machine, and tests).
func checkJWKSURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.User != nil || u.Fragment != "" {
		return invalid("JWKS URL %q is not an absolute URL without credentials or fragment", s)
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		host := u.Hostname()
		if ip := net.ParseIP(host); host == "localhost" || ip != nil && ip.IsLoopback() {
			return nil
		}
	}
	return invalid("JWKS URL %q must be https (http only on a loopback host)", s)
}

func invalid(format string, args ...any) error {
	e := fhir.Errorf(fhir.KindInvalid, "invalid", "", format, args...)
	e.Op = "auth.Registry"
	return e
}
