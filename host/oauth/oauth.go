// Package oauth runs OAuth2 for the nodeplug host: the authorization-code
// flow with PKCE and a localhost callback ([StartCodeFlow], [ServeCallback]),
// and the token [Manager], which hands out access tokens for stored
// credentials, refreshing or re-fetching them ahead of expiry, persisting
// rotated refresh tokens and sharing one refresh among concurrent callers in
// this and other processes.
//
// The package is generic OAuth2: how a credential authenticates is described
// by an [Endpoint], which a [Resolver] derives from the stored credential.
// Plugins only ever receive access tokens.
package oauth

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/nodeplug/nodeplug/host/store"
)

// Grant is how tokens are obtained for a credential.
type Grant int

// Grants. The zero value is invalid, so an unset Endpoint is caught.
const (
	// GrantAuthorizationCode: a user consents in the browser; the access
	// token is refreshed with a (usually rotating) refresh token.
	GrantAuthorizationCode Grant = iota + 1
	// GrantAccountCredentials: Zoom-style server-to-server grant
	// (grant_type=account_credentials&account_id=…, Basic client auth); no
	// refresh token, a new access token is fetched when needed.
	GrantAccountCredentials
	// GrantStaticToken: the user supplied the bearer token itself.
	GrantStaticToken
)

// String names the grant.
func (g Grant) String() string {
	switch g {
	case GrantAuthorizationCode:
		return "authorization_code"
	case GrantAccountCredentials:
		return "account_credentials"
	case GrantStaticToken:
		return "static_token"
	default:
		return fmt.Sprintf("Grant(%d)", int(g))
	}
}

// ClientAuth is how the client authenticates to the token endpoint.
type ClientAuth int

// Client authentication styles.
const (
	// ClientAuthHeader sends HTTP Basic auth (the default).
	ClientAuthHeader ClientAuth = iota
	// ClientAuthBody sends client_id and client_secret as form parameters.
	ClientAuthBody
)

// String names the style.
func (a ClientAuth) String() string {
	switch a {
	case ClientAuthHeader:
		return "header"
	case ClientAuthBody:
		return "body"
	default:
		return fmt.Sprintf("ClientAuth(%d)", int(a))
	}
}

// Endpoint describes how one credential authenticates. Printing it (fmt,
// slog, encoding/json) never shows ClientSecret or StaticToken.
type Endpoint struct {
	Grant        Grant
	AuthorizeURL string
	TokenURL     string
	ClientID     string
	// ClientSecret is secret. It may be empty for a public PKCE client.
	ClientSecret string
	// Scopes may be empty: then no scope parameter is sent at all.
	Scopes     []string
	ClientAuth ClientAuth
	// PKCE adds an S256 code challenge to the authorization-code flow.
	PKCE bool
	// TokenParams are extra token-request parameters (e.g. account_id). They
	// are sent with the authorization-code exchange and the
	// account_credentials request; refresh requests carry only the refresh
	// token.
	TokenParams map[string]string
	// StaticToken is the bearer token of GrantStaticToken (secret).
	StaticToken string
}

// Resolver tells the manager how a stored credential authenticates (the
// host asks the credential type's plugin).
type Resolver interface {
	Endpoint(ctx context.Context, c *store.Credential) (Endpoint, error)
}

// ResolverFunc adapts a function to [Resolver].
type ResolverFunc func(ctx context.Context, c *store.Credential) (Endpoint, error)

// Endpoint calls f.
func (f ResolverFunc) Endpoint(ctx context.Context, c *store.Credential) (Endpoint, error) {
	return f(ctx, c)
}

const redacted = "[REDACTED]"

func mark(s string) string {
	if s == "" {
		return `""`
	}
	return redacted
}

// String describes the endpoint with its secrets redacted.
func (e Endpoint) String() string {
	return fmt.Sprintf("Endpoint{Grant:%s AuthorizeURL:%q TokenURL:%q ClientID:%q ClientSecret:%s Scopes:%q ClientAuth:%s PKCE:%t TokenParams:%v StaticToken:%s}",
		e.Grant, e.AuthorizeURL, e.TokenURL, e.ClientID, mark(e.ClientSecret), e.Scopes, e.ClientAuth, e.PKCE, e.TokenParams, mark(e.StaticToken))
}

// GoString is String for %#v.
func (e Endpoint) GoString() string { return "oauth." + e.String() }

// Format prints the redacted form for every verb.
func (e Endpoint) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		io.WriteString(f, e.GoString())
		return
	}
	io.WriteString(f, e.String())
}

// LogValue shows non-secret fields only.
func (e Endpoint) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("grant", e.Grant.String()),
		slog.String("token_url", e.TokenURL),
		slog.String("client_id", e.ClientID),
		slog.String("scopes", strings.Join(e.Scopes, " ")),
	)
}

// MarshalJSON encodes the endpoint with its secrets redacted.
func (e Endpoint) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Grant        string            `json:"grant"`
		AuthorizeURL string            `json:"authorize_url,omitempty"`
		TokenURL     string            `json:"token_url,omitempty"`
		ClientID     string            `json:"client_id,omitempty"`
		ClientSecret string            `json:"client_secret"`
		Scopes       []string          `json:"scopes,omitempty"`
		ClientAuth   string            `json:"client_auth"`
		PKCE         bool              `json:"pkce"`
		TokenParams  map[string]string `json:"token_params,omitempty"`
		StaticToken  string            `json:"static_token"`
	}{e.Grant.String(), e.AuthorizeURL, e.TokenURL, e.ClientID, mark(e.ClientSecret), e.Scopes, e.ClientAuth.String(), e.PKCE, e.TokenParams, mark(e.StaticToken)})
}

// validate checks the fields the grant needs; name is the credential (may
// be empty) for the message.
func (e Endpoint) validate(name string, needAuthorizeURL bool) error {
	var missing []string
	switch e.Grant {
	case GrantAuthorizationCode:
		if needAuthorizeURL && e.AuthorizeURL == "" {
			missing = append(missing, "AuthorizeURL")
		}
		if e.TokenURL == "" {
			missing = append(missing, "TokenURL")
		}
		if e.ClientID == "" {
			missing = append(missing, "ClientID")
		}
	case GrantAccountCredentials:
		if e.TokenURL == "" {
			missing = append(missing, "TokenURL")
		}
		if e.ClientID == "" {
			missing = append(missing, "ClientID")
		}
		if e.ClientSecret == "" {
			missing = append(missing, "ClientSecret")
		}
	case GrantStaticToken:
		if e.StaticToken == "" {
			missing = append(missing, "StaticToken")
		}
	default:
		return fmt.Errorf("%sOAuth2 endpoint has no valid grant (%s); the credential type's plugin must set one", credPrefix(name), e.Grant)
	}
	if e.ClientAuth != ClientAuthHeader && e.ClientAuth != ClientAuthBody {
		return fmt.Errorf("%sOAuth2 endpoint has an unknown client authentication style %s", credPrefix(name), e.ClientAuth)
	}
	if len(missing) > 0 {
		return fmt.Errorf("%sOAuth2 endpoint for grant %s lacks %s; check the credential's properties: nodeplug credentials update NAME",
			credPrefix(name), e.Grant, strings.Join(missing, ", "))
	}
	return nil
}

// credPrefix is `credential "NAME": ` or empty.
func credPrefix(name string) string {
	if name == "" {
		return ""
	}
	return fmt.Sprintf("credential %q: ", name)
}
