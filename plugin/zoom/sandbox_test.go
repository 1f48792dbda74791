package zoom_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/nodeplug/nodeplug/plugin/sdk"
	"github.com/nodeplug/nodeplug/plugin/zoom"
	"github.com/nodeplug/nodeplug/zoomsandbox"
)

// zak matches the one-time start token in start_url.
var zak = regexp.MustCompile(`zak=[^"&]*`)

// rawGet fetches path from the sandbox API directly, for comparisons.
func (s *sandbox) rawGet(t *testing.T, token, path string) []byte {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, s.URL+"/v2"+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, resp.StatusCode, b)
	}
	return bytes.TrimSpace(b)
}

// count counts the recorded API requests with method and path prefix.
func (s *sandbox) count(method, prefix string) int {
	n := 0
	for _, r := range s.Requests() {
		if r.Method == method && strings.HasPrefix(r.Path, prefix) {
			n++
		}
	}
	return n
}

// lastQueries returns the raw queries of the recorded list calls.
func (s *sandbox) listQueries() []string {
	var out []string
	for _, r := range s.Requests() {
		if r.Method == http.MethodGet && r.Path == "/v2/users/me/meetings" {
			out = append(out, r.RawQuery)
		}
	}
	return out
}

// meetingIDOf reads the id of a meeting object without float64.
func meetingIDOf(t *testing.T, js string) string {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(js))
	dec.UseNumber()
	var m struct {
		ID json.Number `json:"id"`
	}
	if err := dec.Decode(&m); err != nil || m.ID == "" {
		t.Fatalf("no id in %s: %v", js, err)
	}
	return m.ID.String()
}

func field(t *testing.T, js, path string) any {
	t.Helper()
	var v any
	dec := json.NewDecoder(strings.NewReader(js))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		t.Fatal(err)
	}
	for _, k := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

func mustOK(t *testing.T, resp *sdk.ExecuteResponse) {
	t.Helper()
	if err := resp.Diagnostics.Err(); err != nil {
		t.Fatalf("unexpected error diagnostic: %v (%+v)", err, resp.Diagnostics)
	}
}

// onlyDiag returns the single error diagnostic of resp.
func onlyDiag(t *testing.T, resp *sdk.ExecuteResponse) sdk.Diagnostic {
	t.Helper()
	errs := resp.Diagnostics.Errors()
	if len(errs) != 1 {
		t.Fatalf("want exactly one error diagnostic, got %+v", resp.Diagnostics)
	}
	return errs[0]
}

