package zoom_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/nodeplug/nodeplug/plugin/sdk"
)

// scripted answers each request with the next canned response.
type scripted struct {
	mu      sync.Mutex
	answers []answer
	queries []string
}

type answer struct {
	status int
	body   string
	header map[string]string
}

func (s *scripted) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	s.mu.Lock()
	s.queries = append(s.queries, r.URL.RawQuery)
	a := answer{status: 500, body: `{"code":500,"message":"script exhausted"}`}
	if len(s.answers) > 0 {
		a, s.answers = s.answers[0], s.answers[1:]
	}
	s.mu.Unlock()
	for k, v := range a.header {
		w.Header().Set(k, v)
	}
	w.WriteHeader(a.status)
	_, _ = io.WriteString(w, a.body)
}

func page(token *string, ids ...int) answer {
	var ms []string
	for _, id := range ids {
		ms = append(ms, fmt.Sprintf(`{"id":%d}`, id))
	}
	tok := ""
	if token != nil {
		tok = fmt.Sprintf(`,"next_page_token":%q`, *token)
	}
	return answer{status: 200, body: `{"page_size":2,"total_records":9` + tok + `,"meetings":[` + strings.Join(ms, ",") + `]}`}
}

func str(s string) *string { return &s }

func scriptedCred(url string) sdk.Credential {
	return sdk.Credential{ID: "1", Type: "zoomOAuth2Api", Name: "scripted", AccessToken: "tok",
		Data: json.RawMessage(`{"environment":"custom","apiBaseUrl":` + jsonString(url) + `}`)}
}

func TestGetAllPagingEdges(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		params  string
		answers []answer
		want    int
		code    string
		calls   int
	}{
		"missing token ends": {`{"operation":"getAll","returnAll":true}`,
			[]answer{page(str("t1"), 1, 2), page(nil, 3)}, 3, "", 2},
		"empty token ends": {`{"operation":"getAll","returnAll":true}`,
			[]answer{page(str("t1"), 1, 2), page(str("t2"), 3, 4), page(str(""), 5)}, 5, "", 3},
		"repeated token stops with a diagnostic": {`{"operation":"getAll","returnAll":true}`,
			[]answer{page(str("t1"), 1, 2), page(str("t2"), 3, 4), page(str("t1"), 5, 6)}, 0, "zoom.paging_loop", 3},
		"limit truncates a page": {`{"operation":"getAll","limit":3}`,
			[]answer{page(str("t1"), 1, 2), page(str("t2"), 3, 4)}, 3, "", 2},
		"empty list": {`{"operation":"getAll","returnAll":true}`,
			[]answer{{status: 200, body: `{"page_size":300,"total_records":0,"next_page_token":"","meetings":[]}`}}, 0, "", 1},
		"limit out of range": {`{"operation":"getAll","limit":301}`, nil, 0, "", 0},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := &scripted{answers: tc.answers}
			url := newHTTPServer(t, s)
			p, _, _ := newTestPlugin(t)
			resp := execute(t, p, scriptedCred(url), sdk.OnErrorStop, tc.params)
			switch {
			case name == "limit out of range":
				d := onlyDiag(t, resp)
				if d.Attribute.String() != "limit" || d.Kind != sdk.KindConfig {
					t.Errorf("diagnostic %+v", d)
				}
			case tc.code != "":
				d := onlyDiag(t, resp)
				if d.Code != tc.code || d.Kind != sdk.KindSystem {
					t.Errorf("diagnostic %+v", d)
				}
				if len(outputs(resp)) != 0 {
					t.Errorf("partial output %v", outputs(resp))
				}
			default:
				mustOK(t, resp)
				if n := len(outputs(resp)); n != tc.want {
					t.Errorf("%d meetings, want %d", n, tc.want)
				}
			}
			s.mu.Lock()
			defer s.mu.Unlock()
			if len(s.queries) != tc.calls {
				t.Errorf("%d calls, want %d: %v", len(s.queries), tc.calls, s.queries)
			}
		})
	}
}

