package oauth

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/oauth2"

	"github.com/nodeplug/nodeplug/host/store"
)

func TestTokenRefreshAheadOfExpiry(t *testing.T) {
	t.Parallel()
	// The stored token was obtained at t0 and expires at t0+1h.
	tests := map[string]struct {
		now         time.Time
		margin      time.Duration // 0 = default
		wantRefresh bool
	}{
		"well before expiry":          {now: t0.Add(50 * time.Minute)},
		"just outside default margin": {now: t0.Add(54*time.Minute + 59*time.Second)},
		"inside default margin":       {now: t0.Add(56 * time.Minute), wantRefresh: true},
		"expired":                     {now: t0.Add(2 * time.Hour), wantRefresh: true},
		"inside a 15 minute margin":   {now: t0.Add(50 * time.Minute), margin: 15 * time.Minute, wantRefresh: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			p := newFakeProvider(t)
			st := newTestDB(t).open(t)
			cred := p.createAuthCodeCred(t, st, "zoom")
			clock := newTestClock(tc.now)
			opts := []Option{WithClock(clock.Now)}
			if tc.margin != 0 {
				opts = append(opts, WithRefreshMargin(tc.margin))
			}
			m := NewManager(st, p.resolver(), opts...)

			tok, err := m.Token(ctx, cred.Name)
			if err != nil {
				t.Fatal(err)
			}
			refreshes := p.count("refresh_token")
			if !tc.wantRefresh {
				if refreshes != 0 || tok.AccessToken != cred.Token.AccessToken {
					t.Errorf("refreshes = %d, token %q; want the stored token without refresh", refreshes, tok.AccessToken)
				}
				return
			}
			if refreshes != 1 {
				t.Fatalf("refreshes = %d, want 1", refreshes)
			}
			if tok.AccessToken == cred.Token.AccessToken {
				t.Error("got the old access token after a refresh")
			}
			if want := tc.now.Add(3599 * time.Second); !tok.Expiry.Equal(want) || !tok.ObtainedAt.Equal(tc.now) {
				t.Errorf("expiry %v obtained %v, want %v and %v (from the injected clock)", tok.Expiry, tok.ObtainedAt, want, tc.now)
			}
			if tok.Extra["api_url"] != p.srv.URL {
				t.Errorf("Extra = %v, want api_url %s", tok.Extra, p.srv.URL)
			}
			// The next call uses the stored fresh token.
			again, err := m.Token(ctx, cred.ID)
			if err != nil {
				t.Fatal(err)
			}
			if again.AccessToken != tok.AccessToken || p.count("refresh_token") != 1 {
				t.Errorf("second call refreshed again or returned another token")
			}
		})
	}
}

func TestRotatedRefreshTokenPersisted(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	p := newFakeProvider(t)
	db := newTestDB(t)
	st := db.open(t)
	cred := p.createAuthCodeCred(t, st, "zoom")
	oldRT := cred.Token.RefreshToken
	clock := newTestClock(t0.Add(2 * time.Hour))
	m := NewManager(st, p.resolver(), WithClock(clock.Now))

	tok, err := m.Token(ctx, cred.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if p.refreshValid(oldRT) {
		t.Fatal("the fake did not rotate the refresh token")
	}

	reopened := db.open(t)
	got, err := reopened.Credential(ctx, cred.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Token.RefreshToken == oldRT || !p.refreshValid(got.Token.RefreshToken) {
		t.Errorf("stored refresh token %q is not the rotated one", got.Token.RefreshToken)
	}
	if diff := cmp.Diff(tok, got.Token); diff != "" {
		t.Errorf("stored token differs from the returned one (-returned +stored):\n%s", diff)
	}
	if got.Status != store.StatusConnected {
		t.Errorf("status = %q, want connected", got.Status)
	}
	// A new manager on the reopened store keeps working with the new token.
	clock.Set(t0.Add(4 * time.Hour))
	if _, err := NewManager(reopened, p.resolver(), WithClock(clock.Now)).Token(ctx, cred.ID); err != nil {
		t.Fatalf("refresh with the persisted token: %v", err)
	}
}

// concurrentTokens calls Token n times at once (released by one barrier) on
// the managers in turn and returns the access tokens.
func concurrentTokens(t *testing.T, managers []*Manager, credID string, n int, release func(), started <-chan struct{}) []string {
	t.Helper()
	start := make(chan struct{})
	var wg sync.WaitGroup
	toks := make([]string, n)
	errs := make([]error, n)
	for i := range n {
		m := managers[i%len(managers)]
		wg.Go(func() {
			<-start
			tok, err := m.Token(context.Background(), credID)
			errs[i] = err
			if err == nil {
				toks[i] = tok.AccessToken
			}
		})
	}
	close(start)
	<-started // the one refresh is in flight; everyone else must wait for it
	release()
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("caller %d: %v", i, err)
		}
	}
	return toks
}

