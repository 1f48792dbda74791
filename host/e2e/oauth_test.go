package e2e_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/nodeplug/nodeplug/zoomsandbox"
)

// sandboxUser is what the sandbox's default user looks like to a credential test.
const sandboxUserEmail = "sandbox.host@example.test"

// connectHint matches the advice to run credentials connect NAME, with or
// without shell quotes around the name.
func connectHint(name string) *regexp.Regexp {
	q := regexp.QuoteMeta(name)
	return regexp.MustCompile(`nodeplug credentials connect ('` + q + `'|"` + q + `"|` + q + `)`)
}

// needsReconnect matches the message of a credential that must be reconnected.
var needsReconnect = regexp.MustCompile(`(?i)needs (to be )?reconnect`)

// TestConnectAuthorizationCodeAndTest: the OAuth2 authorization code flow
// with PKCE through the sandbox's real redirect, then a credential test
// through the plugin.
func TestConnectAuthorizationCodeAndTest(t *testing.T) {
	t.Parallel()
	sb := startSandbox(t)
	e := newNP(t)
	e.createCred("zoomOAuth2Api", "Zoom account", sb.oauth2JSON())
	e.connect("Zoom account")

	var authorize, exchange *recorded
	for _, r := range sb.Requests() {
		switch {
		case r.Method == "GET" && r.Path == "/oauth/authorize":
			authorize = &r
		case r.Method == "POST" && r.Path == "/oauth/token":
			exchange = &r
		}
	}
	if authorize == nil || exchange == nil {
		t.Fatalf("the sandbox did not see an authorize and a token request: %v", sb.Requests())
	}
	q, _ := url.ParseQuery(authorize.RawQuery)
	if q.Get("code_challenge_method") != "S256" || len(q.Get("code_challenge")) != 43 || q.Get("state") == "" ||
		q.Get("client_id") != zoomsandbox.DefaultClientID || !strings.HasPrefix(q.Get("redirect_uri"), "http://127.0.0.1:") {
		t.Errorf("authorize request lacks PKCE S256, state or the callback: %s", authorize.RawQuery)
	}
	f, _ := url.ParseQuery(exchange.Body)
	if f.Get("grant_type") != "authorization_code" || f.Get("code_verifier") == "" || f.Get("redirect_uri") != q.Get("redirect_uri") {
		t.Errorf("token request is not a PKCE code exchange: %s", exchange.Body)
	}

	r := e.run("", "credentials", "test", "Zoom account").ok(t)
	if !strings.HasPrefix(r.stdout, "✓ Zoom account:") || !strings.Contains(r.stdout, sandboxUserEmail) {
		t.Errorf("credentials test: %q", r.stdout)
	}
	r = e.run("", "credentials", "test", "Zoom account", "-o", "json").ok(t)
	var res struct {
		OK      bool `json:"ok"`
		Account struct {
			Email     string `json:"email"`
			AccountID string `json:"account_id"`
		} `json:"account"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &res); err != nil {
		t.Fatal(err)
	}
	if !res.OK || res.Account.Email != sandboxUserEmail || res.Account.AccountID != zoomsandbox.DefaultAccountID {
		t.Errorf("credentials test -o json = %s", r.stdout)
	}

	r = e.run("", "credentials", "list", "-o", "json").ok(t)
	var list []struct {
		Name, Status   string
		TokenExpiresAt *time.Time `json:"tokenExpiresAt"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &list); err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].Status != "connected" || list[0].TokenExpiresAt == nil || time.Until(*list[0].TokenExpiresAt) < 50*time.Minute {
		t.Errorf("list after connect = %s", r.stdout)
	}
	r = e.run("", "credentials", "show", "Zoom account", "-o", "json").ok(t)
	var show struct {
		Token struct {
			HasRefreshToken bool   `json:"hasRefreshToken"`
			APIURL          string `json:"apiUrl"`
		} `json:"token"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &show); err != nil {
		t.Fatal(err)
	}
	if !show.Token.HasRefreshToken || show.Token.APIURL != sb.URL {
		t.Errorf("show after connect = %s", r.stdout)
	}
	if st := sb.Stats(); st.TokenGrants[zoomsandbox.GrantAuthorizationCode] != 1 || st.Refreshes != 0 {
		t.Errorf("sandbox token grants = %v, refreshes %d; want one code exchange, no refresh", st.TokenGrants, st.Refreshes)
	}
}

// TestServerToServer: an S2S credential gets its token with the
// account_credentials grant and is tested OK; the token is kept, not fetched
// for every command. A wrong client secret fails with a message about the
// client ID/secret.
func TestServerToServer(t *testing.T) {
	t.Parallel()
	sb := startSandbox(t)
	e := newNP(t)
	e.createCred("zoomServerToServerOAuthApi", "Zoom S2S", sb.s2sJSON(""))
	for range 2 {
		r := e.run("", "credentials", "test", "Zoom S2S").ok(t)
		if !strings.HasPrefix(r.stdout, "✓ Zoom S2S:") || !strings.Contains(r.stdout, sandboxUserEmail) {
			t.Errorf("credentials test: %q", r.stdout)
		}
	}
	if n := sb.Stats().TokenGrants[zoomsandbox.GrantAccountCredentials]; n != 1 {
		t.Errorf("account_credentials grants = %d, want 1 (the token is stored and reused)", n)
	}
	r := e.run("", "credentials", "connect", "Zoom S2S").fails(t, 1)
	if !strings.Contains(r.stderr, "does not use the OAuth2 authorization-code flow") {
		t.Errorf("connect of an S2S credential: %q", r.stderr)
	}

	wrong := "e2e-wrong-secret-" + randHex(8)
	e.createCred("zoomServerToServerOAuthApi", "Wrong S2S", sb.s2sJSON(wrong))
	r = e.run("", "credentials", "test", "Wrong S2S").fails(t, 1)
	if !strings.Contains(r.all(), "client ID or client secret") || !strings.Contains(r.all(), "Wrong S2S") {
		t.Errorf("test with a wrong client secret: stdout %q stderr %q", r.stdout, r.stderr)
	}
	assertNoSecret(t, "the output of the failed test", []byte(r.all()), wrong, sb.S2SSecret)
	if !strings.Contains(r.all(), "nodeplug credentials update 'Wrong S2S'") {
		t.Errorf("the failed test does not say how to correct the secret: %q", r.all())
	}

	// Correcting only the secret (the other properties are kept) repairs it.
	e.run(`{"clientSecret":"`+sb.S2SSecret+`"}`, "credentials", "update", "Wrong S2S").ok(t)
	r = e.run("", "credentials", "test", "Wrong S2S").ok(t)
	if !strings.Contains(r.stdout, "Connected to Zoom") {
		t.Errorf("test after update: %q", r.stdout)
	}
	r = e.run(`{"nope":1}`, "credentials", "update", "Wrong S2S").fails(t, 1)
	if !strings.Contains(r.stderr, `no property "nope"`) {
		t.Errorf("update with an unknown property: %q", r.stderr)
	}
}

// revokeUserGrants revokes every earlier grant of the sandbox's user OAuth
// app for its user: Zoom (and the sandbox) revoke the earlier consent when
// the user authorizes the app again (error 4741 for the old tokens). The
// sandbox's revoke endpoints need a token value, which tests never see.
func revokeUserGrants(t *testing.T, sb *sandbox) {
	t.Helper()
	q := url.Values{"client_id": {zoomsandbox.DefaultClientID}, "response_type": {"code"}, "redirect_uri": {"http://127.0.0.1/oauth2/callback"}}
	noFollow := &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Get(sb.URL + "/oauth/authorize?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("re-authorizing to revoke the grant: %s", resp.Status)
	}
}

// TestRevokedGrantNeedsReconnect: once the grant is revoked and the access
// token has expired, the refresh is refused: the run says the credential
// needs to be reconnected, and so do credentials list and test. Connecting
// again repairs it.
func TestRevokedGrantNeedsReconnect(t *testing.T) {
	t.Parallel()
	sb := startSandbox(t)
	e := newNP(t)
	e.createCred("zoomOAuth2Api", "Zoom account", sb.oauth2JSON())
	e.connect("Zoom account")
	revokeUserGrants(t, sb)
	sb.Advance(2 * time.Hour)

	r := e.run("", "run", example("zoom-create-meeting.json")).fails(t, 1)
	if !needsReconnect.MatchString(r.stderr) || !connectHint("Zoom account").MatchString(r.stderr) {
		t.Errorf("run with a revoked grant does not say to reconnect:\n%s", r.stderr)
	}
	if st := sb.Stats(); st.Refreshes != 0 || st.Meetings != 0 {
		t.Errorf("refreshes %d, meetings %d; want 0 and 0", st.Refreshes, st.Meetings)
	}

	r = e.run("", "credentials", "list").ok(t)
	if !strings.Contains(r.stdout, "needs reconnect") {
		t.Errorf("credentials list does not say needs reconnect:\n%s", r.stdout)
	}
	r = e.run("", "credentials", "list", "-o", "json").ok(t)
	var list []struct{ Name, Status, Message string }
	if err := json.Unmarshal([]byte(r.stdout), &list); err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].Status != "needs reconnect" || !connectHint("Zoom account").MatchString(list[0].Message) {
		t.Errorf("list -o json = %s", r.stdout)
	}
	r = e.run("", "credentials", "test", "Zoom account").fails(t, 1)
	if !strings.Contains(r.all(), "reconnect") || !connectHint("Zoom account").MatchString(r.all()) {
		t.Errorf("credentials test of a revoked credential does not say to reconnect:\nstdout %q\nstderr %q", r.stdout, r.stderr)
	}

	e.connect("Zoom account")
	r = e.run("", "credentials", "list").ok(t)
	if !strings.Contains(r.stdout, "connected") || strings.Contains(r.stdout, "needs reconnect") {
		t.Errorf("list after reconnecting:\n%s", r.stdout)
	}
	e.run("", "run", example("zoom-create-meeting.json")).ok(t)
}

// jwtToken returns a token shaped like a retired Zoom JWT app's: HS256 with
// the API key as iss.
func jwtToken() string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." +
		enc([]byte(`{"iss":"e2eApiKey`+randHex(4)+`","exp":4102444800}`)) + "." + enc([]byte(randHex(16)))
}

// TestJWTCredentialRetired: a zoomApi credential warns at creation and its
// test and runs explain that Zoom retired JWT apps and what to use instead.
func TestJWTCredentialRetired(t *testing.T) {
	t.Parallel()
	sb := startSandbox(t)
	e := newNP(t)
	tok := jwtToken()
	r := e.createCred("zoomApi", "Old JWT", mustJSON(map[string]string{"accessToken": tok, "environment": "custom", "apiBaseUrl": sb.URL}))
	if !strings.Contains(r.stderr, "deprecated") {
		t.Errorf("create of a zoomApi credential does not warn: %q", r.stderr)
	}
	r = e.run("", "credentials", "test", "Old JWT").fails(t, 1)
	for _, want := range []string{"JWT", "zoomServerToServerOAuthApi"} {
		if !strings.Contains(r.all(), want) {
			t.Errorf("credentials test of a JWT credential does not mention %q:\nstdout %q\nstderr %q", want, r.stdout, r.stderr)
		}
	}
	wf := writeWorkflow(t, "JWT list", "zoomApi", "Old JWT", zoomNode{Name: "List meetings", Params: map[string]any{"operation": "getAll"}})
	r = e.run("", "run", wf).fails(t, 1)
	if !strings.Contains(r.stderr, "JWT") || !strings.Contains(r.stderr, "List meetings") {
		t.Errorf("run with a JWT credential: %q", r.stderr)
	}
	assertNoSecret(t, "outputs", []byte(r.all()), tok)
}

// TestRotatedRefreshTokenSurvivesRestart: each refresh rotates the refresh
// token (the sandbox invalidates the old one at once); a second process
// refreshes again with the rotated one, so it was persisted.
func TestRotatedRefreshTokenSurvivesRestart(t *testing.T) {
	t.Parallel()
	sb := startSandbox(t)
	e := newNP(t)
	e.createCred("zoomOAuth2Api", "Zoom account", sb.oauth2JSON())
	e.connect("Zoom account")
	obtained := func() time.Time {
		r := e.run("", "credentials", "show", "Zoom account", "-o", "json").ok(t)
		var s struct {
			Token struct {
				ObtainedAt time.Time `json:"obtainedAt"`
			} `json:"token"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &s); err != nil {
			t.Fatal(err)
		}
		return s.Token.ObtainedAt
	}
	before := obtained()
	for i := 1; i <= 2; i++ {
		sb.Advance(2 * time.Hour)
		r := e.run("", "run", example("zoom-create-meeting.json")).ok(t)
		if items := decodeItems(t, r.stdout); len(items) != 1 {
			t.Fatalf("run %d: %d items", i, len(items))
		}
		st := sb.Stats()
		if st.Refreshes != i || st.TokenErrors != 0 {
			t.Fatalf("after run %d: %d refreshes, %d token errors; want %d and 0", i, st.Refreshes, st.TokenErrors, i)
		}
		after := obtained()
		if !after.After(before) {
			t.Errorf("run %d: the stored token was not replaced (obtained %s, before %s)", i, after, before)
		}
		before = after
	}
	if st := sb.Stats(); st.Meetings != 2 {
		t.Errorf("meetings = %d, want 2", st.Meetings)
	}
}