func TestZoomErrorsBecomeActionableDiagnostics(t *testing.T) {
	t.Parallel()
	create := `{"authentication":"oAuth2","topic":"x","additionalFields":{"scheduleFor":"nobody@example.test"}}`
	get := `{"authentication":"oAuth2","operation":"get","meetingId":"85746065432"}`
	tests := map[string]struct {
		params string
		answer answer
		kind   sdk.Kind
		code   string
		attr   string
		detail string
	}{
		"schedule_for user missing": {create, answer{404, `{"code":1001,"message":"User does not exist: nobody@example.test."}`, nil},
			sdk.KindNotFound, "zoom.user_not_found", "additionalFields.scheduleFor", "User does not exist"},
		"host may not host": {create, answer{400, `{"code":3161,"message":"Meeting hosting and scheduling capabilities are not allowed for your user account."}`, nil},
			sdk.KindConfig, "zoom.request_rejected", "", "code 3161"},
		"forbidden": {get, answer{403, `{"code":200,"message":"No permission."}`, nil},
			sdk.KindAuth, "zoom.forbidden", "", "No permission."},
		"missing scope": {get, answer{400, `{"code":4711,"message":"Invalid access token, does not contain scopes:[meeting:read:meeting, meeting:read:meeting:admin]."}`, nil},
			sdk.KindAuth, "zoom.missing_scope", "", "meeting:read:meeting, meeting:read:meeting:admin"},
		"proxy 502 page": {get, answer{502, `<html>Bad Gateway</html>`, nil},
			sdk.KindTransient, "zoom.server_error", "", "HTTP 502"},
		"404 without a Zoom code": {get, answer{404, `404 page not found`, nil},
			sdk.KindNotFound, "zoom.not_found", "", "check apiBaseUrl"},
		"validation on get": {`{"authentication":"oAuth2","operation":"get","meetingId":"85746065432","additionalFields":{"occurrenceId":"x"}}`,
			answer{400, `{"code":300,"message":"Validation Failed.","errors":[{"field":"occurrence_id","message":"Invalid field."}]}`, nil},
			sdk.KindConfig, "zoom.validation_failed", "additionalFields.occurrenceId", "Rejected: additionalFields.occurrenceId (Zoom field occurrence_id): Invalid field. Correct it and run again"},
		"validation without fields": {get, answer{400, `{"code":300,"message":"Validation Failed."}`, nil},
			sdk.KindConfig, "zoom.validation_failed", "", `code 300 ("Validation Failed."). Check the node's parameters against Zoom's message and run again`},
		"validation naming a parameter": {`{"authentication":"oAuth2","operation":"get","meetingId":"85746065432","additionalFields":{"occurrenceId":"x"}}`,
			answer{400, `{"code":300,"message":"Invalid parameter: occurrence_id."}`, nil},
			sdk.KindConfig, "zoom.validation_failed", "additionalFields.occurrenceId", "Zoom's occurrence_id is the parameter additionalFields.occurrenceId: correct it and run again"},
		"create topic rejected": {`{"topic":"` + strings.Repeat("t", 201) + `"}`, answer{400, `{"code":300,"message":"Validation Failed.","errors":[{"field":"topic","message":"Invalid field."}]}`, nil},
			sdk.KindConfig, "zoom.validation_failed", "topic", "Rejected: topic (Zoom field topic): Invalid field. Correct it and run again"},
		"update start_time rejected": {`{"operation":"update","meetingId":"1","updateFields":{"startTime":"2020-01-01T00:00:00Z"}}`,
			answer{400, `{"code":300,"message":"Validation Failed.","errors":[{"field":"start_time","message":"Invalid field."},{"field":"settings.jbh_time","message":"Invalid field."}]}`, nil},
			sdk.KindConfig, "zoom.validation_failed", "updateFields.startTime",
			"Rejected: updateFields.startTime (Zoom field start_time): Invalid field; Zoom field settings.jbh_time (not a node parameter): Invalid field. Correct them and run again"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			url := newHTTPServer(t, &scripted{answers: []answer{tc.answer}})
			p, _, _ := newTestPlugin(t)
			d := onlyDiag(t, execute(t, p, scriptedCred(url), sdk.OnErrorStop, tc.params))
			if d.Kind != tc.kind || d.Code != tc.code || d.Attribute.String() != tc.attr {
				t.Errorf("got kind %v code %s attribute %q, want %v %s %q (%v)", d.Kind, d.Code, d.Attribute, tc.kind, tc.code, tc.attr, d.Error())
			}
			if !strings.Contains(d.Detail, tc.detail) {
				t.Errorf("detail %q does not contain %q", d.Detail, tc.detail)
			}
			if m := doubledPunctuation.FindString(d.Error()); m != "" {
				t.Errorf("doubled punctuation %q in %q", m, d.Error())
			}
			if d.ItemIndex != 0 {
				t.Errorf("item index %d", d.ItemIndex)
			}
		})
	}
}

// TestUnsupportedParameters: wrong resource or operation are configuration
// errors naming the parameter, sent before any request.
func TestUnsupportedParameters(t *testing.T) {
	t.Parallel()
	s := &scripted{}
	url := newHTTPServer(t, s)
	p, _, _ := newTestPlugin(t)
	for params, attr := range map[string]string{
		`{"resource":"webinar"}`:                   "resource",
		`{"operation":"getRecordingTranscript"}`:   "operation",
		`{"operation":"get"}`:                      "meetingId",
		`{"operation":"delete","meetingId":"x1"}`:  "meetingId",
		`{"additionalFields":{"duration":"soon"}}`: "additionalFields.duration",
	} {
		d := onlyDiag(t, execute(t, p, scriptedCred(url), sdk.OnErrorStop, params))
		if d.Kind != sdk.KindConfig || d.Attribute.String() != attr {
			t.Errorf("%s: %+v, want config on %s", params, d, attr)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.queries) != 0 {
		t.Errorf("%d requests sent", len(s.queries))
	}
}
