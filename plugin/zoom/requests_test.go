package zoom_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/nodeplug/nodeplug/plugin/sdk"
)

// recordedRequest is one HTTP request the node sent, as golden JSON.
type recordedRequest struct {
	Method string              `json:"method"`
	Path   string              `json:"path"`
	Query  map[string][]string `json:"query,omitempty"`
	Body   json.RawMessage     `json:"body,omitempty"`
	// Credential is the type of the credential whose token was sent.
	Credential string `json:"credential"`
}

// requestCase is one parameter set and what it sent.
type requestCase struct {
	Name       string            `json:"name"`
	Parameters json.RawMessage   `json:"parameters"`
	Requests   []recordedRequest `json:"requests"`
	Outputs    []json.RawMessage `json:"outputs"`
}

// Canned answers of the fake Zoom. The id is above 2^53: it survives only
// if no float64 is involved.
const (
	fakeMeeting = `{"id":9007199254740993,"uuid":"4pXq2mA1Tyq8c9Zb+Q0yXw==","topic":"Plugin smoke test","type":2,"start_time":"2026-11-03T15:00:00Z","duration":45,"timezone":"Europe/Berlin"}`
	fakeList    = `{"page_size":30,"total_records":2,"next_page_token":"","meetings":[{"id":85746065432,"topic":"A"},{"id":85746065433,"topic":"B"}]}`
)

// fakeZoom records requests and answers like Zoom.
type fakeZoom struct {
	mu   sync.Mutex
	reqs []recordedRequest
}

var tokenTypes = map[string]string{"Bearer tok-jwt": "zoomApi", "Bearer tok-oauth2": "zoomOAuth2Api", "Bearer tok-s2s": "zoomServerToServerOAuthApi"}

func (f *fakeZoom) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rr := recordedRequest{Method: r.Method, Path: r.URL.EscapedPath(), Credential: tokenTypes[r.Header.Get("Authorization")]}
	if q := r.URL.Query(); len(q) > 0 {
		rr.Query = q
	}
	if len(body) > 0 {
		rr.Body = body
		if r.Header.Get("Content-Type") != "application/json" {
			rr.Credential += " (missing Content-Type)"
		}
	}
	f.mu.Lock()
	f.reqs = append(f.reqs, rr)
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	switch {
	case r.Method == http.MethodPost:
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, fakeMeeting)
	case r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/meetings"):
		_, _ = io.WriteString(w, fakeList)
	case r.Method == http.MethodGet:
		_, _ = io.WriteString(w, fakeMeeting)
	default:
		w.WriteHeader(http.StatusNoContent)
	}
}

func (f *fakeZoom) take() []recordedRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := f.reqs
	f.reqs = nil
	return out
}

