package zoomsandbox_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/nodeplug/nodeplug/zoomsandbox"
)

func TestAPIAuthentication(t *testing.T) {
	t.Parallel()
	f := newFixture(t, func(c *zoomsandbox.Config) { c.AccessTokenTTL = time.Hour })
	valid := f.mint(zoomsandbox.DefaultAppName)
	expiring := f.mint(zoomsandbox.DefaultAppName)
	revoked := f.mint(zoomsandbox.DefaultAppName)
	f.srv.RevokeToken(revoked)
	tests := map[string]struct {
		path    string
		header  string
		wantMsg string
	}{
		"missing":          {path: "/v2/users/me", wantMsg: "Requires an access token."},
		"unknown":          {path: "/v2/users/me", header: "Bearer zsbx_at_unknown", wantMsg: "Invalid access token."},
		"legacy JWT":       {path: "/v2/users/me", header: "Bearer eyJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJrZXkifQ.c2ln", wantMsg: "Invalid access token."},
		"revoked":          {path: "/v2/users/me", header: "Bearer " + revoked, wantMsg: "Invalid access token."},
		"basic scheme":     {path: "/v2/users/me", header: "Basic " + valid, wantMsg: "Invalid access token."},
		"empty bearer":     {path: "/v2/users/me", header: "Bearer ", wantMsg: "Invalid access token."},
		"token in query":   {path: "/v2/users/me?access_token=" + url.QueryEscape(valid), wantMsg: "Invalid access token."},
		"query and header": {path: "/v2/users/me?access_token=" + url.QueryEscape(valid), header: "Bearer " + valid, wantMsg: "Invalid access token."},
		"expired":          {path: "/v2/meetings/1", header: "Bearer " + expiring, wantMsg: "Access token is expired."},
	}
	// Expire only the "expiring" token: it was minted with the 1h default,
	// so move past it and mint a fresh "valid" one afterwards.
	f.srv.Advance(time.Hour)
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			req := mustRequest(t, http.MethodGet, f.ts.URL+tc.path)
			if tc.header != "" {
				req.Header.Set("Authorization", tc.header)
			}
			resp, body := f.send(req)
			want := apiErr{Code: 124, Message: tc.wantMsg}
			if diff := cmp.Diff(want, decode[apiErr](t, body)); diff != "" || resp.StatusCode != 401 {
				t.Errorf("status %d; body (-want +got):\n%s", resp.StatusCode, diff)
			}
			if resp.Header.Get("X-RateLimit-Category") == "" {
				t.Error("401 without X-RateLimit-Category")
			}
		})
	}
	if r, _ := f.api(http.MethodGet, "/v2/users/me", f.mint(zoomsandbox.DefaultAppName), nil); r.StatusCode != 200 {
		t.Errorf("fresh token: %d", r.StatusCode)
	}
}

func TestScopes(t *testing.T) {
	t.Parallel()
	f := newFixture(t, func(c *zoomsandbox.Config) {
		c.Apps = []zoomsandbox.App{
			{Name: "classic-read", ClientID: "c1", ClientSecret: "s", RedirectURIs: []string{"http://127.0.0.1/cb"}, Scopes: []string{"meeting:read", "user:read"}},
			{Name: "granular-read", ClientID: "c2", ClientSecret: "s", Kind: zoomsandbox.AppServerToServer, Scopes: []string{"meeting:read:meeting:admin", "meeting:write:meeting:admin"}},
			{Name: "admin-classic", ClientID: "c3", ClientSecret: "s", Kind: zoomsandbox.AppServerToServer, Scopes: []string{"meeting:write:admin", "meeting:read:admin", "user:read:admin"}},
		}
	})
	writer := f.mint("admin-classic")
	m := f.createMeeting(writer, map[string]any{"topic": "scoped"})
	mpath := "/v2/meetings/" + strconv.FormatInt(m.ID, 10)
	tests := map[string]struct {
		app, method, path string
		body              any
		wantStatus        int
		wantMsg           string
	}{
		"classic read may read": {app: "classic-read", method: "GET", path: mpath, wantStatus: 200},
		"classic read may list": {app: "classic-read", method: "GET", path: "/v2/users/me/meetings", wantStatus: 200},
		"classic read may not create": {app: "classic-read", method: "POST", path: "/v2/users/me/meetings", body: `{}`, wantStatus: 400,
			wantMsg: "Invalid access token, does not contain scopes:[meeting:write, meeting:write:admin]."},
		"classic read may not delete": {app: "classic-read", method: "DELETE", path: mpath, wantStatus: 400,
			wantMsg: "Invalid access token, does not contain scopes:[meeting:write, meeting:write:admin]."},
		"granular may get": {app: "granular-read", method: "GET", path: mpath, wantStatus: 200},
		"granular may not list": {app: "granular-read", method: "GET", path: "/v2/users/me/meetings", wantStatus: 400,
			wantMsg: "Invalid access token, does not contain scopes:[meeting:read:list_meetings, meeting:read:list_meetings:admin]."},
		"granular write is not update": {app: "granular-read", method: "PATCH", path: mpath, body: `{}`, wantStatus: 400,
			wantMsg: "Invalid access token, does not contain scopes:[meeting:update:meeting, meeting:update:meeting:admin]."},
		"granular may not read user": {app: "granular-read", method: "GET", path: "/v2/users/me", wantStatus: 400,
			wantMsg: "Invalid access token, does not contain scopes:[user:read:user, user:read:user:admin]."},
		"admin classic may update": {app: "admin-classic", method: "PATCH", path: mpath, body: `{"topic":"x"}`, wantStatus: 204},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			resp, body := f.api(tc.method, tc.path, f.mint(tc.app), tc.body)
			if resp.StatusCode != tc.wantStatus {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.wantStatus, body)
			}
			if tc.wantMsg != "" {
				if diff := cmp.Diff(apiErr{Code: 4711, Message: tc.wantMsg}, decode[apiErr](t, body)); diff != "" {
					t.Errorf("body (-want +got):\n%s", diff)
				}
			}
		})
	}
}

