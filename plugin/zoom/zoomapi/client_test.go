package zoomapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/nodeplug/nodeplug/plugin/zoom/zoomapi"
)

type seen struct {
	method, path, rawPath, query, auth, contentType, body string
}

func server(t *testing.T, status int, header map[string]string, body string) (*zoomapi.Client, *seen) {
	t.Helper()
	s := &seen{}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		*s = seen{r.Method, r.URL.Path, r.URL.EscapedPath(), r.URL.RawQuery, r.Header.Get("Authorization"), r.Header.Get("Content-Type"), string(b)}
		for k, v := range header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(ts.Close)
	c, err := zoomapi.New(ts.URL+"/v2/", ts.Client())
	if err != nil {
		t.Fatal(err)
	}
	return c.WithToken("secret-token"), s
}

func TestCallsAndBodies(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	topic, zero, off := "T", int64(0), false
	tests := map[string]struct {
		status int
		body   string
		call   func(c *zoomapi.Client) (any, error)
		want   seen
		out    any
	}{
		"create keeps the object byte for byte": {201, "{\"id\":9007199254740993,\"x\":1.50}\n",
			func(c *zoomapi.Client) (any, error) {
				r, err := c.CreateMeeting(ctx, "me", &zoomapi.MeetingRequest{Topic: &topic, Duration: &zero, Settings: &zoomapi.MeetingSettings{HostVideo: &off}})
				return string(r), err
			},
			seen{method: "POST", path: "/v2/users/me/meetings", rawPath: "/v2/users/me/meetings", auth: "Bearer secret-token", contentType: "application/json",
				body: `{"topic":"T","duration":0,"settings":{"host_video":false}}`},
			`{"id":9007199254740993,"x":1.50}`},
		"get with occurrence": {200, `{"id":85746065432}`,
			func(c *zoomapi.Client) (any, error) {
				r, err := c.GetMeeting(ctx, "85746065432", zoomapi.GetMeetingOptions{OccurrenceID: "1648194360000", ShowPreviousOccurrences: true})
				return string(r), err
			},
			seen{method: "GET", path: "/v2/meetings/85746065432", rawPath: "/v2/meetings/85746065432", query: "occurrence_id=1648194360000&show_previous_occurrences=true", auth: "Bearer secret-token"},
			`{"id":85746065432}`},
		"path segments are escaped": {204, ``,
			func(c *zoomapi.Client) (any, error) {
				return nil, c.DeleteMeeting(ctx, "1/../../users", zoomapi.DeleteMeetingOptions{ScheduleForReminder: true})
			},
			seen{method: "DELETE", path: "/v2/meetings/1/../../users", rawPath: "/v2/meetings/1%2F..%2F..%2Fusers", query: "schedule_for_reminder=true", auth: "Bearer secret-token"},
			nil},
		"list keeps ids exact": {200, `{"page_size":2,"total_records":3,"next_page_token":"abc","meetings":[{"id":9007199254740993},{"id":9007199254740995}]}`,
			func(c *zoomapi.Client) (any, error) {
				p, err := c.ListMeetings(ctx, "ada@example.test", zoomapi.ListMeetingsOptions{Type: "scheduled", PageSize: 2, NextPageToken: "t 1"})
				if err != nil {
					return nil, err
				}
				return fmt.Sprintf("%d %d %s %s", p.PageSize, p.TotalRecords, p.NextPageToken, p.Meetings), nil
			},
			seen{method: "GET", path: "/v2/users/ada@example.test/meetings", rawPath: "/v2/users/ada@example.test/meetings", query: "next_page_token=t+1&page_size=2&type=scheduled", auth: "Bearer secret-token"},
			`2 3 abc [{"id":9007199254740993} {"id":9007199254740995}]`},
		"update sends a partial body": {204, ``,
			func(c *zoomapi.Client) (any, error) {
				return nil, c.UpdateMeeting(ctx, "85746065432", &zoomapi.MeetingRequest{Topic: &topic})
			},
			seen{method: "PATCH", path: "/v2/meetings/85746065432", rawPath: "/v2/meetings/85746065432", auth: "Bearer secret-token", contentType: "application/json", body: `{"topic":"T"}`},
			nil},
		"me": {200, `{"id":"u1","display_name":"Ada Host","email":"a@example.test","type":2,"account_id":"acc"}`,
			func(c *zoomapi.Client) (any, error) {
				u, err := c.Me(ctx)
				if err != nil {
					return nil, err
				}
				return fmt.Sprintf("%s %s %s %s %s", u.ID, u.DisplayName, u.Email, u.Type, u.AccountID), nil
			},
			seen{method: "GET", path: "/v2/users/me", rawPath: "/v2/users/me", auth: "Bearer secret-token"},
			"u1 Ada Host a@example.test 2 acc"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c, s := server(t, tc.status, nil, tc.body)
			out, err := tc.call(c)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, *s, cmp.AllowUnexported(seen{})); diff != "" {
				t.Errorf("request (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.out, out); diff != "" {
				t.Errorf("result (-want +got):\n%s", diff)
			}
		})
	}
}