// TestSandboxMeetingLifecycle runs create → get → update → getAll → delete →
// get against the sandbox over real HTTP.
func TestSandboxMeetingLifecycle(t *testing.T) {
	t.Parallel()
	sb := newSandbox(t)
	tok := sb.mint(t, oauthApp)
	cred := sb.credential("zoomOAuth2Api", tok)
	p, _, logs := newTestPlugin(t)

	// create, with a start time given as an instant and a zone
	resp := execute(t, p, cred, sdk.OnErrorStop, `{"authentication":"oAuth2","topic":"Plugin smoke test","additionalFields":{
		"agenda":"Check create, read, update and delete","duration":"45","password":"x7Kq2p","type":2,
		"startTime":"2026-11-03T10:00:00-05:00","timeZone":"Europe/Berlin",
		"settings":{"hostVideo":true,"participantVideo":false,"audio":"voip","muteUponEntry":true}}}`)
	mustOK(t, resp)
	out := outputs(resp)
	if len(out) != 1 {
		t.Fatalf("create gave %d items", len(out))
	}
	created := out[0]
	id := meetingIDOf(t, created)
	for path, want := range map[string]any{
		"topic": "Plugin smoke test", "start_time": "2026-11-03T15:00:00Z", "timezone": "Europe/Berlin", "duration": json.Number("45"),
		"password": "x7Kq2p", "settings.host_video": true, "settings.participant_video": false, "settings.audio": "voip", "settings.mute_upon_entry": true,
	} {
		if got := field(t, created, path); !cmp.Equal(got, want) {
			t.Errorf("created %s = %v, want %v", path, got, want)
		}
	}
	if !strings.Contains(created, `"id":`+id) {
		t.Errorf("the output's id is not the sandbox's digits: %s", created)
	}

	// get: the output is the sandbox's meeting object byte for byte
	resp = execute(t, p, cred, sdk.OnErrorStop, `{"authentication":"oAuth2","operation":"get","meetingId":"`+id+`"}`)
	mustOK(t, resp)
	// (start_url carries a fresh zak on every read, as on Zoom.)
	raw := zak.ReplaceAllString(string(sb.rawGet(t, tok, "/meetings/"+id)), "zak=…")
	if got := outputs(resp); len(got) != 1 || zak.ReplaceAllString(got[0], "zak=…") != raw {
		t.Errorf("get output differs from Zoom's body:\n got %v\nwant %s", got, raw)
	}

	// update: switch a setting off, clear the agenda, convert the start time
	resp = execute(t, p, cred, sdk.OnErrorStop, `{"authentication":"oAuth2","operation":"update","meetingId":`+id+`,"updateFields":{
		"topic":"Renamed","agenda":"","settings":{"hostVideo":false},"startTime":"2026-11-05T09:00:00Z","timeZone":"America/New_York"}}`)
	mustOK(t, resp)
	if diff := cmp.Diff([]string{`{"success":true}`}, outputs(resp)); diff != "" {
		t.Errorf("update output (-want +got):\n%s", diff)
	}
	after := string(sb.rawGet(t, tok, "/meetings/"+id))
	if a := field(t, after, "agenda"); a != nil && a != "" {
		t.Errorf("agenda not cleared: %v", a)
	}
	for path, want := range map[string]any{"topic": "Renamed", "settings.host_video": false,
		"start_time": "2026-11-05T09:00:00Z", "timezone": "America/New_York", "settings.participant_video": false} {
		if got := field(t, after, path); !cmp.Equal(got, want) {
			t.Errorf("after update %s = %v, want %v", path, got, want)
		}
	}

	// getAll with paging: 65 meetings in all.
	items := make([]string, 64)
	for i := range items {
		items[i] = fmt.Sprintf(`{"authentication":"oAuth2","topic":"Bulk %02d","additionalFields":{"startTime":"2026-12-%02dT10:00:00","timeZone":"UTC"}}`, i, i%28+1)
	}
	resp = execute(t, p, cred, sdk.OnErrorStop, items...)
	mustOK(t, resp)
	if n := len(outputs(resp)); n != 64 {
		t.Fatalf("bulk create gave %d items", n)
	}
	for i, o := range resp.Outputs[0] {
		if o.PairedItem != i {
			t.Errorf("output %d paired to %d", i, o.PairedItem)
		}
	}
	sb.ResetRequests()
	resp = execute(t, p, cred, sdk.OnErrorStop, `{"authentication":"oAuth2","operation":"getAll","returnAll":true,"filters":{"type":"scheduled"}}`)
	mustOK(t, resp)
	if n := len(outputs(resp)); n != 65 {
		t.Errorf("returnAll gave %d meetings, want 65", n)
	}
	if diff := cmp.Diff([]string{"page_size=300&type=scheduled"}, sb.listQueries()); diff != "" {
		t.Errorf("returnAll list calls (-want +got):\n%s", diff)
	}
	seen := map[string]bool{}
	for _, o := range outputs(resp) {
		seen[meetingIDOf(t, o)] = true
	}
	if len(seen) != 65 || !seen[id] {
		t.Errorf("returnAll gave %d distinct meetings (want 65 including %s)", len(seen), id)
	}

	sb.ResetRequests()
	resp = execute(t, p, cred, sdk.OnErrorStop, `{"authentication":"oAuth2","operation":"getAll","limit":40,"filters":{"type":"scheduled"}}`)
	mustOK(t, resp)
	if n := len(outputs(resp)); n != 40 {
		t.Errorf("limit 40 gave %d meetings", n)
	}
	if diff := cmp.Diff([]string{"page_size=40&type=scheduled"}, sb.listQueries()); diff != "" {
		t.Errorf("limit list calls (-want +got):\n%s", diff)
	}

	// delete, then get: not found names the id
	resp = execute(t, p, cred, sdk.OnErrorStop, `{"authentication":"oAuth2","operation":"delete","meetingId":"`+id+`","additionalFields":{"scheduleForReminder":true}}`)
	mustOK(t, resp)
	if diff := cmp.Diff([]string{`{"success":true}`}, outputs(resp)); diff != "" {
		t.Errorf("delete output (-want +got):\n%s", diff)
	}
	for _, op := range []string{"get", "delete"} {
		resp = execute(t, p, cred, sdk.OnErrorStop, `{"authentication":"oAuth2","operation":"`+op+`","meetingId":"`+id+`"}`)
		d := onlyDiag(t, resp)
		if d.Kind != sdk.KindNotFound || d.Code != "zoom.meeting_not_found" || d.Attribute.String() != "meetingId" || d.ItemIndex != 0 {
			t.Errorf("%s after delete: %+v", op, d)
		}
		if want := "Meeting " + id + " was not found"; d.Summary != want {
			t.Errorf("%s after delete: summary %q, want %q", op, d.Summary, want)
		}
	}
	if strings.Contains(logs.String(), tok) {
		t.Error("the plugin logged the access token")
	}
	if !strings.Contains(logs.String(), `"path":"/v2/users/me/meetings"`) || !strings.Contains(logs.String(), `"status":201`) {
		t.Errorf("the plugin did not log the calls at debug: %s", logs.String()[:min(400, len(logs.String()))])
	}
}

