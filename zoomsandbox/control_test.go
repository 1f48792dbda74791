package zoomsandbox_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/nodeplug/nodeplug/zoomsandbox"
)

// control calls a /_sandbox/ endpoint and decodes its JSON answer into out.
func (f *fixture) control(method, path, body string, wantStatus int, out any) {
	f.t.Helper()
	req, err := http.NewRequest(method, f.ts.URL+"/_sandbox/"+path, strings.NewReader(body))
	if err != nil {
		f.t.Fatal(err)
	}
	resp, b := f.send(req)
	if resp.StatusCode != wantStatus {
		f.t.Fatalf("%s /_sandbox/%s: %d %s, want %d", method, path, resp.StatusCode, b, wantStatus)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			f.t.Fatalf("decode /_sandbox/%s: %v", path, err)
		}
	}
}

func TestControlEndpoints(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)

	var health map[string]string
	f.control("GET", "healthz", "", 200, &health)
	if health["status"] != "ok" {
		t.Errorf("healthz = %v", health)
	}

	var minted tokenJSON
	f.control("POST", "tokens", `{"app":"nodeplug-sandbox","ttl":"1h"}`, 200, &minted)
	if minted.AccessToken == "" || minted.ExpiresIn != 3600 || minted.Scope != "meeting:read meeting:write user:read" {
		t.Fatalf("minted = %+v", minted)
	}
	f.control("POST", "tokens", `{"app":"nope"}`, 404, nil)
	f.control("POST", "tokens", `{"app":"nodeplug-sandbox","ttl":"forever"}`, 400, nil)
	if r, _ := f.api(http.MethodGet, "/v2/users/me", minted.AccessToken, nil); r.StatusCode != 200 {
		t.Fatalf("minted token: %d", r.StatusCode)
	}

	f.control("POST", "faults", `{"path_prefix":"/v2/users/me","status":502,"count":1}`, 201, nil)
	var pending []zoomsandbox.Fault
	f.control("GET", "faults", "", 200, &pending)
	if len(pending) != 1 || pending[0].Status != 502 {
		t.Errorf("pending faults = %+v", pending)
	}
	if r, _ := f.api(http.MethodGet, "/v2/users/me", minted.AccessToken, nil); r.StatusCode != 502 {
		t.Errorf("fault over HTTP: %d", r.StatusCode)
	}
	f.control("POST", "faults", `{"status":500}`, 201, nil)
	f.control("DELETE", "faults", "", 204, nil)
	if r, _ := f.api(http.MethodGet, "/v2/users/me", minted.AccessToken, nil); r.StatusCode != 200 {
		t.Errorf("after DELETE faults: %d", r.StatusCode)
	}
	f.control("POST", "faults", `{"delay":"later"}`, 400, nil)

	var clock map[string]string
	f.control("POST", "clock", `{"advance":"2h"}`, 200, &clock)
	if clock["now"] != t0.Add(2*time.Hour).Format(time.RFC3339Nano) {
		t.Errorf("clock = %v", clock)
	}
	f.control("POST", "clock", `{"advance":"-1h"}`, 400, nil)
	if r, b := f.api(http.MethodGet, "/v2/users/me", minted.AccessToken, nil); r.StatusCode != 401 || decode[apiErr](t, b).Message != "Access token is expired." {
		t.Errorf("token after advancing the clock 2h: %d %s", r.StatusCode, b)
	}

	var another tokenJSON
	f.control("POST", "tokens", `{"app":"`+zoomsandbox.DefaultS2SClientID+`"}`, 200, &another)
	f.control("POST", "revoke", `{"token":"`+another.AccessToken+`"}`, 200, nil)
	if r, _ := f.api(http.MethodGet, "/v2/users/me", another.AccessToken, nil); r.StatusCode != 401 {
		t.Errorf("token revoked over HTTP: %d", r.StatusCode)
	}

	var reqs []map[string]any
	f.control("GET", "requests", "", 200, &reqs)
	if len(reqs) != 5 {
		t.Errorf("recorded %d requests, want the 5 non-control ones", len(reqs))
	}
	f.control("DELETE", "requests", "", 204, nil)
	f.control("GET", "requests", "", 200, &reqs)
	if len(reqs) != 0 {
		t.Errorf("after DELETE requests: %d", len(reqs))
	}

	var st zoomsandbox.Stats
	f.control("GET", "stats", "", 200, &st)
	if st.APICalls != 5 || st.Requests != 5 || st.FaultsApplied != 1 || st.Revocations != 1 {
		t.Errorf("stats = %+v", st)
	}
	f.control("GET", "nothing", "", 404, nil)
}

