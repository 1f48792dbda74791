package zoom

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/nodeplug/nodeplug/plugin/sdk"
	"github.com/nodeplug/nodeplug/plugin/zoom/zoomapi"
)

// Credential type names.
const (
	CredOAuth2 = "zoomOAuth2Api"
	CredJWT    = "zoomApi"
	CredS2S    = "zoomServerToServerOAuthApi"
)

// Values of the credentials' environment property.
const (
	envZoom    = "zoom"
	envZoomGov = "zoomGov"
	envCustom  = "custom"
)

// Default endpoints per environment.
const (
	zoomOAuthBase    = "https://zoom.us"
	zoomGovOAuthBase = "https://zoomgov.com"
	zoomAPIBase      = "https://api.zoom.us"
	zoomGovAPIBase   = "https://api.zoomgov.com"
	authorizePath    = "/oauth/authorize"
	tokenPath        = "/oauth/token"
)

// defaultScopes returns the classic scopes the node needs (a fresh slice:
// callers may keep and change it).
func defaultScopes() []string { return []string{"meeting:read", "meeting:write"} }

// environmentProperties are the environment selector and the custom base
// URLs shared by the credential types; withOAuth adds oauthBaseUrl.
func environmentProperties(withOAuth bool) []sdk.Property {
	showCustom := sdk.ShowWhen("environment", envCustom)
	ps := []sdk.Property{{
		Name:        "environment",
		DisplayName: "Environment",
		Type:        sdk.TypeOptions,
		Default:     sdk.JSON(envZoom),
		Description: "Which Zoom to talk to",
		Options: []sdk.Option{
			{Name: "Zoom (zoom.us)", Value: sdk.JSON(envZoom)},
			{Name: "Zoom for Government (zoomgov.com)", Value: sdk.JSON(envZoomGov)},
			{Name: "Custom base URLs (sandbox, proxy)", Value: sdk.JSON(envCustom)},
		},
	}}
	if withOAuth {
		ps = append(ps, sdk.Property{
			Name:           "oauthBaseUrl",
			DisplayName:    "OAuth Base URL",
			Type:           sdk.TypeString,
			Default:        sdk.JSON(""),
			Required:       true,
			Placeholder:    "http://127.0.0.1:9901",
			Description:    "Base URL of the OAuth server: the host uses /oauth/authorize and /oauth/token under it",
			DisplayOptions: showCustom,
		})
	}
	ps = append(ps, sdk.Property{
		Name:           "apiBaseUrl",
		DisplayName:    "API Base URL",
		Type:           sdk.TypeString,
		Default:        sdk.JSON(""),
		Placeholder:    "http://127.0.0.1:9901",
		Description:    "Base URL of the REST API, without /v2. Empty: the api_url returned with the token",
		DisplayOptions: showCustom,
	})
	return ps
}

func clientProperties() []sdk.Property {
	return []sdk.Property{
		{Name: "clientId", DisplayName: "Client ID", Type: sdk.TypeString, Default: sdk.JSON(""), Required: true},
		{Name: "clientSecret", DisplayName: "Client Secret", Type: sdk.TypeString, Default: sdk.JSON(""), Required: true, Secret: true},
	}
}

func oauth2CredentialType() sdk.CredentialType {
	props := []sdk.Property{{
		Name: "notice",
		DisplayName: "In the Zoom App Marketplace, open your General (user-managed) app, paste the OAuth callback URL " +
			"the host shows into the app's \"OAuth Redirect URL\" (and its allow list), and add the scopes meeting:read and meeting:write, " +
			"plus user:read so that the credential test can name the user (granular apps: meeting:read:meeting, meeting:read:list_meetings, " +
			"meeting:write:meeting, meeting:update:meeting, meeting:delete:meeting and user:read:user).",
		Type:    sdk.TypeNotice,
		Default: sdk.JSON(""),
	}}
	props = append(props, environmentProperties(true)...)
	props = append(props, clientProperties()...)
	props = append(props, sdk.Property{
		Name:        "scope",
		DisplayName: "Scope",
		Type:        sdk.TypeString,
		Default:     sdk.JSON(strings.Join(defaultScopes(), " ")),
		Description: "Space separated. May be empty: Zoom then uses the scopes configured on the app",
	})
	return sdk.CredentialType{
		Name:             CredOAuth2,
		DisplayName:      "Zoom OAuth2 API",
		Description:      "A Zoom General app (user-managed OAuth): a Zoom user signs in once and the host keeps the token fresh.",
		DocumentationURL: "https://developers.zoom.us/docs/integrations/oauth/",
		Extends:          []string{"oAuth2Api"},
		Properties:       props,
		Auth: sdk.AuthScheme{
			Kind: sdk.AuthOAuth2AuthorizationCode,
			OAuth2: &sdk.OAuth2Spec{
				AuthorizeURL:         zoomOAuthBase + authorizePath,
				TokenURL:             zoomOAuthBase + tokenPath,
				DefaultScopes:        defaultScopes(),
				ClientAuth:           sdk.ClientAuthHeader,
				PKCE:                 true,
				ClientIDProperty:     "clientId",
				ClientSecretProperty: "clientSecret",
				ScopeProperty:        "scope",
			},
		},
	}
}

