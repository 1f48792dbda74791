package zoomsandbox

import (
	"encoding/base64"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

func FuzzValidateMeeting(f *testing.F) {
	seeds := []string{
		`{}`,
		`{"topic":"Plugin smoke test","type":2,"start_time":"2026-11-03T16:00:00","timezone":"Europe/Berlin","duration":45}`,
		`{"type":8,"start_time":"2026-11-03T16:00:00Z","recurrence":{"type":2,"weekly_days":"2,4","end_times":4}}`,
		`{"type":8,"recurrence":{"type":3,"monthly_week":-1,"monthly_week_day":6,"end_date_time":"2026-12-31T00:00:00Z"}}`,
		`{"settings":{"audio":"voip","jbh_time":15,"approval_type":0,"unknown":{"a":[1,2]}}}`,
		`{"tracking_fields":[{"field":"a","value":"b"},{}]}`,
		`{"password":"aZ09@-_*aZ","default_password":false,"agenda":null}`,
		`{"duration":1e3,"type":2.0}`,
		`[]`, `null`, `"x"`, `{"a":1}{"b":2}`, ``,
	}
	for _, s := range seeds {
		f.Add([]byte(s), false, 2, true)
	}
	f.Fuzz(func(t *testing.T, body []byte, update bool, currentType int, hasRecurrence bool) {
		vc := validateContext{update: update, defaultZone: "America/New_York", currentType: currentType, hasRecurrence: hasRecurrence, maxOccurrences: 50}
		in, aerr := validateMeeting(body, vc)
		in2, aerr2 := validateMeeting(body, vc)
		if diff := cmp.Diff(aerr, aerr2); diff != "" {
			t.Fatalf("validation is not deterministic:\n%s", diff)
		}
		if (in == nil) == (aerr == nil) {
			t.Fatalf("want exactly one of input and error, got %v and %v", in, aerr)
		}
		if aerr != nil {
			if aerr.Status != 400 || aerr.Code != 300 {
				t.Fatalf("error %+v: want HTTP 400 code 300", aerr)
			}
			if aerr.Message == "Validation Failed." && len(aerr.Errors) == 0 {
				t.Fatal("Validation Failed. without field errors")
			}
			for _, e := range aerr.Errors {
				if e.Field == "" || e.Message == "" {
					t.Fatalf("empty field error %+v", e)
				}
			}
			return
		}
		if !cmp.Equal(in, in2) {
			t.Fatal("accepted input differs between runs")
		}
		if in.Topic != nil && utf8.RuneCountInString(*in.Topic) > 200 {
			t.Fatalf("topic of %d characters accepted", utf8.RuneCountInString(*in.Topic))
		}
		if in.Agenda != nil && utf8.RuneCountInString(*in.Agenda) > 2000 {
			t.Fatal("agenda over 2000 characters accepted")
		}
		if in.Password != nil && !passwordRe.MatchString(*in.Password) {
			t.Fatalf("password %q accepted", *in.Password)
		}
		if in.Duration != nil && *in.Duration < 0 {
			t.Fatalf("negative duration %d accepted", *in.Duration)
		}
		if in.Type != nil && !strings.Contains(",1,2,3,8,10,", ","+strconv.Itoa(*in.Type)+",") {
			t.Fatalf("type %d accepted", *in.Type)
		}
		if in.StartTime != nil && in.StartTime.Location().String() != "UTC" {
			t.Fatalf("start time %v is not UTC", *in.StartTime)
		}
		if r := in.Recurrence; r != nil {
			if r.Type < 1 || r.Type > 3 || r.RepeatInterval < 1 || r.EndTimes > 50 || (r.EndTimes > 0) == (r.EndDateTime != "") {
				t.Fatalf("recurrence %+v accepted", *r)
			}
			if r.Type == 2 && r.WeeklyDays == "" {
				t.Fatal("weekly recurrence without weekly_days accepted")
			}
			// Expanding any accepted rule terminates with at most the cap.
			start := time.Date(2026, 11, 3, 15, 0, 0, 0, time.UTC)
			if in.StartTime != nil {
				start = *in.StartTime
			}
			loc, err := time.LoadLocation("America/New_York")
			if err != nil {
				t.Fatal(err)
			}
			if occ := occurrenceTimes(start, loc, r, 50); len(occ) > 50 {
				t.Fatalf("%d occurrences", len(occ))
			}
		}
	})
}

func FuzzParseTokenRequest(f *testing.F) {
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte("id:secret"))
	f.Add(basic, "application/x-www-form-urlencoded", "", []byte("grant_type=refresh_token&refresh_token=abc"))
	f.Add("", "application/x-www-form-urlencoded; charset=utf-8", "grant_type=account_credentials&account_id=x", []byte("client_id=a&client_secret=b"))
	f.Add("basic !!!", "", "a=%zz", []byte("%"))
	f.Add("Bearer x", "application/json", "", []byte(`{"grant_type":"x"}`))
	f.Add(basic, "application/x-www-form-urlencoded", "grant_type=from_query&code=q", []byte("grant_type=from_body"))
	f.Fuzz(func(t *testing.T, authz, contentType, rawQuery string, body []byte) {
		tr, oerr := parseTokenRequest(authz, contentType, rawQuery, body)
		if oerr != nil {
			if oerr.Status != 400 || oerr.Error != "invalid_request" || oerr.Reason == "" {
				t.Fatalf("parse error %+v: want 400 invalid_request with a reason", oerr)
			}
			return
		}
		if tr.viaBasic != (authz != "") {
			t.Fatalf("viaBasic = %v for Authorization %q", tr.viaBasic, authz)
		}
		// Every query parameter is visible unless the body has the same key.
		q, _ := url.ParseQuery(rawQuery)
		for k, vs := range q {
			if got, ok := tr.params[k]; !ok || (len(got) == 0) != (len(vs) == 0) {
				t.Fatalf("query parameter %q lost", k)
			}
		}
		if !tr.viaBasic && (tr.clientID != tr.params.Get("client_id") || tr.clientSecret != tr.params.Get("client_secret")) {
			t.Fatal("parameter credentials not taken from the parameters")
		}
		// Redacting the recorded form never leaves a sensitive value behind.
		red, err := url.ParseQuery(redactForm(string(body)))
		if err == nil {
			for _, k := range sensitiveParams {
				for _, v := range red[k] {
					if !strings.HasPrefix(v, "<redacted:") {
						t.Fatalf("%s=%q survived redaction", k, v)
					}
				}
			}
		}
	})
}

