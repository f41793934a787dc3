package auth

import (
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func TestTokenAttacks(t *testing.T) {
	f := newFixture(t)
	ka := clientTestKey(t, "RS384", "a")
	kb := clientTestKey(t, "ES384", "b")
	kc := clientTestKey(t, "RS384", "c") // registered nowhere
	kp256 := clientTestKey(t, "ES256", "p256")
	kbOther := clientTestKey(t, "ES384", "b-other") // registered nowhere
	srv := newJWKSServer(t, jwksOf(ka))
	client := f.addClient(Client{Role: RoleBooking, JWKS: jwksOf(ka, kb, kp256)})
	byURL := f.addClient(Client{Role: RoleBooking, JWKSURL: srv.url})
	disabled := f.addClient(Client{Role: RoleBooking, JWKS: jwksOf(ka)})
	other := f.addClient(Client{Role: RoleAdmin, JWKS: jwksOf(kc)})
	if err := f.a.Registry().Disable(disabled.ID); err != nil {
		t.Fatal(err)
	}
	pubDER, _ := x509.MarshalPKIXPublicKey(ka.priv.Public())
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})

	with := func(id string, change func(jwt.MapClaims)) jwt.MapClaims {
		c := f.claims(id)
		change(c)
		return c
	}
	hmac := func(secret []byte) string {
		tok := jwt.NewWithClaims(jwt.SigningMethodHS256, f.claims(client.ID))
		tok.Header["kid"] = "a"
		s, err := tok.SignedString(secret)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	resigned := func(k testKey, alg, kid string) string { // k's key, another alg or kid
		return testKey{alg: alg, kid: kid, priv: k.priv}.sign(t, f.claims(client.ID), nil)
	}
	valid := ka.sign(t, f.claims(client.ID), nil)
	parts := strings.Split(valid, ".")
	changed := f.claims(client.ID) // the same but for the jti
	payload, _ := json.Marshal(changed)
	tampered := parts[0] + "." + b64url(payload) + "." + parts[2]

	for _, tc := range []struct {
		name      string
		assertion string
		form      func(url.Values)
		knownAs   string // the client TokenIssued names, "" for none
	}{
		{"alg none", unsigned(t, f.claims(client.ID), map[string]any{"kid": "a"}), nil, ""},
		{"alg none, no signature part", strings.TrimSuffix(unsigned(t, f.claims(client.ID), map[string]any{"kid": "a"}), "."), nil, ""},
		{"HS256 keyed with the public key PEM", hmac(pubPEM), nil, ""},
		{"HS256 keyed with the public key DER", hmac(pubDER), nil, ""},
		{"RS256", resigned(ka, "RS256", "a"), nil, ""},
		{"ES256 with a registered P-256 key", resigned(kp256, "ES256", "p256"), nil, ""},
		{"PS384", resigned(ka, "PS384", "a"), nil, ""},
		{"signed by another key with its kid", resigned(kc, "RS384", "a"), nil, client.ID},
		{"ES384 signed by an unregistered key, kid of key b", testKey{alg: "ES384", kid: "b", priv: kbOther.priv}.sign(t, f.claims(client.ID), nil), nil, client.ID},
		{"kid of no registered key", kc.sign(t, f.claims(client.ID), nil), nil, client.ID},
		{"kty not fitting alg (RSA kid, ES384)", testKey{alg: "ES384", kid: "a", priv: kb.priv}.sign(t, f.claims(client.ID), nil), nil, client.ID},
		{"no kid", ka.sign(t, f.claims(client.ID), map[string]any{"kid": nil}), nil, ""},
		{"typ not JWT", ka.sign(t, f.claims(client.ID), map[string]any{"typ": "at+jwt"}), nil, ""},
		{"tampered claims", tampered, nil, client.ID},
		{"expired", ka.sign(t, with(client.ID, func(c jwt.MapClaims) { c["exp"] = f.c.now().Add(-time.Minute).Unix() }), nil), nil, client.ID},
		{"exp over 5 minutes ahead", ka.sign(t, with(client.ID, func(c jwt.MapClaims) { c["exp"] = f.c.now().Add(5*time.Minute + 11*time.Second).Unix() }), nil), nil, client.ID},
		{"exp a day ahead", ka.sign(t, with(client.ID, func(c jwt.MapClaims) { c["exp"] = f.c.now().Add(24 * time.Hour).Unix() }), nil), nil, client.ID},
		{"no exp", ka.sign(t, with(client.ID, func(c jwt.MapClaims) { delete(c, "exp") }), nil), nil, client.ID},
		{"iat in the future", ka.sign(t, with(client.ID, func(c jwt.MapClaims) { c["iat"] = f.c.now().Add(time.Minute).Unix() }), nil), nil, client.ID},
		{"nbf in the future", ka.sign(t, with(client.ID, func(c jwt.MapClaims) { c["nbf"] = f.c.now().Add(time.Minute).Unix() }), nil), nil, client.ID},
		{"wrong aud", ka.sign(t, with(client.ID, func(c jwt.MapClaims) { c["aud"] = "https://nims.example/other" }), nil), nil, client.ID},
		{"aud is the issuer", ka.sign(t, with(client.ID, func(c jwt.MapClaims) { c["aud"] = testIssuer }), nil), nil, client.ID},
		{"no aud", ka.sign(t, with(client.ID, func(c jwt.MapClaims) { delete(c, "aud") }), nil), nil, client.ID},
		{"iss != sub", ka.sign(t, with(client.ID, func(c jwt.MapClaims) { c["sub"] = other.ID }), nil), nil, ""},
		{"no iss or sub", ka.sign(t, with(client.ID, func(c jwt.MapClaims) { delete(c, "iss"); delete(c, "sub") }), nil), nil, ""},
		{"unknown client", ka.sign(t, f.claims("0123456789abcdef0123456789abcdef"), nil), nil, ""},
		{"disabled client", f.assertion(ka, disabled.ID), nil, disabled.ID},
		{"no jti", ka.sign(t, with(client.ID, func(c jwt.MapClaims) { delete(c, "jti") }), nil), nil, client.ID},
		{"jku not the registered URL", ka.sign(t, f.claims(byURL.ID), map[string]any{"jku": "https://evil.example/jwks.json"}), nil, byURL.ID},
		{"jku on an inline client", ka.sign(t, f.claims(client.ID), map[string]any{"jku": srv.url}), nil, client.ID},
		{"client_id differs", f.assertion(ka, client.ID), func(v url.Values) { v.Set("client_id", other.ID) }, client.ID},
		{"not a JWT", "not.a.jwt", nil, ""},
		{"too large", strings.Repeat("a", maxTokenBytes+1), nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			form := tokenForm(tc.assertion, "")
			if tc.form != nil {
				tc.form(form)
			}
			oerr, issued := f.refused(form, "invalid_client")
			if why, ok := attackReasons[tc.name]; ok && !strings.Contains(oerr.Description, why) {
				t.Errorf("refused for %q, want a reason containing %q", oerr.Description, why)
			}
			switch {
			case tc.knownAs == "" && issued != nil:
				t.Errorf("issued = %+v, want nil", issued)
			case tc.knownAs != "" && (issued == nil || issued.ClientID != tc.knownAs || issued.TokenID != "" || issued.Scope != ""):
				t.Errorf("issued = %+v, want client %s only", issued, tc.knownAs)
			}
		})
	}
}

