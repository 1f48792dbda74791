package zoom

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"reflect"
	"strconv"
	"strings"

	"github.com/nodeplug/nodeplug/plugin/sdk"
)

// Params are the zoom node's parameters for one item, every expression
// already resolved by the host. Pointer fields tell "set to false, 0 or an empty string"
// apart from "absent"; the flexible scalar types accept what n8n expressions
// produce (numbers as JSON numbers or numeric strings, booleans as JSON
// booleans or "true"/"false").
type Params struct {
	Authentication string `json:"authentication"`
	Resource       string `json:"resource"`
	Operation      string `json:"operation"`

	// Topic is create's top-level topic.
	Topic *Text `json:"topic"`
	// MeetingID is the ID for get, update and delete.
	MeetingID *Text `json:"meetingId"`

	// AdditionalFields is create's, get's or delete's collection; only the
	// fields of the current operation are read.
	AdditionalFields AdditionalFields `json:"additionalFields"`
	// UpdateFields is update's collection.
	UpdateFields MeetingFields `json:"updateFields"`

	// ReturnAll, Limit and Filters are getAll's.
	ReturnAll *Bool   `json:"returnAll"`
	Limit     *Number `json:"limit"`
	Filters   Filters `json:"filters"`
}

// SetDefaults sets n8n's defaults: exports leave out parameters that equal
// their default.
func (p *Params) SetDefaults() {
	p.Authentication = authAccessToken
	p.Resource = "meeting"
	p.Operation = opCreate
}

// MeetingFields are the meeting fields of create's additionalFields and
// update's updateFields.
type MeetingFields struct {
	// Topic exists in updateFields only.
	Topic       *Text     `json:"topic"`
	Agenda      *Text     `json:"agenda"`
	Duration    *Number   `json:"duration"`
	Password    *Text     `json:"password"`
	ScheduleFor *Text     `json:"scheduleFor"`
	Settings    *Settings `json:"settings"`
	StartTime   *Text     `json:"startTime"`
	TimeZone    *Text     `json:"timeZone"`
	Type        *Number   `json:"type"`
}

// AdditionalFields is the union of the additionalFields collections of
// create (the meeting fields), get and delete. (It repeats MeetingFields
// rather than embedding it, so that decoding errors name the parameter
// path as the user sees it.)
type AdditionalFields struct {
	Agenda      *Text     `json:"agenda"`
	Duration    *Number   `json:"duration"`
	Password    *Text     `json:"password"`
	ScheduleFor *Text     `json:"scheduleFor"`
	Settings    *Settings `json:"settings"`
	StartTime   *Text     `json:"startTime"`
	TimeZone    *Text     `json:"timeZone"`
	Type        *Number   `json:"type"`

	OccurrenceID            *Text `json:"occurrenceId"`
	ShowPreviousOccurrences *Bool `json:"showPreviousOccurrences"`
	ScheduleForReminder     *Bool `json:"scheduleForReminder"`
}

// MeetingFields returns create's meeting fields.
func (a *AdditionalFields) MeetingFields() *MeetingFields {
	return &MeetingFields{
		Agenda: a.Agenda, Duration: a.Duration, Password: a.Password, ScheduleFor: a.ScheduleFor,
		Settings: a.Settings, StartTime: a.StartTime, TimeZone: a.TimeZone, Type: a.Type,
	}
}

// Settings is the settings sub-collection of create and update.
type Settings struct {
	Audio            *Text   `json:"audio"`
	AlternativeHosts *Text   `json:"alternativeHosts"`
	AutoRecording    *Text   `json:"autoRecording"`
	CNMeeting        *Bool   `json:"cnMeeting"`
	INMeeting        *Bool   `json:"inMeeting"`
	HostVideo        *Bool   `json:"hostVideo"`
	JoinBeforeHost   *Bool   `json:"joinBeforeHost"`
	MuteUponEntry    *Bool   `json:"muteUponEntry"`
	ParticipantVideo *Bool   `json:"participantVideo"`
	RegistrationType *Number `json:"registrationType"`
	Watermark        *Bool   `json:"watermark"`
}

// Filters is getAll's filters collection.
type Filters struct {
	Type *Text `json:"type"`
}

// String never prints the password.
func (f MeetingFields) String() string {
	if f.Password != nil {
		redacted := Text("(redacted)")
		f.Password = &redacted
	}
	type plain MeetingFields
	b, _ := json.Marshal(plain(f))
	return string(b)
}

// GoString never prints the password.
func (f MeetingFields) GoString() string { return f.String() }

