package oauth

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/nodeplug/nodeplug/host/secrets"
	"github.com/nodeplug/nodeplug/host/store"
)

// fakeProvider is a small OAuth2 server: authorize + token endpoints with
// rotating refresh tokens, PKCE checks, the account_credentials grant and
// switchable failures. It counts token requests per grant.
type fakeProvider struct {
	srv          *httptest.Server
	clientID     string
	clientSecret string
	accountID    string
	expiresIn    int

	mu            sync.Mutex
	codes         map[string]codeGrant
	refreshTokens map[string]bool // currently valid refresh tokens
	seq           int
	counts        map[string]int // grant_type -> token requests
	lastForm      url.Values
	lastAuth      string
	// holdRefresh, when set, makes refresh requests wait for it to close;
	// refreshStarted is closed when the first one arrives.
	holdRefresh    chan struct{}
	refreshStarted chan struct{}
	startedOnce    sync.Once
}

type codeGrant struct {
	challenge, method, redirectURI string
}

func newFakeProvider(t *testing.T) *fakeProvider {
	t.Helper()
	p := &fakeProvider{
		clientID:      "client-id-abc",
		clientSecret:  "client-SECRET-xyz-123",
		accountID:     "acct-42",
		expiresIn:     3599,
		codes:         map[string]codeGrant{},
		refreshTokens: map[string]bool{},
		counts:        map[string]int{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /oauth/authorize", p.authorize)
	mux.HandleFunc("POST /oauth/token", p.token)
	p.srv = httptest.NewServer(mux)
	t.Cleanup(p.srv.Close)
	return p
}

func (p *fakeProvider) authorizeURL() string { return p.srv.URL + "/oauth/authorize" }
func (p *fakeProvider) tokenURL() string     { return p.srv.URL + "/oauth/token" }

func (p *fakeProvider) count(grant string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.counts[grant]
}

func (p *fakeProvider) totalTokenRequests() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, c := range p.counts {
		n += c
	}
	return n
}

// issueRefreshToken registers a valid refresh token (as if from an earlier
// consent) and returns it.
func (p *fakeProvider) issueRefreshToken() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.seq++
	rt := fmt.Sprintf("rt-%d", p.seq)
	p.refreshTokens[rt] = true
	return rt
}

func (p *fakeProvider) refreshValid(rt string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.refreshTokens[rt]
}

func (p *fakeProvider) revokeAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	clear(p.refreshTokens)
}

func (p *fakeProvider) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("response_type") != "code" || q.Get("client_id") != p.clientID || q.Get("redirect_uri") == "" {
		http.Error(w, "bad authorize request", http.StatusBadRequest)
		return
	}
	redirect, err := url.Parse(q.Get("redirect_uri"))
	if err != nil {
		http.Error(w, "bad redirect_uri", http.StatusBadRequest)
		return
	}
	back := redirect.Query()
	back.Set("state", q.Get("state"))
	if q.Get("deny") != "" { // test hook: the user clicks "deny"
		back.Set("error", "access_denied")
		back.Set("error_description", "The user denied access")
	} else {
		p.mu.Lock()
		p.seq++
		code := fmt.Sprintf("code-%d", p.seq)
		p.codes[code] = codeGrant{challenge: q.Get("code_challenge"), method: q.Get("code_challenge_method"), redirectURI: q.Get("redirect_uri")}
		p.mu.Unlock()
		back.Set("code", code)
	}
	redirect.RawQuery = back.Encode()
	http.Redirect(w, r, redirect.String(), http.StatusFound)
}

func oauthError(w http.ResponseWriter, status int, code, reason string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"reason": reason, "error": code})
}