// parameterCases cover every operation and option of the node.
var parameterCases = []struct{ name, params string }{
	// create
	{"create/defaults only", `{}`},
	{"create/topic only (access token default)", `{"topic":"Weekly sync"}`},
	{"create/every field", `{"authentication":"oAuth2","resource":"meeting","operation":"create","topic":"Quarterly review","additionalFields":{
		"agenda":"Numbers and plans","duration":90,"password":"Q4-r3v*ew","scheduleFor":"grace.admin@example.test",
		"settings":{"audio":"both","alternativeHosts":"a@example.test;b@example.test","autoRecording":"cloud","cnMeeting":false,"inMeeting":false,
		"hostVideo":true,"joinBeforeHost":true,"muteUponEntry":true,"participantVideo":true,"registrationType":2,"watermark":true},
		"startTime":"2026-11-03T15:00:00Z","timeZone":"Europe/Berlin","type":8}}`},
	{"create/type 1 instant", `{"authentication":"oAuth2","topic":"Now","additionalFields":{"type":1}}`},
	{"create/type 2 scheduled with wall time and zone", `{"authentication":"oAuth2","topic":"Standup","additionalFields":{"type":2,"startTime":"2026-11-03T09:30:00","timeZone":"America/New_York","duration":15}}`},
	{"create/type 3 recurring no fixed time", `{"authentication":"oAuth2","topic":"Office hours","additionalFields":{"type":3}}`},
	{"create/start time with offset, no zone → UTC Z", `{"authentication":"serverToServerOAuth","topic":"Call","additionalFields":{"startTime":"2026-11-03T16:00:00+01:00"}}`},
	{"create/start time without offset or zone → account zone", `{"authentication":"serverToServerOAuth","topic":"Call","additionalFields":{"startTime":"2026-11-03T16:00:00"}}`},
	{"create/start time offset converted into zone", `{"authentication":"oAuth2","topic":"Call","additionalFields":{"startTime":"2026-07-01T09:30:00-04:00","timeZone":"Asia/Kolkata"}}`},
	{"create/settings switched off and cleared", `{"authentication":"oAuth2","topic":"Quiet","additionalFields":{"settings":{"alternativeHosts":"","cnMeeting":false,"inMeeting":false,"hostVideo":false,"joinBeforeHost":false,"muteUponEntry":false,"participantVideo":false,"watermark":false}}}`},
	{"create/settings telephony, local recording, registration 3", `{"authentication":"oAuth2","topic":"Webinar-ish","additionalFields":{"type":8,"settings":{"audio":"telephony","autoRecording":"local","registrationType":3}}}`},
	{"create/settings voip, no recording, registration 1", `{"authentication":"oAuth2","topic":"VoIP","additionalFields":{"settings":{"audio":"voip","autoRecording":"none","registrationType":1}}}`},
	{"create/empty settings sends none", `{"authentication":"oAuth2","topic":"T","additionalFields":{"settings":{}}}`},
	{"create/numbers from expressions as strings", `{"authentication":"oAuth2","topic":"T","additionalFields":{"duration":"30","type":"2","settings":{"hostVideo":"true"}}}`},
	{"create/zero duration and empty text are sent", `{"authentication":"oAuth2","topic":"","additionalFields":{"duration":0,"agenda":"","password":""}}`},
	// get
	{"get/by id", `{"authentication":"oAuth2","operation":"get","meetingId":"85746065432"}`},
	{"get/id as JSON number with occurrence", `{"authentication":"oAuth2","operation":"get","meetingId":85746065432,"additionalFields":{"occurrenceId":"1648194360000","showPreviousOccurrences":true}}`},
	{"get/id with spaces, previous occurrences off", `{"authentication":"oAuth2","operation":"get","meetingId":" 857 4606 5432 ","additionalFields":{"showPreviousOccurrences":false}}`},
	// getAll
	{"getAll/defaults (limit 30)", `{"authentication":"oAuth2","operation":"getAll"}`},
	{"getAll/limit 5 upcoming", `{"authentication":"oAuth2","operation":"getAll","returnAll":false,"limit":5,"filters":{"type":"upcoming"}}`},
	{"getAll/limit 300 live", `{"authentication":"oAuth2","operation":"getAll","limit":"300","filters":{"type":"live"}}`},
	{"getAll/return all scheduled", `{"authentication":"oAuth2","operation":"getAll","returnAll":true,"filters":{"type":"scheduled"}}`},
	// update
	{"update/every field", `{"authentication":"oAuth2","operation":"update","meetingId":"85746065432","updateFields":{
		"topic":"Renamed","agenda":"New agenda","duration":30,"password":"n3w-pass","scheduleFor":"grace.admin@example.test",
		"settings":{"audio":"voip","alternativeHosts":"c@example.test","autoRecording":"none","cnMeeting":false,"inMeeting":false,
		"hostVideo":false,"joinBeforeHost":false,"muteUponEntry":true,"participantVideo":false,"registrationType":1,"watermark":false},
		"startTime":"2026-11-04T08:00:00-05:00","timeZone":"Europe/Berlin","type":2}}`},
	{"update/start time without zone becomes UTC", `{"authentication":"oAuth2","operation":"update","meetingId":"85746065432","updateFields":{"startTime":"2026-11-04T14:00:00+01:00"}}`},
	{"update/clear text fields and switch settings off", `{"authentication":"oAuth2","operation":"update","meetingId":"85746065432","updateFields":{"agenda":"","settings":{"alternativeHosts":"","joinBeforeHost":false,"muteUponEntry":false}}}`},
	{"update/nothing to update", `{"authentication":"oAuth2","operation":"update","meetingId":"85746065432","updateFields":{}}`},
	// delete
	{"delete/by id", `{"authentication":"oAuth2","operation":"delete","meetingId":"85746065432"}`},
	{"delete/occurrence with reminder", `{"authentication":"oAuth2","operation":"delete","meetingId":"85746065432","additionalFields":{"occurrenceId":"1648194360000","scheduleForReminder":true}}`},
	{"delete/reminder off is not sent", `{"authentication":"accessToken","operation":"delete","meetingId":"85746065432","additionalFields":{"scheduleForReminder":false}}`},
}