// listWorkflow writes a read-only workflow: list the user's meetings.
func listWorkflow(t *testing.T, credType, credName string) string {
	return writeWorkflow(t, "List meetings", credType, credName,
		zoomNode{Name: "List meetings", Params: map[string]any{"operation": "getAll", "returnAll": true, "filters": map[string]any{"type": "scheduled"}}})
}

// TestConcurrentRunsRefreshOnce: 20 nodeplug processes start on an expired
// token; exactly one refresh happens and every run succeeds.
func TestConcurrentRunsRefreshOnce(t *testing.T) {
	t.Parallel()
	sb := startSandbox(t)
	e := newNP(t)
	e.createCred("zoomOAuth2Api", "Zoom account", sb.oauth2JSON())
	e.connect("Zoom account")
	wf := listWorkflow(t, "zoomOAuth2Api", "Zoom account")
	sb.Advance(2 * time.Hour)

	const n = 20
	results := make([]result, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { results[i] = e.run("", "run", wf) })
	}
	wg.Wait()
	for i, r := range results {
		if r.code != 0 {
			t.Errorf("run %d: exit %d\n%s", i, r.code, r.stderr)
		}
	}
	st := sb.Stats()
	if st.Refreshes != 1 || st.TokenErrors != 0 {
		t.Errorf("%d concurrent runs on an expired token: %d refreshes, %d token errors; want exactly 1 and 0", n, st.Refreshes, st.TokenErrors)
	}
	if es := e.executions(); len(es) != n {
		t.Errorf("%d executions recorded, want %d", len(es), n)
	}
}