func TestErrors(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 3, 12, 0, 0, 0, time.UTC)
	tests := map[string]struct {
		status int
		header map[string]string
		body   string
		want   zoomapi.Error
		wait   time.Duration
		waitOK bool
	}{
		"not found": {404, nil, `{"code":3001,"message":"Meeting does not exist: 1."}`,
			zoomapi.Error{Status: 404, Code: 3001, Message: "Meeting does not exist: 1.", RateLimitRemaining: -1}, 0, false},
		"validation with fields": {400, nil, `{"code":300,"message":"Validation Failed.","errors":[{"field":"settings.audio","message":"Invalid field."}]}`,
			zoomapi.Error{Status: 400, Code: 300, Message: "Validation Failed.", Fields: []zoomapi.FieldError{{Field: "settings.audio", Message: "Invalid field."}}, RateLimitRemaining: -1}, 0, false},
		"429 with seconds": {429, map[string]string{"Retry-After": "7", "X-RateLimit-Type": "QPS", "X-RateLimit-Category": "Light", "X-RateLimit-Remaining": "0"}, `{"code":429,"message":"slow down"}`,
			zoomapi.Error{Status: 429, Code: 429, Message: "slow down", RetryAfter: 7 * time.Second, RateLimitType: "QPS", RateLimitCategory: "Light", RateLimitRemaining: 0}, 7 * time.Second, true},
		"429 with ISO date": {429, map[string]string{"Retry-After": "2026-11-04T00:00:00Z", "X-RateLimit-Type": "Daily-limit"}, `{"code":429,"message":"daily"}`,
			zoomapi.Error{Status: 429, Code: 429, Message: "daily", RetryAt: time.Date(2026, 11, 4, 0, 0, 0, 0, time.UTC), RateLimitType: "Daily-limit", RateLimitRemaining: -1}, 12 * time.Hour, true},
		"429 with HTTP date": {429, map[string]string{"Retry-After": "Tue, 03 Nov 2026 12:00:30 GMT"}, `{"code":429,"message":"x"}`,
			zoomapi.Error{Status: 429, Code: 429, Message: "x", RetryAt: time.Date(2026, 11, 3, 12, 0, 30, 0, time.UTC), RateLimitRemaining: -1}, 30 * time.Second, true},
		"429 with a past date": {429, map[string]string{"Retry-After": "2026-11-03T11:00:00Z"}, `{"code":429,"message":"x"}`,
			zoomapi.Error{Status: 429, Code: 429, Message: "x", RetryAt: time.Date(2026, 11, 3, 11, 0, 0, 0, time.UTC), RateLimitRemaining: -1}, 0, true},
		"429 with garbage header": {429, map[string]string{"Retry-After": "soon"}, `{"code":429,"message":"x"}`,
			zoomapi.Error{Status: 429, Code: 429, Message: "x", RateLimitRemaining: -1}, 0, false},
		"HTML error page": {502, nil, `<html><body>Bad gateway</body></html>`,
			zoomapi.Error{Status: 502, Message: "Bad Gateway", RateLimitRemaining: -1}, 0, false},
		"plain text error": {404, nil, "404 page not found\n",
			zoomapi.Error{Status: 404, Message: "404 page not found", RateLimitRemaining: -1}, 0, false},
		"OAuth-shaped body": {401, nil, `{"reason":"Invalid Token!","error":"invalid_grant"}`,
			zoomapi.Error{Status: 401, Message: "Invalid Token! invalid_grant", RateLimitRemaining: -1}, 0, false},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c, _ := server(t, tc.status, tc.header, tc.body)
			_, err := c.GetMeeting(context.Background(), "1", zoomapi.GetMeetingOptions{})
			var ze *zoomapi.Error
			if !errors.As(err, &ze) {
				t.Fatalf("error %v is not a *zoomapi.Error", err)
			}
			want := tc.want
			want.Method, want.Path = "GET", "/v2/meetings/1"
			if diff := cmp.Diff(&want, ze); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
			d, ok := ze.Wait(now)
			if d != tc.wait || ok != tc.waitOK {
				t.Errorf("Wait = %v, %v; want %v, %v", d, ok, tc.wait, tc.waitOK)
			}
			if strings.Contains(err.Error(), "secret-token") {
				t.Error("the error shows the token")
			}
		})
	}
}

