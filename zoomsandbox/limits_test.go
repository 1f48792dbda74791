package zoomsandbox_test

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/nodeplug/nodeplug/zoomsandbox"
)

func TestRateLimitPerSecond(t *testing.T) {
	t.Parallel()
	f := newFixture(t, func(c *zoomsandbox.Config) { c.RateLimitPerSecond = 2 })
	tok := f.mint(zoomsandbox.DefaultAppName)
	for i, wantRemaining := range []string{"1", "0"} {
		resp, _ := f.api(http.MethodGet, "/v2/users/me", tok, nil)
		if resp.StatusCode != 200 || resp.Header.Get("X-RateLimit-Limit") != "2" || resp.Header.Get("X-RateLimit-Remaining") != wantRemaining {
			t.Fatalf("call %d: %d limit %q remaining %q", i, resp.StatusCode, resp.Header.Get("X-RateLimit-Limit"), resp.Header.Get("X-RateLimit-Remaining"))
		}
	}
	resp, body := f.api(http.MethodGet, "/v2/users/me", tok, nil)
	if resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("third call in the same second: %d", resp.StatusCode)
	}
	want := apiErr{Code: 429, Message: "You have reached the maximum per-second rate limit for this API. Try again later."}
	if diff := cmp.Diff(want, decode[apiErr](t, body)); diff != "" {
		t.Errorf("429 body (-want +got):\n%s", diff)
	}
	wantHeaders := map[string]string{"X-RateLimit-Category": "Light", "X-RateLimit-Type": "QPS", "X-RateLimit-Limit": "2",
		"X-RateLimit-Remaining": "0", "Retry-After": "1"}
	for k, v := range wantHeaders {
		if got := resp.Header.Values(k); len(got) != 1 || got[0] != v {
			t.Errorf("%s = %q, want [%q]", k, got, v)
		}
	}
	// Each label has its own budget.
	if r, _ := f.api(http.MethodGet, "/v2/users/me/meetings", tok, nil); r.StatusCode != 200 {
		t.Errorf("Medium endpoint while Light is exhausted: %d", r.StatusCode)
	}
	// The next clock second refills it.
	f.srv.Advance(time.Second)
	if r, _ := f.api(http.MethodGet, "/v2/users/me", tok, nil); r.StatusCode != 200 {
		t.Errorf("next second: %d", r.StatusCode)
	}
	if st := f.srv.Stats(); st.RateLimited != 1 {
		t.Errorf("RateLimited = %d, want 1", st.RateLimited)
	}
}

func TestRateLimitOffSendsOnlyCategory(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	tok := f.mint(zoomsandbox.DefaultAppName)
	for range 20 {
		resp, _ := f.api(http.MethodGet, "/v2/users/me", tok, nil)
		if resp.StatusCode != 200 || resp.Header.Get("X-RateLimit-Category") != "Light" || resp.Header.Get("X-RateLimit-Limit") != "" {
			t.Fatalf("%d, headers %v", resp.StatusCode, resp.Header)
		}
	}
}

func TestDailyMeetingWrites(t *testing.T) {
	t.Parallel()
	f := newFixture(t, func(c *zoomsandbox.Config) { c.DailyMeetingWrites = 3 })
	tok := f.mint(zoomsandbox.DefaultAppName)
	m := f.createMeeting(tok, `{"topic":"one"}`)
	f.createMeeting(tok, `{"topic":"two"}`)
	path := "/v2/meetings/" + strconv.FormatInt(m.ID, 10)
	if r, _ := f.api(http.MethodPatch, path, tok, `{"topic":"one'"}`); r.StatusCode != 204 {
		t.Fatalf("update: %d", r.StatusCode)
	}
	// Reads and deletes do not count.
	f.api(http.MethodGet, path, tok, nil)
	f.api(http.MethodGet, "/v2/users/me/meetings", tok, nil)
	if r, _ := f.api(http.MethodDelete, path, tok, nil); r.StatusCode != 204 {
		t.Fatalf("delete: %d", r.StatusCode)
	}
	resp, body := f.api(http.MethodPost, "/v2/users/me/meetings", tok, `{"topic":"four"}`)
	want := apiErr{Code: 429, Message: "You have exceeded the daily rate limit (3) of Meeting Create/Update API requests permitted for this particular user. You may resume these requests at GMT 00:00:00."}
	if diff := cmp.Diff(want, decode[apiErr](t, body)); diff != "" || resp.StatusCode != 429 {
		t.Fatalf("fourth write: %d (-want +got):\n%s", resp.StatusCode, diff)
	}
	for k, v := range map[string]string{"X-RateLimit-Category": "Medium", "X-RateLimit-Limit": "3", "X-RateLimit-Remaining": "0"} {
		if got := resp.Header.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	// Resets at 00:00 UTC (the fixed clock starts at 10:20:30 UTC).
	f.srv.Advance(13*time.Hour + 39*time.Minute + 29*time.Second)
	tok = f.mint(zoomsandbox.DefaultAppName)
	if r, _ := f.api(http.MethodPost, "/v2/users/me/meetings", tok, `{}`); r.StatusCode != 429 {
		t.Errorf("at 23:59:59 UTC: %d, want 429", r.StatusCode)
	}
	f.srv.Advance(time.Second)
	if r, b := f.api(http.MethodPost, "/v2/users/me/meetings", tok, `{}`); r.StatusCode != 201 {
		t.Errorf("after midnight UTC: %d %s", r.StatusCode, b)
	}
}

func TestDailyWritesDeleteQuirkAndUnlimited(t *testing.T) {
	t.Parallel()
	t.Run("deletes count", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t, func(c *zoomsandbox.Config) { c.DailyMeetingWrites = 2; c.Quirks.CountDeletesAsWrites = true })
		tok := f.mint(zoomsandbox.DefaultAppName)
		m := f.createMeeting(tok, `{}`)
		if r, _ := f.api(http.MethodDelete, "/v2/meetings/"+strconv.FormatInt(m.ID, 10), tok, nil); r.StatusCode != 204 {
			t.Fatal("delete")
		}
		if r, _ := f.api(http.MethodPost, "/v2/users/me/meetings", tok, `{}`); r.StatusCode != 429 {
			t.Errorf("third write with deletes counted: %d, want 429", r.StatusCode)
		}
	})
	t.Run("unlimited", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t, func(c *zoomsandbox.Config) { c.DailyMeetingWrites = -1 })
		tok := f.mint(zoomsandbox.DefaultAppName)
		for range 120 {
			f.createMeeting(tok, `{}`)
		}
	})
	t.Run("default is 100", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t, nil)
		tok := f.mint(zoomsandbox.DefaultAppName)
		for range 100 {
			f.createMeeting(tok, `{}`)
		}
		if r, b := f.api(http.MethodPost, "/v2/users/me/meetings", tok, `{}`); r.StatusCode != 429 || decode[apiErr](t, b).Code != 429 {
			t.Errorf("101st write: %d %s", r.StatusCode, b)
		}
	})
}
