package oauth

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/nodeplug/nodeplug/host/store"
)

func (p *fakeProvider) codeEndpoint() Endpoint {
	return Endpoint{
		Grant:        GrantAuthorizationCode,
		AuthorizeURL: p.authorizeURL(),
		TokenURL:     p.tokenURL(),
		ClientID:     p.clientID,
		ClientSecret: p.clientSecret,
		PKCE:         true,
	}
}

// listen opens a localhost listener and returns it with its callback URL.
func listen(t *testing.T) (net.Listener, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln, "http://" + ln.Addr().String() + "/callback"
}

// browse follows redirects like a browser and returns the final status and body.
func browse(t *testing.T, u string) (int, string) {
	t.Helper()
	resp, err := browser.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

type serveResult struct {
	tok *store.Token
	err error
}

func serveAsync(ctx context.Context, ln net.Listener, f *CodeFlow) <-chan serveResult {
	ch := make(chan serveResult, 1)
	go func() {
		tok, err := ServeCallback(ctx, ln, "/callback", f)
		ch <- serveResult{tok, err}
	}()
	return ch
}

func TestAuthURL(t *testing.T) {
	t.Parallel()
	p := newFakeProvider(t)
	tests := map[string]struct {
		scopes []string
		pkce   bool
		want   url.Values // expected params; state and challenge checked separately
	}{
		"no scopes, PKCE": {pkce: true, want: url.Values{
			"response_type": {"code"}, "client_id": {p.clientID}, "redirect_uri": {"http://127.0.0.1:9/cb"}, "code_challenge_method": {"S256"},
		}},
		"scopes, no PKCE": {scopes: []string{"meeting:read", "user:read"}, want: url.Values{
			"response_type": {"code"}, "client_id": {p.clientID}, "redirect_uri": {"http://127.0.0.1:9/cb"}, "scope": {"meeting:read user:read"},
		}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ep := p.codeEndpoint()
			ep.Scopes, ep.PKCE = tc.scopes, tc.pkce
			f, err := StartCodeFlow(ep, "http://127.0.0.1:9/cb")
			if err != nil {
				t.Fatal(err)
			}
			u, err := url.Parse(f.AuthURL())
			if err != nil {
				t.Fatal(err)
			}
			q := u.Query()
			if len(q.Get("state")) < 32 {
				t.Errorf("state %q is too short to be random", q.Get("state"))
			}
			if tc.pkce != (q.Get("code_challenge") != "") {
				t.Errorf("code_challenge present = %t, want %t", q.Get("code_challenge") != "", tc.pkce)
			}
			q.Del("state")
			q.Del("code_challenge")
			if diff := cmp.Diff(tc.want, q); diff != "" {
				t.Errorf("authorize params mismatch (-want +got):\n%s", diff)
			}
			if strings.Contains(f.AuthURL(), p.clientSecret) {
				t.Error("authorize URL contains the client secret")
			}
			f2, err := StartCodeFlow(ep, "http://127.0.0.1:9/cb")
			if err != nil {
				t.Fatal(err)
			}
			if f2.state == f.state || (tc.pkce && f2.verifier == f.verifier) {
				t.Error("two flows share state or verifier")
			}
		})
	}
}

func TestStartCodeFlowRejectsBadInput(t *testing.T) {
	t.Parallel()
	p := newFakeProvider(t)
	tests := map[string]struct {
		mutate   func(*Endpoint)
		redirect string
		want     string
	}{
		"account grant":     {mutate: func(e *Endpoint) { e.Grant = GrantAccountCredentials }, redirect: "http://127.0.0.1/cb", want: "not authorization_code"},
		"no authorize URL":  {mutate: func(e *Endpoint) { e.AuthorizeURL = "" }, redirect: "http://127.0.0.1/cb", want: "AuthorizeURL"},
		"no client id":      {mutate: func(e *Endpoint) { e.ClientID = "" }, redirect: "http://127.0.0.1/cb", want: "ClientID"},
		"relative redirect": {mutate: func(*Endpoint) {}, redirect: "/cb", want: "not an absolute URL"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ep := p.codeEndpoint()
			tc.mutate(&ep)
			_, err := StartCodeFlow(ep, tc.redirect)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want one mentioning %q", err, tc.want)
			}
		})
	}
}