// capPageSize forces a small page size on list calls, as a Zoom that pages
// at less than asked would, so that next_page_token paging happens.
type capPageSize struct {
	next http.RoundTripper
	max  string
}

func (c capPageSize) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/users/me/meetings") {
		r = r.Clone(r.Context())
		q := r.URL.Query()
		q.Set("page_size", c.max)
		r.URL.RawQuery = q.Encode()
	}
	return c.next.RoundTrip(r)
}

func TestSandboxPagingWithNextPageToken(t *testing.T) {
	t.Parallel()
	sb := newSandbox(t)
	tok := sb.mint(t, s2sApp)
	cred := sb.credential("zoomServerToServerOAuthApi", tok)
	setup, _, _ := newTestPlugin(t)
	items := make([]string, 65)
	for i := range items {
		items[i] = fmt.Sprintf(`{"authentication":"serverToServerOAuth","topic":"M%02d","additionalFields":{"startTime":"2026-12-01T10:%02d:00Z"}}`, i, i%60)
	}
	mustOK(t, execute(t, setup, cred, sdk.OnErrorStop, items...))

	p, _, _ := newTestPlugin(t, zoom.WithHTTPClient(&http.Client{Transport: capPageSize{next: http.DefaultTransport, max: "25"}}))
	tests := map[string]struct {
		params string
		want   int
		calls  int
	}{
		"returnAll follows tokens to the end":     {`{"authentication":"serverToServerOAuth","operation":"getAll","returnAll":true}`, 65, 3},
		"limit 40 stops once it has enough":       {`{"authentication":"serverToServerOAuth","operation":"getAll","limit":40}`, 40, 2},
		"limit 25 needs one page":                 {`{"authentication":"serverToServerOAuth","operation":"getAll","limit":"25"}`, 25, 1},
		"limit 300 ends on the last page's token": {`{"authentication":"serverToServerOAuth","operation":"getAll","limit":300}`, 65, 3},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			sb.ResetRequests()
			resp := execute(t, p, cred, sdk.OnErrorStop, tc.params)
			mustOK(t, resp)
			out := outputs(resp)
			if len(out) != tc.want {
				t.Errorf("got %d meetings, want %d", len(out), tc.want)
			}
			seen := map[string]bool{}
			for _, o := range out {
				seen[meetingIDOf(t, o)] = true
			}
			if len(seen) != len(out) {
				t.Errorf("duplicates: %d distinct of %d", len(seen), len(out))
			}
			qs := sb.listQueries()
			if len(qs) != tc.calls {
				t.Errorf("%d list calls, want %d: %v", len(qs), tc.calls, qs)
			}
			for i, q := range qs {
				if (i > 0) != strings.Contains(q, "next_page_token=") {
					t.Errorf("call %d query %q: next_page_token only from the second call on", i, q)
				}
			}
		})
	}
}

