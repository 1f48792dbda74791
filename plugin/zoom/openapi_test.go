package zoom_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// zoomLocalDateTime is Zoom's wall-clock start_time form, which the spec's
// description allows ("yyyy-MM-ddTHH:mm:ss ... use local time and specify
// the time zone") but its format: date-time (RFC 3339) does not.
var zoomLocalDateTime = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$`)

// zoomStartTimeForms are the only start_time strings Zoom documents.
var zoomStartTimeForms = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z?$`)

// TestOpenAPIRequests validates every request of requests.golden.json (every
// operation and option, and the public workflows' Zoom nodes) against Zoom's
// Meetings OpenAPI description.
func TestOpenAPIRequests(t *testing.T) {
	spec := filepath.Join(referenceDir(t), "zoom-meetings-openapi.yaml")
	if _, err := os.Stat(spec); err != nil {
		t.Skipf("%s is absent (CI always has it): %v", spec, err)
	}
	rfc3339 := openapi3.SchemaStringFormats["date-time"]
	openapi3.DefineStringFormatValidator("date-time", openapi3.NewCallbackValidator(func(v string) error {
		if zoomLocalDateTime.MatchString(v) {
			return nil
		}
		return rfc3339.Validate(v)
	}))
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromFile(spec)
	if err != nil {
		t.Fatalf("loading %s: %v", spec, err)
	}
	if err := doc.Validate(loader.Context, openapi3.DisableExamplesValidation(), openapi3.AllowExtraSiblingFields("description", "x-ballerina-display")); err != nil {
		t.Logf("the spec itself does not validate strictly (ignored): %v", err)
	}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatalf("router: %v", err)
	}

	// The validator must catch what Zoom would refuse, or passing proves nothing.
	for _, bad := range []struct{ method, url, body string }{
		{"POST", "https://api.zoom.us/v2/users/me/meetings", `{"type":7}`},
		{"POST", "https://api.zoom.us/v2/users/me/meetings", `{"password":"elevenchars"}`},
		{"PATCH", "https://api.zoom.us/v2/meetings/85746065432", `{"start_time":"3 November 2026"}`},
		{"GET", "https://api.zoom.us/v2/meetings/abc", ``},
		{"GET", "https://api.zoom.us/v2/users/me/meetings?page_size=500", ``},
	} {
		req, _ := http.NewRequest(bad.method, bad.url, strings.NewReader(bad.body))
		if bad.body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		route, params, err := router.FindRoute(req)
		if err == nil {
			err = openapi3filter.ValidateRequest(t.Context(), &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
				Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}})
		}
		if err == nil {
			t.Errorf("the validator accepts the invalid request %s %s %s", bad.method, bad.url, bad.body)
		}
	}

	b, err := os.ReadFile(filepath.Join("testdata", "requests.golden.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cases []requestCase
	if err := json.Unmarshal(b, &cases); err != nil {
		t.Fatal(err)
	}
	coverage := map[string]map[string]bool{} // operationId → fields and query parameters sent
	for _, c := range cases {
		for i, rr := range c.Requests {
			name := fmt.Sprintf("%s#%d", c.Name, i)
			path, ok := strings.CutPrefix(rr.Path, "/v2")
			if !ok {
				t.Errorf("%s: path %s is not under /v2", name, rr.Path)
				continue
			}
			url := "https://api.zoom.us/v2" + path
			if len(rr.Query) > 0 {
				q := make([]string, 0, len(rr.Query))
				for k, vs := range rr.Query {
					for _, v := range vs {
						q = append(q, k+"="+v)
					}
				}
				sort.Strings(q)
				url += "?" + strings.Join(q, "&")
			}
			req, err := http.NewRequest(rr.Method, url, bytes.NewReader(rr.Body))
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if len(rr.Body) > 0 {
				req.Header.Set("Content-Type", "application/json")
			}
			route, params, err := router.FindRoute(req)
			if err != nil {
				t.Errorf("%s: %s %s has no operation in the spec: %v", name, rr.Method, url, err)
				continue
			}
			in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
				Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, MultiError: true}}
			if err := openapi3filter.ValidateRequest(t.Context(), in); err != nil {
				t.Errorf("%s: %s %s does not validate against %s:\n%v\nbody: %s", name, rr.Method, url, route.Operation.OperationID, err, rr.Body)
			}
			op := route.Operation.OperationID
			if coverage[op] == nil {
				coverage[op] = map[string]bool{}
			}
			for k := range rr.Query {
				coverage[op]["?"+k] = true
			}
			if len(rr.Body) > 0 {
				var body map[string]any
				if err := json.Unmarshal(rr.Body, &body); err != nil {
					t.Errorf("%s: body is not an object: %v", name, err)
					continue
				}
				for k, v := range body {
					coverage[op][k] = true
					if s, ok := v.(map[string]any); ok && k == "settings" {
						for sk := range s {
							coverage[op]["settings."+sk] = true
						}
					}
				}
				if st, ok := body["start_time"].(string); ok && !zoomStartTimeForms.MatchString(st) {
					t.Errorf("%s: start_time %q is neither yyyy-MM-ddTHH:mm:ssZ nor yyyy-MM-ddTHH:mm:ss", name, st)
				}
			}
		}
	}
	want := []string{"createMeeting", "deleteMeeting", "getMeetingById", "listMeetings", "updateMeeting"}
	var ops []string
	for op, fields := range coverage {
		ops = append(ops, op)
		var fs []string
		for f := range fields {
			fs = append(fs, f)
		}
		sort.Strings(fs)
		t.Logf("covered %s: %s", op, strings.Join(fs, " "))
	}
	sort.Strings(ops)
	if !slices.Equal(ops, want) {
		t.Errorf("operations covered %v, want %v", ops, want)
	}
	for op, must := range map[string][]string{
		"createMeeting": {"topic", "type", "start_time", "duration", "timezone", "password", "agenda", "schedule_for", "settings.audio", "settings.alternative_hosts",
			"settings.auto_recording", "settings.cn_meeting", "settings.in_meeting", "settings.host_video", "settings.join_before_host",
			"settings.mute_upon_entry", "settings.participant_video", "settings.registration_type", "settings.watermark"},
		"updateMeeting":  {"topic", "type", "start_time", "duration", "timezone", "password", "agenda", "schedule_for", "settings.audio"},
		"getMeetingById": {"?occurrence_id", "?show_previous_occurrences"},
		"listMeetings":   {"?page_size", "?type"},
		"deleteMeeting":  {"?occurrence_id", "?schedule_for_reminder"},
	} {
		for _, f := range must {
			if !coverage[op][f] {
				t.Errorf("%s: %s is never sent by the request cases", op, f)
			}
		}
	}
}