func TestRedirectAllowed(t *testing.T) {
	t.Parallel()
	allowed := []string{"http://127.0.0.1/oauth2/callback", "http://localhost/cb?x=1", "http://[::1]/v6", "https://app.example.test/cb"}
	tests := map[string]bool{
		"http://127.0.0.1/oauth2/callback":       true,
		"http://127.0.0.1:1/oauth2/callback":     true,
		"http://127.0.0.1:65535/oauth2/callback": true,
		"http://LOCALHOST:80/cb?x=1":             true,
		"http://[::1]:8080/v6":                   true,
		"https://app.example.test/cb":            true,
		"https://app.example.test:444/cb":        false,
		"http://127.0.0.1:1/oauth2/callback/":    false,
		"http://127.0.0.1:1/oauth2/callback#f":   false,
		"http://u@127.0.0.1:1/oauth2/callback":   false,
		"http://localhost:1/oauth2/callback":     false,
		"http://127.0.0.2:1/oauth2/callback":     false,
		"http://localhost:1/cb?x=2":              false,
		"https://127.0.0.1:1/oauth2/callback":    false,
	}
	for uri, want := range tests {
		if got := redirectAllowed(allowed, uri); got != want {
			t.Errorf("redirectAllowed(%q) = %v, want %v", uri, got, want)
		}
	}
}

func TestIsGranularScope(t *testing.T) {
	t.Parallel()
	for sc, want := range map[string]bool{
		"meeting:read": false, "meeting:read:admin": false, "meeting:write:master": false,
		"meeting:read:meeting": true, "meeting:read:meeting:admin": true, "user:read:user": true,
	} {
		if got := isGranularScope(sc); got != want {
			t.Errorf("isGranularScope(%q) = %v, want %v", sc, got, want)
		}
	}
}