func TestSandboxValidationErrorNamesFields(t *testing.T) {
	t.Parallel()
	sb := newSandbox(t)
	cred := sb.credential("zoomOAuth2Api", sb.mint(t, oauthApp))
	p, _, _ := newTestPlugin(t)
	tests := map[string]struct {
		params string
		fields []string
	}{
		"create": {`{"authentication":"oAuth2","topic":"x","additionalFields":{"password":"pass word","timeZone":"Mars/Olympus","settings":{"audio":"stereo","autoRecording":"tape"}}}`,
			[]string{"additionalFields.password", "additionalFields.timeZone", "additionalFields.settings.audio", "additionalFields.settings.autoRecording"}},
		"create type": {`{"authentication":"oAuth2","additionalFields":{"type":5,"settings":{"registrationType":9}}}`,
			[]string{"additionalFields.type", "additionalFields.settings.registrationType"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			resp := execute(t, p, cred, sdk.OnErrorStop, tc.params)
			d := onlyDiag(t, resp)
			if d.Kind != sdk.KindConfig || d.Code != "zoom.validation_failed" {
				t.Fatalf("diagnostic %+v", d)
			}
			for _, f := range tc.fields {
				if !strings.Contains(d.Detail, f) {
					t.Errorf("detail does not name %s: %s", f, d.Detail)
				}
			}
			if !strings.HasPrefix(d.Attribute.String(), strings.Split(tc.fields[0], ".")[0]) || d.Attribute.String() == "" {
				t.Errorf("attribute %q", d.Attribute)
			}
		})
	}
	// update: the meeting exists, the setting is wrong
	resp := execute(t, p, cred, sdk.OnErrorStop, `{"authentication":"oAuth2","topic":"ok"}`)
	mustOK(t, resp)
	id := meetingIDOf(t, outputs(resp)[0])
	resp = execute(t, p, cred, sdk.OnErrorStop, `{"authentication":"oAuth2","operation":"update","meetingId":"`+id+`","updateFields":{"settings":{"audio":"stereo"}}}`)
	d := onlyDiag(t, resp)
	if d.Attribute.String() != "updateFields.settings.audio" || d.Kind != sdk.KindConfig {
		t.Errorf("update diagnostic %+v", d)
	}
	// password length is checked before any request
	sb.ResetRequests()
	resp = execute(t, p, cred, sdk.OnErrorStop, `{"authentication":"oAuth2","topic":"x","additionalFields":{"password":"12345678901"}}`)
	if d := onlyDiag(t, resp); d.Attribute.String() != "additionalFields.password" || d.Kind != sdk.KindConfig {
		t.Errorf("password diagnostic %+v", d)
	}
	if n := len(sb.Requests()); n != 0 {
		t.Errorf("%d requests sent for an invalid password", n)
	}
}