// workflowExpressions resolve the expressions of the public workflows'
// Zoom nodes with plausible values, keyed by file and parameter path.
var workflowExpressions = map[string]map[string]any{
	"gcal-to-zoom-meeting.json": {
		"topic":                      "Meeting with Ada Host",
		"additionalFields.duration":  30, // (end - start) / 60000, a JS number
		"additionalFields.timeZone":  "America/New_York",
		"additionalFields.startTime": "2026-11-03T10:00:00-05:00", // Google Calendar start.dateTime
	},
	"zoom-stripe-paid-meetings.json": {
		"topic":                      "Paid workshop: Go plugins",
		"additionalFields.password":  "k3x9",                     // Math.random().toString(36).slice(-4)
		"additionalFields.startTime": "2026-11-10T14:30:00.000Z", // toISOString()
	},
}

// resolveExpressions replaces every "=…" string in params by the value the
// table gives for its path.
func resolveExpressions(t *testing.T, file string, v any, path string) any {
	t.Helper()
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			p := k
			if path != "" {
				p = path + "." + k
			}
			x[k] = resolveExpressions(t, file, val, p)
		}
	case string:
		if strings.HasPrefix(x, "=") {
			r, ok := workflowExpressions[file][path]
			if !ok {
				t.Fatalf("%s: parameter %s is the expression %q: add a resolved value to workflowExpressions", file, path, x)
			}
			return r
		}
	}
	return v
}

// workflowCases returns the Zoom nodes of the public n8n workflows, with
// their expressions resolved and the credential type they name.
func workflowCases(t *testing.T) []struct{ name, params, credential string } {
	dir := filepath.Join("..", "..", "..", "shared", "reference", "n8n-zoom-workflows")
	if _, err := os.Stat(dir); err != nil {
		t.Logf("the reference workflows %s are absent (CI always has them): checking the other cases only", dir)
		return nil
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no workflows in %s: %v", dir, err)
	}
	sort.Strings(files)
	var out []struct{ name, params, credential string }
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var wf struct {
			Nodes []struct {
				Name        string                     `json:"name"`
				Type        string                     `json:"type"`
				Parameters  map[string]any             `json:"parameters"`
				Credentials map[string]json.RawMessage `json:"credentials"`
			} `json:"nodes"`
		}
		if err := json.Unmarshal(b, &wf); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, n := range wf.Nodes {
			if n.Type != "n8n-nodes-base.zoom" {
				continue
			}
			base := filepath.Base(f)
			params := resolveExpressions(t, base, n.Parameters, "")
			pb, _ := json.Marshal(params)
			cred := ""
			for k := range n.Credentials {
				cred = k
			}
			out = append(out, struct{ name, params, credential string }{"workflow/" + base + "/" + n.Name, string(pb), cred})
		}
	}
	return out
}

func hasWorkflows(cases []requestCase) bool {
	for _, c := range cases {
		if strings.HasPrefix(c.Name, "workflow/") {
			return true
		}
	}
	return false
}