func TestScopeErrorStatusQuirk(t *testing.T) {
	t.Parallel()
	f := newFixture(t, func(c *zoomsandbox.Config) {
		c.Quirks.ScopeErrorStatus = 401
		c.Apps = []zoomsandbox.App{{Name: "u", ClientID: "u", ClientSecret: "s", Kind: zoomsandbox.AppServerToServer, Scopes: []string{"user:read:user"}}}
	})
	if r, b := f.api(http.MethodGet, "/v2/users/me/meetings", f.mint("u"), nil); r.StatusCode != 401 || decode[apiErr](t, b).Code != 4711 {
		t.Errorf("got %d %s, want 401 code 4711", r.StatusCode, b)
	}
}

func TestGetUser(t *testing.T) {
	t.Parallel()
	f := newFixture(t, func(c *zoomsandbox.Config) {
		c.BaseURL = "http://sandbox.test"
		c.User = zoomsandbox.User{ID: "KDcuGIm1QgePTO8WbOqwIQ", Email: "ada.host@example.test", FirstName: "Ada", LastName: "Host", Timezone: "Europe/Berlin", PMI: 3542471135}
	})
	tok := f.mint(zoomsandbox.DefaultAppName)
	for _, id := range []string{"me", "KDcuGIm1QgePTO8WbOqwIQ", "ada.host@example.test", "ADA.HOST@example.test"} {
		t.Run(id, func(t *testing.T) {
			resp, body := f.api(http.MethodGet, "/v2/users/"+url.PathEscape(id), tok, nil)
			if resp.StatusCode != 200 {
				t.Fatalf("status %d: %s", resp.StatusCode, body)
			}
			got := decode[map[string]any](t, body)
			want := map[string]any{"id": "KDcuGIm1QgePTO8WbOqwIQ", "email": "ada.host@example.test", "first_name": "Ada", "last_name": "Host",
				"display_name": "Ada Host", "timezone": "Europe/Berlin", "pmi": float64(3542471135), "type": float64(2), "status": "active",
				"personal_meeting_url": "http://sandbox.test/j/3542471135", "account_id": zoomsandbox.DefaultAccountID}
			for k, v := range want {
				if !cmp.Equal(got[k], v) {
					t.Errorf("%s = %v, want %v", k, got[k], v)
				}
			}
			if resp.Header.Get("X-RateLimit-Category") != "Light" {
				t.Errorf("X-RateLimit-Category = %q", resp.Header.Get("X-RateLimit-Category"))
			}
		})
	}
	resp, body := f.api(http.MethodGet, "/v2/users/nobody@example.test", tok, nil)
	if diff := cmp.Diff(apiErr{Code: 1001, Message: "User does not exist: nobody@example.test."}, decode[apiErr](t, body)); diff != "" || resp.StatusCode != 404 {
		t.Errorf("unknown user: %d (-want +got):\n%s", resp.StatusCode, diff)
	}
}

func TestMeetingCRUD(t *testing.T) {
	t.Parallel()
	f := newFixture(t, func(c *zoomsandbox.Config) { c.BaseURL = "http://sandbox.test" })
	tok := f.mint(zoomsandbox.DefaultAppName)
	created := f.createMeeting(tok, map[string]any{
		"topic": "Plugin smoke test", "type": 2, "start_time": "2026-11-03T16:00:00", "timezone": "Europe/Berlin", "duration": 45,
		"agenda":   "Check create, read, update and delete",
		"settings": map[string]any{"host_video": true, "join_before_host": true, "waiting_room": true, "audio": "voip", "approval_type": 2, "custom_key": "kept"},
	})
	idStr := strconv.FormatInt(created.ID, 10)
	if len(idStr) != 11 || idStr[0] != '8' {
		t.Errorf("meeting id %d: want 11 digits starting with 8", created.ID)
	}
	checks := map[string][2]any{
		"start_time UTC":  {created.StartTime, "2026-11-03T15:00:00Z"},
		"timezone":        {created.Timezone, "Europe/Berlin"},
		"status":          {created.Status, "waiting"},
		"creation_source": {created.CreationSource, "open_api"},
		"created_at":      {created.CreatedAt, "2026-11-01T10:20:30Z"},
		"host_email":      {created.HostEmail, "sandbox.host@example.test"},
		"join_url":        {created.JoinURL, "http://sandbox.test/j/" + idStr + "?pwd=" + created.EncryptedPassword},
		"pre_schedule":    {*created.PreSchedule, false},
		"host_video":      {created.Settings["host_video"], true},
		"jbh forced off":  {created.Settings["join_before_host"], false},
		"audio":           {created.Settings["audio"], "voip"},
		"auto_recording":  {created.Settings["auto_recording"], "none"},
		"unknown setting": {created.Settings["custom_key"], "kept"},
		"pstn = h323":     {created.PSTNPassword, created.H323Password},
	}
	for name, c := range checks {
		if !cmp.Equal(c[0], c[1]) {
			t.Errorf("%s = %v, want %v", name, c[0], c[1])
		}
	}
	if created.UUID == "" || created.HostID == "" || created.Password == "" || len(created.Password) > 10 || created.EncryptedPassword == "" {
		t.Errorf("missing generated fields: %+v", created)
	}
	if !strings.HasPrefix(created.StartURL, "http://sandbox.test/s/"+idStr+"?zak=") {
		t.Errorf("start_url = %q", created.StartURL)
	}

	path := "/v2/meetings/" + idStr
	resp, body := f.api(http.MethodGet, path, tok, nil)
	if resp.StatusCode != 200 || resp.Header.Get("X-RateLimit-Category") != "Light" {
		t.Fatalf("get: %d %q", resp.StatusCode, resp.Header.Get("X-RateLimit-Category"))
	}
	got := decode[meetingJSON](t, body)
	if diff := cmp.Diff(created, got, cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".StartURL" }, cmp.Ignore())); diff != "" {
		t.Errorf("get differs from create (-create +get):\n%s", diff)
	}

	// PATCH is partial and answers 204 with no body.
	resp, body = f.api(http.MethodPatch, path, tok, map[string]any{"topic": "Renamed", "settings": map[string]any{"mute_upon_entry": true}})
	if resp.StatusCode != 204 || len(body) != 0 {
		t.Fatalf("patch: %d %q, want 204 and no body", resp.StatusCode, body)
	}
	_, body = f.api(http.MethodGet, path, tok, nil)
	got = decode[meetingJSON](t, body)
	if got.Topic != "Renamed" || got.Agenda != created.Agenda || got.Duration != 45 || got.Settings["mute_upon_entry"] != true || got.Settings["host_video"] != true {
		t.Errorf("after patch: %+v", got)
	}

	// A passcode change renews the derived passcodes.
	f.api(http.MethodPatch, path, tok, map[string]any{"password": "123456"})
	_, body = f.api(http.MethodGet, path, tok, nil)
	got = decode[meetingJSON](t, body)
	if got.Password != "123456" || got.H323Password != "123456" || !strings.HasSuffix(got.JoinURL, "?pwd="+got.EncryptedPassword) {
		t.Errorf("after passcode change: %q %q %q", got.Password, got.H323Password, got.JoinURL)
	}

	resp, body = f.api(http.MethodDelete, path+"?schedule_for_reminder=true&cancel_meeting_reminder=false", tok, nil)
	if resp.StatusCode != 204 || len(body) != 0 {
		t.Fatalf("delete: %d %q", resp.StatusCode, body)
	}
	for _, method := range []string{http.MethodDelete, http.MethodGet, http.MethodPatch} {
		resp, body = f.api(method, path, tok, `{}`)
		if diff := cmp.Diff(apiErr{Code: 3001, Message: "Meeting does not exist: " + idStr + "."}, decode[apiErr](t, body)); diff != "" || resp.StatusCode != 404 {
			t.Errorf("%s after delete: %d (-want +got):\n%s", method, resp.StatusCode, diff)
		}
	}
}