func TestCodeFlowHappyPath(t *testing.T) {
	t.Parallel()
	p := newFakeProvider(t)
	clock := newTestClock(t0)
	ln, redirect := listen(t)
	f, err := StartCodeFlow(p.codeEndpoint(), redirect, WithClock(clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	res := serveAsync(context.Background(), ln, f)

	status, body := browse(t, f.AuthURL())
	if status != http.StatusOK || !strings.Contains(body, "Connected, you can close this tab") {
		t.Errorf("browser got %d %q, want 200 and the connected page", status, body)
	}
	r := <-res
	if r.err != nil {
		t.Fatal(r.err)
	}
	want := &store.Token{
		TokenType:  "bearer",
		Expiry:     t0.Add(3599 * time.Second),
		Scope:      "meeting:read user:read",
		Extra:      map[string]string{"api_url": p.srv.URL},
		ObtainedAt: t0,
	}
	if diff := cmp.Diff(want, r.tok, cmpopts.IgnoreFields(store.Token{}, "AccessToken", "RefreshToken")); diff != "" {
		t.Errorf("token mismatch (-want +got):\n%s", diff)
	}
	if r.tok.AccessToken == "" {
		t.Error("no access token")
	}
	if !p.refreshValid(r.tok.RefreshToken) {
		t.Errorf("refresh token %q is not one the provider issued", r.tok.RefreshToken)
	}
	p.mu.Lock()
	form := p.lastForm
	p.mu.Unlock()
	if form.Get("code_verifier") == "" || form.Get("redirect_uri") != redirect {
		t.Errorf("exchange form lacks PKCE verifier or redirect_uri: %v", form.Encode())
	}
	if form.Has("client_secret") {
		t.Error("client secret sent in the body with ClientAuthHeader")
	}
	if got := p.count("authorization_code"); got != 1 {
		t.Errorf("exchanges = %d, want 1", got)
	}
	// The callback server is gone.
	if _, err := browser.Get(redirect); err == nil {
		t.Error("callback server still answers after ServeCallback returned")
	}
}

func TestCodeFlowPKCEVerifierChecked(t *testing.T) {
	t.Parallel()
	p := newFakeProvider(t)
	ep := p.codeEndpoint()
	redirect := "http://127.0.0.1:9/callback"
	a, err := StartCodeFlow(ep, redirect)
	if err != nil {
		t.Fatal(err)
	}
	b, err := StartCodeFlow(ep, redirect)
	if err != nil {
		t.Fatal(err)
	}
	// Obtain a code bound to flow a's challenge.
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Get(a.AuthURL())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	code := loc.Query().Get("code")
	// Redeem it through flow b (its own state, its own verifier).
	req := httptest.NewRequest(http.MethodGet, "/callback?"+url.Values{"code": {code}, "state": {b.state}}.Encode(), nil)
	_, err = b.Callback(context.Background(), req)
	var te *TokenError
	if !errors.As(err, &te) || te.Code != "invalid_grant" || te.Op != opExchange {
		t.Fatalf("err = %v, want a TokenError invalid_grant from the exchange", err)
	}
	if !strings.Contains(err.Error(), "PKCE verifier") {
		t.Errorf("error %q does not explain the rejected code", err)
	}
}

func TestCallbackStateMismatch(t *testing.T) {
	t.Parallel()
	p := newFakeProvider(t)
	f, err := StartCodeFlow(p.codeEndpoint(), "http://127.0.0.1:9/callback")
	if err != nil {
		t.Fatal(err)
	}
	for name, q := range map[string]url.Values{
		"wrong state":            {"code": {"c"}, "state": {"forged"}},
		"missing state":          {"code": {"c"}},
		"error with wrong state": {"error": {"access_denied"}, "state": {"forged"}},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := f.Callback(context.Background(), httptest.NewRequest(http.MethodGet, "/callback?"+q.Encode(), nil))
			if !errors.Is(err, ErrStateMismatch) {
				t.Errorf("err = %v, want ErrStateMismatch", err)
			}
		})
	}
	if n := p.totalTokenRequests(); n != 0 {
		t.Errorf("token requests = %d, want 0 for rejected callbacks", n)
	}
}