// typeError is how the flexible types report a value that does not fit:
// encoding/json adds the parameter path and sdk.DecodeParameters turns it
// into a configuration diagnostic naming that parameter.
func typeError(raw []byte, want any) error {
	return &json.UnmarshalTypeError{Value: describeJSON(raw), Type: reflect.TypeOf(want)}
}

// describeJSON says what kind of JSON value raw is, for messages.
func describeJSON(raw []byte) string {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 {
		return "nothing"
	}
	switch t[0] {
	case '"':
		var s string
		if json.Unmarshal(t, &s) == nil {
			if len(s) > 40 {
				s = s[:40] + "…"
			}
			return "string " + strconv.Quote(s)
		}
		return "string"
	case '{':
		return "object"
	case '[':
		return "array"
	case 't', 'f':
		return "boolean " + string(t)
	case 'n':
		return "null"
	}
	return "number " + string(t)
}

// Text is a string parameter. It also accepts a JSON number or boolean
// (an expression that produced one) and keeps its literal text.
type Text string

// UnmarshalJSON implements json.Unmarshaler.
func (t *Text) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return typeError(b, "")
	}
	switch b[0] {
	case '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return typeError(b, "")
		}
		*t = Text(s)
	case '{', '[':
		return typeError(b, "")
	default: // number, true, false (null never reaches a pointer's method)
		*t = Text(b)
	}
	return nil
}

// Ptr returns the value as a *string, nil when t is nil.
func (t *Text) Ptr() *string {
	if t == nil {
		return nil
	}
	s := string(*t)
	return &s
}

// Trimmed returns the value without surrounding spaces, "" when t is nil.
func (t *Text) Trimmed() string {
	if t == nil {
		return ""
	}
	return strings.TrimSpace(string(*t))
}

// Bool is a boolean parameter; it also accepts "true"/"false" strings.
type Bool bool

// UnmarshalJSON implements json.Unmarshaler.
func (v *Bool) UnmarshalJSON(b []byte) error {
	s := strings.TrimSpace(string(b))
	if strings.HasPrefix(s, `"`) {
		var str string
		if err := json.Unmarshal(b, &str); err != nil {
			return typeError(b, false)
		}
		s = strings.ToLower(strings.TrimSpace(str))
	}
	switch s {
	case "true":
		*v = true
	case "false":
		*v = false
	default:
		return typeError(b, false)
	}
	return nil
}

// Ptr returns the value as a *bool, nil when v is nil.
func (v *Bool) Ptr() *bool {
	if v == nil {
		return nil
	}
	b := bool(*v)
	return &b
}

// True reports whether v is set and true.
func (v *Bool) True() bool { return v != nil && bool(*v) }

// Number is a numeric parameter kept as its decimal text. It accepts a JSON
// number or a string holding one (an expression resolved to a string).
// Whether it must be whole or within bounds is checked where it is used, so
// that the message names the parameter and the rule.
type Number string

// UnmarshalJSON implements json.Unmarshaler.
func (n *Number) UnmarshalJSON(b []byte) error {
	s := strings.TrimSpace(string(b))
	if strings.HasPrefix(s, `"`) {
		var str string
		if err := json.Unmarshal(b, &str); err != nil {
			return typeError(b, 0.0)
		}
		s = strings.TrimSpace(str)
	}
	if _, ok := new(big.Float).SetString(s); !ok || s == "" || strings.ContainsAny(s, "_xXpPoObBiInN") {
		return typeError(b, 0.0)
	}
	*n = Number(s)
	return nil
}

// Int returns the number as an int64 when it is whole; path names the
// parameter in the diagnostic otherwise.
func (n Number) Int(path string) (int64, error) {
	s := string(n)
	if i, err := strconv.ParseInt(s, 10, 64); err == nil {
		return i, nil
	}
	f, ok := new(big.Float).SetString(s)
	if !ok {
		return 0, sdk.AttributeError(path, "Invalid number", fmt.Sprintf("parameter %q must be a number, not %q", path, s))
	}
	if !f.IsInt() {
		return 0, sdk.AttributeError(path, "Not a whole number",
			fmt.Sprintf("parameter %q must be a whole number, not %s: round it in the expression (e.g. Math.round(…))", path, s))
	}
	i, acc := f.Int64()
	if acc != big.Exact || i == math.MinInt64 || i == math.MaxInt64 {
		return 0, sdk.AttributeError(path, "Number out of range", fmt.Sprintf("parameter %q is too large: %s", path, s))
	}
	return i, nil
}