func s2sCredentialType() sdk.CredentialType {
	props := []sdk.Property{{
		Name: "notice",
		DisplayName: "In the Zoom App Marketplace, create a Server-to-Server OAuth app, add the scopes meeting:read:admin and meeting:write:admin " +
			"(granular: meeting:read:meeting:admin, meeting:read:list_meetings:admin, meeting:write:meeting:admin, meeting:update:meeting:admin, meeting:delete:meeting:admin; user:read:user:admin for the credential test), activate it, and copy its Account ID, Client ID and Client Secret here.",
		Type:    sdk.TypeNotice,
		Default: sdk.JSON(""),
	}}
	props = append(props, environmentProperties(true)...)
	props = append(props, sdk.Property{Name: "accountId", DisplayName: "Account ID", Type: sdk.TypeString, Default: sdk.JSON(""), Required: true})
	props = append(props, clientProperties()...)
	return sdk.CredentialType{
		Name:             CredS2S,
		DisplayName:      "Zoom Server-to-Server OAuth API",
		Description:      "A Zoom Server-to-Server OAuth app: what Zoom recommends for internal automation. No user sign-in; the host fetches a new one-hour token with the account credentials grant whenever needed.",
		DocumentationURL: "https://developers.zoom.us/docs/internal-apps/s2s-oauth/",
		Properties:       props,
		Auth: sdk.AuthScheme{
			Kind: sdk.AuthOAuth2AccountCredentials,
			OAuth2: &sdk.OAuth2Spec{
				TokenURL:             zoomOAuthBase + tokenPath,
				ClientAuth:           sdk.ClientAuthHeader,
				ClientIDProperty:     "clientId",
				ClientSecretProperty: "clientSecret",
			},
		},
	}
}

// jwtRetirement explains why zoomApi tokens no longer work.
const jwtRetirement = "Zoom stopped the creation of JWT apps on 1 June 2023 and ended JWT apps in September 2023: " +
	"their tokens are rejected. Use a Zoom Server-to-Server OAuth API credential (zoomServerToServerOAuthApi, node authentication " +
	"\"Server-to-Server OAuth\") for internal automation, or Zoom OAuth2 API (zoomOAuth2Api, authentication \"OAuth2\") for user sign-in."

func jwtCredentialType() sdk.CredentialType {
	props := []sdk.Property{
		{Name: "notice", DisplayName: jwtRetirement, Type: sdk.TypeNotice, Default: sdk.JSON("")},
		{Name: "accessToken", DisplayName: "JWT Token", Type: sdk.TypeString, Default: sdk.JSON(""), Required: true, Secret: true,
			Description: "A bearer token sent as is and never refreshed"},
	}
	props = append(props, environmentProperties(false)...)
	return sdk.CredentialType{
		Name:              CredJWT,
		DisplayName:       "Zoom API",
		Description:       "A static bearer token (Zoom JWT apps, retired). Kept so that old workflows load.",
		DocumentationURL:  "https://developers.zoom.us/docs/internal-apps/jwt-faq/",
		DeprecationNotice: jwtRetirement,
		Properties:        props,
		Auth:              sdk.AuthScheme{Kind: sdk.AuthStaticBearer, TokenProperty: "accessToken"},
	}
}

