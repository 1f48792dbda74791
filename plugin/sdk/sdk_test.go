package sdk_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/nodeplug/nodeplug/plugin/sdk"
)

func TestPathRoundTrip(t *testing.T) {
	t.Parallel()
	tests := map[string]sdk.Path{
		"":                           nil,
		"meetingId":                  {{Name: "meetingId"}},
		"additionalFields.startTime": {{Name: "additionalFields"}, {Name: "startTime"}},
		"a.b[2].c":                   {{Name: "a"}, {Name: "b"}, {Index: 2, IsIndex: true}, {Name: "c"}},
		"settings[0][1]":             {{Name: "settings"}, {Index: 0, IsIndex: true}, {Index: 1, IsIndex: true}},
	}
	for in, want := range tests {
		got := sdk.ParsePath(in)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("ParsePath(%q) (-want +got):\n%s", in, diff)
		}
		if s := got.String(); s != in {
			t.Errorf("ParsePath(%q).String() = %q", in, s)
		}
	}
}

func FuzzParsePath(f *testing.F) {
	for _, s := range []string{"a.b[2].c", "[", "a[b]", "..", "x[9999999999999999999]"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p := sdk.ParsePath(s)
		// Rendering and parsing again is stable.
		if q := sdk.ParsePath(p.String()); p.String() != q.String() {
			t.Errorf("unstable: %q -> %q -> %q", s, p.String(), q.String())
		}
	})
}

func TestDiagnostics(t *testing.T) {
	t.Parallel()
	var ds sdk.Diagnostics
	if ds.HasError() || ds.Err() != nil {
		t.Fatal("empty diagnostics report an error")
	}
	ds.AddWarning("careful", "x")
	if ds.HasError() || ds.Err() != nil {
		t.Fatal("a warning counts as an error")
	}
	ds.AddError(sdk.KindAuth, "Token expired", "reconnect")
	ds.AddError(sdk.KindAuth, "Token expired", "reconnect") // duplicate, skipped
	if len(ds) != 2 || len(ds.Errors()) != 1 {
		t.Fatalf("diagnostics = %+v", ds)
	}
	if got := ds.Err().Error(); got != "Token expired: reconnect" {
		t.Errorf("Err() = %q", got)
	}
	d := sdk.AttributeError("additionalFields.password", "Password too long", "at most 10 characters")
	if got := d.Error(); got != `Password too long (parameter "additionalFields.password"): at most 10 characters` {
		t.Errorf("Error() = %q", got)
	}
}

type params struct {
	Topic    string       `json:"topic"`
	Duration *json.Number `json:"duration"`
	Settings struct {
		HostVideo *bool `json:"hostVideo"`
	} `json:"settings"`
}

func (p *params) SetDefaults() { p.Topic = "default topic" }

func TestPerItemDecoding(t *testing.T) {
	t.Parallel()
	var seen []params
	exec := sdk.PerItem(func(_ context.Context, call sdk.ItemCall[params]) ([]json.RawMessage, error) {
		seen = append(seen, call.Params)
		return nil, nil
	})
	resp, err := exec.Execute(context.Background(), &sdk.ExecuteRequest{Items: []sdk.Item{
		{Parameters: json.RawMessage(`{}`)},
		{Parameters: json.RawMessage(`{"topic":"x","duration":12345678901234567890,"settings":{"hostVideo":false}}`)},
		{Parameters: json.RawMessage(`{"settings":{"hostVideo":"yes"}}`)},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) != 2 || seen[0].Topic != "default topic" || seen[1].Duration.String() != "12345678901234567890" ||
		seen[1].Settings.HostVideo == nil || *seen[1].Settings.HostVideo {
		t.Errorf("decoded = %+v", seen)
	}
	if len(resp.Diagnostics) != 1 {
		t.Fatalf("diagnostics = %+v", resp.Diagnostics)
	}
	d := resp.Diagnostics[0]
	if d.ItemIndex != 2 || d.Attribute.String() != "settings.hostVideo" || d.Kind != sdk.KindConfig || !strings.Contains(d.Detail, "boolean") {
		t.Errorf("diagnostic = %+v", d)
	}
}

func TestPerItemStopsWhenCanceled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	calls := 0
	exec := sdk.PerItem(func(context.Context, sdk.ItemCall[params]) ([]json.RawMessage, error) {
		calls++
		cancel()
		return []json.RawMessage{json.RawMessage(`{}`)}, nil
	})
	resp, _ := exec.Execute(ctx, &sdk.ExecuteRequest{Items: make([]sdk.Item, 5)})
	if calls != 1 || len(resp.Outputs[0]) != 1 || !resp.Diagnostics.HasError() || resp.Diagnostics[0].ItemIndex != 1 {
		t.Errorf("calls=%d outputs=%d diags=%+v", calls, len(resp.Outputs[0]), resp.Diagnostics)
	}
}

func TestMetadataCapabilities(t *testing.T) {
	t.Parallel()
	p := &sdk.Plugin{Name: "x", Version: "1", Nodes: []sdk.NodeDef{{Type: sdk.NodeType{Name: "n"}, Executor: sdk.ExecutorFunc(nil)}}}
	m := p.Metadata()
	want := []sdk.Capability{sdk.CapabilityExecute, sdk.CapabilityTokenRefreshCallback}
	if diff := cmp.Diff(want, m.Capabilities); diff != "" {
		t.Errorf("capabilities (-want +got):\n%s", diff)
	}
	if _, ok := p.Node("n"); !ok {
		t.Error("Node(n) not found")
	}
}