func (p *fakeProvider) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", "bad form")
		return
	}
	grant := r.PostForm.Get("grant_type")
	p.mu.Lock()
	p.counts[grant]++
	p.lastForm = r.PostForm
	p.lastAuth = r.Header.Get("Authorization")
	hold := p.holdRefresh
	p.mu.Unlock()

	id, secret, ok := r.BasicAuth()
	if ok {
		id, _ = url.QueryUnescape(id)
		secret, _ = url.QueryUnescape(secret)
	} else {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	if id != p.clientID || secret != p.clientSecret {
		oauthError(w, http.StatusUnauthorized, "invalid_client", "Invalid client_id or client_secret")
		return
	}

	resp := map[string]any{"token_type": "bearer", "expires_in": p.expiresIn, "api_url": p.srv.URL, "scope": "meeting:read user:read"}
	p.mu.Lock()
	defer p.mu.Unlock()
	switch grant {
	case "authorization_code":
		code := r.PostForm.Get("code")
		cg, found := p.codes[code]
		delete(p.codes, code)
		if !found {
			oauthError(w, http.StatusBadRequest, "invalid_grant", "Invalid authorization code "+code)
			return
		}
		if r.PostForm.Get("redirect_uri") != cg.redirectURI {
			oauthError(w, http.StatusBadRequest, "invalid_request", "Redirect URI mismatch")
			return
		}
		if cg.challenge != "" {
			sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
			if cg.method != "S256" || base64.RawURLEncoding.EncodeToString(sum[:]) != cg.challenge {
				oauthError(w, http.StatusBadRequest, "invalid_grant", "Invalid code_verifier")
				return
			}
		}
		p.seq++
		resp["refresh_token"] = fmt.Sprintf("rt-%d", p.seq)
		p.refreshTokens[resp["refresh_token"].(string)] = true
	case "refresh_token":
		if hold != nil {
			p.startedOnce.Do(func() { close(p.refreshStarted) })
			p.mu.Unlock()
			<-hold
			p.mu.Lock()
		}
		rt := r.PostForm.Get("refresh_token")
		if !p.refreshTokens[rt] {
			oauthError(w, http.StatusBadRequest, "invalid_grant", "Invalid Token!")
			return
		}
		delete(p.refreshTokens, rt) // strict rotation
		p.seq++
		resp["refresh_token"] = fmt.Sprintf("rt-%d", p.seq)
		p.refreshTokens[resp["refresh_token"].(string)] = true
	case "account_credentials":
		if r.PostForm.Get("account_id") != p.accountID {
			oauthError(w, http.StatusBadRequest, "invalid_grant", "Invalid account_id")
			return
		}
		p.seq++
	default:
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type", "Grant type is not supported")
		return
	}
	resp["access_token"] = fmt.Sprintf("at-%d", p.seq)
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(resp)
}

// holdRefreshes makes refresh requests block until the returned release is
// called; started is closed when the first refresh request arrives.
func (p *fakeProvider) holdRefreshes() (started <-chan struct{}, release func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.holdRefresh = make(chan struct{})
	p.refreshStarted = make(chan struct{})
	hold := p.holdRefresh
	var once sync.Once
	return p.refreshStarted, func() { once.Do(func() { close(hold) }) }
}

// Credential types understood by testResolver.
const (
	typeAuthCode = "testAuthCode"
	typeAccount  = "testAccount"
	typeStatic   = "testStatic"
)

// testResolver builds endpoints from credential data the way a plugin would.
func (p *fakeProvider) resolver() Resolver {
	return ResolverFunc(func(_ context.Context, c *store.Credential) (Endpoint, error) {
		str := func(k string) string { s, _ := c.Data[k].(string); return s }
		ep := Endpoint{
			AuthorizeURL: p.authorizeURL(),
			TokenURL:     p.tokenURL(),
			ClientID:     str("clientId"),
			ClientSecret: str("clientSecret"),
		}
		switch c.Type {
		case typeAuthCode:
			ep.Grant = GrantAuthorizationCode
			ep.PKCE = true
		case typeAccount:
			ep.Grant = GrantAccountCredentials
			ep.TokenParams = map[string]string{"account_id": str("accountId")}
		case typeStatic:
			ep = Endpoint{Grant: GrantStaticToken, StaticToken: str("token")}
		default:
			return Endpoint{}, fmt.Errorf("unknown credential type %q", c.Type)
		}
		return ep, nil
	})
}

// testClock is a settable clock.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func newTestClock(t time.Time) *testClock { return &testClock{now: t} }

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

var t0 = time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC)

func newCipher(t *testing.T) *secrets.Cipher {
	t.Helper()
	key, err := secrets.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	c, err := secrets.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// testDB is a database file with its key, so tests can open it repeatedly.
type testDB struct {
	path   string
	cipher *secrets.Cipher
}

func newTestDB(t *testing.T) testDB {
	t.Helper()
	return testDB{path: filepath.Join(t.TempDir(), "nodeplug.db"), cipher: newCipher(t)}
}

func (d testDB) open(t *testing.T) *store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), d.path, d.cipher)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// createAuthCodeCred stores an authorization-code credential with a token
// obtained at t0 that expires at t0+1h.
func (p *fakeProvider) createAuthCodeCred(t *testing.T, st *store.Store, name string) *store.Credential {
	t.Helper()
	c := &store.Credential{
		Name: name,
		Type: typeAuthCode,
		Data: map[string]any{"clientId": p.clientID, "clientSecret": p.clientSecret},
		Token: &store.Token{
			AccessToken:  "at-initial-" + name,
			RefreshToken: p.issueRefreshToken(),
			TokenType:    "bearer",
			Expiry:       t0.Add(time.Hour),
			ObtainedAt:   t0,
			Extra:        map[string]string{"api_url": p.srv.URL},
		},
		Status: store.StatusConnected,
	}
	if err := st.CreateCredential(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	return c
}
