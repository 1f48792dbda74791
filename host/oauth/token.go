package oauth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"

	"golang.org/x/oauth2"

	"github.com/nodeplug/nodeplug/host/store"
)

// Operation names used in errors and logs.
const (
	opRefresh  = "token refresh"
	opExchange = "authorization code exchange"
	opAccount  = "account token request"
)

// maxBody bounds the token responses read.
const maxBody = 1 << 20

// captureTransport keeps a copy of the last response body so the complete
// token response (extra fields such as api_url) is available after
// golang.org/x/oauth2 parsed it. One per token request.
type captureTransport struct {
	base        http.RoundTripper
	body        []byte
	contentType string
}

// RoundTrip implements http.RoundTripper.
func (c *captureTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := c.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	resp.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("read token response: %w", err)
	}
	c.body = body
	c.contentType = resp.Header.Get("Content-Type")
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp, nil
}

// capturingClient returns a copy of hc whose transport records the response.
func capturingClient(hc *http.Client) (*http.Client, *captureTransport) {
	base := hc.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	ct := &captureTransport{base: base}
	c := *hc
	c.Transport = ct
	return &c, ct
}

// oauth2Config builds the x/oauth2 configuration of an endpoint.
func oauth2Config(ep Endpoint, redirectURL string) *oauth2.Config {
	style := oauth2.AuthStyleInHeader
	if ep.ClientAuth == ClientAuthBody {
		style = oauth2.AuthStyleInParams
	}
	return &oauth2.Config{
		ClientID:     ep.ClientID,
		ClientSecret: ep.ClientSecret,
		Endpoint:     oauth2.Endpoint{AuthURL: ep.AuthorizeURL, TokenURL: ep.TokenURL, AuthStyle: style},
		RedirectURL:  redirectURL,
		Scopes:       ep.Scopes,
	}
}

// exchangeCode runs the authorization-code exchange.
func exchangeCode(ctx context.Context, hc *http.Client, ep Endpoint, redirectURL, code, verifier string, now func() time.Time) (*store.Token, error) {
	client, capt := capturingClient(hc)
	ctx = context.WithValue(ctx, oauth2.HTTPClient, client)
	var opts []oauth2.AuthCodeOption
	if verifier != "" {
		opts = append(opts, oauth2.VerifierOption(verifier))
	}
	for k, v := range ep.TokenParams {
		opts = append(opts, oauth2.SetAuthURLParam(k, v))
	}
	ot, err := oauth2Config(ep, redirectURL).Exchange(ctx, code, opts...)
	if err != nil {
		return nil, classify("", opExchange, err, ep.ClientSecret, code, verifier)
	}
	return toStoreToken(ot, capt, now(), nil), nil
}

// refreshToken renews an authorization-code token with its refresh token.
func refreshToken(ctx context.Context, hc *http.Client, ep Endpoint, name string, prev *store.Token, now func() time.Time) (*store.Token, error) {
	client, capt := capturingClient(hc)
	ctx = context.WithValue(ctx, oauth2.HTTPClient, client)
	src := oauth2Config(ep, "").TokenSource(ctx, &oauth2.Token{RefreshToken: prev.RefreshToken})
	ot, err := src.Token()
	if err != nil {
		return nil, classify(name, opRefresh, err, ep.ClientSecret, prev.RefreshToken, prev.AccessToken)
	}
	return toStoreToken(ot, capt, now(), prev), nil
}