func TestMeetingErrors(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	tok := f.mint(zoomsandbox.DefaultAppName)
	tests := map[string]struct {
		method, path string
		body         any
		wantStatus   int
		want         apiErr
	}{
		"unknown meeting":     {method: "GET", path: "/v2/meetings/1", wantStatus: 404, want: apiErr{Code: 3001, Message: "Meeting does not exist: 1."}},
		"non-numeric meeting": {method: "GET", path: "/v2/meetings/abc", wantStatus: 404, want: apiErr{Code: 3001, Message: "Meeting does not exist: abc."}},
		"unknown user create": {method: "POST", path: "/v2/users/someone/meetings", body: `{}`, wantStatus: 404, want: apiErr{Code: 1001, Message: "User does not exist: someone."}},
		"unknown user list":   {method: "GET", path: "/v2/users/someone/meetings", wantStatus: 404, want: apiErr{Code: 1001, Message: "User does not exist: someone."}},
		"body not JSON":       {method: "POST", path: "/v2/users/me/meetings", body: `topic=x`, wantStatus: 400, want: apiErr{Code: 300, Message: "Request Body should be a valid JSON object."}},
		"body a JSON array":   {method: "POST", path: "/v2/users/me/meetings", body: `[{}]`, wantStatus: 400, want: apiErr{Code: 300, Message: "Request Body should be a valid JSON object."}},
		"body empty":          {method: "POST", path: "/v2/users/me/meetings", body: ``, wantStatus: 400, want: apiErr{Code: 300, Message: "Request Body should be a valid JSON object."}},
		"trailing data":       {method: "POST", path: "/v2/users/me/meetings", body: `{} {}`, wantStatus: 400, want: apiErr{Code: 300, Message: "Request Body should be a valid JSON object."}},
		"instant schedule_for": {method: "POST", path: "/v2/users/me/meetings", body: `{"type":1,"schedule_for":"sandbox.host@example.test"}`, wantStatus: 400,
			want: apiErr{Code: 3000, Message: "Instant meetings do not support the schedule_for parameter."}},
		"pre_schedule on type 8": {method: "POST", path: "/v2/users/me/meetings", body: `{"type":8,"pre_schedule":true,"recurrence":{"type":1,"end_times":2}}`, wantStatus: 400,
			want: apiErr{Code: 3000, Message: "Prescheduling is only available for scheduled meetings (type 2) and recurring meetings with no fixed time (type 3)."}},
		"page_size above 300": {method: "GET", path: "/v2/users/me/meetings?page_size=301", wantStatus: 400, want: apiErr{Code: 300, Message: "Invalid parameter: page_size."}},
		"page_size zero":      {method: "GET", path: "/v2/users/me/meetings?page_size=0", wantStatus: 400, want: apiErr{Code: 300, Message: "Invalid parameter: page_size."}},
		"bad list type":       {method: "GET", path: "/v2/users/me/meetings?type=all", wantStatus: 400, want: apiErr{Code: 300, Message: "Invalid parameter: type."}},
		"bad page token":      {method: "GET", path: "/v2/users/me/meetings?next_page_token=nope", wantStatus: 400, want: apiErr{Code: 300, Message: "The next page token is invalid or expired."}},
		"bad from":            {method: "GET", path: "/v2/users/me/meetings?from=2026-13-01", wantStatus: 400, want: apiErr{Code: 300, Message: "Invalid parameter: from."}},
		"unknown endpoint":    {method: "GET", path: "/v2/webinars/1", wantStatus: 404},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			resp, body := f.api(tc.method, tc.path, tok, tc.body)
			if resp.StatusCode != tc.wantStatus {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.wantStatus, body)
			}
			if tc.want.Code == 0 {
				return
			}
			if diff := cmp.Diff(tc.want, decode[apiErr](t, body)); diff != "" {
				t.Errorf("body (-want +got):\n%s", diff)
			}
		})
	}
}

