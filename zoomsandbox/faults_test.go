package zoomsandbox_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/nodeplug/nodeplug/zoomsandbox"
)

func TestFaultStatusForNextN(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	tok := f.mint(zoomsandbox.DefaultAppName)
	f.srv.InjectFault(zoomsandbox.Fault{PathPrefix: "/v2/users", Method: "get", Status: 503, Code: 9999, Message: "Sandbox outage.", Count: 2,
		Header: map[string]string{"Retry-After": "7"}})
	// A request that does not match is served normally and does not use the fault.
	if r, _ := f.api(http.MethodGet, "/v2/meetings/1", tok, nil); r.StatusCode != 404 {
		t.Fatalf("non-matching request: %d", r.StatusCode)
	}
	if r, _ := f.api(http.MethodPost, "/v2/users/me/meetings", tok, `{}`); r.StatusCode != 201 {
		t.Fatalf("other method: %d", r.StatusCode)
	}
	for i := range 2 {
		resp, body := f.api(http.MethodGet, "/v2/users/me", tok, nil)
		if diff := cmp.Diff(apiErr{Code: 9999, Message: "Sandbox outage."}, decode[apiErr](t, body)); diff != "" || resp.StatusCode != 503 || resp.Header.Get("Retry-After") != "7" {
			t.Errorf("faulted call %d: %d (-want +got):\n%s", i, resp.StatusCode, diff)
		}
	}
	if r, _ := f.api(http.MethodGet, "/v2/users/me", tok, nil); r.StatusCode != 200 {
		t.Errorf("after the fault ran out: %d", r.StatusCode)
	}
	if st := f.srv.Stats(); st.FaultsApplied != 2 {
		t.Errorf("FaultsApplied = %d", st.FaultsApplied)
	}
	if len(f.srv.Faults()) != 0 {
		t.Errorf("pending faults left: %v", f.srv.Faults())
	}
}

func TestFaultOnTokenEndpoint(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	tj := f.grantTokens()
	f.srv.InjectFault(zoomsandbox.Fault{PathPrefix: "/oauth/token", Status: 500})
	resp, got := f.refresh(tj.RefreshToken)
	if resp.StatusCode != 500 || got.Error != "server_error" || got.Reason == "" {
		t.Fatalf("faulted refresh: %d %+v", resp.StatusCode, got)
	}
	// The refresh token was not used up by the faulted request.
	if resp, _ := f.refresh(tj.RefreshToken); resp.StatusCode != 200 {
		t.Errorf("refresh after the fault: %d", resp.StatusCode)
	}
}

func TestFaultDelayHonoursClientCancel(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	tok := f.mint(zoomsandbox.DefaultAppName)
	// An hour-long delay: the request only ends because the client gives up,
	// and the handler must return then (ts.Close in Cleanup waits for it).
	f.srv.InjectFault(zoomsandbox.Fault{PathPrefix: "/v2/users/me", Delay: time.Hour, Status: 500})
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, f.ts.URL+"/v2/users/me", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	_, err = f.client.Do(req)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("delayed request: err = %v, want context.DeadlineExceeded", err)
	}
	if r, _ := f.api(http.MethodGet, "/v2/users/me", tok, nil); r.StatusCode != 200 {
		t.Errorf("after the delayed request: %d", r.StatusCode)
	}
}

func TestFaultDelayOnlyThenServes(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	tok := f.mint(zoomsandbox.DefaultAppName)
	f.srv.InjectFault(zoomsandbox.Fault{PathPrefix: "/v2/users/me", Delay: time.Millisecond})
	if r, _ := f.api(http.MethodGet, "/v2/users/me", tok, nil); r.StatusCode != 200 {
		t.Errorf("delay-only fault: %d, want the normal 200", r.StatusCode)
	}
}

func TestFaultDropConnection(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	tok := f.mint(zoomsandbox.DefaultAppName)
	f.srv.InjectFault(zoomsandbox.Fault{PathPrefix: "/v2/", DropConnection: true})
	// A fresh connection per request, so the client cannot retry the GET
	// silently on another one.
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	req := mustRequest(t, http.MethodGet, f.ts.URL+"/v2/users/me")
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := client.Do(req)
	if err == nil {
		resp.Body.Close()
		t.Fatalf("dropped connection: got status %d, want a transport error", resp.StatusCode)
	}
	var uerr *url.Error
	if !errors.As(err, &uerr) {
		t.Errorf("error %v is not a *url.Error", err)
	}
	if r, _ := f.api(http.MethodGet, "/v2/users/me", tok, nil); r.StatusCode != 200 {
		t.Errorf("after the drop: %d", r.StatusCode)
	}
}

func TestFaultJSON(t *testing.T) {
	t.Parallel()
	in := zoomsandbox.Fault{PathPrefix: "/v2", Method: "GET", Status: 429, Code: 429, Message: "m", Count: 3, Delay: 2 * time.Second, DropConnection: true,
		Header: map[string]string{"Retry-After": "1"}, Body: `{"x":1}`}
	b, err := in.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	var out zoomsandbox.Fault
	if err := out.UnmarshalJSON(b); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(in, out); diff != "" {
		t.Errorf("round trip (-in +out):\n%s", diff)
	}
	for name, bad := range map[string]string{"bad delay": `{"delay":"soon"}`, "negative delay": `{"delay":"-1s"}`, "unknown field": `{"stauts":500}`} {
		if err := out.UnmarshalJSON([]byte(bad)); err == nil {
			t.Errorf("%s: no error for %s", name, bad)
		}
	}
}