// TestSandboxRefreshOn401 checks that a rejected token is refreshed through
// the host's callback once and the same request repeated.
func TestSandboxRefreshOn401(t *testing.T) {
	t.Parallel()
	sb := newSandbox(t)
	p, _, _ := newTestPlugin(t)
	fresh := func() (sdk.Token, error) {
		tok, err := sb.MintAccessToken(oauthApp, 0)
		return sdk.Token{AccessToken: tok, ExpiresAt: testEpoch.Add(time.Hour), Info: map[string]string{"api_url": sb.URL}}, err
	}

	t.Run("expired token", func(t *testing.T) {
		old, err := sb.MintAccessToken(oauthApp, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		r := &refresher{next: fresh}
		cred := sb.credential("zoomOAuth2Api", old)
		cred.Refresher = r
		before := sb.Stats().Meetings
		sb.Advance(2 * time.Minute)
		resp := execute(t, p, cred, sdk.OnErrorStop, `{"authentication":"oAuth2","topic":"after refresh"}`, `{"authentication":"oAuth2","topic":"second item"}`)
		mustOK(t, resp)
		if r.count() != 1 {
			t.Errorf("refreshed %d times, want once for the whole batch", r.count())
		}
		if got := sb.Stats().Meetings - before; got != 2 {
			t.Errorf("%d meetings created, want 2", got)
		}
	})

	t.Run("injected 401 once", func(t *testing.T) {
		sb.InjectFault(zoomsandbox.Fault{PathPrefix: "/v2/meetings/", Method: http.MethodGet, Status: 401, Code: 124, Message: "Access token is expired."})
		r := &refresher{next: fresh}
		cred := sb.credential("zoomOAuth2Api", sb.mint(t, oauthApp))
		cred.Refresher = r
		mustOK(t, execute(t, p, cred, sdk.OnErrorStop, `{"authentication":"oAuth2","topic":"x"}`))
		id := meetingIDOf(t, outputs(execute(t, p, cred, sdk.OnErrorStop, `{"authentication":"oAuth2","topic":"x"}`))[0])
		resp := execute(t, p, cred, sdk.OnErrorStop, `{"authentication":"oAuth2","operation":"get","meetingId":"`+id+`"}`)
		mustOK(t, resp)
		if r.count() != 1 {
			t.Errorf("refreshed %d times", r.count())
		}
	})

	t.Run("still rejected after refresh", func(t *testing.T) {
		sb.InjectFault(zoomsandbox.Fault{PathPrefix: "/v2/users/me/meetings", Method: http.MethodGet, Status: 401, Code: 124, Message: "Invalid access token.", Count: 2})
		r := &refresher{next: fresh}
		cred := sb.credential("zoomOAuth2Api", sb.mint(t, oauthApp))
		cred.Refresher = r
		resp := execute(t, p, cred, sdk.OnErrorStop, `{"authentication":"oAuth2","operation":"getAll"}`)
		d := onlyDiag(t, resp)
		if d.Kind != sdk.KindAuth || d.Code != "zoom.token_invalid" || r.count() != 1 {
			t.Errorf("diagnostic %+v after %d refreshes", d, r.count())
		}
	})

	t.Run("host cannot refresh", func(t *testing.T) {
		old := sb.mint(t, oauthApp)
		sb.RevokeToken(old)
		r := &refresher{} // answers with a diagnostic
		cred := sb.credential("zoomOAuth2Api", old)
		cred.Refresher = r
		resp := execute(t, p, cred, sdk.OnErrorStop, `{"authentication":"oAuth2","operation":"getAll"}`)
		d := onlyDiag(t, resp)
		if d.Kind != sdk.KindAuth || d.Code != "zoom.refresh_failed" || !strings.Contains(d.Detail, "nodeplug credentials connect") {
			t.Errorf("diagnostic %+v", d)
		}
		if strings.Contains(d.Error(), old) {
			t.Error("the diagnostic shows the token")
		}
	})

	t.Run("JWT token is not refreshed", func(t *testing.T) {
		r := &refresher{next: fresh}
		cred := sb.credential("zoomApi", "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJhcGkta2V5IiwiZXhwIjoxNjkwMDAwMDAwfQ.c2ln")
		cred.Refresher = r
		resp := execute(t, p, cred, sdk.OnErrorStop, `{"operation":"getAll"}`)
		d := onlyDiag(t, resp)
		if d.Code != "zoom.jwt_retired" || r.count() != 0 {
			t.Errorf("diagnostic %+v after %d refreshes", d, r.count())
		}
	})
}

// TestSandboxRateLimit checks the 429 handling with an injected wait: no
// real sleeping.
func TestSandboxRateLimit(t *testing.T) {
	t.Parallel()
	sb := newSandbox(t)
	tok := sb.mint(t, oauthApp)
	cred := sb.credential("zoomOAuth2Api", tok)
	setup, _, _ := newTestPlugin(t)
	id := meetingIDOf(t, outputs(execute(t, setup, cred, sdk.OnErrorStop, `{"authentication":"oAuth2","topic":"x"}`))[0])
	get := `{"authentication":"oAuth2","operation":"get","meetingId":"` + id + `"}`
	perSecond := "You have reached the maximum per-second rate limit for this API. Try again later."

	tests := map[string]struct {
		fault     zoomsandbox.Fault
		wantWaits []time.Duration
		wantCode  string // "" = success
		wantCalls int
		contains  string
	}{
		"Retry-After seconds, twice, then success": {
			fault:     zoomsandbox.Fault{Status: 429, Code: 429, Message: perSecond, Header: map[string]string{"Retry-After": "2", "X-RateLimit-Type": "QPS"}, Count: 2},
			wantWaits: []time.Duration{2 * time.Second, 2 * time.Second}, wantCalls: 3,
		},
		"three times: gives up after two retries": {
			fault:     zoomsandbox.Fault{Status: 429, Code: 429, Message: perSecond, Header: map[string]string{"Retry-After": "1"}, Count: 3},
			wantWaits: []time.Duration{time.Second, time.Second}, wantCode: "zoom.rate_limited", wantCalls: 3, contains: "retry after",
		},
		"per-second without headers waits a second": {
			fault:     zoomsandbox.Fault{Status: 429, Code: 429, Message: perSecond},
			wantWaits: []time.Duration{time.Second}, wantCalls: 2,
		},
		"Retry-After date 20 s ahead": {
			fault:     zoomsandbox.Fault{Status: 429, Code: 429, Message: perSecond, Header: map[string]string{"Retry-After": testEpoch.Add(20 * time.Second).Format(time.RFC3339)}},
			wantWaits: []time.Duration{20 * time.Second}, wantCalls: 2,
		},
		"daily limit: Retry-After date at midnight is not waited for": {
			fault: zoomsandbox.Fault{Status: 429, Code: 429, Message: "You have reached the maximum daily rate limit for this API.",
				Header: map[string]string{"Retry-After": "2026-11-02T00:00:00Z", "X-RateLimit-Type": "Daily-limit", "X-RateLimit-Category": "Light"}},
			wantCode: "zoom.rate_limited", wantCalls: 1, contains: "2026-11-02T00:00:00Z (in 15h0m0s)",
		},
		"per-user daily limit without headers": {
			fault:    zoomsandbox.Fault{Status: 429, Code: 429, Message: "You have exceeded the daily rate limit (100) of Meeting Create/Update API requests permitted for this particular user."},
			wantCode: "zoom.rate_limited", wantCalls: 1, contains: "did not say when",
		},
		"Retry-After 45 s is too long to wait": {
			fault:    zoomsandbox.Fault{Status: 429, Code: 429, Message: perSecond, Header: map[string]string{"Retry-After": "45"}},
			wantCode: "zoom.rate_limited", wantCalls: 1, contains: "in 45s",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			p, w, _ := newTestPlugin(t)
			sb.ClearFaults()
			sb.ResetRequests()
			tc.fault.PathPrefix, tc.fault.Method = "/v2/meetings/", http.MethodGet
			sb.InjectFault(tc.fault)
			resp := execute(t, p, cred, sdk.OnErrorStop, get)
			if tc.wantCode == "" {
				mustOK(t, resp)
			} else {
				d := onlyDiag(t, resp)
				if d.Code != tc.wantCode || d.Kind != sdk.KindRateLimited || !strings.Contains(d.Detail, tc.contains) {
					t.Errorf("diagnostic %+v, want %s containing %q", d, tc.wantCode, tc.contains)
				}
			}
			if diff := cmp.Diff(tc.wantWaits, w.got()); diff != "" {
				t.Errorf("waits (-want +got):\n%s", diff)
			}
			if n := sb.count(http.MethodGet, "/v2/meetings/"); n != tc.wantCalls {
				t.Errorf("%d calls, want %d", n, tc.wantCalls)
			}
		})
	}
}

