package zoom

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/nodeplug/nodeplug/plugin/sdk"
)

func decodeParams(t testing.TB, js string) (Params, error) {
	t.Helper()
	var p Params
	p.SetDefaults()
	err := sdk.DecodeParameters(json.RawMessage(js), &p)
	return p, err
}

func TestDecodeParamsFlexibleScalars(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		params string
		want   string // create body
	}{
		"numbers as JSON numbers": {
			`{"additionalFields":{"duration":45,"type":8,"settings":{"registrationType":3}}}`,
			`{"type":8,"duration":45,"settings":{"registration_type":3}}`,
		},
		"numbers as strings (expressions)": {
			`{"additionalFields":{"duration":" 45 ","type":"2","settings":{"registrationType":"1"}}}`,
			`{"type":2,"duration":45,"settings":{"registration_type":1}}`,
		},
		"whole float and exponent": {
			`{"additionalFields":{"duration":45.0,"type":"2e0"}}`,
			`{"type":2,"duration":45}`,
		},
		"booleans as strings": {
			`{"additionalFields":{"settings":{"hostVideo":"true","watermark":" FALSE ","joinBeforeHost":false}}}`,
			`{"settings":{"host_video":true,"join_before_host":false,"watermark":false}}`,
		},
		"numeric topic from an expression": {
			`{"topic":2026,"additionalFields":{"agenda":true}}`,
			`{"topic":"2026","agenda":"true"}`,
		},
		"null means absent": {
			`{"topic":null,"additionalFields":{"duration":null,"settings":null,"timeZone":null}}`,
			`{}`,
		},
		"empty settings sends no settings": {
			`{"topic":"T","additionalFields":{"settings":{}}}`,
			`{"topic":"T"}`,
		},
		"empty option settings are absent, empty text is sent": {
			`{"additionalFields":{"settings":{"audio":"","autoRecording":"","alternativeHosts":""}}}`,
			`{"settings":{"alternative_hosts":""}}`,
		},
		"password of exactly 10": {
			`{"additionalFields":{"password":"abcdefghij"}}`,
			`{"password":"(redacted)"}`,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			p, err := decodeParams(t, tc.params)
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			m, err := buildMeetingRequest(p.AdditionalFields.MeetingFields(), "additionalFields", p.Topic)
			if err != nil {
				t.Fatalf("build: %v", err)
			}
			if diff := cmp.Diff(tc.want, m.String()); diff != "" {
				t.Errorf("body (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDecodeParamsErrorsNameTheParameter(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		params  string
		attr    string
		contain string
	}{
		"duration not a number":    {`{"additionalFields":{"duration":"an hour"}}`, "additionalFields.duration", "number"},
		"fractional duration":      {`{"additionalFields":{"duration":45.5}}`, "additionalFields.duration", "whole number"},
		"negative duration":        {`{"additionalFields":{"duration":-5}}`, "additionalFields.duration", "0 or more"},
		"type as object":           {`{"updateFields":{"type":{"x":1}}}`, "updateFields.type", "number"},
		"boolean as word":          {`{"additionalFields":{"settings":{"hostVideo":"yes"}}}`, "additionalFields.settings.hostVideo", "boolean"},
		"password too long":        {`{"additionalFields":{"password":"elevenchars"}}`, "additionalFields.password", "at most 10"},
		"update password too long": {`{"updateFields":{"password":"p4ssw0rd-too-long"}}`, "updateFields.password", "at most 10"},
		"registration type text":   {`{"updateFields":{"settings":{"registrationType":"weekly"}}}`, "updateFields.settings.registrationType", "number"},
		"huge type":                {`{"additionalFields":{"type":1e30}}`, "additionalFields.type", "too large"},
		"topic as array":           {`{"topic":["a"]}`, "topic", "string"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			p, err := decodeParams(t, tc.params)
			if err == nil {
				f := p.AdditionalFields.MeetingFields()
				base, topic := "additionalFields", p.Topic
				if strings.HasPrefix(tc.attr, "updateFields") {
					f, base, topic = &p.UpdateFields, "updateFields", p.UpdateFields.Topic
				}
				_, err = buildMeetingRequest(f, base, topic)
			}
			var d *sdk.Diagnostic
			if !errors.As(err, &d) {
				t.Fatalf("error = %v, want a diagnostic", err)
			}
			if d.Kind != sdk.KindConfig || d.Attribute.String() != tc.attr {
				t.Errorf("kind %v attribute %q, want config on %q (%v)", d.Kind, d.Attribute, tc.attr, d)
			}
			if !strings.Contains(d.Error(), tc.contain) {
				t.Errorf("message %q does not contain %q", d.Error(), tc.contain)
			}
			if strings.Contains(d.Error(), "elevenchars") || strings.Contains(d.Error(), "p4ssw0rd") {
				t.Errorf("the message leaks the password: %q", d.Error())
			}
		})
	}
}

func TestMeetingID(t *testing.T) {
	t.Parallel()
	good := map[string]string{
		`"85746065432"`:       "85746065432",
		`" 85746065432 "`:     "85746065432",
		`"857 4606 5432"`:     "85746065432",
		`85746065432`:         "85746065432",
		`9223372036854775807`: "9223372036854775807",
	}
	for in, want := range good {
		var tx Text
		if err := json.Unmarshal([]byte(in), &tx); err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		got, err := meetingID(&tx)
		if err != nil || got != want {
			t.Errorf("meetingID(%s) = %q, %v; want %q", in, got, err, want)
		}
	}
	bad := map[string]string{
		`""`:                         "missing",
		`"abc"`:                      "digits",
		`"4pXq2mA1Tyq8c9Zb+Q0yXw=="`: "UUID",
		`"85746065432/../users"`:     "digits",
		`"-5"`:                       "digits",
		`"0"`:                        "digits",
		`"9223372036854775808"`:      "digits",
		`8.5746065432e10`:            "digits",
	}
	for in, want := range bad {
		var tx Text
		_ = json.Unmarshal([]byte(in), &tx)
		_, err := meetingID(&tx)
		var d *sdk.Diagnostic
		if !errors.As(err, &d) || d.Attribute.String() != "meetingId" || d.Kind != sdk.KindConfig {
			t.Errorf("meetingID(%s) error = %v, want a config diagnostic on meetingId", in, err)
			continue
		}
		if !strings.Contains(strings.ToLower(d.Error()), strings.ToLower(want)) {
			t.Errorf("meetingID(%s): %q does not mention %q", in, d.Error(), want)
		}
	}
	if _, err := meetingID(nil); err == nil {
		t.Error("absent meetingId accepted")
	}
}

// FuzzDecodeParams feeds arbitrary parameter JSON through decoding and
// request building: it must never panic, and every failure must be a
// diagnostic.
func FuzzDecodeParams(f *testing.F) {
	for _, s := range []string{
		`{}`, `null`, `[]`, `{"operation":"getAll","returnAll":"true","limit":"40","filters":{"type":"scheduled"}}`,
		`{"topic":"x","additionalFields":{"duration":"45","settings":{"audio":"voip","hostVideo":"false"},"startTime":"2026-11-03T15:00:00Z","timeZone":"Europe/Berlin","type":8,"password":"abc"}}`,
		`{"operation":"update","meetingId":85746065432,"updateFields":{"topic":"","settings":{}}}`,
		`{"meetingId":"857 4606 5432","additionalFields":{"occurrenceId":1648194360000,"showPreviousOccurrences":"TRUE"}}`,
		`{"additionalFields":{"duration":1e400}}`, `{"limit":"0x10"}`, `{"topic":"\u0000"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := decodeParams(t, string(data))
		if err != nil {
			var d *sdk.Diagnostic
			if !errors.As(err, &d) || d.Kind != sdk.KindConfig {
				t.Fatalf("decode error is not a config diagnostic: %v", err)
			}
			return
		}
		check := func(err error) {
			var d *sdk.Diagnostic
			if err != nil && !errors.As(err, &d) {
				t.Fatalf("not a diagnostic: %v", err)
			}
		}
		_, err = buildMeetingRequest(p.AdditionalFields.MeetingFields(), "additionalFields", p.Topic)
		check(err)
		_, err = buildMeetingRequest(&p.UpdateFields, "updateFields", p.UpdateFields.Topic)
		check(err)
		_, err = meetingID(p.MeetingID)
		check(err)
		if p.Limit != nil {
			_, err = p.Limit.Int("limit")
			check(err)
		}
		_ = p.UpdateFields.String()
	})
}
