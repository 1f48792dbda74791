package oauth

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"html"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"

	"golang.org/x/oauth2"

	"github.com/nodeplug/nodeplug/host/store"
)

// CodeFlow is one authorization-code attempt: a random state, a PKCE
// verifier (when the endpoint uses PKCE) and the redirect URL. It handles
// exactly one callback.
type CodeFlow struct {
	ep          Endpoint
	redirectURL string
	state       string
	verifier    string
	o           options

	mu   sync.Mutex
	used bool
}

// StartCodeFlow prepares an authorization-code flow for ep (whose Grant must
// be GrantAuthorizationCode) returning to redirectURL. Options: WithHTTPClient
// for the exchange, WithClock for Expiry, WithLogger.
func StartCodeFlow(ep Endpoint, redirectURL string, opts ...Option) (*CodeFlow, error) {
	if ep.Grant != GrantAuthorizationCode {
		return nil, fmt.Errorf("oauth: start authorization: the credential's grant is %s, not authorization_code; it needs no browser connect", ep.Grant)
	}
	if err := ep.validate("", true); err != nil {
		return nil, fmt.Errorf("oauth: start authorization: %w", err)
	}
	if u, err := url.Parse(redirectURL); err != nil || u.Scheme == "" || u.Host == "" {
		return nil, fmt.Errorf("oauth: start authorization: redirect URL %q is not an absolute URL", redirectURL)
	}
	state, err := randomString(32)
	if err != nil {
		return nil, fmt.Errorf("oauth: start authorization: %w", err)
	}
	f := &CodeFlow{ep: ep, redirectURL: redirectURL, state: state, o: buildOptions(opts)}
	if ep.PKCE {
		f.verifier = oauth2.GenerateVerifier()
	}
	return f, nil
}

func randomString(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generate random state: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// AuthURL is the URL to open in the browser. It carries response_type=code,
// client_id, redirect_uri, state, the S256 code challenge (PKCE) and scope
// only when the endpoint has scopes.
func (f *CodeFlow) AuthURL() string {
	var opts []oauth2.AuthCodeOption
	if f.verifier != "" {
		opts = append(opts, oauth2.S256ChallengeOption(f.verifier))
	}
	return oauth2Config(f.ep, f.redirectURL).AuthCodeURL(f.state, opts...)
}

// RedirectURL returns the redirect URL of the flow.
func (f *CodeFlow) RedirectURL() string { return f.redirectURL }

// stateMatches compares in constant time.
func (f *CodeFlow) stateMatches(s string) bool {
	return subtle.ConstantTimeCompare([]byte(s), []byte(f.state)) == 1
}

// Callback completes the flow from the redirect request: it reports an
// error=… answer as [*AuthorizationError] (accepted with the flow's state or
// none, since providers may omit it there), rejects a wrong state with
// [ErrStateMismatch], and exchanges the code (with the PKCE verifier and
// redirect_uri) for a token whose Expiry comes from expires_in. A flow
// accepts one callback with a matching state ([ErrFlowDone] afterwards).
func (f *CodeFlow) Callback(ctx context.Context, r *http.Request) (*store.Token, error) {
	q := r.URL.Query()
	if e := q.Get("error"); e != "" {
		// Some providers omit state on error redirects; a present but
		// wrong state is a stray or forged request.
		if st := q.Get("state"); st != "" && !f.stateMatches(st) {
			return nil, ErrStateMismatch
		}
		f.finish()
		return nil, &AuthorizationError{
			Code:        sanitize(e, nil, 64),
			Description: sanitize(q.Get("error_description"), nil, 200),
		}
	}
	if !f.stateMatches(q.Get("state")) {
		return nil, ErrStateMismatch
	}
	code := q.Get("code")
	if code == "" {
		return nil, errors.New("oauth: the callback has no authorization code; start again with: nodeplug credentials connect")
	}
	if !f.finish() {
		return nil, ErrFlowDone
	}
	tok, err := exchangeCode(ctx, f.o.client, f.ep, f.redirectURL, code, f.verifier, f.o.now)
	if err != nil {
		f.o.log.WarnContext(ctx, "authorization code exchange failed", "token_url", f.ep.TokenURL, "error", err)
		return nil, err
	}
	f.o.log.InfoContext(ctx, "authorization completed", "token_url", f.ep.TokenURL, "expiry", tok.Expiry, "has_refresh_token", tok.RefreshToken != "")
	return tok, nil
}

// finish marks the flow used; false if it already was.
func (f *CodeFlow) finish() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.used {
		return false
	}
	f.used = true
	return true
}

// ServeCallback serves the flow's redirect on listener (a localhost port)
// until one callback with the right state arrives at path. The browser gets a
// short HTML page saying it is connected or what went wrong. Requests with a
// wrong state get an error page and are otherwise ignored. The server shuts
// down before ServeCallback returns; cancelling ctx stops waiting.
func ServeCallback(ctx context.Context, listener net.Listener, path string, flow *CodeFlow) (*store.Token, error) {
	type result struct {
		tok *store.Token
		err error
	}
	done := make(chan result, 1)
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != path {
			http.NotFound(w, r)
			return
		}
		if r.Method != http.MethodGet {
			w.Header().Set("Allow", http.MethodGet)
			writePage(w, http.StatusMethodNotAllowed, "Wrong request", "The authorization callback must be a GET request.")
			return
		}
		tok, err := flow.Callback(ctx, r)
		switch {
		case errors.Is(err, ErrStateMismatch):
			flow.o.log.WarnContext(ctx, "ignored an authorization callback with a wrong state")
			writePage(w, http.StatusBadRequest, "Not connected", "This link does not belong to the current connection attempt. "+
				"Close this tab and use the link printed by nodeplug credentials connect.")
			return
		case errors.Is(err, ErrFlowDone):
			writePage(w, http.StatusConflict, "Already handled", "This connection attempt is already complete. You can close this tab.")
			return
		case err != nil:
			writePage(w, http.StatusBadRequest, "Not connected", err.Error())
		default:
			writePage(w, http.StatusOK, "Connected", "Connected, you can close this tab and return to the terminal.")
		}
		select {
		case done <- result{tok, err}:
		default:
		}
	})
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return ctx },
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(listener) }()

	var res result
	select {
	case res = <-done:
	case <-ctx.Done():
		res = result{err: fmt.Errorf("oauth: waiting for the authorization callback: %w", context.Cause(ctx))}
	case err := <-serveErr:
		return nil, fmt.Errorf("oauth: callback server on %s: %w", listener.Addr(), err)
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		srv.Close()
	}
	return res.tok, res.err
}

// writePage answers the browser with a minimal HTML page.
func writePage(w http.ResponseWriter, status int, title, msg string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(status)
	fmt.Fprintf(w, "<!doctype html><html><head><meta charset=\"utf-8\"><title>nodeplug: %s</title></head>"+
		"<body style=\"font-family:sans-serif;margin:3em\"><h1>%s</h1><p>%s</p></body></html>\n",
		html.EscapeString(title), html.EscapeString(title), html.EscapeString(msg))
}