// TestSandboxCreateIsNeverRetriedBlindly: after a dropped connection or a
// 5xx the create may have happened; the node must not send it again.
func TestSandboxCreateIsNeverRetriedBlindly(t *testing.T) {
	t.Parallel()
	sb := newSandbox(t)
	cred := sb.credential("zoomOAuth2Api", sb.mint(t, oauthApp))
	p, w, _ := newTestPlugin(t)
	tests := map[string]struct {
		fault zoomsandbox.Fault
		kind  sdk.Kind
	}{
		"dropped connection": {zoomsandbox.Fault{DropConnection: true}, sdk.KindTransient},
		"HTTP 500":           {zoomsandbox.Fault{Status: 500, Code: 500, Message: "Internal server error"}, sdk.KindTransient},
		"HTTP 503":           {zoomsandbox.Fault{Status: 503}, sdk.KindTransient},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			sb.ResetRequests()
			tc.fault.PathPrefix, tc.fault.Method = "/v2/users/me/meetings", http.MethodPost
			sb.InjectFault(tc.fault)
			resp := execute(t, p, cred, sdk.OnErrorStop, `{"authentication":"oAuth2","topic":"once only"}`)
			d := onlyDiag(t, resp)
			if d.Kind != tc.kind || d.Code != "zoom.create_outcome_unknown" {
				t.Errorf("diagnostic %+v", d)
			}
			if !strings.Contains(d.Detail, "may have been created") || !strings.Contains(d.Detail, "getAll") {
				t.Errorf("detail does not warn about a duplicate: %s", d.Detail)
			}
			if n := sb.count(http.MethodPost, "/v2/users/me/meetings"); n != 1 {
				t.Errorf("the sandbox received %d creates, want exactly 1", n)
			}
		})
	}
	if len(w.got()) != 0 {
		t.Errorf("waited %v", w.got())
	}
	// A read after dropped connections is transient but says nothing of
	// duplicates. (Go's transport itself repeats an idempotent GET once when
	// a kept-alive connection drops, hence several faults.)
	sb.InjectFault(zoomsandbox.Fault{PathPrefix: "/v2/users/me/meetings", Method: http.MethodGet, DropConnection: true, Count: 5})
	d := onlyDiag(t, execute(t, p, cred, sdk.OnErrorStop, `{"authentication":"oAuth2","operation":"getAll"}`))
	if d.Kind != sdk.KindTransient || d.Code != "zoom.unreachable" || strings.Contains(d.Detail, "duplicate") {
		t.Errorf("getAll diagnostic %+v", d)
	}
}