func TestConcurrentTokenCallsShareOneRefresh(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		managers int
		stores   int
	}{
		"one manager, 20 callers":                    {managers: 1, stores: 1},
		"two managers on two stores of one DB file":  {managers: 2, stores: 2},
		"four managers on two stores of one DB file": {managers: 4, stores: 2},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			p := newFakeProvider(t)
			db := newTestDB(t)
			stores := make([]*store.Store, tc.stores)
			for i := range stores {
				stores[i] = db.open(t)
			}
			cred := p.createAuthCodeCred(t, stores[0], "zoom")
			clock := newTestClock(t0.Add(58 * time.Minute))
			managers := make([]*Manager, tc.managers)
			for i := range managers {
				managers[i] = NewManager(stores[i%len(stores)], p.resolver(), WithClock(clock.Now))
			}
			started, release := p.holdRefreshes()
			t.Cleanup(release)

			toks := concurrentTokens(t, managers, cred.ID, 20, release, started)

			if n := p.count("refresh_token"); n != 1 {
				t.Errorf("refresh requests = %d, want exactly 1", n)
			}
			for i, tok := range toks {
				if tok != toks[0] || tok == cred.Token.AccessToken {
					t.Fatalf("caller %d got %q, caller 0 got %q; want one new token for all", i, tok, toks[0])
				}
			}
		})
	}
}