// attackReasons: what the error_description of an attack must mention, so that each
// attack is refused by the check meant for it rather than by a later one.
var attackReasons = map[string]string{
	"alg none":                            "alg is not",
	"HS256 keyed with the public key PEM": "alg is not",
	"HS256 keyed with the public key DER": "alg is not",
	"RS256":                               "alg is not",
	"ES256 with a registered P-256 key":   "alg is not",
	"PS384":                               "alg is not",
	"signed by another key with its kid":  "signature is invalid",
	"ES384 signed by an unregistered key, kid of key b": "signature is invalid",
	"kid of no registered key":                          "kid",
	"kty not fitting alg (RSA kid, ES384)":              "fits ES384",
	"no kid":                                            "kid",
	"typ not JWT":                                       "typ",
	"tampered claims":                                   "signature is invalid",
	"expired":                                           "expired",
	"exp over 5 minutes ahead":                          "5 minutes",
	"exp a day ahead":                                   "5 minutes",
	"no exp":                                            "exp",
	"iat in the future":                                 "iat",
	"nbf in the future":                                 "nbf",
	"wrong aud":                                         "aud",
	"aud is the issuer":                                 "aud",
	"no aud":                                            "aud",
	"iss != sub":                                        "iss and sub",
	"no iss or sub":                                     "iss and sub",
	"unknown client":                                    "no client",
	"disabled client":                                   "disabled",
	"no jti":                                            "jti",
	"jku not the registered URL":                        "jku",
	"jku on an inline client":                           "jku",
	"client_id differs":                                 "client_id",
	"not a JWT":                                         "well-formed",
	"too large":                                         "too large",
}