// TestSandboxOnError checks the three error policies over a batch with
// failing items.
func TestSandboxOnError(t *testing.T) {
	t.Parallel()
	sb := newSandbox(t)
	cred := sb.credential("zoomOAuth2Api", sb.mint(t, oauthApp))
	p, _, _ := newTestPlugin(t)
	id := meetingIDOf(t, outputs(execute(t, p, cred, sdk.OnErrorStop, `{"authentication":"oAuth2","topic":"x"}`))[0])
	items := []string{
		`{"authentication":"oAuth2","operation":"get","meetingId":"` + id + `"}`,
		`{"authentication":"oAuth2","operation":"get","meetingId":"not-an-id"}`,
		`{"authentication":"oAuth2","operation":"get","meetingId":"1"}`,
		`{"authentication":"oAuth2","operation":"delete","meetingId":"` + id + `"}`,
	}

	t.Run("stop", func(t *testing.T) {
		sb.ResetRequests()
		resp := execute(t, p, cred, sdk.OnErrorStop, items...)
		d := onlyDiag(t, resp)
		if d.ItemIndex != 1 || d.Attribute.String() != "meetingId" || d.Kind != sdk.KindConfig {
			t.Errorf("diagnostic %+v", d)
		}
		if len(resp.Outputs) != 1 || len(resp.Outputs[0]) != 1 {
			t.Errorf("outputs %v", resp.Outputs)
		}
		if n := len(sb.Requests()); n != 1 {
			t.Errorf("%d requests: the run did not stop at item 1", n)
		}
	})
	t.Run("continue regular output", func(t *testing.T) {
		resp := execute(t, p, cred, sdk.OnErrorContinueRegularOutput, items[:3]...)
		if resp.Diagnostics.HasError() || len(resp.Diagnostics) != 2 {
			t.Fatalf("diagnostics %+v", resp.Diagnostics)
		}
		out := outputs(resp)
		if len(out) != 3 || !strings.Contains(out[1], `"error"`) || !strings.Contains(out[2], "Meeting 1 was not found") {
			t.Errorf("outputs %v", out)
		}
		for i, o := range resp.Outputs[0] {
			if o.PairedItem != i {
				t.Errorf("item %d paired to %d", i, o.PairedItem)
			}
		}
		if resp.Diagnostics[1].ItemIndex != 2 || resp.Diagnostics[1].Code != "zoom.meeting_not_found" {
			t.Errorf("second diagnostic %+v", resp.Diagnostics[1])
		}
	})
	t.Run("continue error output", func(t *testing.T) {
		resp := execute(t, p, cred, sdk.OnErrorContinueErrorOutput, items...)
		if len(resp.Outputs) != 2 || len(resp.Outputs[0]) != 2 || len(resp.Outputs[1]) != 2 {
			t.Fatalf("outputs %v", resp.Outputs)
		}
		if resp.Outputs[1][0].PairedItem != 1 || resp.Outputs[1][1].PairedItem != 2 {
			t.Errorf("error items paired to %d, %d", resp.Outputs[1][0].PairedItem, resp.Outputs[1][1].PairedItem)
		}
		if string(resp.Outputs[0][1].JSON) != `{"success":true}` {
			t.Errorf("delete after failures: %s", resp.Outputs[0][1].JSON)
		}
	})
}