func TestServeCallbackIgnoresWrongStateThenSucceeds(t *testing.T) {
	t.Parallel()
	p := newFakeProvider(t)
	ln, redirect := listen(t)
	f, err := StartCodeFlow(p.codeEndpoint(), redirect)
	if err != nil {
		t.Fatal(err)
	}
	res := serveAsync(context.Background(), ln, f)

	status, body := browse(t, redirect+"?code=stolen&state=forged")
	if status != http.StatusBadRequest || !strings.Contains(body, "does not belong to the current connection attempt") {
		t.Errorf("forged callback got %d %q, want 400 and an explanation", status, body)
	}
	status, _ = browse(t, strings.TrimSuffix(redirect, "/callback")+"/favicon.ico")
	if status != http.StatusNotFound {
		t.Errorf("other path got %d, want 404", status)
	}
	status, body = browse(t, f.AuthURL())
	if status != http.StatusOK || !strings.Contains(body, "Connected") {
		t.Errorf("real callback got %d %q", status, body)
	}
	r := <-res
	if r.err != nil || r.tok == nil || r.tok.AccessToken == "" {
		t.Fatalf("ServeCallback = %v, %v; want a token", r.tok, r.err)
	}
}

func TestCallbackErrorFromProvider(t *testing.T) {
	t.Parallel()
	p := newFakeProvider(t)
	ln, redirect := listen(t)
	f, err := StartCodeFlow(p.codeEndpoint(), redirect)
	if err != nil {
		t.Fatal(err)
	}
	res := serveAsync(context.Background(), ln, f)
	status, body := browse(t, f.AuthURL()+"&deny=1")
	if status != http.StatusBadRequest || !strings.Contains(body, "access_denied") {
		t.Errorf("browser got %d %q, want 400 naming access_denied", status, body)
	}
	r := <-res
	var ae *AuthorizationError
	if !errors.As(r.err, &ae) {
		t.Fatalf("err = %v, want *AuthorizationError", r.err)
	}
	if diff := cmp.Diff(&AuthorizationError{Code: "access_denied", Description: "The user denied access"}, ae); diff != "" {
		t.Errorf("AuthorizationError mismatch (-want +got):\n%s", diff)
	}
	if n := p.totalTokenRequests(); n != 0 {
		t.Errorf("token requests = %d, want 0", n)
	}
}

func TestCallbackOnlyOnce(t *testing.T) {
	t.Parallel()
	p := newFakeProvider(t)
	redirect := "http://127.0.0.1:9/callback"
	f, err := StartCodeFlow(p.codeEndpoint(), redirect)
	if err != nil {
		t.Fatal(err)
	}
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Get(f.AuthURL())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc := resp.Header.Get("Location")
	if _, err := f.Callback(context.Background(), httptest.NewRequest(http.MethodGet, loc, nil)); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Callback(context.Background(), httptest.NewRequest(http.MethodGet, loc, nil)); !errors.Is(err, ErrFlowDone) {
		t.Errorf("second callback err = %v, want ErrFlowDone", err)
	}
	if n := p.count("authorization_code"); n != 1 {
		t.Errorf("exchanges = %d, want 1", n)
	}
}

func TestServeCallbackCancel(t *testing.T) {
	t.Parallel()
	p := newFakeProvider(t)
	ln, redirect := listen(t)
	f, err := StartCodeFlow(p.codeEndpoint(), redirect)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	res := serveAsync(ctx, ln, f)
	cancel()
	r := <-res
	if !errors.Is(r.err, context.Canceled) || r.tok != nil {
		t.Errorf("ServeCallback after cancel = %v, %v; want context.Canceled", r.tok, r.err)
	}
}

func TestCodeExchangeInvalidClient(t *testing.T) {
	t.Parallel()
	p := newFakeProvider(t)
	ep := p.codeEndpoint()
	ep.ClientSecret = "wrong-SECRET-value"
	redirect := "http://127.0.0.1:9/callback"
	f, err := StartCodeFlow(ep, redirect)
	if err != nil {
		t.Fatal(err)
	}
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Get(f.AuthURL())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	_, err = f.Callback(context.Background(), httptest.NewRequest(http.MethodGet, resp.Header.Get("Location"), nil))
	var ic *InvalidClientError
	if !errors.As(err, &ic) || ic.StatusCode != http.StatusUnauthorized {
		t.Fatalf("err = %v, want *InvalidClientError with 401", err)
	}
	if strings.Contains(err.Error(), "wrong-SECRET-value") {
		t.Errorf("error leaks the client secret: %v", err)
	}
}

// browser is the test's "browser": it follows redirects like one.
var browser = &http.Client{Timeout: 30 * time.Second}