// credData is a credential's public (non-secret) properties.
type credData struct {
	Environment  string  `json:"environment"`
	OAuthBaseURL string  `json:"oauthBaseUrl"`
	APIBaseURL   string  `json:"apiBaseUrl"`
	ClientID     string  `json:"clientId"`
	AccountID    string  `json:"accountId"`
	Scope        *string `json:"scope"`
}

// decodeCredData reads the public properties. Unknown properties are
// ignored; a value of the wrong JSON type is a diagnostic on that property.
func decodeCredData(raw json.RawMessage) (credData, error) {
	var d credData
	if len(bytes.TrimSpace(raw)) == 0 {
		return d, nil
	}
	if err := sdk.DecodeParameters(raw, &d); err != nil {
		return d, err
	}
	d.Environment = strings.TrimSpace(d.Environment)
	d.OAuthBaseURL = strings.TrimSpace(d.OAuthBaseURL)
	d.APIBaseURL = strings.TrimSpace(d.APIBaseURL)
	d.AccountID = strings.TrimSpace(d.AccountID)
	return d, nil
}

// custom reports whether the credential uses custom base URLs. Data saved
// without an environment but with an apiBaseUrl counts as custom.
func (d credData) custom() bool {
	return d.Environment == envCustom || (d.Environment == "" && d.APIBaseURL != "")
}

// checkEnvironment rejects unknown environment values.
func (d credData) checkEnvironment() *sdk.Diagnostic {
	switch d.Environment {
	case "", envZoom, envZoomGov, envCustom:
		return nil
	}
	return sdk.AttributeError("environment", "Unknown Zoom environment",
		fmt.Sprintf("environment is %q; choose %q, %q or %q", d.Environment, envZoom, envZoomGov, envCustom))
}

// checkBaseURL validates a custom base URL property: an absolute http(s) URL.
func checkBaseURL(property, value string) (string, *sdk.Diagnostic) {
	u, err := url.Parse(value)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return "", sdk.AttributeError(property, "Invalid base URL",
			fmt.Sprintf("%s must be an absolute http:// or https:// URL without query, e.g. http://127.0.0.1:9901, not %q", property, value))
	}
	return strings.TrimRight(u.String(), "/"), nil
}

// oauthBase returns the OAuth server's base URL for the credential.
func (d credData) oauthBase() (string, *sdk.Diagnostic) {
	if d := d.checkEnvironment(); d != nil {
		return "", d
	}
	switch d.Environment {
	case envZoomGov:
		return zoomGovOAuthBase, nil
	case envCustom:
		if d.OAuthBaseURL == "" {
			return "", sdk.AttributeError("oauthBaseUrl", "OAuth base URL missing",
				"environment is custom: set oauthBaseUrl to the OAuth server's base URL, e.g. http://127.0.0.1:9901")
		}
		return checkBaseURL("oauthBaseUrl", d.OAuthBaseURL)
	}
	return zoomOAuthBase, nil
}

// checkAPIBase validates apiBaseUrl when the credential is custom.
func (d credData) checkAPIBase() *sdk.Diagnostic {
	if d.custom() && d.APIBaseURL != "" {
		_, diag := checkBaseURL("apiBaseUrl", d.APIBaseURL)
		return diag
	}
	return nil
}

// resolved collects diagnostics into a ResolvedAuth.
func resolved(r *sdk.ResolvedAuth, diags ...*sdk.Diagnostic) *sdk.ResolvedAuth {
	for _, d := range diags {
		if d != nil {
			r.Diagnostics.Append(*d)
		}
	}
	return r
}

// resolveOAuth2 gives the authorize and token URLs of a zoomOAuth2Api
// credential and the scopes to request.
func resolveOAuth2(_ context.Context, req *sdk.ResolveAuthRequest) (*sdk.ResolvedAuth, error) {
	d, err := decodeCredData(req.Data)
	if err != nil {
		return nil, err
	}
	base, diag := d.oauthBase()
	r := &sdk.ResolvedAuth{Scopes: defaultScopes()}
	if diag == nil {
		r.AuthorizeURL, r.TokenURL = base+authorizePath, base+tokenPath
	}
	if d.Scope != nil {
		r.Scopes = strings.Fields(*d.Scope)
	}
	return resolved(r, diag, d.checkAPIBase()), nil
}