// TestSandboxCredentialSelection: the node uses whichever Zoom credential the
// host sent when authentication does not match it (old exports).
func TestSandboxCredentialSelection(t *testing.T) {
	t.Parallel()
	sb := newSandbox(t)
	p, _, _ := newTestPlugin(t)
	oauth := sb.credential("zoomOAuth2Api", sb.mint(t, oauthApp))
	s2s := sb.credential("zoomServerToServerOAuthApi", sb.mint(t, s2sApp))
	for name, tc := range map[string]struct {
		auth  string
		creds []sdk.Credential
	}{
		"empty authentication, OAuth2 sent":  {`""`, []sdk.Credential{oauth}},
		"absent authentication, OAuth2 sent": {``, []sdk.Credential{oauth}},
		"accessToken named, only S2S sent":   {`"accessToken"`, []sdk.Credential{s2s}},
		"unknown value, both sent":           {`"{{ $credentials.oAuth2 }}"`, []sdk.Credential{s2s, oauth}},
		"serverToServerOAuth with both":      {`"serverToServerOAuth"`, []sdk.Credential{oauth, s2s}},
	} {
		t.Run(name, func(t *testing.T) {
			params := `{"topic":"pick"}`
			if tc.auth != "" {
				params = `{"authentication":` + tc.auth + `,"topic":"pick"}`
			}
			node, _ := p.Node("zoom")
			resp, err := node.Executor.Execute(t.Context(), &sdk.ExecuteRequest{NodeType: "zoom", Credentials: tc.creds,
				Items: []sdk.Item{{Parameters: json.RawMessage(params)}}})
			if err != nil {
				t.Fatal(err)
			}
			mustOK(t, resp)
		})
	}
	node, _ := p.Node("zoom")
	resp, _ := node.Executor.Execute(t.Context(), &sdk.ExecuteRequest{NodeType: "zoom", Items: []sdk.Item{{Parameters: json.RawMessage(`{"authentication":"oAuth2"}`)}}})
	d := onlyDiag(t, resp)
	if d.Code != "zoom.credential_missing" || d.Attribute.String() != "authentication" || !strings.Contains(d.Detail, "zoomOAuth2Api") {
		t.Errorf("no credential: %+v", d)
	}
}