// allCredentials sends one credential of each type, each with its own token.
func allCredentials(url string) []sdk.Credential {
	data := json.RawMessage(`{"environment":"custom","apiBaseUrl":` + jsonString(url) + `}`)
	return []sdk.Credential{
		{ID: "1", Type: "zoomApi", Name: "jwt", Data: data, AccessToken: "tok-jwt"},
		{ID: "2", Type: "zoomOAuth2Api", Name: "oauth", Data: data, AccessToken: "tok-oauth2"},
		{ID: "3", Type: "zoomServerToServerOAuthApi", Name: "s2s", Data: data, AccessToken: "tok-s2s"},
	}
}

// TestRequestsGolden records the HTTP request of every parameter set, including
// the Zoom nodes of the public n8n workflows, against testdata/requests.golden.json.
func TestRequestsGolden(t *testing.T) {
	fake := &fakeZoom{}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	p, _, _ := newTestPlugin(t)
	node, _ := p.Node("n8n-nodes-base.zoom")

	run := func(name, params string, creds []sdk.Credential) requestCase {
		resp, err := node.Executor.Execute(t.Context(), &sdk.ExecuteRequest{NodeType: "zoom", TypeVersion: 1, NodeName: "Zoom",
			Items: []sdk.Item{{JSON: json.RawMessage(`{}`), Parameters: json.RawMessage(params)}}, Credentials: creds, OnError: sdk.OnErrorStop})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if resp.Diagnostics.HasError() {
			t.Fatalf("%s: %v", name, resp.Diagnostics.Err())
		}
		var compact bytes.Buffer
		if err := json.Compact(&compact, []byte(params)); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		c := requestCase{Name: name, Parameters: compact.Bytes(), Requests: fake.take()}
		for _, o := range resp.Outputs[0] {
			c.Outputs = append(c.Outputs, o.JSON)
		}
		if len(c.Requests) == 0 {
			t.Fatalf("%s sent no request", name)
		}
		return c
	}
	var cases []requestCase
	for _, pc := range parameterCases {
		cases = append(cases, run(pc.name, pc.params, allCredentials(srv.URL)))
	}
	for _, wc := range workflowCases(t) {
		// The host sends the credential the workflow names; for the basic
		// export (authentication "") that is zoomOAuth2Api too.
		var creds []sdk.Credential
		for _, c := range allCredentials(srv.URL) {
			if c.Type == wc.credential || (wc.credential == "" && c.Type == "zoomOAuth2Api") {
				creds = append(creds, c)
			}
		}
		if len(creds) != 1 {
			t.Fatalf("%s: credential %q is not a Zoom credential type", wc.name, wc.credential)
		}
		c := run(wc.name, wc.params, creds)
		for _, r := range c.Requests {
			if r.Credential != creds[0].Type {
				t.Errorf("%s: sent the token of %q, want %q", wc.name, r.Credential, creds[0].Type)
			}
		}
		cases = append(cases, c)
	}
	// Byte-exact outputs: the id above 2^53 must survive.
	for _, c := range cases {
		for _, o := range c.Outputs {
			if strings.Contains(string(o), `"id":9007199254740992`) || strings.Contains(string(o), "e+") {
				t.Errorf("%s: output lost precision: %s", c.Name, o)
			}
		}
	}
	if !hasWorkflows(cases) && !*update {
		// Without the reference material, compare the other cases only.
		b, err := os.ReadFile(filepath.Join("testdata", "requests.golden.json"))
		if err != nil {
			t.Fatal(err)
		}
		var golden []requestCase
		if err := json.Unmarshal(b, &golden); err != nil {
			t.Fatal(err)
		}
		var want []requestCase
		for _, g := range golden {
			if !strings.HasPrefix(g.Name, "workflow/") {
				want = append(want, g)
			}
		}
		if diff := cmp.Diff(string(marshalIndent(t, want)), string(marshalIndent(t, cases))); diff != "" {
			t.Errorf("requests differ from testdata/requests.golden.json (-golden +got):\n%s", diff)
		}
		return
	}
	if !hasWorkflows(cases) {
		t.Fatal("refusing to -update requests.golden.json without the reference workflows")
	}
	checkGolden(t, "requests.golden.json", marshalIndent(t, cases))
	t.Logf("%d parameter sets recorded (%d from workflows)", len(cases), len(cases)-len(parameterCases))
}
