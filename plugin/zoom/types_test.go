package zoom_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"
	_ "time/tzdata"

	"github.com/google/go-cmp/cmp"

	"github.com/nodeplug/nodeplug/plugin/sdk"
	"github.com/nodeplug/nodeplug/plugin/zoom"
)

func TestCredentialTypesGolden(t *testing.T) {
	t.Parallel()
	p := zoom.New()
	var types []sdk.CredentialType
	for _, c := range p.Credentials {
		types = append(types, c.Type)
	}
	checkGolden(t, "credential_types.golden.json", marshalIndent(t, types))
}

func TestNodeTypeGolden(t *testing.T) {
	t.Parallel()
	p := zoom.New()
	if len(p.Nodes) != 1 {
		t.Fatalf("plugin serves %d node types, want 1", len(p.Nodes))
	}
	checkGolden(t, "node_type.golden.json", marshalIndent(t, p.Nodes[0].Type))
}

func TestMetadata(t *testing.T) {
	t.Parallel()
	m := zoom.New().Metadata()
	want := sdk.Metadata{
		Name: "zoom", Version: "0.1.0", ProtocolVersion: sdk.ProtocolVersion,
		Capabilities:    []sdk.Capability{sdk.CapabilityCredentialTest, sdk.CapabilityLoadOptions, sdk.CapabilityExecute, sdk.CapabilityTokenRefreshCallback},
		CredentialTypes: []string{"zoomApi", "zoomOAuth2Api", "zoomServerToServerOAuthApi"},
		NodeTypes:       []string{"zoom"},
	}
	if diff := cmp.Diff(want, m); diff != "" {
		t.Errorf("metadata (-want +got):\n%s", diff)
	}
}

// TestNodeCredentialsMatchAuthentication checks that each authentication
// option shows exactly one credential type the plugin serves.
func TestNodeCredentialsMatchAuthentication(t *testing.T) {
	t.Parallel()
	p := zoom.New()
	n, _ := p.Node("zoom")
	auth, ok := n.Type.Property("authentication")
	if !ok {
		t.Fatal("no authentication property")
	}
	got := map[string]string{}
	for _, c := range n.Type.Credentials {
		if _, ok := p.Credential(c.Name); !ok {
			t.Errorf("node credential %q is not served by the plugin", c.Name)
		}
		if !c.Required || c.DisplayOptions == nil || len(c.DisplayOptions.Show) != 1 || c.DisplayOptions.Show[0].Property != "authentication" {
			t.Errorf("credential %q: want required and shown by authentication, got %+v", c.Name, c)
			continue
		}
		for _, v := range c.DisplayOptions.Show[0].Values {
			var s string
			_ = json.Unmarshal(v, &s)
			got[s] = c.Name
		}
	}
	want := map[string]string{"accessToken": "zoomApi", "oAuth2": "zoomOAuth2Api", "serverToServerOAuth": "zoomServerToServerOAuthApi"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("authentication → credential (-want +got):\n%s", diff)
	}
	var values []string
	for _, o := range auth.Options {
		var s string
		_ = json.Unmarshal(o.Value, &s)
		values = append(values, s)
	}
	if diff := cmp.Diff([]string{"accessToken", "oAuth2", "serverToServerOAuth"}, values); diff != "" {
		t.Errorf("authentication options (-want +got):\n%s", diff)
	}
}

func TestGetTimezones(t *testing.T) {
	t.Parallel()
	n, _ := zoom.New().Node("n8n-nodes-base.zoom")
	loader, ok := n.OptionLoaders["getTimezones"]
	if !ok {
		t.Fatal("no getTimezones loader")
	}
	opts, err := loader.LoadOptions(context.Background(), &sdk.LoadOptionsRequest{NodeType: "zoom", Method: "getTimezones"})
	if err != nil {
		t.Fatal(err)
	}
	if len(opts) < 400 {
		t.Fatalf("only %d time zones", len(opts))
	}
	var names []string
	for _, o := range opts {
		var v string
		if err := json.Unmarshal(o.Value, &v); err != nil || v != o.Name {
			t.Errorf("option %q has value %s, want the same zone ID", o.Name, o.Value)
		}
		if _, err := time.LoadLocation(o.Name); err != nil {
			t.Errorf("time zone %q does not load: %v", o.Name, err)
		}
		names = append(names, o.Name)
	}
	if !slices.IsSorted(names) {
		t.Error("time zones are not sorted")
	}
	if len(slices.Compact(slices.Clone(names))) != len(names) {
		t.Error("time zones contain duplicates")
	}
	for _, must := range []string{"UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Etc/GMT+5", "US/Eastern", "Asia/Calcutta"} {
		if !slices.Contains(names, must) {
			t.Errorf("missing %s", must)
		}
	}
	for _, n := range names {
		if strings.TrimSpace(n) != n || n == "" || n == "Local" {
			t.Errorf("bad zone name %q", n)
		}
	}
}
