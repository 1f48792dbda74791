package zoom_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/go-hclog"

	"github.com/nodeplug/nodeplug/plugin/sdk"
	"github.com/nodeplug/nodeplug/plugin/zoom"
	"github.com/nodeplug/nodeplug/zoomsandbox"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// referenceDir returns shared/reference (beside the repository root), or
// skips the test when it is absent.
func referenceDir(t testing.TB) string {
	t.Helper()
	dir := filepath.Join("..", "..", "..", "shared", "reference")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("the reference material %s is absent (CI always has it): %v", dir, err)
	}
	return dir
}

// checkGolden compares got with testdata/name, or rewrites it with -update.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading %s (run go test -update to create it): %v", path, err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs (-golden +got); run go test -update if the change is intended:\n%s", path, diff)
	}
}

// marshalIndent is json.MarshalIndent with a trailing newline and without
// HTML escaping.
func marshalIndent(t testing.TB, v any) []byte {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// testLogger collects the plugin's log lines.
func testLogger(buf *syncBuffer) hclog.Logger {
	return hclog.New(&hclog.LoggerOptions{Name: "zoom-test", Level: hclog.Debug, Output: buf, JSONFormat: true})
}

// syncBuffer is a bytes.Buffer safe for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// waits records the delays the plugin asked to wait, without sleeping.
type waits struct {
	mu sync.Mutex
	ds []time.Duration
}

func (w *waits) wait(_ context.Context, d time.Duration) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.ds = append(w.ds, d)
	return nil
}

func (w *waits) got() []time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]time.Duration(nil), w.ds...)
}

// sandbox is a running Zoom sandbox.
type sandbox struct {
	*zoomsandbox.Server
	URL string
}

// Apps of the test sandbox.
const (
	oauthApp = "oauth-app"
	s2sApp   = "s2s-app"
)

// testEpoch is the sandbox's (and plugin's) fixed clock.
var testEpoch = time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)

func newSandbox(t testing.TB) *sandbox {
	t.Helper()
	sb, err := zoomsandbox.New(zoomsandbox.Config{
		Apps: []zoomsandbox.App{
			{Name: oauthApp, ClientID: "oauth-client", ClientSecret: "oauth-secret", Kind: zoomsandbox.AppUserOAuth,
				RedirectURIs: []string{"http://127.0.0.1/callback"}, Scopes: []string{"meeting:read", "meeting:write", "user:read"}},
			{Name: s2sApp, ClientID: "s2s-client", ClientSecret: "s2s-secret", Kind: zoomsandbox.AppServerToServer, AccountID: "q6gBJVO5TzexKYTb_I2rpg",
				Scopes: []string{"meeting:read:meeting:admin", "meeting:read:list_meetings:admin", "meeting:write:meeting:admin",
					"meeting:update:meeting:admin", "meeting:delete:meeting:admin", "user:read:user:admin"}},
			{Name: "no-user-scope", ClientID: "narrow-client", ClientSecret: "narrow-secret", Kind: zoomsandbox.AppUserOAuth,
				RedirectURIs: []string{"http://127.0.0.1/callback"}, Scopes: []string{"meeting:read", "meeting:write"}},
		},
		User: zoomsandbox.User{ID: "KDcuGIm1QgePTO8WbOqwIQ", Email: "ada.host@example.test", FirstName: "Ada", LastName: "Host",
			Timezone: "Europe/Berlin", AccountID: "q6gBJVO5TzexKYTb_I2rpg", Type: 2},
		Now:                func() time.Time { return testEpoch },
		DailyMeetingWrites: -1,
	})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(sb)
	t.Cleanup(ts.Close)
	return &sandbox{Server: sb, URL: ts.URL}
}

// mint returns a fresh access token of app.
func (s *sandbox) mint(t testing.TB, app string) string {
	t.Helper()
	tok, err := s.MintAccessToken(app, 0)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// credential returns a credential of type typ whose API base URL is the
// sandbox (through the token's api_url, as Zoom returns it).
func (s *sandbox) credential(typ, token string) sdk.Credential {
	return sdk.Credential{
		ID: "cred-" + typ, Type: typ, Name: "zoom-" + typ,
		Data:        json.RawMessage(`{"environment":"custom","oauthBaseUrl":` + jsonString(s.URL) + `}`),
		AccessToken: token,
		TokenInfo:   map[string]string{"api_url": s.URL},
	}
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// refresher is a fake host token service.
type refresher struct {
	mu       sync.Mutex
	calls    []string // credential IDs
	rejected []string // the tokens the plugin reported as rejected
	next     func() (sdk.Token, error)
}

func (r *refresher) RefreshToken(_ context.Context, credentialID, rejected string) (sdk.Token, error) {
	r.mu.Lock()
	r.calls = append(r.calls, credentialID)
	r.rejected = append(r.rejected, rejected)
	next := r.next
	r.mu.Unlock()
	if next == nil {
		return sdk.Token{}, &sdk.Diagnostic{Severity: sdk.SeverityError, Kind: sdk.KindAuth, Summary: "no refresh token", Detail: "reconnect", ItemIndex: sdk.NoItem}
	}
	return next()
}

func (r *refresher) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.calls)
}

// newTestPlugin returns the plugin with a test logger and a recording wait.
func newTestPlugin(t testing.TB, opts ...zoom.Option) (*sdk.Plugin, *waits, *syncBuffer) {
	t.Helper()
	w := &waits{}
	logs := &syncBuffer{}
	all := append([]zoom.Option{
		zoom.WithRetryWait(w.wait),
		zoom.WithLogger(testLogger(logs)),
		zoom.WithClock(func() time.Time { return testEpoch }),
		zoom.WithHTTPClient(&http.Client{Timeout: 20 * time.Second}),
	}, opts...)
	return zoom.New(all...), w, logs
}

// execute runs the zoom node over items with one credential.
func execute(t testing.TB, p *sdk.Plugin, cred sdk.Credential, onError sdk.OnError, params ...string) *sdk.ExecuteResponse {
	t.Helper()
	node, ok := p.Node("n8n-nodes-base.zoom")
	if !ok {
		t.Fatal("no zoom node")
	}
	req := &sdk.ExecuteRequest{NodeType: "n8n-nodes-base.zoom", TypeVersion: 1, NodeName: "Zoom", Credentials: []sdk.Credential{cred}, OnError: onError, ExecutionID: "exec-1"}
	for _, p := range params {
		req.Items = append(req.Items, sdk.Item{JSON: json.RawMessage(`{}`), Parameters: json.RawMessage(p)})
	}
	resp, err := node.Executor.Execute(context.Background(), req)
	if err != nil {
		t.Fatalf("Execute: %v", err)
	}
	return resp
}

// outputs returns the JSON of the main output's items.
func outputs(resp *sdk.ExecuteResponse) []string {
	var out []string
	if len(resp.Outputs) == 0 {
		return out
	}
	for _, it := range resp.Outputs[0] {
		out = append(out, string(it.JSON))
	}
	return out
}

// newHTTPServer serves h on a local port for the test's lifetime.
func newHTTPServer(t testing.TB, h http.Handler) string {
	t.Helper()
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	return ts.URL
}
