package zoom

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/nodeplug/nodeplug/plugin/sdk"
	"github.com/nodeplug/nodeplug/plugin/zoom/zoomapi"
)

// maxPasswordLength is Zoom's limit on meeting passcodes.
const maxPasswordLength = 10

// maxPageSize is Zoom's largest page_size.
const maxPageSize = 300

// maxPages bounds getAll's paging as a guard against a misbehaving server.
const maxPages = 10000

// successJSON returns update's and delete's output, as n8n emits it.
func successJSON() json.RawMessage { return json.RawMessage(`{"success":true}`) }

// executeItem runs the node for one item.
func (z *plug) executeItem(ctx context.Context, call sdk.ItemCall[Params]) ([]json.RawMessage, error) {
	p := &call.Params
	if r := strings.TrimSpace(p.Resource); r != "meeting" {
		return nil, sdk.AttributeError("resource", "Unsupported resource",
			fmt.Sprintf("resource is %q; this node supports only \"meeting\" (n8n's meetingRegistrant and webinar resources are disabled in n8n too)", r))
	}
	cred, err := z.pickCredential(call.Request, p.Authentication)
	if err != nil {
		return nil, err
	}
	switch op := strings.TrimSpace(p.Operation); op {
	case opCreate:
		return z.create(ctx, cred, p)
	case opGet:
		return z.get(ctx, cred, p)
	case opGetAll:
		return z.getAll(ctx, cred, p)
	case opUpdate:
		return z.update(ctx, cred, p)
	case opDelete:
		return z.delete(ctx, cred, p)
	default:
		return nil, sdk.AttributeError("operation", "Unsupported operation",
			fmt.Sprintf("operation is %q; choose create, delete, get, getAll or update", op))
	}
}

// credentialFor maps the authentication parameter to a credential type.
var credentialFor = map[string]string{authAccessToken: CredJWT, authOAuth2: CredOAuth2, authS2S: CredS2S}

// pickCredential returns the credential the authentication parameter names.
// When the host sent another Zoom credential instead (old exports store
// authentication "" and mean OAuth2; others have none at all), that one is
// used, OAuth2 first: the node never fails for the parameter alone.
func (z *plug) pickCredential(req *sdk.ExecuteRequest, auth string) (*sdk.Credential, error) {
	auth = strings.TrimSpace(auth)
	if typ, ok := credentialFor[auth]; ok {
		if c, ok := req.Credential(typ); ok {
			return c, nil
		}
	}
	for _, typ := range []string{CredOAuth2, CredS2S, CredJWT} {
		if c, ok := req.Credential(typ); ok {
			z.logger.Debug("using the Zoom credential the host sent", "authentication", auth, "credential_type", typ)
			return c, nil
		}
	}
	want := credentialFor[auth]
	if want == "" {
		want = CredOAuth2
	}
	d := sdk.AttributeError("authentication", "No Zoom credential",
		fmt.Sprintf("authentication is %q, so the node needs a %s credential, but the host sent no Zoom credential: select one on the node", auth, want))
	d.Kind = sdk.KindAuth
	d.Code = "zoom.credential_missing"
	return nil, d
}

// create: POST /users/me/meetings; outputs Zoom's meeting object.
func (z *plug) create(ctx context.Context, cred *sdk.Credential, p *Params) ([]json.RawMessage, error) {
	f := p.AdditionalFields.MeetingFields()
	body, err := buildMeetingRequest(f, "additionalFields", p.Topic)
	if err != nil {
		return nil, err
	}
	info := callInfo{op: opCreate, fields: "additionalFields", scheduleFor: f.ScheduleFor != nil}
	var out json.RawMessage
	err = z.call(ctx, cred, info, func(ctx context.Context, api *zoomapi.Client) error {
		var err error
		out, err = api.CreateMeeting(ctx, "me", body)
		return err
	})
	if err != nil {
		return nil, err
	}
	return []json.RawMessage{out}, nil
}

// get: GET /meetings/{meetingId}; outputs Zoom's meeting object.
func (z *plug) get(ctx context.Context, cred *sdk.Credential, p *Params) ([]json.RawMessage, error) {
	id, err := meetingID(p.MeetingID)
	if err != nil {
		return nil, err
	}
	o := zoomapi.GetMeetingOptions{
		OccurrenceID:            p.AdditionalFields.OccurrenceID.Trimmed(),
		ShowPreviousOccurrences: p.AdditionalFields.ShowPreviousOccurrences.True(),
	}
	var out json.RawMessage
	err = z.call(ctx, cred, callInfo{op: opGet, meetingID: id, fields: "additionalFields"}, func(ctx context.Context, api *zoomapi.Client) error {
		var err error
		out, err = api.GetMeeting(ctx, id, o)
		return err
	})
	if err != nil {
		return nil, err
	}
	return []json.RawMessage{out}, nil
}