// resolveS2S gives the token URL of a zoomServerToServerOAuthApi credential
// and the account_id token parameter.
func resolveS2S(_ context.Context, req *sdk.ResolveAuthRequest) (*sdk.ResolvedAuth, error) {
	d, err := decodeCredData(req.Data)
	if err != nil {
		return nil, err
	}
	base, diag := d.oauthBase()
	r := &sdk.ResolvedAuth{TokenParams: map[string]string{"account_id": d.AccountID}}
	if diag == nil {
		r.TokenURL = base + tokenPath
	}
	var acct *sdk.Diagnostic
	if d.AccountID == "" {
		acct = sdk.AttributeError("accountId", "Account ID missing",
			"set accountId to the Account ID shown on the Server-to-Server OAuth app's App Credentials page")
	}
	return resolved(r, diag, acct, d.checkAPIBase()), nil
}

// resolveJWT checks a zoomApi credential's properties; the token is static.
func resolveJWT(_ context.Context, req *sdk.ResolveAuthRequest) (*sdk.ResolvedAuth, error) {
	d, err := decodeCredData(req.Data)
	if err != nil {
		return nil, err
	}
	return resolved(&sdk.ResolvedAuth{}, d.checkEnvironment(), d.checkAPIBase()), nil
}

// apiBaseURL returns the REST API base URL (with /v2) for calls made with c:
// an explicit custom apiBaseUrl, else the api_url Zoom returned with the
// token, else the environment's default.
func apiBaseURL(c *sdk.Credential) (string, error) {
	d, err := decodeCredData(c.Data)
	if err != nil {
		return "", err
	}
	if diag := d.checkEnvironment(); diag != nil {
		return "", diag
	}
	base := ""
	switch {
	case d.custom() && d.APIBaseURL != "":
		b, diag := checkBaseURL("apiBaseUrl", d.APIBaseURL)
		if diag != nil {
			return "", diag
		}
		base = b
	case tokenAPIURL(c) != "":
		base = tokenAPIURL(c)
	case d.Environment == envZoomGov:
		base = zoomGovAPIBase
	case d.Environment == envCustom:
		return "", sdk.AttributeError("apiBaseUrl", "API base URL missing",
			fmt.Sprintf("credential %q uses custom base URLs but has no apiBaseUrl and its token came without api_url: set apiBaseUrl, e.g. http://127.0.0.1:9901, "+
				"by updating the credential (%s)", c.Name, recreateCommands(c)))
	default:
		base = zoomAPIBase
	}
	if strings.HasSuffix(base, "/v2") {
		return base, nil
	}
	return base + "/v2", nil
}

// tokenAPIURL returns the token's api_url when it is a usable http(s) URL.
func tokenAPIURL(c *sdk.Credential) string {
	v := strings.TrimSpace(c.TokenInfo["api_url"])
	if v == "" {
		return ""
	}
	b, diag := checkBaseURL("api_url", v)
	if diag != nil {
		return ""
	}
	return b
}

// newAPI returns a Zoom API client for c's current token.
func (z *plug) newAPI(c *sdk.Credential) (*zoomapi.Client, error) {
	base, err := apiBaseURL(c)
	if err != nil {
		return nil, err
	}
	api, err := zoomapi.New(base, z.hc)
	if err != nil {
		return nil, sdk.Errorf(sdk.KindConfig, "Invalid API base URL", "credential %q: %v", c.Name, err)
	}
	return api.WithToken(c.AccessToken).WithLogger(z.logger), nil
}

// userTypeNames are Zoom's user types.
var userTypeNames = map[string]string{"1": "Basic", "2": "Licensed", "4": "Unassigned", "99": "None"}