func TestInvalidGrantNeedsReconnect(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	p := newFakeProvider(t)
	db := newTestDB(t)
	st := db.open(t)
	cred := p.createAuthCodeCred(t, st, "zoom-main")
	p.revokeAll()
	clock := newTestClock(t0.Add(2 * time.Hour))
	m := NewManager(st, p.resolver(), WithClock(clock.Now))

	_, err := m.Token(ctx, cred.Name)
	var nr *NeedsReconnectError
	if !errors.As(err, &nr) {
		t.Fatalf("err = %v, want *NeedsReconnectError", err)
	}
	want := `credential "zoom-main" needs to be reconnected: the refresh token was revoked or expired; run: nodeplug credentials connect zoom-main`
	if err.Error() != want {
		t.Errorf("message:\n got %q\nwant %q", err.Error(), want)
	}
	if nr.ProviderReason != "Invalid Token!" {
		t.Errorf("ProviderReason = %q, want the provider's reason", nr.ProviderReason)
	}

	got, err := db.open(t).Credential(ctx, cred.ID) // as another process sees it
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != store.StatusNeedsReconnect || !strings.Contains(got.StatusMessage, "Invalid Token!") ||
		!strings.Contains(got.StatusMessage, "nodeplug credentials connect zoom-main") {
		t.Errorf("status = %q %q, want needs_reconnect with the reason and the command", got.Status, got.StatusMessage)
	}
	if got.Token == nil || got.Token.RefreshToken != cred.Token.RefreshToken {
		t.Error("the failed refresh changed the stored token")
	}

	// Further calls fail fast without hitting the provider again.
	_, err = m.Token(ctx, cred.Name)
	if !errors.As(err, &nr) {
		t.Fatalf("second call err = %v, want *NeedsReconnectError", err)
	}
	if n := p.count("refresh_token"); n != 1 {
		t.Errorf("refresh requests = %d, want 1", n)
	}

	// Reconnecting (the CLI stores the new token) makes it work again.
	if err := st.SetToken(ctx, cred.ID, &store.Token{AccessToken: "x", RefreshToken: p.issueRefreshToken(), Expiry: t0, ObtainedAt: t0.Add(-time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Token(ctx, cred.Name); err != nil {
		t.Errorf("after reconnect: %v", err)
	}
}

func TestInvalidClient(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	const wrongSecret = "wrong-SECRET-0000"
	tests := map[string]struct {
		typ   string
		grant string
	}{
		"authorization code refresh": {typ: typeAuthCode, grant: "refresh_token"},
		"account credentials":        {typ: typeAccount, grant: "account_credentials"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			p := newFakeProvider(t)
			st := newTestDB(t).open(t)
			cred := &store.Credential{
				Name: "bad-client",
				Type: tc.typ,
				Data: map[string]any{"clientId": p.clientID, "clientSecret": wrongSecret, "accountId": p.accountID},
			}
			if tc.typ == typeAuthCode {
				cred.Token = &store.Token{AccessToken: "old", RefreshToken: p.issueRefreshToken(), Expiry: t0, ObtainedAt: t0.Add(-time.Hour)}
			}
			if err := st.CreateCredential(ctx, cred); err != nil {
				t.Fatal(err)
			}
			var logs bytes.Buffer
			m := NewManager(st, p.resolver(), WithClock(newTestClock(t0.Add(time.Hour)).Now), WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))

			_, err := m.Token(ctx, cred.Name)
			var ic *InvalidClientError
			if !errors.As(err, &ic) {
				t.Fatalf("err = %v, want *InvalidClientError", err)
			}
			msg := err.Error()
			for _, want := range []string{`credential "bad-client"`, "client ID or client secret is wrong", "nodeplug credentials update bad-client"} {
				if !strings.Contains(msg, want) {
					t.Errorf("message %q does not contain %q", msg, want)
				}
			}
			for _, secret := range []string{wrongSecret, p.clientSecret} {
				if strings.Contains(msg, secret) || strings.Contains(logs.String(), secret) {
					t.Errorf("message or logs leak %q", secret)
				}
			}
			if p.count(tc.grant) != 1 {
				t.Errorf("%s requests = %d, want 1", tc.grant, p.count(tc.grant))
			}
			got, err := st.Credential(ctx, cred.ID)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(got.StatusMessage, "invalid_client") || got.Status == store.StatusNeedsReconnect {
				t.Errorf("status = %q %q, want the invalid_client message without needs_reconnect", got.Status, got.StatusMessage)
			}
		})
	}
}

func TestAccountCredentialsCachedAndRefetched(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	p := newFakeProvider(t)
	st := newTestDB(t).open(t)
	cred := &store.Credential{
		Name: "s2s",
		Type: typeAccount,
		Data: map[string]any{"clientId": p.clientID, "clientSecret": p.clientSecret, "accountId": p.accountID},
	}
	if err := st.CreateCredential(ctx, cred); err != nil {
		t.Fatal(err)
	}
	clock := newTestClock(t0)
	m := NewManager(st, p.resolver(), WithClock(clock.Now))

	first, err := m.Token(ctx, cred.Name)
	if err != nil {
		t.Fatal(err)
	}
	second, err := m.Token(ctx, cred.Name)
	if err != nil {
		t.Fatal(err)
	}
	if n := p.count("account_credentials"); n != 1 {
		t.Errorf("fetches after two calls = %d, want 1", n)
	}
	if second.AccessToken != first.AccessToken {
		t.Error("second call did not reuse the cached token")
	}
	want := &store.Token{AccessToken: first.AccessToken, TokenType: "bearer", Expiry: t0.Add(3599 * time.Second), Scope: "meeting:read user:read",
		Extra: map[string]string{"api_url": p.srv.URL}, ObtainedAt: t0}
	if diff := cmp.Diff(want, first); diff != "" {
		t.Errorf("token mismatch (-want +got):\n%s", diff)
	}

	p.mu.Lock()
	form, auth := p.lastForm, p.lastAuth
	p.mu.Unlock()
	wantForm := url.Values{"grant_type": {"account_credentials"}, "account_id": {p.accountID}}
	if diff := cmp.Diff(wantForm, form); diff != "" {
		t.Errorf("request form mismatch (-want +got):\n%s", diff)
	}
	if wantAuth := "Basic " + base64.StdEncoding.EncodeToString([]byte(p.clientID+":"+p.clientSecret)); auth != wantAuth {
		t.Errorf("Authorization = %q, want Basic client auth", auth)
	}
	got, err := st.Credential(ctx, cred.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != store.StatusConnected || got.Token == nil || got.Token.AccessToken != first.AccessToken {
		t.Errorf("stored credential: status %q token %v; want connected with the fetched token", got.Status, got.Token)
	}

	clock.Set(t0.Add(57 * time.Minute)) // within 5 minutes of expiry
	third, err := m.Token(ctx, cred.Name)
	if err != nil {
		t.Fatal(err)
	}
	if n := p.count("account_credentials"); n != 2 || third.AccessToken == first.AccessToken {
		t.Errorf("fetches near expiry = %d (new token %t), want 2 and a new token", n, third.AccessToken != first.AccessToken)
	}
}

func TestAccountCredentialsBodyAuthAndBadAccount(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	p := newFakeProvider(t)
	st := newTestDB(t).open(t)
	for _, name := range []string{"body-auth", "bad-account"} {
		acct := p.accountID
		if name == "bad-account" {
			acct = "nope"
		}
		if err := st.CreateCredential(ctx, &store.Credential{Name: name, Type: typeAccount,
			Data: map[string]any{"clientId": p.clientID, "clientSecret": p.clientSecret, "accountId": acct}}); err != nil {
			t.Fatal(err)
		}
	}
	base := p.resolver()
	m := NewManager(st, ResolverFunc(func(ctx context.Context, c *store.Credential) (Endpoint, error) {
		ep, err := base.Endpoint(ctx, c)
		ep.ClientAuth = ClientAuthBody
		return ep, err
	}))
	if _, err := m.Token(ctx, "body-auth"); err != nil {
		t.Fatalf("body client auth: %v", err)
	}
	p.mu.Lock()
	form, auth := p.lastForm, p.lastAuth
	p.mu.Unlock()
	if auth != "" || form.Get("client_id") != p.clientID || form.Get("client_secret") != p.clientSecret {
		t.Errorf("ClientAuthBody sent auth %q form %v; want credentials in the body only", auth, form.Encode())
	}

	_, err := m.Token(ctx, "bad-account")
	var te *TokenError
	if !errors.As(err, &te) || te.Code != "invalid_grant" || te.StatusCode != http.StatusBadRequest {
		t.Fatalf("err = %v, want a TokenError invalid_grant", err)
	}
	for _, want := range []string{`credential "bad-account"`, "Invalid account_id", "account ID"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message %q does not contain %q", err, want)
		}
	}
}

func TestRefreshAfterRejection(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	p := newFakeProvider(t)
	st := newTestDB(t).open(t)
	cred := p.createAuthCodeCred(t, st, "zoom")
	clock := newTestClock(t0.Add(10 * time.Minute)) // stored token is fresh
	m := NewManager(st, p.resolver(), WithClock(clock.Now))

	// Someone already replaced the token the API rejected: no HTTP call.
	tok, err := m.Refresh(ctx, cred.ID, "at-rejected-earlier")
	if err != nil {
		t.Fatal(err)
	}
	if tok.AccessToken != cred.Token.AccessToken || p.totalTokenRequests() != 0 {
		t.Errorf("got %q with %d token requests; want the stored token and no request", tok.AccessToken, p.totalTokenRequests())
	}

	// The stored token itself was rejected: force a refresh although it
	// has not expired.
	tok, err = m.Refresh(ctx, cred.ID, cred.Token.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	if tok.AccessToken == cred.Token.AccessToken || p.count("refresh_token") != 1 {
		t.Errorf("forced refresh: token %q, %d refreshes; want a new token and 1 refresh", tok.AccessToken, p.count("refresh_token"))
	}
	// A second caller that also saw the old token gets the new one without
	// another refresh.
	again, err := m.Refresh(ctx, cred.ID, cred.Token.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	if again.AccessToken != tok.AccessToken || p.count("refresh_token") != 1 {
		t.Errorf("second Refresh: %q, %d refreshes; want the new token and still 1", again.AccessToken, p.count("refresh_token"))
	}
}

func TestStaticToken(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	p := newFakeProvider(t)
	st := newTestDB(t).open(t)
	if err := st.CreateCredential(ctx, &store.Credential{Name: "pat", Type: typeStatic, Data: map[string]any{"token": "static-TOKEN-1"}}); err != nil {
		t.Fatal(err)
	}
	m := NewManager(st, p.resolver(), WithClock(newTestClock(t0.Add(1000*time.Hour)).Now))
	tok, err := m.Token(ctx, "pat")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&store.Token{AccessToken: "static-TOKEN-1", TokenType: "Bearer"}, tok); diff != "" {
		t.Errorf("static token mismatch (-want +got):\n%s", diff)
	}
	_, err = m.Refresh(ctx, "pat", "static-TOKEN-1")
	if !errors.Is(err, ErrCannotRefresh) || !strings.Contains(err.Error(), `credential "pat"`) {
		t.Errorf("Refresh err = %v, want ErrCannotRefresh naming the credential", err)
	}
	if strings.Contains(fmt.Sprint(err), "static-TOKEN-1") {
		t.Error("error leaks the static token")
	}
	if n := p.totalTokenRequests(); n != 0 {
		t.Errorf("token requests = %d, want 0", n)
	}
}

func TestNotConnected(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	p := newFakeProvider(t)
	st := newTestDB(t).open(t)
	if err := st.CreateCredential(ctx, &store.Credential{Name: "fresh", Type: typeAuthCode, Data: map[string]any{"clientId": p.clientID}}); err != nil {
		t.Fatal(err)
	}
	m := NewManager(st, p.resolver())
	for name, call := range map[string]func() error{
		"Token":   func() error { _, err := m.Token(ctx, "fresh"); return err },
		"Refresh": func() error { _, err := m.Refresh(ctx, "fresh", ""); return err },
	} {
		err := call()
		var nc *NotConnectedError
		if !errors.As(err, &nc) || !errors.Is(err, ErrNotConnected) {
			t.Fatalf("%s: err = %v, want *NotConnectedError", name, err)
		}
		if !strings.Contains(err.Error(), "run: nodeplug credentials connect fresh") {
			t.Errorf("%s: message %q does not say what to run", name, err)
		}
	}
	if _, err := m.Token(ctx, "missing"); !errors.Is(err, store.ErrCredentialNotFound) {
		t.Errorf("unknown credential: err = %v, want store.ErrCredentialNotFound", err)
	}
}

func TestNetworkErrorWrapped(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	p := newFakeProvider(t)
	st := newTestDB(t).open(t)
	cred := p.createAuthCodeCred(t, st, "zoom")
	p.srv.Close()
	m := NewManager(st, p.resolver(), WithClock(newTestClock(t0.Add(2*time.Hour)).Now))
	_, err := m.Token(ctx, cred.ID)
	var ue *url.Error
	if !errors.As(err, &ue) {
		t.Fatalf("err = %v, want a wrapped *url.Error", err)
	}
	if !strings.Contains(err.Error(), `credential "zoom"`) || strings.Contains(err.Error(), cred.Token.RefreshToken) {
		t.Errorf("message %q should name the credential and hold no token", err)
	}
	got, _ := st.Credential(ctx, cred.ID)
	if got.Status != store.StatusConnected {
		t.Errorf("a network error changed the status to %q", got.Status)
	}
}

func TestCallerCancellationDoesNotAbortSharedRefresh(t *testing.T) {
	t.Parallel()
	p := newFakeProvider(t)
	db := newTestDB(t)
	st := db.open(t)
	cred := p.createAuthCodeCred(t, st, "zoom")
	clock := newTestClock(t0.Add(2 * time.Hour))
	m := NewManager(st, p.resolver(), WithClock(clock.Now))
	started, release := p.holdRefreshes()
	t.Cleanup(release)

	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := m.Token(ctx, cred.ID)
		errc <- err
	}()
	<-started
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled caller err = %v, want context.Canceled", err)
	}
	release()
	// The refresh completes and is stored for the next caller.
	tok, err := m.Token(context.Background(), cred.ID)
	if err != nil {
		t.Fatal(err)
	}
	if n := p.count("refresh_token"); n != 1 {
		t.Errorf("refreshes = %d, want 1 (the detached one, then reuse)", n)
	}
	if !p.refreshValid(tok.RefreshToken) {
		t.Error("the stored refresh token is not the provider's current one")
	}
}

