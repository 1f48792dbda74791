package zoomsandbox_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"

	"github.com/nodeplug/nodeplug/zoomsandbox"
)

// specPath is the Meetings OpenAPI description, relative to this package.
var specPath = filepath.Join("..", "..", "shared", "reference", "zoom-meetings-openapi.yaml")

func loadSpec(t *testing.T) *openapi3.T {
	t.Helper()
	if _, err := os.Stat(specPath); err != nil {
		t.Skipf("skipping: the OpenAPI description %s is absent (%v); CI has shared/reference/", specPath, err)
	}
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromFile(specPath)
	if err != nil {
		t.Fatalf("load %s: %v", specPath, err)
	}
	return doc
}

// validate checks one sandbox response against the spec's response schema of
// the operation at (method, specPath).
func validate(t *testing.T, doc *openapi3.T, method, path string, params map[string]string, req *http.Request, resp *http.Response, body []byte) {
	t.Helper()
	item := doc.Paths.Find(path)
	if item == nil {
		t.Fatalf("the spec has no path %s", path)
	}
	op := item.GetOperation(method)
	if op == nil {
		t.Fatalf("the spec has no %s %s", method, path)
	}
	input := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{
			Request:    req,
			PathParams: params,
			Route:      &routers.Route{Spec: doc, Path: path, PathItem: item, Method: method, Operation: op},
		},
		Status:  resp.StatusCode,
		Header:  resp.Header,
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	input.SetBodyBytes(body)
	if err := openapi3filter.ValidateResponse(t.Context(), input); err != nil {
		t.Errorf("%s %s (status %d) does not match the spec:\n%v\nbody: %s", method, path, resp.StatusCode, err, body)
	}
}

func TestResponsesMatchOpenAPI(t *testing.T) {
	t.Parallel()
	doc := loadSpec(t)
	f := newFixture(t, func(c *zoomsandbox.Config) { c.BaseURL = "http://127.0.0.1:9901" })
	tok := f.mint(zoomsandbox.DefaultAppName)

	call := func(method, path, body string) (*http.Request, *http.Response, []byte) {
		t.Helper()
		var rd io.Reader
		if body != "" {
			rd = strings.NewReader(body)
		}
		req, err := http.NewRequest(method, f.ts.URL+path, rd)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, b := f.send(req)
		return req, resp, b
	}

	bodies := map[string]string{
		"scheduled": exampleMeeting,
		"defaults":  `{}`,
		"recurring": `{"type":8,"topic":"weekly","start_time":"2026-11-03T10:00:00Z","duration":30,"recurrence":{"type":2,"weekly_days":"3","end_times":3},"settings":{"jbh_time":10,"approval_type":0}}`,
		"no fixed":  `{"type":3,"topic":"whenever","recurrence":{"type":3,"monthly_day":5}}`,
	}
	for name, body := range bodies {
		t.Run("create "+name, func(t *testing.T) {
			req, resp, b := call(http.MethodPost, "/v2/users/me/meetings", body)
			if resp.StatusCode != http.StatusCreated {
				t.Fatalf("create: %d %s", resp.StatusCode, b)
			}
			validate(t, doc, http.MethodPost, "/users/{userId}/meetings", map[string]string{"userId": "me"}, req, resp, b)
			var m struct {
				ID int64 `json:"id"`
			}
			if err := json.Unmarshal(b, &m); err != nil {
				t.Fatal(err)
			}
			id := strconv.FormatInt(m.ID, 10)
			req, resp, b = call(http.MethodGet, "/v2/meetings/"+id, "")
			validate(t, doc, http.MethodGet, "/meetings/{meetingId}", map[string]string{"meetingId": id}, req, resp, b)
		})
	}
	t.Run("the check catches a wrong type", func(t *testing.T) {
		req, resp, b := call(http.MethodPost, "/v2/users/me/meetings", `{"duration":45}`)
		tampered := bytes.Replace(b, []byte(`"duration":45`), []byte(`"duration":"45"`), 1)
		if bytes.Equal(tampered, b) {
			t.Fatalf("could not tamper with %s", b)
		}
		item := doc.Paths.Find("/users/{userId}/meetings")
		input := &openapi3filter.ResponseValidationInput{
			RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: map[string]string{"userId": "me"},
				Route: &routers.Route{Spec: doc, Path: "/users/{userId}/meetings", PathItem: item, Method: http.MethodPost, Operation: item.Post}},
			Status: resp.StatusCode, Header: resp.Header,
		}
		input.SetBodyBytes(tampered)
		if err := openapi3filter.ValidateResponse(t.Context(), input); err == nil {
			t.Error("a string duration passed the schema check; the check is not working")
		}
	})
	t.Run("list", func(t *testing.T) {
		req, resp, b := call(http.MethodGet, "/v2/users/me/meetings?page_size=2", "")
		validate(t, doc, http.MethodGet, "/users/{userId}/meetings", map[string]string{"userId": "me"}, req, resp, b)
		var l struct {
			NextPageToken string `json:"next_page_token"`
		}
		if err := json.Unmarshal(b, &l); err != nil || l.NextPageToken == "" {
			t.Fatalf("want a second page: %v %s", err, b)
		}
		req, resp, b = call(http.MethodGet, "/v2/users/me/meetings?next_page_token="+l.NextPageToken, "")
		validate(t, doc, http.MethodGet, "/users/{userId}/meetings", map[string]string{"userId": "me"}, req, resp, b)
	})
	t.Run("users/me", func(t *testing.T) {
		// The spec has no /users/{userId}; check the body against its UserDetails schema.
		_, resp, b := call(http.MethodGet, "/v2/users/me", "")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("users/me: %d", resp.StatusCode)
		}
		ref := doc.Components.Schemas["UserDetails"]
		if ref == nil || ref.Value == nil {
			t.Fatal("the spec has no UserDetails schema")
		}
		var v any
		if err := json.NewDecoder(bytes.NewReader(b)).Decode(&v); err != nil {
			t.Fatal(err)
		}
		if err := ref.Value.VisitJSON(v, openapi3.MultiErrors()); err != nil {
			t.Errorf("users/me does not match UserDetails:\n%v\nbody: %s", err, b)
		}
	})
}