// getAll: GET /users/me/meetings, following next_page_token; outputs one
// item per meeting.
func (z *plug) getAll(ctx context.Context, cred *sdk.Credential, p *Params) ([]json.RawMessage, error) {
	returnAll := p.ReturnAll.True()
	limit := int64(30)
	if p.Limit != nil && !returnAll {
		n, err := p.Limit.Int("limit")
		if err != nil {
			return nil, err
		}
		if n < 1 || n > maxPageSize {
			return nil, sdk.AttributeError("limit", "Limit out of range",
				fmt.Sprintf("limit must be between 1 and %d, not %d; to get every meeting, turn on returnAll", maxPageSize, n))
		}
		limit = n
	}
	o := zoomapi.ListMeetingsOptions{Type: p.Filters.Type.Trimmed(), PageSize: int(limit)}
	if returnAll {
		o.PageSize = maxPageSize
	}
	out := []json.RawMessage{}
	seen := map[string]bool{}
	for page := 1; ; page++ {
		var pg *zoomapi.MeetingPage
		err := z.call(ctx, cred, callInfo{op: opGetAll, fields: "filters"}, func(ctx context.Context, api *zoomapi.Client) error {
			var err error
			pg, err = api.ListMeetings(ctx, "me", o)
			return err
		})
		if err != nil {
			return nil, err
		}
		out = append(out, pg.Meetings...)
		if !returnAll && int64(len(out)) >= limit {
			return out[:limit], nil
		}
		next := pg.NextPageToken
		if next == "" {
			return out, nil
		}
		if seen[next] {
			d := sdk.Errorf(sdk.KindSystem, "Zoom repeated a page token",
				"page %d of GET /users/me/meetings returned a next_page_token that an earlier page already returned; stopped after %d meetings to avoid an endless loop. Run the node again; if it persists, report it to Zoom", page, len(out))
			d.Code = "zoom.paging_loop"
			return nil, d
		}
		if page >= maxPages {
			d := sdk.Errorf(sdk.KindSystem, "Too many pages", "stopped after %d pages (%d meetings) of GET /users/me/meetings", page, len(out))
			d.Code = "zoom.paging_loop"
			return nil, d
		}
		seen[next] = true
		o.NextPageToken = next
	}
}

// update: PATCH /meetings/{meetingId}; outputs {"success": true}.
func (z *plug) update(ctx context.Context, cred *sdk.Credential, p *Params) ([]json.RawMessage, error) {
	id, err := meetingID(p.MeetingID)
	if err != nil {
		return nil, err
	}
	f := &p.UpdateFields
	body, err := buildMeetingRequest(f, "updateFields", f.Topic)
	if err != nil {
		return nil, err
	}
	info := callInfo{op: opUpdate, meetingID: id, fields: "updateFields", scheduleFor: f.ScheduleFor != nil}
	err = z.call(ctx, cred, info, func(ctx context.Context, api *zoomapi.Client) error {
		return api.UpdateMeeting(ctx, id, body)
	})
	if err != nil {
		return nil, err
	}
	return []json.RawMessage{successJSON()}, nil
}

// delete: DELETE /meetings/{meetingId}; outputs {"success": true}.
func (z *plug) delete(ctx context.Context, cred *sdk.Credential, p *Params) ([]json.RawMessage, error) {
	id, err := meetingID(p.MeetingID)
	if err != nil {
		return nil, err
	}
	o := zoomapi.DeleteMeetingOptions{
		OccurrenceID:        p.AdditionalFields.OccurrenceID.Trimmed(),
		ScheduleForReminder: p.AdditionalFields.ScheduleForReminder.True(),
	}
	err = z.call(ctx, cred, callInfo{op: opDelete, meetingID: id, fields: "additionalFields"}, func(ctx context.Context, api *zoomapi.Client) error {
		return api.DeleteMeeting(ctx, id, o)
	})
	if err != nil {
		return nil, err
	}
	return []json.RawMessage{successJSON()}, nil
}

// meetingID validates the meetingId parameter: a Zoom meeting ID is a
// positive int64 written in digits. Spaces are dropped (Zoom shows IDs as
// "857 4606 5432").
func meetingID(t *Text) (string, error) {
	raw := t.Trimmed()
	if raw == "" {
		return "", sdk.AttributeError("meetingId", "Meeting ID missing",
			"set meetingId to the meeting's ID, e.g. 85746065432 (the id field of the create or getAll output)")
	}
	s := strings.Join(strings.Fields(raw), "")
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && n > 0 && s[0] != '+' {
		return strconv.FormatInt(n, 10), nil
	}
	detail := fmt.Sprintf("meetingId must be a Zoom meeting ID (digits, e.g. 85746065432), not %q", clip(raw, 60))
	if strings.HasSuffix(raw, "==") || strings.ContainsAny(raw, "+/") {
		detail += ": that looks like a meeting UUID; use the numeric id field instead"
	}
	return "", sdk.AttributeError("meetingId", "Invalid meeting ID", detail)
}

// clip shortens s for messages.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}

