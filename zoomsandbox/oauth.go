package zoomsandbox

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"html"
	"io"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// Grant types of the token endpoint.
const (
	GrantAuthorizationCode  = "authorization_code"
	GrantRefreshToken       = "refresh_token"
	GrantAccountCredentials = "account_credentials"
	grantMinted             = "minted" // MintAccessToken, not an OAuth grant
)

// authCode is an authorization code issued by /oauth/authorize.
type authCode struct {
	app         *App
	redirectURI string
	challenge   string
	method      string // "S256" or "plain"; "" when no PKCE
	expires     time.Time
	used        bool
	grant       *grant // the grant the code was exchanged for, once used
}

// grant is one authorization: every access and refresh token descending from
// one consent, one account_credentials request or one MintAccessToken call.
type grant struct {
	app     *App
	kind    string
	scopes  []string
	revoked bool
}

type tokenKind int

const (
	accessToken tokenKind = iota + 1
	refreshToken
)

// token is an issued access or refresh token.
type token struct {
	value   string
	kind    tokenKind
	grant   *grant
	issued  time.Time
	expires time.Time
	// rotatedAt is set when the refresh token (or the refresh token issued
	// with this access token) was used; the token then lives RefreshGrace longer.
	rotatedAt time.Time
	revoked   bool
	pair      *token // the access token issued with a refresh token, and back
}

// oauthError is the token endpoint's error body: {"reason":..,"error":..}.
type oauthError struct {
	Status int    `json:"-"`
	Reason string `json:"reason"`
	Error  string `json:"error"`
}

