package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/nimsproject/nims/audit"
	"github.com/nimsproject/nims/auth"
)

// SMART Backend Services (https://hl7.org/fhir/smart-app-launch/backend-services.html):
// discovery, the token endpoint and the server's public keys. The logic is auth's; this
// is its HTTP face.

// handleToken serves POST /auth/token: client_credentials with a private_key_jwt client
// assertion. Errors are OAuth's (RFC 6749 §5.2), not OperationOutcomes: OAuth clients
// read them.
//
// @Summary      Access token (SMART Backend Services)
// @Description  `grant_type=client_credentials`, `client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer`, `client_assertion` a JWT signed (RS384, ES384 or RS512) with a key the client registered, `scope` the SMART scopes wanted. The access token lasts at most 300 s.
// @Tags         auth
// @Accept       x-www-form-urlencoded
// @Produce      json
// @Param        grant_type             formData  string  true   "client_credentials"
// @Param        client_assertion_type  formData  string  true   "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
// @Param        client_assertion       formData  string  true   "The signed JWT"
// @Param        scope                  formData  string  false  "Scopes wanted, e.g. system/Immunization.rs"
// @Success      200  {object}  tokenResponse
// @Failure      400  {object}  oauthError  "invalid_request, unsupported_grant_type, invalid_scope"
// @Failure      401  {object}  oauthError  "invalid_client"
// @Router       /auth/token [post]
func (s *Server) handleToken(c *gin.Context) {
	c.Header("Cache-Control", "no-store")
	c.Header("Pragma", "no-cache")
	if wait, ok := s.anon.take(c.ClientIP()); !ok {
		c.Header("Retry-After", strconv.Itoa(int(wait/time.Second)+1))
		c.JSON(http.StatusTooManyRequests, &auth.OAuthError{Code: "slow_down", Description: "too many token requests from this address; retry after the time in Retry-After"})
		return
	}
	if err := c.Request.ParseForm(); err != nil {
		c.JSON(http.StatusBadRequest, &auth.OAuthError{Code: "invalid_request", Description: "the body must be application/x-www-form-urlencoded"})
		return
	}
	resp, oerr, issued := s.cfg.Auth.Token(c.Request.Context(), c.Request.PostForm)
	ev := audit.Event{Time: time.Now().UTC(), RequestID: c.GetString(ctxRequestID), Interaction: "token",
		Address: c.ClientIP(), Status: http.StatusOK}
	if issued != nil {
		ev.ClientID, ev.ClientName, ev.Role, ev.Purpose = issued.ClientID, issued.ClientName, issued.Role, auth.Purpose(issued.Role)
	}
	if oerr != nil {
		ev.Status, ev.Outcome = oerr.Status, oerr.Code
		if oerr.Status == http.StatusUnauthorized {
			c.Header("WWW-Authenticate", `Basic realm="nims"`) // RFC 6749 §5.2 for invalid_client
		}
		c.JSON(oerr.Status, oerr)
	} else {
		c.JSON(http.StatusOK, resp)
	}
	if s.cfg.Audit != nil {
		s.cfg.Audit.Record(ev)
	}
}

// handleJWKS serves the public keys access tokens are signed with.
//
// @Summary      The server's token signing keys (JWK Set)
// @Tags         auth
// @Produce      json
// @Success      200  {object}  object
// @Router       /auth/jwks.json [get]
func (s *Server) handleJWKS(c *gin.Context) {
	c.Header("Cache-Control", "public, max-age=300")
	c.Data(http.StatusOK, "application/json", s.cfg.Auth.JWKS())
}

// handleSmartConfiguration serves SMART discovery, at the root and below the FHIR base.
//
// @Summary      SMART configuration
// @Tags         auth
// @Produce      json
// @Success      200  {object}  object
// @Router       /.well-known/smart-configuration [get]
func (s *Server) handleSmartConfiguration(c *gin.Context) {
	c.JSON(http.StatusOK, s.cfg.Auth.SmartConfiguration())
}

// tokenResponse and oauthError document the token endpoint's bodies for OpenAPI.
type tokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type" example:"bearer"`
	ExpiresIn   int    `json:"expires_in" example:"300"`
	Scope       string `json:"scope" example:"system/Immunization.rs"`
}

type oauthError struct {
	Error       string `json:"error" example:"invalid_client"`
	Description string `json:"error_description"`
}