// TestRejectedTokenRefreshedOverBroker: the API answers 401 (code 124) to a
// token the host considers fresh; the plugin asks the host over the go-plugin
// broker, the host refreshes, and the plugin's retry succeeds.
func TestRejectedTokenRefreshedOverBroker(t *testing.T) {
	t.Parallel()
	sb := startSandbox(t)
	e := newNP(t)
	e.createCred("zoomOAuth2Api", "Zoom account", sb.oauth2JSON())
	e.connect("Zoom account")
	sb.ResetRequests()
	sb.Fault(zoomsandbox.Fault{PathPrefix: "/v2/users/", Method: "POST", Status: http.StatusUnauthorized, Code: 124, Message: "Invalid access token."})

	r := e.run("", "run", example("zoom-create-meeting.json")).ok(t)
	if items := decodeItems(t, r.stdout); len(items) != 1 {
		t.Fatalf("%d items", len(items))
	}
	st := sb.Stats()
	if st.Refreshes != 1 || st.FaultsApplied != 1 || st.Meetings != 1 {
		t.Errorf("refreshes %d, faults applied %d, meetings %d; want 1, 1, 1", st.Refreshes, st.FaultsApplied, st.Meetings)
	}
	var got []string
	for _, rq := range sb.Requests() {
		switch {
		case isMeetingCreate(rq):
			got = append(got, "create meeting")
		case rq.Path == "/oauth/token":
			f, _ := url.ParseQuery(rq.Body)
			got = append(got, "token "+f.Get("grant_type"))
		default:
			got = append(got, rq.String())
		}
	}
	if diff := cmp.Diff([]string{"create meeting", "token refresh_token", "create meeting"}, got); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
}
