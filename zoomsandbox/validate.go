package zoomsandbox

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

const (
	utcLayout   = "2006-01-02T15:04:05Z"
	localLayout = "2006-01-02T15:04:05"
)

// zoomTime formats t the way Zoom's responses do: UTC, seconds, trailing Z.
func zoomTime(t time.Time) string { return t.UTC().Format(utcLayout) }

var (
	startTimeRe = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z?$`)
	passwordRe  = regexp.MustCompile(`^[A-Za-z0-9@_*-]{1,10}$`)
)

// loadZone loads an IANA zone; unlike time.LoadLocation it refuses "" and "Local".
func loadZone(name string) (*time.Location, error) {
	if name == "" || name == "Local" {
		return nil, fmt.Errorf("%q is not an IANA zone name", name)
	}
	return time.LoadLocation(name)
}

// parseStartTime reads one of the two documented start_time forms:
// "yyyy-MM-ddTHH:mm:ssZ" (UTC) or "yyyy-MM-ddTHH:mm:ss" (local time in loc).
func parseStartTime(raw string, loc *time.Location) (time.Time, bool) {
	if !startTimeRe.MatchString(raw) {
		return time.Time{}, false
	}
	if strings.HasSuffix(raw, "Z") {
		t, err := time.Parse(utcLayout, raw)
		return t, err == nil
	}
	if loc == nil {
		loc = time.UTC
	}
	t, err := time.ParseInLocation(localLayout, raw, loc)
	return t.UTC(), err == nil
}

// recurrence is a meeting's recurrence rule (reference §2.9).
type recurrence struct {
	Type           int    `json:"type"`
	RepeatInterval int    `json:"repeat_interval"`
	WeeklyDays     string `json:"weekly_days,omitempty"`
	MonthlyDay     int    `json:"monthly_day,omitempty"`
	MonthlyWeek    int    `json:"monthly_week,omitempty"`
	MonthlyWeekDay int    `json:"monthly_week_day,omitempty"`
	EndTimes       int    `json:"end_times,omitempty"`
	EndDateTime    string `json:"end_date_time,omitempty"`
}

// trackingField is one entry of tracking_fields.
type trackingField struct {
	Field   string `json:"field"`
	Value   string `json:"value"`
	Visible bool   `json:"visible"`
}

// meetingInput is a validated create or update body. Nil fields were not sent
// (or were null).
type meetingInput struct {
	Topic           *string
	Type            *int
	StartTime       *time.Time // UTC
	Duration        *int
	Timezone        *string
	Password        *string
	DefaultPassword *bool
	Agenda          *string
	ScheduleFor     *string
	TemplateID      *string
	PreSchedule     *bool
	TrackingFields  []trackingField
	TrackingSet     bool
	Recurrence      *recurrence
	Settings        map[string]any // only the keys sent
}

// validateContext is what validation needs besides the body.
type validateContext struct {
	update         bool   // PATCH: every field optional
	defaultZone    string // zone of local start times when the body names none
	currentType    int    // PATCH: the meeting's type before the update
	hasRecurrence  bool   // PATCH: the meeting has a recurrence already
	maxOccurrences int
	// knownUser reports whether schedule_for names a user of the account;
	// nil skips that check.
	knownUser func(string) bool
}

// validateMeeting checks a meeting create/update body and collects an error
// for every failing field (code 300 "Validation Failed.").
func validateMeeting(body []byte, vc validateContext) (*meetingInput, *apiError) {
	obj, ok := decodeObject(body)
	if !ok {
		return nil, errNotJSONObject()
	}
	if vc.maxOccurrences <= 0 {
		vc.maxOccurrences = DefaultMaxOccurrences
	}
	v := &validator{}
	in := &meetingInput{}
	in.Topic = v.str(obj, "topic", "topic", 200)
	in.Type = v.enum(obj, "type", "type", 1, 2, 3, 8, 10)

	zone := vc.defaultZone
	var loc *time.Location
	if tz := v.str(obj, "timezone", "timezone", 0); tz != nil && *tz != "" {
		l, err := loadZone(*tz)
		if err != nil {
			v.fail("timezone")
		} else {
			in.Timezone, zone, loc = tz, *tz, l
		}
	}
	if loc == nil && zone != "" {
		loc, _ = loadZone(zone)
	}
	if raw := v.str(obj, "start_time", "start_time", 0); raw != nil && *raw != "" {
		if t, ok := parseStartTime(*raw, loc); ok {
			in.StartTime = &t
		} else {
			v.fail("start_time")
		}
	}
	in.Duration = v.integer(obj, "duration", "duration", 0, 1<<31-1)
	if pw := v.str(obj, "password", "password", 0); pw != nil && *pw != "" {
		if passwordRe.MatchString(*pw) {
			in.Password = pw
		} else {
			v.fail("password")
		}
	}
	in.DefaultPassword = v.boolean(obj, "default_password", "default_password")
	in.Agenda = v.str(obj, "agenda", "agenda", 2000)
	in.ScheduleFor = v.str(obj, "schedule_for", "schedule_for", 0)
	if in.ScheduleFor != nil && *in.ScheduleFor != "" && vc.knownUser != nil && !vc.knownUser(*in.ScheduleFor) {
		v.fail("schedule_for")
	}
	in.TemplateID = v.str(obj, "template_id", "template_id", 0)
	in.PreSchedule = v.boolean(obj, "pre_schedule", "pre_schedule")
	in.TrackingFields, in.TrackingSet = v.trackingFields(obj)
	in.Recurrence = v.recurrence(obj, vc.maxOccurrences)
	in.Settings = v.settings(obj)

	effType := 2
	if vc.update {
		effType = vc.currentType
	}
	if in.Type != nil {
		effType = *in.Type
	}
	if effType == 8 && in.Recurrence == nil && !v.failed("recurrence") {
		if !vc.update || !vc.hasRecurrence || (in.Type != nil && vc.currentType != 8) {
			v.fail("recurrence")
		}
	}
	if len(v.errs) > 0 {
		return nil, &apiError{Status: http.StatusBadRequest, Code: 300, Message: "Validation Failed.", Errors: v.errs}
	}
	return in, nil
}

// decodeObject parses body as exactly one JSON object, keeping numbers as json.Number.
func decodeObject(body []byte) (map[string]any, bool) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil || obj == nil {
		return nil, false
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, false // trailing data
	}
	return obj, true
}

// validator collects field errors.
type validator struct{ errs []fieldError }

func (v *validator) fail(field string) {
	v.errs = append(v.errs, fieldError{Field: field, Message: "Invalid field."})
}

func (v *validator) failed(prefix string) bool {
	return slices.ContainsFunc(v.errs, func(e fieldError) bool { return strings.HasPrefix(e.Field, prefix) })
}

// get returns m[key] unless it is absent or null.
func get(m map[string]any, key string) (any, bool) {
	x, ok := m[key]
	return x, ok && x != nil
}

func (v *validator) str(m map[string]any, key, field string, maxRunes int) *string {
	x, ok := get(m, key)
	if !ok {
		return nil
	}
	s, isStr := x.(string)
	if !isStr || (maxRunes > 0 && utf8.RuneCountInString(s) > maxRunes) {
		v.fail(field)
		return nil
	}
	return &s
}

func asInt(x any) (int64, bool) {
	n, ok := x.(json.Number)
	if !ok {
		return 0, false
	}
	i, err := strconv.ParseInt(string(n), 10, 64)
	return i, err == nil
}

func (v *validator) integer(m map[string]any, key, field string, lo, hi int64) *int {
	x, ok := get(m, key)
	if !ok {
		return nil
	}
	i, isInt := asInt(x)
	if !isInt || i < lo || i > hi {
		v.fail(field)
		return nil
	}
	n := int(i)
	return &n
}

func (v *validator) enum(m map[string]any, key, field string, allowed ...int) *int {
	x, ok := get(m, key)
	if !ok {
		return nil
	}
	i, isInt := asInt(x)
	if !isInt || !slices.Contains(allowed, int(i)) || int64(int(i)) != i {
		v.fail(field)
		return nil
	}
	n := int(i)
	return &n
}

func (v *validator) boolean(m map[string]any, key, field string) *bool {
	x, ok := get(m, key)
	if !ok {
		return nil
	}
	b, isBool := x.(bool)
	if !isBool {
		v.fail(field)
		return nil
	}
	return &b
}

func (v *validator) trackingFields(obj map[string]any) ([]trackingField, bool) {
	x, ok := get(obj, "tracking_fields")
	if !ok {
		return nil, false
	}
	arr, isArr := x.([]any)
	if !isArr {
		v.fail("tracking_fields")
		return nil, false
	}
	out := make([]trackingField, 0, len(arr))
	for i, el := range arr {
		m, isObj := el.(map[string]any)
		prefix := fmt.Sprintf("tracking_fields[%d]", i)
		if !isObj {
			v.fail(prefix)
			continue
		}
		f := v.str(m, "field", prefix+".field", 0)
		if f == nil || *f == "" {
			if !v.failed(prefix + ".field") {
				v.fail(prefix + ".field")
			}
			continue
		}
		tf := trackingField{Field: *f, Visible: true}
		if val := v.str(m, "value", prefix+".value", 0); val != nil {
			tf.Value = *val
		}
		out = append(out, tf)
	}
	return out, true
}

// maxRepeatInterval is the largest repeat_interval per recurrence type
// (daily, weekly, monthly).
func maxRepeatInterval(recType int) int64 {
	switch recType {
	case 1:
		return 99
	case 2:
		return 50
	default:
		return 10
	}
}

func (v *validator) recurrence(obj map[string]any, maxOccurrences int) *recurrence {
	x, ok := get(obj, "recurrence")
	if !ok {
		return nil
	}
	m, isObj := x.(map[string]any)
	if !isObj {
		v.fail("recurrence")
		return nil
	}
	before := len(v.errs)
	r := &recurrence{RepeatInterval: 1}
	t := v.enum(m, "type", "recurrence.type", 1, 2, 3)
	if t == nil {
		if !v.failed("recurrence.type") {
			v.fail("recurrence.type") // required
		}
	} else {
		r.Type = *t
	}
	if ri := v.integer(m, "repeat_interval", "recurrence.repeat_interval", 1, maxRepeatInterval(r.Type)); ri != nil {
		r.RepeatInterval = *ri
	}
	if wd := v.str(m, "weekly_days", "recurrence.weekly_days", 0); wd != nil {
		if days, ok := parseWeeklyDays(*wd); ok {
			r.WeeklyDays = days
		} else {
			v.fail("recurrence.weekly_days")
		}
	} else if r.Type == 2 && !v.failed("recurrence.weekly_days") {
		v.fail("recurrence.weekly_days") // required for weekly
	}
	md := v.integer(m, "monthly_day", "recurrence.monthly_day", 1, 31)
	mw := v.enum(m, "monthly_week", "recurrence.monthly_week", -1, 1, 2, 3, 4)
	mwd := v.enum(m, "monthly_week_day", "recurrence.monthly_week_day", 1, 2, 3, 4, 5, 6, 7)
	if r.Type == 3 {
		_, sentWeek := get(m, "monthly_week")
		_, sentWeekDay := get(m, "monthly_week_day")
		switch {
		case md != nil && (sentWeek || sentWeekDay):
			v.fail("recurrence.monthly_week") // a monthly rule is by date or by weekday, not both
		case sentWeek && !sentWeekDay:
			v.fail("recurrence.monthly_week_day")
		case sentWeekDay && !sentWeek:
			v.fail("recurrence.monthly_week")
		case mw != nil && mwd != nil:
			r.MonthlyWeek, r.MonthlyWeekDay = *mw, *mwd
		case md != nil:
			r.MonthlyDay = *md
		case !sentWeek && !sentWeekDay && !v.failed("recurrence.monthly_day"):
			r.MonthlyDay = 1 // the spec's default
		}
	}
	et := v.integer(m, "end_times", "recurrence.end_times", 1, int64(maxOccurrences))
	edt := v.str(m, "end_date_time", "recurrence.end_date_time", 0)
	if edt != nil {
		if t, err := time.Parse(utcLayout, *edt); err != nil || !startTimeRe.MatchString(*edt) {
			v.fail("recurrence.end_date_time")
		} else {
			r.EndDateTime = zoomTime(t)
		}
	}
	_, sentEndTimes := get(m, "end_times")
	switch {
	case sentEndTimes && edt != nil:
		v.fail("recurrence.end_date_time") // cannot be combined with end_times
	case et != nil:
		r.EndTimes = *et
	case !sentEndTimes && edt == nil:
		r.EndTimes = 1 // the spec's default
	}
	if len(v.errs) > before {
		return nil
	}
	return r
}

// parseWeeklyDays checks "1".."7" (1 = Sunday), comma-separated, and returns
// them sorted without duplicates.
func parseWeeklyDays(s string) (string, bool) {
	var days []int
	for _, p := range strings.Split(s, ",") {
		p = strings.TrimSpace(p)
		if len(p) != 1 || p[0] < '1' || p[0] > '7' {
			return "", false
		}
		d := int(p[0] - '0')
		if !slices.Contains(days, d) {
			days = append(days, d)
		}
	}
	slices.Sort(days)
	parts := make([]string, len(days))
	for i, d := range days {
		parts[i] = strconv.Itoa(d)
	}
	return strings.Join(parts, ","), true
}

// settingCheck validates one settings value and returns its stored form.
type settingCheck func(any) (any, bool)

func boolSetting(x any) (any, bool) {
	b, ok := x.(bool)
	return b, ok
}

func stringSetting(x any) (any, bool) {
	s, ok := x.(string)
	return s, ok
}

func intEnum(allowed ...int64) settingCheck {
	return func(x any) (any, bool) {
		i, ok := asInt(x)
		return i, ok && slices.Contains(allowed, i)
	}
}

func stringEnum(allowed ...string) settingCheck {
	return func(x any) (any, bool) {
		s, ok := x.(string)
		return s, ok && slices.Contains(allowed, s)
	}
}

func stringList(x any) (any, bool) {
	arr, ok := x.([]any)
	if !ok {
		return nil, false
	}
	out := make([]string, 0, len(arr))
	for _, el := range arr {
		s, ok := el.(string)
		if !ok {
			return nil, false
		}
		out = append(out, s)
	}
	return out, true
}

func objectSetting(x any) (any, bool) {
	m, ok := x.(map[string]any)
	return m, ok
}

func objectList(x any) (any, bool) {
	arr, ok := x.([]any)
	if !ok {
		return nil, false
	}
	for _, el := range arr {
		if _, ok := el.(map[string]any); !ok {
			return nil, false
		}
	}
	return arr, true
}

// settingChecks validates the settings keys the sandbox knows; other keys are
// stored and echoed as sent.
var settingChecks = map[string]settingCheck{
	"host_video":                                boolSetting,
	"participant_video":                         boolSetting,
	"join_before_host":                          boolSetting,
	"mute_upon_entry":                           boolSetting,
	"waiting_room":                              boolSetting,
	"watermark":                                 boolSetting,
	"use_pmi":                                   boolSetting,
	"cn_meeting":                                boolSetting,
	"in_meeting":                                boolSetting,
	"enforce_login":                             boolSetting,
	"close_registration":                        boolSetting,
	"show_share_button":                         boolSetting,
	"allow_multiple_devices":                    boolSetting,
	"registrants_confirmation_email":            boolSetting,
	"registrants_email_notification":            boolSetting,
	"alternative_hosts_email_notification":      boolSetting,
	"meeting_authentication":                    boolSetting,
	"email_notification":                        boolSetting,
	"private_meeting":                           boolSetting,
	"focus_mode":                                boolSetting,
	"auto_start_meeting_summary":                boolSetting,
	"request_permission_to_unmute_participants": boolSetting,
	"alternative_hosts":                         stringSetting,
	"contact_name":                              stringSetting,
	"contact_email":                             stringSetting,
	"authentication_option":                     stringSetting,
	"authentication_domains":                    stringSetting,
	"authentication_name":                       stringSetting,
	"enforce_login_domains":                     stringSetting,
	"audio":                                     stringEnum("both", "telephony", "voip", "thirdParty"),
	"auto_recording":                            stringEnum("local", "cloud", "none"),
	"encryption_type":                           stringEnum("enhanced_encryption", "e2ee"),
	"approval_type":                             intEnum(0, 1, 2),
	"registration_type":                         intEnum(1, 2, 3),
	"jbh_time":                                  intEnum(0, 5, 10, 15),
	"calendar_type":                             intEnum(1, 2),
	"global_dial_in_countries":                  stringList,
	"additional_data_center_regions":            stringList,
	"breakout_room":                             objectSetting,
	"language_interpretation":                   objectSetting,
	"approved_or_denied_countries_or_regions":   objectSetting,
	"continuous_meeting_chat":                   objectSetting,
	"meeting_invitees":                          objectList,
}

func (v *validator) settings(obj map[string]any) map[string]any {
	x, ok := get(obj, "settings")
	if !ok {
		return nil
	}
	m, isObj := x.(map[string]any)
	if !isObj {
		v.fail("settings")
		return nil
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make(map[string]any, len(m))
	for _, k := range keys {
		val, ok := get(m, k)
		if !ok {
			continue
		}
		check, known := settingChecks[k]
		if !known {
			out[k] = val
			continue
		}
		stored, ok := check(val)
		if !ok {
			v.fail("settings." + k)
			continue
		}
		out[k] = stored
	}
	return out
}