func TestValidationListsEveryField(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	tok := f.mint(zoomsandbox.DefaultAppName)
	body := map[string]any{
		"topic":      strings.Repeat("t", 201),
		"type":       5,
		"start_time": "2026-11-03 16:00",
		"duration":   -5,
		"timezone":   "Mars/Olympus_Mons",
		"password":   "has space",
		"agenda":     strings.Repeat("a", 2001),
		"recurrence": map[string]any{"type": 2, "repeat_interval": 51, "end_times": 3, "end_date_time": "2026-12-01T00:00:00Z"},
		"settings": map[string]any{"audio": "pigeon", "auto_recording": "tape", "registration_type": 4, "approval_type": 3,
			"jbh_time": 7, "host_video": "yes"},
		"tracking_fields": []any{map[string]any{"value": "v"}},
	}
	resp, b := f.api(http.MethodPost, "/v2/users/me/meetings", tok, body)
	if resp.StatusCode != 400 {
		t.Fatalf("status %d: %s", resp.StatusCode, b)
	}
	got := decode[apiErr](t, b)
	var fields []string
	for _, e := range got.Errors {
		fields = append(fields, e.Field)
		if e.Message != "Invalid field." {
			t.Errorf("%s message %q", e.Field, e.Message)
		}
	}
	want := []string{"topic", "type", "timezone", "start_time", "duration", "password", "agenda", "tracking_fields[0].field",
		"recurrence.repeat_interval", "recurrence.weekly_days", "recurrence.end_date_time",
		"settings.approval_type", "settings.audio", "settings.auto_recording", "settings.host_video", "settings.jbh_time", "settings.registration_type"}
	if got.Code != 300 || got.Message != "Validation Failed." {
		t.Errorf("code/message = %d %q", got.Code, got.Message)
	}
	if diff := cmp.Diff(want, fields); diff != "" {
		t.Errorf("failing fields (-want +got):\n%s", diff)
	}
}

func TestValidationSingleFields(t *testing.T) {
	t.Parallel()
	f := newFixture(t, func(c *zoomsandbox.Config) { c.DailyMeetingWrites = -1 })
	tok := f.mint(zoomsandbox.DefaultAppName)
	tests := map[string]struct {
		body      string
		wantField string // "" = accepted
	}{
		"topic 200 chars ok":         {body: `{"topic":"` + strings.Repeat("é", 200) + `"}`},
		"topic 201 chars":            {body: `{"topic":"` + strings.Repeat("é", 201) + `"}`, wantField: "topic"},
		"password 10 ok":             {body: `{"password":"aZ09@-_*aZ"}`},
		"password 11":                {body: `{"password":"aZ09@-_*aZx"}`, wantField: "password"},
		"password bang":              {body: `{"password":"abc!"}`, wantField: "password"},
		"type 10 ok":                 {body: `{"type":10}`},
		"type 4":                     {body: `{"type":4}`, wantField: "type"},
		"type as string":             {body: `{"type":"2"}`, wantField: "type"},
		"duration float":             {body: `{"duration":30.5}`, wantField: "duration"},
		"duration string":            {body: `{"duration":"30"}`, wantField: "duration"},
		"start with offset":          {body: `{"start_time":"2026-11-03T16:00:00+01:00"}`, wantField: "start_time"},
		"start with fraction":        {body: `{"start_time":"2026-11-03T16:00:00.000Z"}`, wantField: "start_time"},
		"start not a date":           {body: `{"start_time":"2026-02-30T16:00:00Z"}`, wantField: "start_time"},
		"timezone Local":             {body: `{"timezone":"Local"}`, wantField: "timezone"},
		"timezone UTC":               {body: `{"timezone":"UTC","start_time":"2026-11-03T16:00:00"}`},
		"jbh 15 ok":                  {body: `{"settings":{"jbh_time":15}}`},
		"audio thirdParty ok":        {body: `{"settings":{"audio":"thirdParty"}}`},
		"settings not object":        {body: `{"settings":[]}`, wantField: "settings"},
		"null fields ignored":        {body: `{"topic":null,"settings":null,"agenda":null}`},
		"type 8 without recurrence":  {body: `{"type":8}`, wantField: "recurrence"},
		"recurrence type missing":    {body: `{"type":8,"recurrence":{"repeat_interval":1}}`, wantField: "recurrence.type"},
		"daily interval 99 ok":       {body: `{"type":8,"recurrence":{"type":1,"repeat_interval":99,"end_times":2}}`},
		"daily interval 100":         {body: `{"type":8,"recurrence":{"type":1,"repeat_interval":100}}`, wantField: "recurrence.repeat_interval"},
		"monthly interval 11":        {body: `{"type":8,"recurrence":{"type":3,"repeat_interval":11,"monthly_day":1}}`, wantField: "recurrence.repeat_interval"},
		"weekly_days bad":            {body: `{"type":8,"recurrence":{"type":2,"weekly_days":"1,8"}}`, wantField: "recurrence.weekly_days"},
		"weekly_days as number":      {body: `{"type":8,"recurrence":{"type":2,"weekly_days":2}}`, wantField: "recurrence.weekly_days"},
		"monthly_day 32":             {body: `{"type":8,"recurrence":{"type":3,"monthly_day":32}}`, wantField: "recurrence.monthly_day"},
		"monthly_week without day":   {body: `{"type":8,"recurrence":{"type":3,"monthly_week":2}}`, wantField: "recurrence.monthly_week_day"},
		"monthly_week 5":             {body: `{"type":8,"recurrence":{"type":3,"monthly_week":5,"monthly_week_day":2}}`, wantField: "recurrence.monthly_week"},
		"end_times 50 ok":            {body: `{"type":8,"recurrence":{"type":1,"end_times":50}}`},
		"end_times 51":               {body: `{"type":8,"recurrence":{"type":1,"end_times":51}}`, wantField: "recurrence.end_times"},
		"end_date_time local":        {body: `{"type":8,"recurrence":{"type":1,"end_date_time":"2026-12-01T00:00:00"}}`, wantField: "recurrence.end_date_time"},
		"end before start":           {body: `{"type":8,"start_time":"2026-12-05T10:00:00Z","recurrence":{"type":1,"end_date_time":"2026-12-01T00:00:00Z"}}`, wantField: "recurrence.end_date_time"},
		"tracking fields not array":  {body: `{"tracking_fields":{"field":"x"}}`, wantField: "tracking_fields"},
		"recurrence ignored type 2":  {body: `{"type":2,"recurrence":{"type":1,"end_times":3}}`},
		"default_password not bool":  {body: `{"default_password":"no"}`, wantField: "default_password"},
		"schedule_for another user":  {body: `{"schedule_for":"stranger@example.test"}`, wantField: "schedule_for"},
		"schedule_for oneself is ok": {body: `{"schedule_for":"sandbox.host@example.test"}`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			resp, b := f.api(http.MethodPost, "/v2/users/me/meetings", tok, tc.body)
			if tc.wantField == "" {
				if resp.StatusCode != 201 {
					t.Fatalf("status %d, want 201: %s", resp.StatusCode, b)
				}
				return
			}
			got := decode[apiErr](t, b)
			if resp.StatusCode != 400 || got.Code != 300 || len(got.Errors) != 1 || got.Errors[0].Field != tc.wantField {
				t.Errorf("got %d %s, want one error on %q", resp.StatusCode, b, tc.wantField)
			}
		})
	}
}