func writeOAuthError(w http.ResponseWriter, e *oauthError) {
	if e.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Basic realm="zoom sandbox"`)
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, e.Status, e)
}

func errInvalidRequest(reason string) *oauthError {
	return &oauthError{Status: http.StatusBadRequest, Reason: reason, Error: "invalid_request"}
}

// tokenResponse is the token endpoint's success body.
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	RefreshToken string `json:"refresh_token,omitempty"`
	ExpiresIn    int64  `json:"expires_in"`
	Scope        string `json:"scope"`
	APIURL       string `json:"api_url"`
}

// ---- /oauth/authorize ----

var pkceRe = regexp.MustCompile(`^[A-Za-z0-9._~-]{43,128}$`)

func (s *Server) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	app := s.apps[q.Get("client_id")]
	if app == nil || app.Kind != AppUserOAuth {
		s.authorizeErrorPage(w, "Invalid client_id: no user-managed OAuth app is registered with this client ID.")
		return
	}
	redirect := q.Get("redirect_uri")
	if redirect == "" || !redirectAllowed(app.RedirectURIs, redirect) {
		s.authorizeErrorPage(w, "Invalid redirect: the redirect_uri is not on the app's redirect allow-list.")
		return
	}
	state := q.Get("state")
	if q.Get("response_type") != "code" {
		redirectWith(w, r, redirect, url.Values{"error": {"unsupported_response_type"}, "error_description": {"response_type must be code"}}, state)
		return
	}
	challenge, method := q.Get("code_challenge"), q.Get("code_challenge_method")
	if challenge == "" && method != "" {
		redirectWith(w, r, redirect, url.Values{"error": {"invalid_request"}, "error_description": {"code_challenge_method without code_challenge"}}, state)
		return
	}
	if challenge != "" {
		if method == "" {
			method = "plain"
		}
		if method != "S256" && method != "plain" {
			redirectWith(w, r, redirect, url.Values{"error": {"invalid_request"}, "error_description": {"code_challenge_method must be S256 or plain"}}, state)
			return
		}
		if !pkceRe.MatchString(challenge) {
			redirectWith(w, r, redirect, url.Values{"error": {"invalid_request"}, "error_description": {"code_challenge must be 43 to 128 characters of [A-Za-z0-9._~-]"}}, state)
			return
		}
	}
	now := s.now()
	code := s.randToken("zsbx_code_")
	s.mu.Lock()
	// A new consent for the same app and user revokes the earlier ones (4741).
	for _, g := range s.grants {
		if g.app == app && g.kind == GrantAuthorizationCode {
			g.revoked = true
		}
	}
	s.codes[code] = &authCode{app: app, redirectURI: redirect, challenge: challenge, method: method, expires: now.Add(s.cfg.CodeTTL)}
	s.purgeCodesLocked(now)
	s.mu.Unlock()
	redirectWith(w, r, redirect, url.Values{"code": {code}}, state)
}

func (s *Server) authorizeErrorPage(w http.ResponseWriter, msg string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusBadRequest)
	fmt.Fprintf(w, "<!doctype html><html><head><title>Zoom sandbox: authorization error</title></head><body><h1>Authorization error</h1><p>%s</p></body></html>\n", html.EscapeString(msg))
}

func redirectWith(w http.ResponseWriter, r *http.Request, redirect string, params url.Values, state string) {
	u, err := url.Parse(redirect)
	if err != nil { // the allow-list check parsed it already
		http.Error(w, "bad redirect_uri", http.StatusBadRequest)
		return
	}
	q := u.Query()
	for k, vs := range params {
		q[k] = vs
	}
	if state != "" {
		q.Set("state", state)
	}
	u.RawQuery = q.Encode()
	http.Redirect(w, r, u.String(), http.StatusFound)
}

// redirectAllowed reports whether requested matches an allow-listed URI:
// exactly, or (RFC 8252 §7.3) as a loopback http URI with the same host and
// path on any port.
func redirectAllowed(allowed []string, requested string) bool {
	for _, a := range allowed {
		if a == requested || loopbackMatch(a, requested) {
			return true
		}
	}
	return false
}

func loopbackMatch(registered, requested string) bool {
	ru, err := url.Parse(registered)
	if err != nil {
		return false
	}
	qu, err := url.Parse(requested)
	if err != nil {
		return false
	}
	if ru.Scheme != "http" || qu.Scheme != "http" || !isLoopbackHost(ru.Hostname()) {
		return false
	}
	if qu.User != nil || qu.Fragment != "" || qu.Opaque != "" {
		return false
	}
	return strings.EqualFold(ru.Hostname(), qu.Hostname()) &&
		ru.EscapedPath() == qu.EscapedPath() && ru.RawQuery == qu.RawQuery
}

func isLoopbackHost(h string) bool {
	return h == "127.0.0.1" || h == "::1" || strings.EqualFold(h, "localhost")
}

func (s *Server) purgeCodesLocked(now time.Time) {
	for c, ac := range s.codes {
		// Keep used codes a while to detect reuse; drop everything expired.
		if now.After(ac.expires.Add(s.cfg.CodeTTL)) {
			delete(s.codes, c)
		}
	}
}

// ---- /oauth/token ----

// tokenRequest is a parsed token or revoke request.
type tokenRequest struct {
	clientID     string
	clientSecret string
	viaBasic     bool
	params       url.Values // form body first, then query
}

// parseTokenRequest reads client credentials from the Basic header (or the
// parameters) and merges the parameters of an x-www-form-urlencoded body with
// those of the query string; a body value wins over a query value.
func parseTokenRequest(authorization, contentType, rawQuery string, body []byte) (tokenRequest, *oauthError) {
	var tr tokenRequest
	query, err := url.ParseQuery(rawQuery)
	if err != nil {
		return tr, errInvalidRequest("The query string is not valid URL encoding.")
	}
	params := url.Values{}
	if len(body) > 0 {
		mt, _, err := mime.ParseMediaType(contentType)
		if err == nil && mt == "application/x-www-form-urlencoded" {
			params, err = url.ParseQuery(string(body))
			if err != nil {
				return tr, errInvalidRequest("The request body is not valid application/x-www-form-urlencoded data.")
			}
		}
	}
	for k, vs := range query {
		if _, inBody := params[k]; !inBody {
			params[k] = vs
		}
	}
	tr.params = params
	if authorization != "" {
		scheme, cred, ok := strings.Cut(authorization, " ")
		if !ok || !strings.EqualFold(scheme, "Basic") {
			return tr, errInvalidRequest("The Authorization header must use the Basic scheme with the client ID and secret.")
		}
		raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(cred))
		if err != nil {
			return tr, errInvalidRequest("The Basic credentials are not valid base64.")
		}
		id, secret, ok := strings.Cut(string(raw), ":")
		if !ok {
			return tr, errInvalidRequest("The Basic credentials must be client_id:client_secret.")
		}
		tr.clientID, tr.clientSecret, tr.viaBasic = id, secret, true
		return tr, nil
	}
	tr.clientID, tr.clientSecret = params.Get("client_id"), params.Get("client_secret")
	return tr, nil
}

// authenticateClient finds the app for tr's credentials. Basic credentials may
// be form-encoded first (RFC 6749 §2.3.1), as golang.org/x/oauth2 does.
func (s *Server) authenticateClient(tr tokenRequest) (*App, *oauthError) {
	if tr.clientID == "" || tr.clientSecret == "" {
		return nil, errInvalidRequest("The client ID or client secret is missing: send them in an HTTP Basic Authorization header.")
	}
	if !tr.viaBasic && s.quirks.RejectBodyClientCredentials {
		return nil, errInvalidRequest("The client ID or client secret is missing in the header: send them as HTTP Basic credentials.")
	}
	try := func(id, secret string) *App {
		a := s.apps[id]
		if a != nil && subtle.ConstantTimeCompare([]byte(a.ClientSecret), []byte(secret)) == 1 {
			return a
		}
		return nil
	}
	if a := try(tr.clientID, tr.clientSecret); a != nil {
		return a, nil
	}
	if tr.viaBasic {
		id, err1 := url.QueryUnescape(tr.clientID)
		secret, err2 := url.QueryUnescape(tr.clientSecret)
		if err1 == nil && err2 == nil {
			if a := try(id, secret); a != nil {
				return a, nil
			}
		}
	}
	return nil, &oauthError{Status: s.quirks.InvalidClientStatus, Reason: "Invalid client_id or client_secret", Error: "invalid_client"}
}

func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeOAuthError(w, &oauthError{Status: http.StatusMethodNotAllowed, Reason: "The token endpoint only accepts POST.", Error: "invalid_request"})
		return
	}
	resp, oerr := s.token(r)
	if oerr != nil {
		s.mu.Lock()
		s.stats.TokenErrors++
		s.mu.Unlock()
		writeOAuthError(w, oerr)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	writeJSON(w, http.StatusOK, resp)
}

func (s *Server) token(r *http.Request) (*tokenResponse, *oauthError) {
	body, _ := readBody(r)
	tr, oerr := parseTokenRequest(r.Header.Get("Authorization"), r.Header.Get("Content-Type"), r.URL.RawQuery, body)
	if oerr != nil {
		return nil, oerr
	}
	app, oerr := s.authenticateClient(tr)
	if oerr != nil {
		return nil, oerr
	}
	gt := tr.params.Get("grant_type")
	now := s.now()
	var resp *tokenResponse
	switch gt {
	case "":
		return nil, errInvalidRequest("The grant_type parameter is missing.")
	case GrantAuthorizationCode:
		resp, oerr = s.exchangeCode(app, tr.params, now)
	case GrantRefreshToken:
		resp, oerr = s.refresh(app, tr.params, now)
	case GrantAccountCredentials:
		resp, oerr = s.accountCredentials(app, tr.params, now)
	default:
		return nil, &oauthError{Status: http.StatusBadRequest, Reason: "Grant type is not supported", Error: "unsupported_grant_type"}
	}
	if oerr != nil {
		return nil, oerr
	}
	resp.APIURL = s.baseURL(r)
	s.mu.Lock()
	s.stats.TokenGrants[gt]++
	if gt == GrantRefreshToken {
		s.stats.Refreshes++
	}
	s.mu.Unlock()
	return resp, nil
}

func errUnsupportedGrant() *oauthError {
	return &oauthError{Status: http.StatusBadRequest, Reason: "Grant type is not supported for this app", Error: "unsupported_grant_type"}
}

func (s *Server) exchangeCode(app *App, p url.Values, now time.Time) (*tokenResponse, *oauthError) {
	if app.Kind != AppUserOAuth {
		return nil, errUnsupportedGrant()
	}
	code := p.Get("code")
	if code == "" {
		return nil, errInvalidRequest("The code parameter is missing.")
	}
	badCode := &oauthError{Status: http.StatusBadRequest, Reason: "Invalid authorization code", Error: "invalid_grant"}
	s.mu.Lock()
	defer s.mu.Unlock()
	ac := s.codes[code]
	if ac == nil || ac.app != app {
		return nil, badCode
	}
	if ac.used {
		// A code presented twice revokes what it was exchanged for (RFC 6749 §4.1.2).
		if ac.grant != nil {
			ac.grant.revoked = true
		}
		return nil, badCode
	}
	ac.used = true // single use, whatever happens next
	if !now.Before(ac.expires) {
		return nil, badCode
	}
	if p.Get("redirect_uri") != ac.redirectURI {
		return nil, errInvalidRequest("Redirect URI mismatch")
	}
	if ac.challenge != "" && !pkceMatches(ac.challenge, ac.method, p.Get("code_verifier")) {
		return nil, &oauthError{Status: http.StatusBadRequest, Reason: "Invalid code_verifier", Error: "invalid_grant"}
	}
	g := &grant{app: app, kind: GrantAuthorizationCode, scopes: app.Scopes}
	s.grants = append(s.grants, g)
	ac.grant = g
	at, rt := s.issueLocked(g, now, s.cfg.AccessTokenTTL, true)
	return s.tokenResp(g, at, rt, s.cfg.AccessTokenTTL), nil
}

// pkceMatches checks a code_verifier against the stored challenge (RFC 7636).
func pkceMatches(challenge, method, verifier string) bool {
	if !pkceRe.MatchString(verifier) {
		return false
	}
	want := verifier
	if method == "S256" {
		sum := sha256.Sum256([]byte(verifier))
		want = base64.RawURLEncoding.EncodeToString(sum[:])
	}
	return subtle.ConstantTimeCompare([]byte(want), []byte(challenge)) == 1
}

func (s *Server) refresh(app *App, p url.Values, now time.Time) (*tokenResponse, *oauthError) {
	if app.Kind != AppUserOAuth {
		return nil, errUnsupportedGrant()
	}
	value := p.Get("refresh_token")
	if value == "" {
		return nil, errInvalidRequest("The refresh_token parameter is missing.")
	}
	bad := &oauthError{Status: http.StatusBadRequest, Reason: "Invalid Token!", Error: s.quirks.RefreshTokenError}
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.tokens[value]
	if old == nil || old.kind != refreshToken || old.grant.app != app || s.tokenDeadLocked(old, now) != "" {
		return nil, bad
	}
	if old.rotatedAt.IsZero() {
		old.rotatedAt = now
		if old.pair != nil && old.pair.rotatedAt.IsZero() {
			old.pair.rotatedAt = now
		}
	}
	at, rt := s.issueLocked(old.grant, now, s.cfg.AccessTokenTTL, true)
	return s.tokenResp(old.grant, at, rt, s.cfg.AccessTokenTTL), nil
}

func (s *Server) accountCredentials(app *App, p url.Values, now time.Time) (*tokenResponse, *oauthError) {
	if app.Kind != AppServerToServer {
		return nil, errUnsupportedGrant()
	}
	acct := p.Get("account_id")
	if acct == "" {
		return nil, errInvalidRequest("The account_id parameter is missing.")
	}
	if acct != app.AccountID {
		return nil, errInvalidRequest("Invalid account_id: the app does not belong to this account.")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g := &grant{app: app, kind: GrantAccountCredentials, scopes: app.Scopes}
	at, _ := s.issueLocked(g, now, s.cfg.S2SAccessTokenTTL, false)
	if limit := s.quirks.MaxS2STokens; limit > 0 {
		live := s.s2sTokens[app.ClientID][:0]
		for _, t := range s.s2sTokens[app.ClientID] {
			if s.tokenDeadLocked(t, now) == "" {
				live = append(live, t)
			}
		}
		live = append(live, at)
		for len(live) > limit {
			live[0].revoked = true
			live = live[1:]
		}
		s.s2sTokens[app.ClientID] = live
	}
	return s.tokenResp(g, at, nil, s.cfg.S2SAccessTokenTTL), nil
}

// issueLocked creates an access token (and a refresh token) for g.
func (s *Server) issueLocked(g *grant, now time.Time, ttl time.Duration, withRefresh bool) (at, rt *token) {
	at = &token{value: s.randToken("zsbx_at_"), kind: accessToken, grant: g, issued: now, expires: now.Add(ttl)}
	s.tokens[at.value] = at
	if withRefresh {
		rt = &token{value: s.randToken("zsbx_rt_"), kind: refreshToken, grant: g, issued: now, expires: now.Add(s.cfg.RefreshTokenTTL), pair: at}
		at.pair = rt
		s.tokens[rt.value] = rt
	}
	return at, rt
}

func (s *Server) tokenResp(g *grant, at, rt *token, ttl time.Duration) *tokenResponse {
	resp := &tokenResponse{AccessToken: at.value, TokenType: "bearer", ExpiresIn: int64(ttl / time.Second), Scope: strings.Join(g.scopes, " ")}
	if rt != nil {
		resp.RefreshToken = rt.value
	}
	return resp
}

// tokenDeadLocked returns "" for a usable token, else why it is not:
// "invalid" (revoked, rotated past the grace window) or "expired".
func (s *Server) tokenDeadLocked(t *token, now time.Time) string {
	if t.revoked || t.grant.revoked {
		return "invalid"
	}
	if !t.rotatedAt.IsZero() && !(t.kind == accessToken && s.quirks.KeepAccessTokenOnRefresh) {
		if !now.Before(t.rotatedAt.Add(s.cfg.RefreshGrace)) {
			return "invalid"
		}
	}
	if !now.Before(t.expires) {
		return "expired"
	}
	return ""
}

// ---- /oauth/revoke ----

func (s *Server) handleRevoke(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeOAuthError(w, &oauthError{Status: http.StatusMethodNotAllowed, Reason: "The revoke endpoint only accepts POST.", Error: "invalid_request"})
		return
	}
	body, _ := readBody(r)
	tr, oerr := parseTokenRequest(r.Header.Get("Authorization"), r.Header.Get("Content-Type"), r.URL.RawQuery, body)
	if oerr == nil {
		var app *App
		app, oerr = s.authenticateClient(tr)
		if oerr == nil {
			oerr = s.revokeFor(app, tr.params.Get("token"))
		}
	}
	if oerr != nil {
		writeOAuthError(w, oerr)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "success"})
}

func (s *Server) revokeFor(app *App, value string) *oauthError {
	if value == "" {
		return errInvalidRequest("The token parameter is missing.")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tokens[value]
	if t == nil {
		return nil // RFC 7009 §2.2: an unknown token needs no revoking
	}
	if t.grant.app != app {
		return errInvalidRequest("The token was not issued to this client.")
	}
	t.grant.revoked = true
	s.stats.Revocations++
	return nil
}

// RevokeToken revokes an access or refresh token like /oauth/revoke does:
// every token of the same authorization stops working. Unknown tokens are ignored.
func (s *Server) RevokeToken(value string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t := s.tokens[value]; t != nil {
		t.grant.revoked = true
		s.stats.Revocations++
	}
}

// ErrUnknownApp is returned by MintAccessToken for an app that is not registered.
var ErrUnknownApp = errors.New("zoomsandbox: unknown app")

// MintAccessToken issues a valid access token for the app (by Name or
// ClientID) without an OAuth flow, carrying the app's scopes. ttl 0 means the
// app kind's default lifetime.
func (s *Server) MintAccessToken(app string, ttl time.Duration) (string, error) {
	a := s.findApp(app)
	if a == nil {
		return "", fmt.Errorf("mint access token for %q: %w: register it in Config.Apps or use one of the configured names/client IDs", app, ErrUnknownApp)
	}
	if ttl <= 0 {
		ttl = s.cfg.AccessTokenTTL
		if a.Kind == AppServerToServer {
			ttl = s.cfg.S2SAccessTokenTTL
		}
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	g := &grant{app: a, kind: grantMinted, scopes: a.Scopes}
	at, _ := s.issueLocked(g, now, ttl, false)
	return at.value, nil
}

// ---- Bearer authentication of API calls ----

func errToken(msg string) *apiError {
	return &apiError{Status: http.StatusUnauthorized, Code: 124, Message: msg}
}

// authenticate checks the Bearer token of an API request.
func (s *Server) authenticate(r *http.Request) (*token, *apiError) {
	if r.URL.Query().Has("access_token") {
		// Tokens in the URL are refused since 2023-02-14.
		return nil, errToken("Invalid access token.")
	}
	h := r.Header.Get("Authorization")
	if h == "" {
		return nil, errToken("Requires an access token.")
	}
	scheme, value, ok := strings.Cut(h, " ")
	value = strings.TrimSpace(value)
	if !ok || !strings.EqualFold(scheme, "Bearer") || value == "" {
		return nil, errToken("Invalid access token.")
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tokens[value]
	if t == nil || t.kind != accessToken {
		return nil, errToken("Invalid access token.")
	}
	switch s.tokenDeadLocked(t, now) {
	case "invalid":
		return nil, errToken("Invalid access token.")
	case "expired":
		return nil, errToken("Access token is expired.")
	}
	return t, nil
}

// readBody returns the (already buffered) request body.
func readBody(r *http.Request) ([]byte, error) {
	if r.Body == nil {
		return nil, nil
	}
	return io.ReadAll(io.LimitReader(r.Body, maxBodyBytes))
}