func TestLogsNameCredentialButNoSecrets(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	p := newFakeProvider(t)
	st := newTestDB(t).open(t)
	cred := p.createAuthCodeCred(t, st, "zoom-logged")
	var logs bytes.Buffer
	clock := newTestClock(t0.Add(2 * time.Hour))
	m := NewManager(st, p.resolver(), WithClock(clock.Now), WithLogger(slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	tok, err := m.Token(ctx, cred.ID)
	if err != nil {
		t.Fatal(err)
	}
	p.revokeAll()
	clock.Set(t0.Add(5 * time.Hour))
	if _, err := m.Token(ctx, cred.ID); err == nil {
		t.Fatal("want invalid_grant")
	}
	out := logs.String()
	for _, want := range []string{"zoom-logged", "refreshed", "expiry", "needs to be reconnected"} {
		if !strings.Contains(out, want) {
			t.Errorf("logs lack %q:\n%s", want, out)
		}
	}
	for _, secret := range []string{cred.Token.AccessToken, cred.Token.RefreshToken, tok.AccessToken, tok.RefreshToken, p.clientSecret} {
		if strings.Contains(out, secret) {
			t.Errorf("logs contain the secret %q:\n%s", secret, out)
		}
	}
}

func TestEndpointRedaction(t *testing.T) {
	t.Parallel()
	ep := Endpoint{Grant: GrantAccountCredentials, TokenURL: "https://x/token", ClientID: "cid", ClientSecret: "CS-SECRET-9", StaticToken: "ST-SECRET-8"}
	outputs := map[string]string{}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d"} {
		outputs[verb] = fmt.Sprintf(verb, ep)
		outputs["ptr "+verb] = fmt.Sprintf(verb, &ep)
	}
	js, err := json.Marshal(ep)
	if err != nil {
		t.Fatal(err)
	}
	outputs["json"] = string(js)
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("m", "ep", ep)
	outputs["slog"] = buf.String()
	for name, out := range outputs {
		if strings.Contains(out, "CS-SECRET-9") || strings.Contains(out, "ST-SECRET-8") {
			t.Errorf("%s leaks a secret: %s", name, out)
		}
	}
	if !strings.Contains(outputs["%v"], "cid") || !strings.Contains(outputs["%v"], "[REDACTED]") {
		t.Errorf("%%v = %s, want the client ID and a redaction mark", outputs["%v"])
	}
}

func FuzzTokenResponse(f *testing.F) {
	f.Add([]byte(`{"access_token":"a","token_type":"bearer","refresh_token":"r","expires_in":3599,"scope":"s","api_url":"https://api"}`), "application/json")
	f.Add([]byte(`access_token=a&expires_in=60&api_url=x&id_token=j`), "application/x-www-form-urlencoded")
	f.Add([]byte(`{"expires_in":"3600","nested":{"x":1},"user_secret":"s","flag":true}`), "application/json; charset=utf-8")
	f.Add([]byte(`not json`), "")
	f.Fuzz(func(t *testing.T, body []byte, contentType string) {
		now := t0
		prev := &store.Token{RefreshToken: "prev-rt", Scope: "old", Extra: map[string]string{"keep": "1"}}
		tok := toStoreToken(&oauth2TokenStub, &captureTransport{body: body, contentType: contentType}, now, prev)
		if tok.RefreshToken == "" {
			t.Fatal("refresh token lost on a refresh response")
		}
		for k := range tok.Extra {
			lk := strings.ToLower(k)
			if secretResponseFields[lk] || strings.Contains(lk, "token") || strings.Contains(lk, "secret") || strings.Contains(lk, "password") {
				t.Fatalf("secret-looking field %q copied to Extra", k)
			}
		}
		if !tok.Expiry.IsZero() && tok.Expiry.Before(now) {
			t.Fatalf("expiry %v before now", tok.Expiry)
		}
	})
}

// oauth2TokenStub is what x/oauth2 hands back for a refresh whose response
// the fuzzer controls (parsed fields come from the captured body).
var oauth2TokenStub = oauth2.Token{AccessToken: "a"}