func TestStartTimeAndDefaults(t *testing.T) {
	t.Parallel()
	f := newFixture(t, func(c *zoomsandbox.Config) { c.User.Timezone = "America/Los_Angeles" })
	tok := f.mint(zoomsandbox.DefaultAppName)
	tests := map[string]struct {
		body              string
		wantStart, wantTZ string
		wantDuration      int
		wantPassword      bool
	}{
		"UTC form":                     {body: `{"start_time":"2026-11-03T16:00:00Z"}`, wantStart: "2026-11-03T16:00:00Z", wantTZ: "America/Los_Angeles", wantDuration: 60, wantPassword: true},
		"local with timezone":          {body: `{"start_time":"2026-07-03T16:00:00","timezone":"Asia/Tokyo"}`, wantStart: "2026-07-03T07:00:00Z", wantTZ: "Asia/Tokyo", wantDuration: 60, wantPassword: true},
		"local in the user's zone":     {body: `{"start_time":"2026-11-03T08:00:00"}`, wantStart: "2026-11-03T16:00:00Z", wantTZ: "America/Los_Angeles", wantDuration: 60, wantPassword: true},
		"local across DST":             {body: `{"start_time":"2026-07-03T08:00:00"}`, wantStart: "2026-07-03T15:00:00Z", wantTZ: "America/Los_Angeles", wantDuration: 60, wantPassword: true},
		"UTC timezone":                 {body: `{"start_time":"2026-11-03T08:00:00","timezone":"UTC"}`, wantStart: "2026-11-03T08:00:00Z", wantTZ: "UTC", wantDuration: 60, wantPassword: true},
		"no start means now":           {body: `{"duration":15}`, wantStart: "2026-11-01T10:20:30Z", wantTZ: "America/Los_Angeles", wantDuration: 15, wantPassword: true},
		"no passcode when not default": {body: `{"default_password":false}`, wantStart: "2026-11-01T10:20:30Z", wantTZ: "America/Los_Angeles", wantDuration: 60},
		"type 3 has no start":          {body: `{"type":3,"start_time":"2026-11-03T16:00:00Z"}`, wantTZ: "America/Los_Angeles", wantDuration: 60, wantPassword: true},
		"instant starts now":           {body: `{"type":1}`, wantStart: "2026-11-01T10:20:30Z", wantTZ: "America/Los_Angeles", wantDuration: 60, wantPassword: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			m := f.createMeeting(tok, tc.body)
			if m.StartTime != tc.wantStart || m.Timezone != tc.wantTZ || m.Duration != tc.wantDuration || (m.Password != "") != tc.wantPassword {
				t.Errorf("got start %q tz %q duration %d password %q; want %q %q %d password=%v",
					m.StartTime, m.Timezone, m.Duration, m.Password, tc.wantStart, tc.wantTZ, tc.wantDuration, tc.wantPassword)
			}
		})
	}
}

func TestPasscodeOptionalUser(t *testing.T) {
	t.Parallel()
	f := newFixture(t, func(c *zoomsandbox.Config) { c.User.PasscodeOptional = true })
	m := f.createMeeting(f.mint(zoomsandbox.DefaultAppName), `{"topic":"open"}`)
	if m.Password != "" || m.EncryptedPassword != "" || strings.Contains(m.JoinURL, "pwd=") {
		t.Errorf("want no passcode, got %q %q %q", m.Password, m.EncryptedPassword, m.JoinURL)
	}
}

