package zoom

import (
	"errors"
	"strings"
	"testing"
	"time"
	_ "time/tzdata"

	"github.com/google/go-cmp/cmp"

	"github.com/nodeplug/nodeplug/plugin/sdk"
)

func TestConvertStartTime(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		in, tz string
		want   string
	}{
		"wall time with zone passes":           {"2026-11-03T16:00:00", "Europe/Berlin", "2026-11-03T16:00:00"},
		"UTC instant into zone (CET)":          {"2026-11-03T15:00:00Z", "Europe/Berlin", "2026-11-03T16:00:00"},
		"toISOString into zone":                {"2026-11-03T15:00:00.000Z", "Europe/Berlin", "2026-11-03T16:00:00"},
		"offset instant into zone":             {"2026-11-03T10:00:00-05:00", "Europe/Berlin", "2026-11-03T16:00:00"},
		"Google Calendar dateTime, same zone":  {"2026-07-01T09:30:00-04:00", "America/New_York", "2026-07-01T09:30:00"},
		"summer time in New York":              {"2026-07-01T12:00:00Z", "America/New_York", "2026-07-01T08:00:00"},
		"across the DST switch":                {"2026-03-29T01:30:00Z", "Europe/Berlin", "2026-03-29T03:30:00"},
		"half-hour zone":                       {"2026-11-03T10:00:00Z", "Asia/Kolkata", "2026-11-03T15:30:00"},
		"UTC zone":                             {"2026-11-03T16:00:00+01:00", "UTC", "2026-11-03T15:00:00"},
		"instant without zone becomes UTC Z":   {"2026-11-03T16:00:00+01:00", "", "2026-11-03T15:00:00Z"},
		"Z without zone stays UTC Z":           {"2026-11-03T15:00:00.000Z", "", "2026-11-03T15:00:00Z"},
		"compact offset":                       {"2026-11-03T16:00:00.987+0100", "", "2026-11-03T15:00:00Z"},
		"hour-only offset":                     {"2026-11-03T16:00:00+01", "", "2026-11-03T15:00:00Z"},
		"offset without seconds":               {"2026-11-03T16:00+01:00", "", "2026-11-03T15:00:00Z"},
		"wall time without zone has no Z":      {"2026-11-03T16:00:00", "", "2026-11-03T16:00:00"},
		"fraction dropped":                     {"2026-11-03T16:00:00.999", "", "2026-11-03T16:00:00"},
		"date picker without seconds":          {"2026-11-03T16:00", "", "2026-11-03T16:00:00"},
		"space separator":                      {"2026-11-03 16:00:00", "Europe/Berlin", "2026-11-03T16:00:00"},
		"date only is midnight":                {"2026-11-03", "", "2026-11-03T00:00:00"},
		"surrounding spaces":                   {"  2026-11-03T16:00:00Z ", "", "2026-11-03T16:00:00Z"},
		"wall time with unknown zone (Zoom's)": {"2026-11-03T16:00:00", "Mars/Olympus", "2026-11-03T16:00:00"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, err := convertStartTime(tc.in, tc.tz, "additionalFields")
			if err != nil {
				t.Fatalf("convertStartTime(%q, %q): %v", tc.in, tc.tz, err)
			}
			if got != tc.want {
				t.Errorf("convertStartTime(%q, %q) = %q, want %q", tc.in, tc.tz, got, tc.want)
			}
		})
	}
}

func TestConvertStartTimeErrors(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		in, tz, base string
		attr         string
	}{
		"words":                   {"tomorrow at 10", "", "additionalFields", "additionalFields.startTime"},
		"February 30":             {"2026-02-30T10:00:00", "", "additionalFields", "additionalFields.startTime"},
		"hour 25":                 {"2026-11-03T25:00:00Z", "", "updateFields", "updateFields.startTime"},
		"epoch millis":            {"1762185600000", "", "additionalFields", "additionalFields.startTime"},
		"US date":                 {"11/03/2026 10:00", "", "updateFields", "updateFields.startTime"},
		"unknown zone to convert": {"2026-11-03T15:00:00Z", "Mars/Olympus", "additionalFields", "additionalFields.timeZone"},
		"Local is no zone":        {"2026-11-03T15:00:00Z", "Local", "updateFields", "updateFields.timeZone"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := convertStartTime(tc.in, tc.tz, tc.base)
			var d *sdk.Diagnostic
			if !errors.As(err, &d) {
				t.Fatalf("convertStartTime(%q, %q) error = %v, want a diagnostic", tc.in, tc.tz, err)
			}
			if d.Kind != sdk.KindConfig || d.Attribute.String() != tc.attr {
				t.Errorf("diagnostic kind %v attribute %q, want config on %q", d.Kind, d.Attribute, tc.attr)
			}
			if !strings.Contains(d.Detail, "ISO 8601") && !strings.Contains(d.Detail, "IANA") {
				t.Errorf("detail does not say what to do: %q", d.Detail)
			}
		})
	}
}

// FuzzStartTime checks that the start-time converter never panics and that
// whatever it accepts is one of Zoom's two forms and round-trips.
func FuzzStartTime(f *testing.F) {
	for _, s := range []string{"2026-11-03T16:00:00", "2026-11-03T15:00:00.000Z", "2026-11-03T10:00:00-05:00", "2026-11-03 16:00",
		"2026-11-03", "0000-01-01T00:00:00Z", "9999-12-31T23:59:59-14:00", "2026-11-03T16:00:00.123456789+0530", "", "T", "2026-13-45T99:99:99"} {
		f.Add(s, "Europe/Berlin")
		f.Add(s, "")
	}
	f.Fuzz(func(t *testing.T, s, tz string) {
		var loc *time.Location
		if tz != "" {
			if l, err := loadZone(tz); err == nil {
				loc = l
			}
		}
		out, err := zoomStartTime(s, loc)
		if err != nil {
			return
		}
		layout := zoomWallLayout
		if strings.HasSuffix(out, "Z") {
			layout = zoomUTCLayout
		}
		back, perr := time.Parse(layout, out)
		if perr != nil || back.Format(layout) != out {
			t.Fatalf("zoomStartTime(%q, %q) = %q, which is not in Zoom's form %s", s, tz, out, layout)
		}
		// Converting Zoom's form again is stable.
		again, err := zoomStartTime(out, loc)
		if err != nil {
			t.Fatalf("output %q does not parse again: %v", out, err)
		}
		if again != out {
			t.Fatalf("not idempotent: %q → %q → %q", s, out, again)
		}
		_, _ = convertStartTime(s, tz, "additionalFields")
	})
}

func TestBuildMeetingRequestCarriesExplicitValues(t *testing.T) {
	t.Parallel()
	var p Params
	p.SetDefaults()
	if err := sdk.DecodeParameters([]byte(`{"updateFields":{"agenda":"","duration":0,"topic":"","settings":{"hostVideo":false,"watermark":"false","registrationType":"2"},"startTime":"","timeZone":""}}`), &p); err != nil {
		t.Fatal(err)
	}
	m, err := buildMeetingRequest(&p.UpdateFields, "updateFields", p.UpdateFields.Topic)
	if err != nil {
		t.Fatal(err)
	}
	got := m.String()
	want := `{"topic":"","duration":0,"agenda":"","settings":{"host_video":false,"watermark":false,"registration_type":2}}`
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("body (-want +got):\n%s", diff)
	}
}