// testCredential calls GET /users/me with the token the host sent (it does
// not refresh it: the test reports what the token is) and says whom it
// belongs to or why it failed.
func (z *plug) testCredential(ctx context.Context, c *sdk.Credential) (*sdk.TestResult, error) {
	if strings.TrimSpace(c.AccessToken) == "" {
		d := noTokenDiag(c)
		return failed(d), nil
	}
	api, err := z.newAPI(c)
	if err != nil {
		return failed(sdk.AsDiagnostic(err)), nil
	}
	u, err := api.Me(ctx)
	var ae *zoomapi.Error
	if errors.As(err, &ae) && ae.IsMissingScope() {
		return z.testWithoutUserScope(ctx, api, c, ae), nil
	}
	if err != nil {
		return failed(z.callDiag(err, c, callInfo{op: "test"})), nil
	}
	name := strings.TrimSpace(u.DisplayName)
	if name == "" {
		name = strings.TrimSpace(u.FirstName + " " + u.LastName)
	}
	if name == "" {
		name = u.ID
	}
	userType := userTypeNames[u.Type.String()]
	if userType == "" {
		userType = "type " + u.Type.String()
	}
	acct := u.AccountID
	if r := []rune(acct); len(r) > 3 {
		acct = string(r[:3]) + "…"
	}
	msg := fmt.Sprintf("Connected to Zoom as %s <%s> (account %s, user type %s)", name, u.Email, acct, userType)
	account := struct {
		ID          string      `json:"id"`
		Email       string      `json:"email"`
		DisplayName string      `json:"display_name"`
		AccountID   string      `json:"account_id"`
		Type        json.Number `json:"type,omitempty"`
	}{u.ID, u.Email, name, u.AccountID, u.Type}
	b, err := json.Marshal(account)
	if err != nil {
		return nil, fmt.Errorf("encoding the account: %w", err)
	}
	return &sdk.TestResult{Status: sdk.TestOK, Message: msg, Account: b}, nil
}

// testWithoutUserScope handles a token that may not read the user: the node
// does not need that scope, so the test checks the meetings scope instead
// and passes with a warning when the token can list meetings.
func (z *plug) testWithoutUserScope(ctx context.Context, api *zoomapi.Client, c *sdk.Credential, userErr *zoomapi.Error) *sdk.TestResult {
	_, err := api.ListMeetings(ctx, "me", zoomapi.ListMeetingsOptions{Type: "scheduled", PageSize: 1})
	if err != nil {
		return failed(z.callDiag(err, c, callInfo{op: "test"}))
	}
	w := missingScopeDiag(userErr, c)
	w.Severity = sdk.SeverityWarning
	w.Summary = "The Zoom token cannot read the user"
	w.Detail = sentences(w.Detail, "The node works without it: the token can list meetings")
	return &sdk.TestResult{
		Status:      sdk.TestOK,
		Message:     "Connected to Zoom: the token can list meetings, but it lacks a user:read scope, so the user cannot be named",
		Diagnostics: sdk.Diagnostics{*w},
	}
}

func failed(d *sdk.Diagnostic) *sdk.TestResult {
	return &sdk.TestResult{Status: sdk.TestFailed, Message: d.Error(), Diagnostics: sdk.Diagnostics{*d}}
}

// noTokenDiag explains an empty access token; the advice depends on the type.
func noTokenDiag(c *sdk.Credential) *sdk.Diagnostic {
	var detail string
	switch c.Type {
	case CredJWT:
		detail = sentences(fmt.Sprintf("credential %q (Zoom API) has no token. Its token is set when the credential is created (%s)", c.Name, recreateCommands(c)),
			jwtRetirement)
	case CredS2S:
		detail = sentences(fmt.Sprintf("credential %q has no access token: the host fetches one with the Server-to-Server account credentials grant, and did not", c.Name),
			s2sCheckAdvice("Test the credential to see why ("+credCommand("test", c.Name)+"), and check", c))
	default:
		detail = fmt.Sprintf("credential %q has no access token yet: connect it (%s)", c.Name, credCommand("connect", c.Name))
	}
	d := sdk.Errorf(sdk.KindAuth, "No access token", "%s", detail)
	d.Code = "zoom.token_missing"
	return d
}

// looksLikeLegacyJWT reports whether tok is a token of a (retired) Zoom JWT
// app: an HS256 JWT whose payload names the API key in iss. Zoom's OAuth
// tokens are JWT-shaped too but use another header and carry no iss key.
func looksLikeLegacyJWT(tok string) bool {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return false
	}
	var hdr struct {
		Alg string `json:"alg"`
	}
	var claims map[string]any
	h, err1 := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[0], "="))
	p, err2 := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if errors.Join(err1, err2) != nil || json.Unmarshal(h, &hdr) != nil || json.Unmarshal(p, &claims) != nil {
		return false
	}
	_, hasIss := claims["iss"]
	return strings.EqualFold(hdr.Alg, "HS256") && hasIss
}