func TestListPaging(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	tok := f.mint(zoomsandbox.DefaultAppName)
	var ids []int64
	for i := range 65 {
		start := t0.Add(time.Duration(24+i) * time.Hour).Format("2006-01-02T15:04:05Z")
		ids = append(ids, f.createMeeting(tok, map[string]any{"topic": fmt.Sprintf("m%02d", i), "start_time": start}).ID)
	}
	f.createMeeting(tok, `{"type":1,"topic":"instant is never listed"}`)

	var seen []int64
	var tokens []string
	next := ""
	for page := 1; page <= 3; page++ {
		q := "?page_size=30"
		if next != "" {
			q += "&next_page_token=" + url.QueryEscape(next)
		}
		resp, b := f.api(http.MethodGet, "/v2/users/me/meetings"+q, tok, nil)
		if resp.StatusCode != 200 || resp.Header.Get("X-RateLimit-Category") != "Medium" {
			t.Fatalf("page %d: %d %q %s", page, resp.StatusCode, resp.Header.Get("X-RateLimit-Category"), b)
		}
		l := decode[listJSON](t, b)
		wantLen := map[int]int{1: 30, 2: 30, 3: 5}[page]
		if l.PageSize != 30 || l.TotalRecords != 65 || l.PageCount != 3 || l.PageNumber != page || len(l.Meetings) != wantLen || l.NextPageToken == nil {
			t.Fatalf("page %d envelope: size %d total %d count %d number %d items %d token %v",
				page, l.PageSize, l.TotalRecords, l.PageCount, l.PageNumber, len(l.Meetings), l.NextPageToken)
		}
		for _, m := range l.Meetings {
			seen = append(seen, int64(m["id"].(float64)))
		}
		next = *l.NextPageToken
		if (next == "") != (page == 3) {
			t.Fatalf("page %d next_page_token = %q", page, next)
		}
		tokens = append(tokens, next)
	}
	if diff := cmp.Diff(ids, seen); diff != "" {
		t.Errorf("pages do not return every meeting once in start order (-want +got):\n%s", diff)
	}
	// A token can be replayed within 15 minutes, not after.
	f.srv.Advance(14 * time.Minute)
	if r, _ := f.api(http.MethodGet, "/v2/users/me/meetings?next_page_token="+url.QueryEscape(tokens[0]), tok, nil); r.StatusCode != 200 {
		t.Errorf("token after 14 minutes: %d", r.StatusCode)
	}
	f.srv.Advance(time.Minute)
	if r, b := f.api(http.MethodGet, "/v2/users/me/meetings?next_page_token="+url.QueryEscape(tokens[0]), tok, nil); r.StatusCode != 400 || decode[apiErr](t, b).Code != 300 {
		t.Errorf("token after 15 minutes: %d %s", r.StatusCode, b)
	}
	// Default page size 30 and the deprecated page_number.
	_, b := f.api(http.MethodGet, "/v2/users/me/meetings?page_number=3", tok, nil)
	if l := decode[listJSON](t, b); l.PageSize != 30 || l.PageNumber != 3 || len(l.Meetings) != 5 || *l.NextPageToken != "" {
		t.Errorf("page_number=3: %+v", l)
	}
}

func TestListQuirks(t *testing.T) {
	t.Parallel()
	f := newFixture(t, func(c *zoomsandbox.Config) {
		c.Quirks.ClampPageSize = true
		c.Quirks.OmitLastPageToken = true
	})
	tok := f.mint(zoomsandbox.DefaultAppName)
	f.createMeeting(tok, `{}`)
	_, b := f.api(http.MethodGet, "/v2/users/me/meetings?page_size=1000", tok, nil)
	if l := decode[listJSON](t, b); l.PageSize != 300 || l.NextPageToken != nil || l.TotalRecords != 1 {
		t.Errorf("clamped list: %s", b)
	}
}

func TestListSummaryAndTypes(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	tok := f.mint(zoomsandbox.DefaultAppName)
	long := strings.Repeat("x", 300)
	future := f.createMeeting(tok, map[string]any{"topic": "future", "agenda": long, "start_time": "2026-11-05T10:00:00Z", "duration": 30})
	past := f.createMeeting(tok, map[string]any{"topic": "past", "start_time": "2026-10-20T10:00:00Z", "duration": 30})
	old := f.createMeeting(tok, map[string]any{"topic": "expired", "start_time": "2026-09-01T10:00:00Z"})
	noFixed := f.createMeeting(tok, map[string]any{"topic": "no fixed time", "type": 3})
	f.createMeeting(tok, `{"type":1}`)

	list := func(typ string) []map[string]any {
		t.Helper()
		resp, b := f.api(http.MethodGet, "/v2/users/me/meetings?type="+typ, tok, nil)
		if resp.StatusCode != 200 {
			t.Fatalf("list %s: %d %s", typ, resp.StatusCode, b)
		}
		return decode[listJSON](t, b).Meetings
	}
	idsOf := func(ms []map[string]any) []int64 {
		var out []int64
		for _, m := range ms {
			out = append(out, int64(m["id"].(float64)))
		}
		return out
	}
	tests := map[string][]int64{
		"scheduled":         {past.ID, future.ID, noFixed.ID},
		"upcoming":          {future.ID, noFixed.ID},
		"upcoming_meetings": {future.ID, noFixed.ID},
		"previous_meetings": {old.ID, past.ID},
		"live":              nil,
	}
	for typ, want := range tests {
		if diff := cmp.Diff(want, idsOf(list(typ))); diff != "" {
			t.Errorf("type=%s (-want +got):\n%s", typ, diff)
		}
	}
	for _, m := range list("upcoming") {
		if m["id"].(float64) != float64(future.ID) {
			continue
		}
		for _, k := range []string{"settings", "start_url", "password", "h323_password", "encrypted_password"} {
			if _, ok := m[k]; ok {
				t.Errorf("list item has %q", k)
			}
		}
		if got := m["agenda"].(string); got != long[:250] {
			t.Errorf("agenda cut to %d chars, want 250", len(got))
		}
		if m["join_url"] == "" || m["uuid"] == "" || m["created_at"] != "2026-11-01T10:20:30Z" || m["start_time"] != "2026-11-05T10:00:00Z" {
			t.Errorf("summary = %v", m)
		}
	}
	// The expired one-off meeting is gone for GET as well.
	if r, _ := f.api(http.MethodGet, "/v2/meetings/"+strconv.FormatInt(old.ID, 10), tok, nil); r.StatusCode != 404 {
		t.Errorf("expired meeting: %d, want 404", r.StatusCode)
	}
	// from/to filter on the start date.
	_, b := f.api(http.MethodGet, "/v2/users/me/meetings?from=2026-11-05&to=2026-11-05", tok, nil)
	if diff := cmp.Diff([]int64{future.ID}, idsOf(decode[listJSON](t, b).Meetings)); diff != "" {
		t.Errorf("from/to (-want +got):\n%s", diff)
	}
}