func TestRequestsRecordedAndRedacted(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	tj := f.grantTokens()
	f.ResetAndCall(tj)
	reqs := f.srv.Requests()
	if len(reqs) != 3 {
		t.Fatalf("recorded %d requests, want 3", len(reqs))
	}
	api, token, query := reqs[0], reqs[1], reqs[2]

	if api.Method != "POST" || api.Path != "/v2/users/me/meetings" || !api.HasAuthorization || string(api.Body) != `{"topic":"rec"}` {
		t.Errorf("API request recorded as %+v body %q", api, api.Body)
	}
	if got, want := api.Header.Get("Authorization"), "Bearer <redacted:"+itoa(len(tj.AccessToken))+" chars>"; got != want {
		t.Errorf("Authorization = %q, want %q", got, want)
	}

	if got := token.Header.Get("Authorization"); got != "Basic <redacted>" {
		t.Errorf("token request Authorization = %q", got)
	}
	form, err := url.ParseQuery(string(token.Body))
	if err != nil {
		t.Fatal(err)
	}
	want := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"<redacted:" + itoa(len(tj.RefreshToken)) + " chars>"}}
	if diff := cmp.Diff(want, form); diff != "" {
		t.Errorf("recorded token form (-want +got):\n%s", diff)
	}

	q, _ := url.ParseQuery(query.RawQuery)
	if q.Get("access_token") != "<redacted:"+itoa(len(tj.AccessToken))+" chars>" || q.Get("page_size") != "5" || query.HasAuthorization {
		t.Errorf("query recorded as %q", query.RawQuery)
	}
	for _, rr := range reqs {
		for _, secret := range []string{tj.AccessToken, tj.RefreshToken, zoomsandbox.DefaultClientSecret} {
			b, err := json.Marshal(rr)
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(b, []byte(secret)) {
				t.Errorf("recorded request %s %s leaks a secret", rr.Method, rr.Path)
			}
		}
	}
}

// ResetAndCall forgets earlier requests and sends an API call, a refresh and
// a query-token call.
func (f *fixture) ResetAndCall(tj tokenJSON) {
	f.srv.ResetRequests()
	f.api(http.MethodPost, "/v2/users/me/meetings", tj.AccessToken, `{"topic":"rec"}`)
	f.refresh(tj.RefreshToken)
	f.api(http.MethodGet, "/v2/users/me/meetings?page_size=5&access_token="+url.QueryEscape(tj.AccessToken), "", nil)
}

func itoa(n int) string { return strconv.Itoa(n) }

// lockedWriter makes a buffer safe to share with the server's goroutines.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func TestRunCommand(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	pr, pw := io.Pipe()
	var stderrBuf bytes.Buffer
	stderr := &lockedWriter{w: &stderrBuf}
	done := make(chan error, 1)
	go func() {
		err := zoomsandbox.Run(ctx, []string{"--addr", "127.0.0.1:0", "--access-token-ttl", "90s", "--rate-limit", "50"}, pw, stderr)
		pw.Close()
		done <- err
	}()
	br := bufio.NewReader(pr)
	line, err := br.ReadString('\n')
	if err != nil {
		t.Fatalf("reading the start line: %v", err)
	}
	base, ok := strings.CutPrefix(strings.TrimSuffix(line, "\n"), "zoom sandbox listening on ")
	if !ok || !strings.HasPrefix(base, "http://127.0.0.1:") || strings.HasSuffix(base, ":0") {
		t.Fatalf("start line = %q", line)
	}
	go func() { _, _ = io.Copy(io.Discard, br) }() // drain anything else

	resp, err := http.Get(base + "/_sandbox/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	form := url.Values{"grant_type": {"account_credentials"}, "account_id": {zoomsandbox.DefaultAccountID}}
	req, _ := http.NewRequest(http.MethodPost, base+"/oauth/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(zoomsandbox.DefaultS2SClientID, zoomsandbox.DefaultS2SClientSecret)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var tj tokenJSON
	if err := json.NewDecoder(resp.Body).Decode(&tj); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if tj.APIURL != base || tj.ExpiresIn != 3600 {
		t.Errorf("token from the command: %+v", tj)
	}

	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run after cancel: %v", err)
	}
	stderr.mu.Lock()
	logged := stderrBuf.String()
	stderr.mu.Unlock()
	if !strings.Contains(logged, "path=/oauth/token") {
		t.Errorf("the command did not log the token request to stderr:\n%s", logged)
	}
	if strings.Contains(logged, tj.AccessToken) || strings.Contains(logged, zoomsandbox.DefaultS2SClientSecret) {
		t.Error("the command logged a token or secret")
	}
}

func TestRunPrintConfigAndBadFlags(t *testing.T) {
	t.Parallel()
	var out, errOut bytes.Buffer
	if err := zoomsandbox.Run(t.Context(), []string{"--print-config", "--client-id", "my-id", "--redirect-uri", "https://example.test/cb"}, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		BaseURL string `json:"base_url"`
		Apps    []struct {
			ClientID     string   `json:"client_id"`
			ClientSecret string   `json:"client_secret"`
			Kind         string   `json:"kind"`
			RedirectURIs []string `json:"redirect_uris"`
			Scopes       []string `json:"scopes"`
		} `json:"apps"`
	}
	if err := json.Unmarshal(out.Bytes(), &cfg); err != nil {
		t.Fatalf("print-config output: %v\n%s", err, out.Bytes())
	}
	if cfg.BaseURL != "http://127.0.0.1:9901" || len(cfg.Apps) != 2 || cfg.Apps[0].ClientID != "my-id" ||
		cfg.Apps[0].ClientSecret != zoomsandbox.DefaultClientSecret || len(cfg.Apps[0].RedirectURIs) != 3 || cfg.Apps[1].Kind != "server_to_server" {
		t.Errorf("config = %+v", cfg)
	}
	for name, args := range map[string][]string{
		"unknown flag": {"--nope"},
		"bad duration": {"--refresh-grace", "soon"},
		"positional":   {"extra"},
		"bad address":  {"--addr", "256.0.0.1:99999"},
	} {
		if err := zoomsandbox.Run(t.Context(), args, io.Discard, io.Discard); err == nil {
			t.Errorf("%s: Run(%q) = nil, want an error", name, args)
		}
	}
}