// buildMeetingRequest turns create's additionalFields or update's
// updateFields (base names which) into Zoom's request body. topic is
// create's top-level topic or update's updateFields.topic.
//
// Explicitly set false, 0 and "" values are sent, so that settings can be
// switched off and text fields cleared; absent ones are not. startTime and
// timeZone set to "" count as absent (they have no empty value in Zoom).
func buildMeetingRequest(f *MeetingFields, base string, topic *Text) (*zoomapi.MeetingRequest, error) {
	path := func(name string) string { return base + "." + name }
	m := &zoomapi.MeetingRequest{
		Topic:       topic.Ptr(),
		Agenda:      f.Agenda.Ptr(),
		Password:    f.Password.Ptr(),
		ScheduleFor: trimmedPtr(f.ScheduleFor),
	}
	if m.Password != nil {
		if n := utf8.RuneCountInString(*m.Password); n > maxPasswordLength {
			return nil, sdk.AttributeError(path("password"), "Password too long",
				fmt.Sprintf("the meeting password is %d characters long; Zoom allows at most %d (letters, digits, @ - _ *)", n, maxPasswordLength))
		}
	}
	if f.Duration != nil {
		n, err := f.Duration.Int(path("duration"))
		if err != nil {
			return nil, err
		}
		if n < 0 {
			return nil, sdk.AttributeError(path("duration"), "Negative duration", fmt.Sprintf("duration is %d minutes; it must be 0 or more", n))
		}
		m.Duration = &n
	}
	if f.Type != nil {
		n, err := f.Type.Int(path("type"))
		if err != nil {
			return nil, err
		}
		m.Type = &n
	}
	tz := f.TimeZone.Trimmed()
	if tz != "" {
		m.Timezone = &tz
	}
	if st := f.StartTime.Trimmed(); st != "" {
		v, err := convertStartTime(st, tz, base)
		if err != nil {
			return nil, err
		}
		m.StartTime = &v
	}
	if f.Settings != nil {
		s, err := buildSettings(f.Settings, path("settings"))
		if err != nil {
			return nil, err
		}
		if !s.IsZero() {
			m.Settings = s
		}
	}
	return m, nil
}

func trimmedPtr(t *Text) *string {
	if t == nil {
		return nil
	}
	s := t.Trimmed()
	return &s
}

// convertStartTime converts the startTime parameter for Zoom, reading it
// with the timeZone parameter tz (may be empty).
func convertStartTime(s, tz, base string) (string, error) {
	st, err := parseStartTime(s)
	if err != nil {
		return "", sdk.AttributeError(base+".startTime", "Invalid start time",
			fmt.Sprintf("%s.startTime is %q, which is not a date-time: use ISO 8601 such as 2026-11-03T16:00:00 (wall clock, read in timeZone) or 2026-11-03T15:00:00Z / 2026-11-03T16:00:00+01:00 (an instant)", base, clip(s, 60)))
	}
	var loc *time.Location
	if tz != "" && st.instant {
		l, err := loadZone(tz)
		if err != nil {
			return "", sdk.AttributeError(base+".timeZone", "Unknown time zone",
				fmt.Sprintf("%s.timeZone is %q, which is not an IANA time zone such as Europe/Berlin or America/New_York; pick one from the list", base, clip(tz, 60)))
		}
		loc = l
	}
	out, err := zoomStartTime(s, loc)
	if err != nil {
		return "", sdk.AttributeError(base+".startTime", "Invalid start time", fmt.Sprintf("%s.startTime %q: %v", base, clip(s, 60), err))
	}
	return out, nil
}

// loadZone loads an IANA zone; unlike time.LoadLocation it refuses "Local".
func loadZone(name string) (*time.Location, error) {
	if name == "Local" {
		return nil, errors.New("Local is not a time zone name")
	}
	return time.LoadLocation(name)
}

// buildSettings maps the settings collection to Zoom's settings object.
func buildSettings(s *Settings, base string) (*zoomapi.MeetingSettings, error) {
	out := &zoomapi.MeetingSettings{
		HostVideo:        s.HostVideo.Ptr(),
		ParticipantVideo: s.ParticipantVideo.Ptr(),
		CNMeeting:        s.CNMeeting.Ptr(),
		INMeeting:        s.INMeeting.Ptr(),
		JoinBeforeHost:   s.JoinBeforeHost.Ptr(),
		MuteUponEntry:    s.MuteUponEntry.Ptr(),
		Watermark:        s.Watermark.Ptr(),
		AlternativeHosts: trimmedPtr(s.AlternativeHosts),
	}
	if v := s.Audio.Trimmed(); v != "" {
		out.Audio = &v
	}
	if v := s.AutoRecording.Trimmed(); v != "" {
		out.AutoRecording = &v
	}
	if s.RegistrationType != nil {
		n, err := s.RegistrationType.Int(base + ".registrationType")
		if err != nil {
			return nil, err
		}
		out.RegistrationType = &n
	}
	return out, nil
}