func TestRecurringMeeting(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	tok := f.mint(zoomsandbox.DefaultAppName)
	// Weekly on Monday and Wednesday ("2,4"; 1 = Sunday), 10:00 Berlin, 4 times.
	m := f.createMeeting(tok, map[string]any{"type": 8, "topic": "standup", "start_time": "2026-11-02T10:00:00", "timezone": "Europe/Berlin",
		"duration": 15, "recurrence": map[string]any{"type": 2, "weekly_days": "4,2", "end_times": 4}})
	var starts []string
	for _, o := range m.Occurrences {
		starts = append(starts, o.StartTime)
		if o.Status != "available" || o.Duration != 15 {
			t.Errorf("occurrence %+v", o)
		}
		if ms, err := strconv.ParseInt(o.OccurrenceID, 10, 64); err != nil || time.UnixMilli(ms).UTC().Format("2006-01-02T15:04:05Z") != o.StartTime {
			t.Errorf("occurrence_id %q does not match start %s", o.OccurrenceID, o.StartTime)
		}
	}
	want := []string{"2026-11-02T09:00:00Z", "2026-11-04T09:00:00Z", "2026-11-09T09:00:00Z", "2026-11-11T09:00:00Z"}
	if diff := cmp.Diff(want, starts); diff != "" {
		t.Fatalf("occurrences (-want +got):\n%s", diff)
	}
	if m.StartTime != want[0] || m.Recurrence["weekly_days"] != "2,4" || m.Settings["registration_type"] != float64(1) {
		t.Errorf("start %q recurrence %v registration_type %v", m.StartTime, m.Recurrence, m.Settings["registration_type"])
	}
	path := "/v2/meetings/" + strconv.FormatInt(m.ID, 10)
	second := m.Occurrences[1].OccurrenceID

	// One occurrence: GET, PATCH, DELETE.
	_, b := f.api(http.MethodGet, path+"?occurrence_id="+second, tok, nil)
	if got := decode[meetingJSON](t, b); got.StartTime != want[1] || len(got.Occurrences) != 1 {
		t.Errorf("GET occurrence: start %q occurrences %d", got.StartTime, len(got.Occurrences))
	}
	if r, b := f.api(http.MethodPatch, path+"?occurrence_id="+second, tok, `{"duration":50,"topic":"ignored for an occurrence"}`); r.StatusCode != 204 {
		t.Fatalf("PATCH occurrence: %d %s", r.StatusCode, b)
	}
	_, b = f.api(http.MethodGet, path+"?occurrence_id="+second, tok, nil)
	if got := decode[meetingJSON](t, b); got.Duration != 50 || got.Topic != "standup" {
		t.Errorf("after PATCH occurrence: duration %d topic %q", got.Duration, got.Topic)
	}
	if r, _ := f.api(http.MethodDelete, path+"?occurrence_id="+second, tok, nil); r.StatusCode != 204 {
		t.Fatalf("DELETE occurrence: %d", r.StatusCode)
	}
	if r, b := f.api(http.MethodDelete, path+"?occurrence_id="+second, tok, nil); r.StatusCode != 400 || decode[apiErr](t, b).Message != "Invalid parameter: occurrence_id." {
		t.Errorf("second DELETE of the occurrence: %d %s", r.StatusCode, b)
	}
	_, b = f.api(http.MethodGet, path, tok, nil)
	got := decode[meetingJSON](t, b)
	statuses := map[string]string{}
	for _, o := range got.Occurrences {
		statuses[o.OccurrenceID] = o.Status
	}
	if len(statuses) != 4 || statuses[second] != "deleted" {
		t.Errorf("occurrence statuses after delete: %v", statuses)
	}
	// Past occurrences drop out unless show_previous_occurrences=true.
	f.srv.Advance(4 * 24 * time.Hour) // 2026-11-05: the first two are over
	tok = f.mint(zoomsandbox.DefaultAppName)
	_, b = f.api(http.MethodGet, path, tok, nil)
	if got := decode[meetingJSON](t, b); len(got.Occurrences) != 2 || got.StartTime != want[2] {
		t.Errorf("upcoming occurrences: %d, start %q", len(got.Occurrences), got.StartTime)
	}
	_, b = f.api(http.MethodGet, path+"?show_previous_occurrences=true", tok, nil)
	if got := decode[meetingJSON](t, b); len(got.Occurrences) != 4 {
		t.Errorf("with show_previous_occurrences: %d occurrences", len(got.Occurrences))
	}
	// Deleting without occurrence_id removes the series.
	if r, _ := f.api(http.MethodDelete, path, tok, nil); r.StatusCode != 204 {
		t.Fatal("delete series")
	}
	if r, _ := f.api(http.MethodGet, path, tok, nil); r.StatusCode != 404 {
		t.Errorf("series after delete: %d", r.StatusCode)
	}
}