// fetchAccountToken runs the account_credentials grant, which x/oauth2 does
// not offer: POST grant_type=account_credentials&account_id=… (account_id
// and any other parameters come from TokenParams) with client auth.
func fetchAccountToken(ctx context.Context, hc *http.Client, ep Endpoint, name string, now func() time.Time) (*store.Token, error) {
	form := url.Values{}
	for k, v := range ep.TokenParams {
		form.Set(k, v)
	}
	form.Set("grant_type", "account_credentials")
	if ep.ClientAuth == ClientAuthBody {
		form.Set("client_id", ep.ClientID)
		form.Set("client_secret", ep.ClientSecret)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ep.TokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, fmt.Errorf("%s%s: bad token URL %q: %w", credPrefix(name), opAccount, ep.TokenURL, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	if ep.ClientAuth == ClientAuthHeader {
		// Same encoding as x/oauth2 (RFC 6749 §2.3.1).
		req.SetBasicAuth(url.QueryEscape(ep.ClientID), url.QueryEscape(ep.ClientSecret))
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s%s to %s: %w", credPrefix(name), opAccount, ep.TokenURL, err)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	resp.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("%s%s to %s: read response: %w", credPrefix(name), opAccount, ep.TokenURL, err)
	}
	var tj struct {
		AccessToken      string          `json:"access_token"`
		TokenType        string          `json:"token_type"`
		RefreshToken     string          `json:"refresh_token"`
		ExpiresIn        json.RawMessage `json:"expires_in"`
		Error            string          `json:"error"`
		ErrorDescription string          `json:"error_description"`
		ErrorURI         string          `json:"error_uri"`
	}
	jsonErr := json.Unmarshal(body, &tj)
	if resp.StatusCode < 200 || resp.StatusCode > 299 || tj.Error != "" {
		re := &oauth2.RetrieveError{Response: resp, Body: body, ErrorCode: tj.Error, ErrorDescription: tj.ErrorDescription, ErrorURI: tj.ErrorURI}
		return nil, classify(name, opAccount, re, ep.ClientSecret)
	}
	if jsonErr != nil {
		return nil, fmt.Errorf("%s%s to %s: the response is not a JSON token (content type %q)", credPrefix(name), opAccount, ep.TokenURL, resp.Header.Get("Content-Type"))
	}
	if tj.AccessToken == "" {
		return nil, fmt.Errorf("%s%s to %s: the response has no access_token", credPrefix(name), opAccount, ep.TokenURL)
	}
	ot := &oauth2.Token{AccessToken: tj.AccessToken, TokenType: tj.TokenType, RefreshToken: tj.RefreshToken}
	capt := &captureTransport{body: body, contentType: resp.Header.Get("Content-Type")}
	return toStoreToken(ot, capt, now(), nil), nil
}

// secretResponseFields are token-response fields never copied to Extra.
var secretResponseFields = map[string]bool{
	"access_token": true, "refresh_token": true, "id_token": true, "token_type": true,
	"expires_in": true, "scope": true, "error": true, "error_description": true, "error_uri": true,
}

// toStoreToken converts a token response. Expiry comes from expires_in and
// the host clock (now). For a refresh, prev supplies what the response
// omits: the refresh token (x/oauth2 already keeps it), scope and extras.
func toStoreToken(ot *oauth2.Token, capt *captureTransport, now time.Time, prev *store.Token) *store.Token {
	raw := parseRaw(capt.body, capt.contentType)
	t := &store.Token{
		AccessToken:  ot.AccessToken,
		RefreshToken: ot.RefreshToken,
		TokenType:    ot.TokenType,
		ObtainedAt:   now,
		Extra:        map[string]string{},
	}
	if s, ok := raw["scope"]; ok {
		t.Scope = s
	}
	secs := ot.ExpiresIn
	if secs == 0 {
		if n, err := strconv.ParseInt(strings.TrimSpace(raw["expires_in"]), 10, 64); err == nil {
			secs = n
		}
	}
	if secs > 0 {
		// Bound absurd values so the duration cannot overflow.
		const maxSecs = int64(10 * 365 * 24 * time.Hour / time.Second)
		t.Expiry = now.Add(time.Duration(min(secs, maxSecs)) * time.Second)
	}
	for k, v := range raw {
		lk := strings.ToLower(k)
		if secretResponseFields[lk] || strings.Contains(lk, "token") || strings.Contains(lk, "secret") || strings.Contains(lk, "password") {
			continue
		}
		if len(v) > 2048 {
			continue
		}
		t.Extra[k] = v
	}
	if prev != nil {
		if t.RefreshToken == "" {
			t.RefreshToken = prev.RefreshToken
		}
		if t.Scope == "" {
			t.Scope = prev.Scope
		}
		if t.TokenType == "" {
			t.TokenType = prev.TokenType
		}
		merged := maps.Clone(prev.Extra)
		if merged == nil {
			merged = map[string]string{}
		}
		maps.Copy(merged, t.Extra)
		t.Extra = merged
	}
	if len(t.Extra) == 0 {
		t.Extra = nil
	}
	return t
}

// parseRaw flattens the scalar fields of a JSON or form token response.
func parseRaw(body []byte, contentType string) map[string]string {
	out := map[string]string{}
	mt, _, _ := mime.ParseMediaType(contentType)
	if mt == "application/x-www-form-urlencoded" || mt == "text/plain" {
		if vals, err := url.ParseQuery(string(body)); err == nil {
			for k := range vals {
				out[k] = vals.Get(k)
			}
			return out
		}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return out
	}
	for k, v := range m {
		switch v := v.(type) {
		case string:
			out[k] = v
		case json.Number:
			out[k] = v.String()
		case bool:
			out[k] = strconv.FormatBool(v)
		}
	}
	return out
}

// classify turns a token-endpoint failure into the package's typed errors.
// secrets are values that must not appear in the message even if the
// provider echoes them.
func classify(name, op string, err error, secrets ...string) error {
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		return fmt.Errorf("%s%s: %w", credPrefix(name), op, err)
	}
	re = scrubRetrieveError(re)
	status := 0
	if re.Response != nil {
		status = re.Response.StatusCode
	}
	reason := providerReason(re, secrets)
	switch {
	case re.ErrorCode == "invalid_client" || (status == http.StatusUnauthorized && re.ErrorCode != "invalid_grant"):
		return &InvalidClientError{Credential: name, StatusCode: status, Err: re}
	case op == opRefresh && (re.ErrorCode == "invalid_grant" ||
		// Zoom has been seen answering a rotated or revoked refresh token with
		// invalid_request and the reason "Invalid Token!" (zoom-api.md §1.6).
		re.ErrorCode == "invalid_request" && strings.Contains(strings.ToLower(reason), "invalid token")):
		return &NeedsReconnectError{Credential: name, ProviderReason: reason, Err: re}
	default:
		return &TokenError{Credential: name, Op: op, StatusCode: status, Code: sanitize(re.ErrorCode, secrets, 64), Reason: reason, Err: re}
	}
}

// scrubRetrieveError copies re without the request (whose headers hold the
// client credentials) so a wrapped error cannot leak them.
func scrubRetrieveError(re *oauth2.RetrieveError) *oauth2.RetrieveError {
	c := *re
	if re.Response != nil {
		c.Response = &http.Response{Status: re.Response.Status, StatusCode: re.Response.StatusCode, Header: re.Response.Header.Clone(), Proto: re.Response.Proto}
	}
	return &c
}

// providerReason is error_description, else Zoom's "reason" field.
func providerReason(re *oauth2.RetrieveError, secrets []string) string {
	reason := re.ErrorDescription
	if reason == "" {
		var zb struct {
			Reason  string `json:"reason"`
			Message string `json:"message"`
		}
		if json.Unmarshal(re.Body, &zb) == nil {
			reason = zb.Reason
			if reason == "" {
				reason = zb.Message
			}
		}
	}
	return sanitize(reason, secrets, 200)
}

// sanitize removes control characters, redacts secret values and bounds
// the length of provider text placed in messages.
func sanitize(s string, secrets []string, max int) string {
	for _, sec := range secrets {
		if len(sec) >= 4 {
			s = strings.ReplaceAll(s, sec, redacted)
		}
	}
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	if r := []rune(s); len(r) > max {
		s = string(r[:max]) + "…"
	}
	return s
}
