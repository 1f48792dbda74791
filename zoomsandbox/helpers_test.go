package zoomsandbox_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nodeplug/nodeplug/zoomsandbox"
)

// t0 is the fixed start of the fake clock.
var t0 = time.Date(2026, 11, 1, 10, 20, 30, 0, time.UTC)

// fakeClock is a settable clock for Config.Now.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// fixture is a sandbox behind a real HTTP server.
type fixture struct {
	t      *testing.T
	srv    *zoomsandbox.Server
	ts     *httptest.Server
	clock  *fakeClock
	client *http.Client // never follows redirects
}

func seededRand() *rand.ChaCha8 {
	return rand.NewChaCha8([32]byte{'n', 'o', 'd', 'e', 'p', 'l', 'u', 'g'})
}

// newFixture starts a sandbox with a fixed clock and seeded IDs; mutate may
// change the config first.
func newFixture(t *testing.T, mutate func(*zoomsandbox.Config)) *fixture {
	t.Helper()
	clock := &fakeClock{t: t0}
	cfg := zoomsandbox.Config{Now: clock.Now, Rand: seededRand()}
	if mutate != nil {
		mutate(&cfg)
	}
	srv, err := zoomsandbox.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return &fixture{t: t, srv: srv, ts: ts, clock: clock, client: &http.Client{
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// mint returns an access token of the app without an OAuth flow.
func (f *fixture) mint(app string) string {
	f.t.Helper()
	tok, err := f.srv.MintAccessToken(app, 0)
	if err != nil {
		f.t.Fatalf("MintAccessToken(%q): %v", app, err)
	}
	return tok
}

// api sends a request with an optional bearer token and JSON body (a string
// is sent verbatim).
func (f *fixture) api(method, path, bearer string, body any) (*http.Response, []byte) {
	f.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		buf, err := json.Marshal(b)
		if err != nil {
			f.t.Fatalf("marshal body: %v", err)
		}
		rd = bytes.NewReader(buf)
	}
	req, err := http.NewRequest(method, f.ts.URL+path, rd)
	if err != nil {
		f.t.Fatalf("new request: %v", err)
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return f.send(req)
}

func (f *fixture) send(req *http.Request) (*http.Response, []byte) {
	f.t.Helper()
	resp, err := f.client.Do(req)
	if err != nil {
		f.t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		f.t.Fatalf("read body: %v", err)
	}
	return resp, b
}

// postForm sends an x-www-form-urlencoded POST with Basic client auth
// (when id is not empty).
func (f *fixture) postForm(path, id, secret string, form url.Values) (*http.Response, []byte) {
	f.t.Helper()
	req, err := http.NewRequest(http.MethodPost, f.ts.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		f.t.Fatalf("new request: %v", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if id != "" {
		req.SetBasicAuth(id, secret)
	}
	return f.send(req)
}

// authorize runs /oauth/authorize and returns the response (not followed).
func (f *fixture) authorize(q url.Values) *http.Response {
	f.t.Helper()
	resp, _ := f.send(mustRequest(f.t, http.MethodGet, f.ts.URL+"/oauth/authorize?"+q.Encode()))
	return resp
}

// code runs /oauth/authorize for the default app and returns the code.
func (f *fixture) code(redirect, challenge, method string) string {
	f.t.Helper()
	q := url.Values{"response_type": {"code"}, "client_id": {zoomsandbox.DefaultClientID}, "redirect_uri": {redirect}, "state": {"st"}}
	if challenge != "" {
		q.Set("code_challenge", challenge)
	}
	if method != "" {
		q.Set("code_challenge_method", method)
	}
	resp := f.authorize(q)
	if resp.StatusCode != http.StatusFound {
		f.t.Fatalf("authorize: status %d, want 302", resp.StatusCode)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		f.t.Fatalf("authorize Location: %v", err)
	}
	return loc.Query().Get("code")
}

// tokenJSON is the token endpoint's body, success or error.
type tokenJSON struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	RefreshToken string `json:"refresh_token"`
	ExpiresIn    int    `json:"expires_in"`
	Scope        string `json:"scope"`
	APIURL       string `json:"api_url"`
	Reason       string `json:"reason"`
	Error        string `json:"error"`
}

// grantTokens runs the whole authorization-code flow of the default app.
func (f *fixture) grantTokens() tokenJSON {
	f.t.Helper()
	const redirect = "http://127.0.0.1:5555/oauth2/callback"
	code := f.code(redirect, "", "")
	resp, body := f.postForm("/oauth/token", zoomsandbox.DefaultClientID, zoomsandbox.DefaultClientSecret,
		url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {redirect}})
	if resp.StatusCode != http.StatusOK {
		f.t.Fatalf("code exchange: status %d: %s", resp.StatusCode, body)
	}
	return decode[tokenJSON](f.t, body)
}

func (f *fixture) refresh(rt string) (*http.Response, tokenJSON) {
	f.t.Helper()
	resp, body := f.postForm("/oauth/token", zoomsandbox.DefaultClientID, zoomsandbox.DefaultClientSecret,
		url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}})
	return resp, decode[tokenJSON](f.t, body)
}

// apiErr is the REST error body.
type apiErr struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	Errors  []struct {
		Field   string `json:"field"`
		Message string `json:"message"`
	} `json:"errors"`
}

func decode[T any](t *testing.T, b []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("decode %T from %q: %v", v, b, err)
	}
	return v
}

func mustRequest(t *testing.T, method, u string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, u, nil)
	if err != nil {
		t.Fatalf("new request: %v", err)
	}
	return req
}

func s256(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// meetingJSON holds the meeting fields the tests look at.
type meetingJSON struct {
	UUID              string         `json:"uuid"`
	ID                int64          `json:"id"`
	HostID            string         `json:"host_id"`
	HostEmail         string         `json:"host_email"`
	Topic             string         `json:"topic"`
	Type              int            `json:"type"`
	Status            string         `json:"status"`
	StartTime         string         `json:"start_time"`
	Duration          int            `json:"duration"`
	Timezone          string         `json:"timezone"`
	Agenda            string         `json:"agenda"`
	CreatedAt         string         `json:"created_at"`
	StartURL          string         `json:"start_url"`
	JoinURL           string         `json:"join_url"`
	Password          string         `json:"password"`
	H323Password      string         `json:"h323_password"`
	PSTNPassword      string         `json:"pstn_password"`
	EncryptedPassword string         `json:"encrypted_password"`
	PreSchedule       *bool          `json:"pre_schedule"`
	CreationSource    string         `json:"creation_source"`
	Settings          map[string]any `json:"settings"`
	Occurrences       []struct {
		OccurrenceID string `json:"occurrence_id"`
		StartTime    string `json:"start_time"`
		Duration     int    `json:"duration"`
		Status       string `json:"status"`
	} `json:"occurrences"`
	Recurrence map[string]any `json:"recurrence"`
}

type listJSON struct {
	PageSize      int     `json:"page_size"`
	PageNumber    int     `json:"page_number"`
	PageCount     int     `json:"page_count"`
	TotalRecords  int     `json:"total_records"`
	NextPageToken *string `json:"next_page_token"`
	Meetings      []map[string]any
}

// createMeeting creates a meeting and fails the test unless it gets 201.
func (f *fixture) createMeeting(tok string, body any) meetingJSON {
	f.t.Helper()
	resp, b := f.api(http.MethodPost, "/v2/users/me/meetings", tok, body)
	if resp.StatusCode != http.StatusCreated {
		f.t.Fatalf("create meeting: status %d: %s", resp.StatusCode, b)
	}
	return decode[meetingJSON](f.t, b)
}