func TestRecurrenceRules(t *testing.T) {
	t.Parallel()
	f := newFixture(t, func(c *zoomsandbox.Config) { c.DailyMeetingWrites = -1 })
	tok := f.mint(zoomsandbox.DefaultAppName)
	tests := map[string]struct {
		start string
		rec   map[string]any
		want  []string
	}{
		"daily every 2 days": {start: "2026-11-02T10:00:00Z", rec: map[string]any{"type": 1, "repeat_interval": 2, "end_times": 3},
			want: []string{"2026-11-02T10:00:00Z", "2026-11-04T10:00:00Z", "2026-11-06T10:00:00Z"}},
		"daily until": {start: "2026-11-02T10:00:00Z", rec: map[string]any{"type": 1, "end_date_time": "2026-11-04T10:00:00Z"},
			want: []string{"2026-11-02T10:00:00Z", "2026-11-03T10:00:00Z", "2026-11-04T10:00:00Z"}},
		"weekly starts on the next listed day": {start: "2026-11-03T10:00:00Z", rec: map[string]any{"type": 2, "weekly_days": "1", "end_times": 2},
			want: []string{"2026-11-08T10:00:00Z", "2026-11-15T10:00:00Z"}},
		"monthly by day clamps": {start: "2027-01-31T10:00:00Z", rec: map[string]any{"type": 3, "monthly_day": 31, "end_times": 3},
			want: []string{"2027-01-31T10:00:00Z", "2027-02-28T10:00:00Z", "2027-03-31T10:00:00Z"}},
		"monthly last Friday": {start: "2026-11-01T10:00:00Z", rec: map[string]any{"type": 3, "monthly_week": -1, "monthly_week_day": 6, "end_times": 2},
			want: []string{"2026-11-27T10:00:00Z", "2026-12-25T10:00:00Z"}},
		"monthly second Tuesday every 2 months": {start: "2026-11-01T10:00:00Z", rec: map[string]any{"type": 3, "repeat_interval": 2, "monthly_week": 2, "monthly_week_day": 3, "end_times": 2},
			want: []string{"2026-11-10T10:00:00Z", "2027-01-12T10:00:00Z"}},
		"default end_times is 1": {start: "2026-11-02T10:00:00Z", rec: map[string]any{"type": 1},
			want: []string{"2026-11-02T10:00:00Z"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			m := f.createMeeting(tok, map[string]any{"type": 8, "start_time": tc.start, "recurrence": tc.rec})
			var got []string
			for _, o := range m.Occurrences {
				got = append(got, o.StartTime)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("occurrences (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("capped at MaxOccurrences", func(t *testing.T) {
		m := f.createMeeting(tok, map[string]any{"type": 8, "start_time": "2026-11-02T10:00:00Z",
			"recurrence": map[string]any{"type": 1, "end_date_time": "2027-11-02T10:00:00Z"}})
		if len(m.Occurrences) != 50 {
			t.Errorf("%d occurrences, want 50", len(m.Occurrences))
		}
	})
}

func TestPatchTypeChangesAndPastStart(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	tok := f.mint(zoomsandbox.DefaultAppName)
	m := f.createMeeting(tok, `{"start_time":"2026-11-05T10:00:00Z"}`)
	path := "/v2/meetings/" + strconv.FormatInt(m.ID, 10)
	// A start time in the past is ignored.
	if r, _ := f.api(http.MethodPatch, path, tok, `{"start_time":"2026-10-01T10:00:00Z"}`); r.StatusCode != 204 {
		t.Fatal("patch")
	}
	_, b := f.api(http.MethodGet, path, tok, nil)
	if got := decode[meetingJSON](t, b); got.StartTime != "2026-11-05T10:00:00Z" {
		t.Errorf("past start_time changed the meeting to %q", got.StartTime)
	}
	// Type 8 needs a recurrence.
	if r, b := f.api(http.MethodPatch, path, tok, `{"type":8}`); r.StatusCode != 400 || decode[apiErr](t, b).Errors[0].Field != "recurrence" {
		t.Errorf("type 8 without recurrence: %d %s", r.StatusCode, b)
	}
	if r, b := f.api(http.MethodPatch, path, tok, `{"type":8,"recurrence":{"type":1,"end_times":3}}`); r.StatusCode != 204 {
		t.Fatalf("to type 8: %d %s", r.StatusCode, b)
	}
	_, b = f.api(http.MethodGet, path, tok, nil)
	if got := decode[meetingJSON](t, b); got.Type != 8 || len(got.Occurrences) != 3 || got.Occurrences[0].StartTime != "2026-11-05T10:00:00Z" {
		t.Errorf("after type change: %+v", got)
	}
	if r, b := f.api(http.MethodPatch, path, tok, `{"type":2}`); r.StatusCode != 204 {
		t.Fatalf("back to type 2: %d %s", r.StatusCode, b)
	}
	_, b = f.api(http.MethodGet, path, tok, nil)
	if got := decode[meetingJSON](t, b); got.Type != 2 || len(got.Occurrences) != 0 || got.Recurrence != nil {
		t.Errorf("after type 2: %+v", got)
	}
}

func TestConcurrentUse(t *testing.T) {
	t.Parallel()
	f := newFixture(t, func(c *zoomsandbox.Config) { c.DailyMeetingWrites = -1; c.Rand = nil })
	tok := f.mint(zoomsandbox.DefaultAppName)
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for i := range 20 {
		wg.Go(func() {
			resp, b := f.api(http.MethodPost, "/v2/users/me/meetings", tok, fmt.Sprintf(`{"topic":"c%d"}`, i))
			if resp.StatusCode != 201 {
				errs <- fmt.Errorf("create %d: %d %s", i, resp.StatusCode, b)
				return
			}
			id := decode[meetingJSON](t, b).ID
			if r, _ := f.api(http.MethodGet, "/v2/users/me/meetings", tok, nil); r.StatusCode != 200 {
				errs <- fmt.Errorf("list: %d", r.StatusCode)
			}
			if r, _ := f.api(http.MethodDelete, "/v2/meetings/"+strconv.FormatInt(id, 10), tok, nil); r.StatusCode != 204 {
				errs <- fmt.Errorf("delete %d: %d", id, r.StatusCode)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if st := f.srv.Stats(); st.Meetings != 0 || st.APICalls != 60 {
		t.Errorf("stats after concurrent use: %+v", st)
	}
}