func TestMissingScopes(t *testing.T) {
	t.Parallel()
	e := &zoomapi.Error{Code: 4711, Message: "Invalid access token, does not contain scopes:[meeting:read:meeting, meeting:read:meeting:admin]."}
	if diff := cmp.Diff([]string{"meeting:read:meeting", "meeting:read:meeting:admin"}, e.MissingScopes()); diff != "" {
		t.Error(diff)
	}
	if !e.IsMissingScope() || (&zoomapi.Error{Message: "x"}).MissingScopes() != nil {
		t.Error("scope detection")
	}
}

func TestTransportErrors(t *testing.T) {
	t.Parallel()
	// Nothing listens: the request never left.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	c, _ := zoomapi.New("http://"+addr+"/v2", nil)
	_, err = c.WithToken("secret-token").CreateMeeting(context.Background(), "me", nil)
	var te *zoomapi.TransportError
	if !errors.As(err, &te) || te.MayHaveReached || te.Host != addr {
		t.Errorf("refused: %#v", err)
	}
	// The server reads the request and hangs up: it may have acted on it.
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body)
		conn, _, _ := http.NewResponseController(w).Hijack()
		conn.Close()
	}))
	defer hang.Close()
	c, _ = zoomapi.New(hang.URL+"/v2", hang.Client())
	_, err = c.WithToken("secret-token").CreateMeeting(context.Background(), "me", nil)
	if !errors.As(err, &te) || !te.MayHaveReached {
		t.Errorf("dropped: %#v", err)
	}
	if strings.Contains(err.Error(), "secret-token") || strings.Contains(fmt.Sprintf("%v %+v %#v", c, c, c), "secret-token") {
		t.Error("the token is printed")
	}
}

func TestNewRejectsBadBaseURL(t *testing.T) {
	t.Parallel()
	for _, u := range []string{"", "api.zoom.us", "ftp://api.zoom.us", "http://"} {
		if _, err := zoomapi.New(u, nil); err == nil {
			t.Errorf("New(%q) accepted", u)
		}
	}
	c, err := zoomapi.New("https://api.zoom.us/v2/", nil)
	if err != nil || c.BaseURL() != "https://api.zoom.us/v2" || c.Host() != "api.zoom.us" {
		t.Errorf("New: %v %v", c, err)
	}
}

func TestMeetingRequestRedactsPassword(t *testing.T) {
	t.Parallel()
	pw := "s3cret"
	m := zoomapi.MeetingRequest{Password: &pw}
	for _, s := range []string{m.String(), fmt.Sprintf("%v %#v", m, m)} {
		if strings.Contains(s, pw) {
			t.Errorf("password printed: %s", s)
		}
	}
	b, _ := json.Marshal(m)
	if !strings.Contains(string(b), pw) {
		t.Error("the wire body lost the password")
	}
}
