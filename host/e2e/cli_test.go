package e2e_test

import (
	"encoding/json"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// zoomCredentialTypes are the credential types the Zoom plugin serves.
var zoomCredentialTypes = []string{"zoomApi", "zoomOAuth2Api", "zoomServerToServerOAuthApi"}

// TestPluginsAndDescribe: the installed plugin lists its node and credential
// types, and describe shows a node type and credential types (text and JSON).
func TestPluginsAndDescribe(t *testing.T) {
	t.Parallel()
	e := newNP(t)

	r := e.run("", "plugins").ok(t)
	for _, want := range []string{"zoom", "n8n-nodes-base.zoom", "zoomOAuth2Api", "zoomServerToServerOAuthApi", "zoomApi (deprecated)", "PROTOCOL"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("nodeplug plugins does not show %q:\n%s", want, r.stdout)
		}
	}
	r = e.run("", "plugins", "-o", "json").ok(t)
	var ps []struct {
		Name            string `json:"name"`
		ProtocolVersion int    `json:"protocolVersion"`
		Path            string `json:"path"`
		NodeTypes       []struct {
			Name     string    `json:"name"`
			Aliases  []string  `json:"aliases"`
			Versions []float64 `json:"versions"`
		} `json:"nodeTypes"`
		CredentialTypes []struct {
			Name       string `json:"name"`
			Deprecated bool   `json:"deprecated"`
		} `json:"credentialTypes"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &ps); err != nil {
		t.Fatalf("plugins -o json: %v\n%s", err, r.stdout)
	}
	if len(ps) != 1 || ps[0].Name != "zoom" || ps[0].ProtocolVersion != 1 || !strings.HasSuffix(ps[0].Path, "/nodeplug-zoom") {
		t.Fatalf("plugins -o json = %+v, want the zoom plugin, protocol 1", ps)
	}
	var credNames []string
	for _, c := range ps[0].CredentialTypes {
		if c.Deprecated {
			c.Name += " (deprecated)"
		}
		credNames = append(credNames, c.Name)
	}
	if diff := cmp.Diff([]string{"zoomOAuth2Api", "zoomApi (deprecated)", "zoomServerToServerOAuthApi"}, credNames, cmpSorted); diff != "" {
		t.Errorf("credential types (-want +got):\n%s", diff)
	}
	if len(ps[0].NodeTypes) != 1 || ps[0].NodeTypes[0].Name != "zoom" || !cmp.Equal(ps[0].NodeTypes[0].Aliases, []string{"n8n-nodes-base.zoom"}) {
		t.Errorf("node types = %+v", ps[0].NodeTypes)
	}

	r = e.run("", "describe", "n8n-nodes-base.zoom").ok(t)
	for _, want := range append([]string{"Node type:", "zoom, n8n-nodes-base.zoom", "Credentials:", "operation", "meetingId", "additionalFields.startTime"}, zoomCredentialTypes...) {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("describe n8n-nodes-base.zoom does not show %q", want)
		}
	}

	r = e.run("", "describe", "n8n-nodes-base.zoom", "-o", "json").ok(t)
	var node struct {
		Kind        string    `json:"kind"`
		Plugin      string    `json:"plugin"`
		Name        string    `json:"name"`
		Aliases     []string  `json:"aliases"`
		Versions    []float64 `json:"versions"`
		Credentials []struct {
			Name string `json:"name"`
		} `json:"credentials"`
		Properties []struct {
			Name    string `json:"name"`
			Options []struct {
				Value json.RawMessage `json:"value"`
			} `json:"options"`
		} `json:"properties"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &node); err != nil {
		t.Fatalf("describe -o json: %v\n%s", err, r.stdout)
	}
	if node.Kind != "node" || node.Plugin != "zoom" || node.Name != "zoom" || !contains(node.Aliases, "n8n-nodes-base.zoom") {
		t.Errorf("describe n8n-nodes-base.zoom -o json: kind %q plugin %q name %q aliases %v", node.Kind, node.Plugin, node.Name, node.Aliases)
	}
	var creds []string
	for _, c := range node.Credentials {
		creds = append(creds, c.Name)
	}
	if diff := cmp.Diff(zoomCredentialTypes, creds, cmpSorted); diff != "" {
		t.Errorf("the node's credential types (-want +got):\n%s", diff)
	}
	var ops []string
	for _, p := range node.Properties {
		if p.Name == "operation" {
			for _, o := range p.Options {
				var s string
				_ = json.Unmarshal(o.Value, &s)
				ops = append(ops, s)
			}
		}
	}
	if diff := cmp.Diff([]string{"create", "delete", "get", "getAll", "update"}, ops, cmpSorted); diff != "" {
		t.Errorf("operations (-want +got):\n%s", diff)
	}

	type credType struct {
		Kind              string `json:"kind"`
		Name              string `json:"name"`
		DeprecationNotice string `json:"deprecationNotice"`
		Properties        []struct {
			Name     string `json:"name"`
			Required bool   `json:"required"`
			Secret   bool   `json:"secret"`
		} `json:"properties"`
		Auth struct {
			Kind   string `json:"kind"`
			OAuth2 *struct {
				PKCE bool `json:"pkce"`
			} `json:"oauth2"`
			TokenProperty string `json:"tokenProperty"`
		} `json:"auth"`
	}
	describe := func(name string) credType {
		t.Helper()
		r := e.run("", "describe", name, "-o", "json").ok(t)
		var c credType
		if err := json.Unmarshal([]byte(r.stdout), &c); err != nil {
			t.Fatalf("describe %s -o json: %v\n%s", name, err, r.stdout)
		}
		if c.Kind != "credential" || c.Name != name {
			t.Errorf("describe %s -o json: kind %q name %q", name, c.Kind, c.Name)
		}
		return c
	}
	secretProps := func(c credType) []string {
		var out []string
		for _, p := range c.Properties {
			if p.Secret {
				out = append(out, p.Name)
			}
		}
		return out
	}
	oauth2 := describe("zoomOAuth2Api")
	if oauth2.Auth.Kind != "oauth2-authorization-code" || oauth2.Auth.OAuth2 == nil || !oauth2.Auth.OAuth2.PKCE || oauth2.DeprecationNotice != "" {
		t.Errorf("zoomOAuth2Api: auth %+v, deprecation %q; want the authorization code flow with PKCE, not deprecated", oauth2.Auth, oauth2.DeprecationNotice)
	}
	if diff := cmp.Diff([]string{"clientSecret"}, secretProps(oauth2)); diff != "" {
		t.Errorf("zoomOAuth2Api secret properties (-want +got):\n%s", diff)
	}
	s2s := describe("zoomServerToServerOAuthApi")
	if s2s.Auth.Kind != "oauth2-account-credentials" || s2s.DeprecationNotice != "" {
		t.Errorf("zoomServerToServerOAuthApi: auth kind %q, deprecation %q", s2s.Auth.Kind, s2s.DeprecationNotice)
	}
	jwt := describe("zoomApi")
	if jwt.Auth.Kind != "static-bearer" || !strings.Contains(jwt.DeprecationNotice, "JWT") {
		t.Errorf("zoomApi: auth kind %q, deprecation %q; want a static bearer token marked deprecated (JWT)", jwt.Auth.Kind, jwt.DeprecationNotice)
	}
	if diff := cmp.Diff([]string{"accessToken"}, secretProps(jwt)); diff != "" {
		t.Errorf("zoomApi secret properties (-want +got):\n%s", diff)
	}
	r = e.run("", "describe", "zoomApi").ok(t)
	if !strings.Contains(r.stdout, "DEPRECATED:") {
		t.Errorf("describe zoomApi does not mark it deprecated:\n%s", r.stdout)
	}

	r = e.run("", "describe", "n8n-nodes-base.nosuch").fails(t, 1)
	if !strings.Contains(r.stderr, `"n8n-nodes-base.nosuch"`) || !strings.Contains(r.stderr, "nodeplug plugins") {
		t.Errorf("describe of an unknown type: %q", r.stderr)
	}
}

// TestNoPlugins: an empty plugin directory is named with how to fix it.
func TestNoPlugins(t *testing.T) {
	t.Parallel()
	e := newNP(t, "NODEPLUG_PLUGIN_DIR="+t.TempDir())
	r := e.run("", "plugins").fails(t, 1)
	if !strings.Contains(r.stderr, "NODEPLUG_PLUGIN_DIR") {
		t.Errorf("stderr does not say how to point at the plugins: %q", r.stderr)
	}
}

// TestCredentialsLifecycle: create from JSON on stdin (with validation errors
// that name the property), list, show, delete; no output shows the secret.
func TestCredentialsLifecycle(t *testing.T) {
	t.Parallel()
	e := newNP(t)
	secret := "e2e-lifecycle-secret-" + randHex(8)
	props := func(kv map[string]any) string {
		m := map[string]any{"environment": "custom", "oauthBaseUrl": "http://127.0.0.1:9", "apiBaseUrl": "http://127.0.0.1:9",
			"clientId": "lifecycle-client", "clientSecret": secret}
		for k, v := range kv {
			if v == nil {
				delete(m, k)
			} else {
				m[k] = v
			}
		}
		return mustJSON(m)
	}
	var outputs []string
	record := func(r result) result { outputs = append(outputs, r.stdout, r.stderr); return r }

	invalid := map[string]struct {
		typ, stdin string
		want       []string
	}{
		"unknown property":  {"zoomOAuth2Api", props(map[string]any{"bogus": "x"}), []string{`"bogus"`, "zoomOAuth2Api", "clientSecret"}},
		"missing required":  {"zoomOAuth2Api", props(map[string]any{"clientSecret": nil}), []string{"clientSecret", "required"}},
		"wrong option":      {"zoomOAuth2Api", props(map[string]any{"environment": "mars"}), []string{"environment", "must be one of"}},
		"wrong type":        {"zoomOAuth2Api", props(map[string]any{"clientId": 42}), []string{"clientId", "must be a string"}},
		"S2S without acct":  {"zoomServerToServerOAuthApi", props(nil), []string{"accountId", "required"}},
		"empty stdin":       {"zoomOAuth2Api", "", []string{"standard input is empty"}},
		"not JSON":          {"zoomOAuth2Api", "clientSecret=" + secret, []string{"not a JSON object"}},
		"unknown cred type": {"zoomNoSuchApi", props(nil), []string{`"zoomNoSuchApi"`, "nodeplug plugins"}},
	}
	for name, tc := range invalid {
		r := record(e.run(tc.stdin, "credentials", "create", "--type", tc.typ, "--name", "bad"))
		if r.code != 1 {
			t.Errorf("%s: exit %d, want 1", name, r.code)
		}
		for _, w := range tc.want {
			if !strings.Contains(r.stderr, w) {
				t.Errorf("%s: stderr does not name %q: %q", name, w, r.stderr)
			}
		}
	}
	if r := record(e.run("", "credentials", "list")); r.code != 0 || strings.Contains(r.stdout, "bad") {
		t.Errorf("a refused credential was stored: %+v", r)
	}

	r := record(e.run(props(nil), "credentials", "create", "--type", "zoomOAuth2Api", "--name", "Work Zoom").ok(t))
	if !strings.Contains(r.stdout, `Created credential "Work Zoom"`) || !regexp.MustCompile(`nodeplug credentials connect ('Work Zoom'|"Work Zoom")`).MatchString(r.stdout) {
		t.Errorf("create output: %q", r.stdout)
	}
	r = record(e.run(props(nil), "credentials", "create", "--type", "zoomOAuth2Api", "--name", "Work Zoom").fails(t, 1))
	if !strings.Contains(r.stderr, "already exists") {
		t.Errorf("duplicate name: %q", r.stderr)
	}

	r = record(e.run("", "credentials", "list").ok(t))
	if !strings.Contains(r.stdout, "Work Zoom") || !strings.Contains(r.stdout, "no token yet") {
		t.Errorf("list: %q", r.stdout)
	}
	r = record(e.run("", "credentials", "list", "-o", "json").ok(t))
	var list []struct{ Name, Type, Status string }
	if err := json.Unmarshal([]byte(r.stdout), &list); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]struct{ Name, Type, Status string }{{"Work Zoom", "zoomOAuth2Api", "no token yet"}}, list); diff != "" {
		t.Errorf("list -o json (-want +got):\n%s", diff)
	}

	record(e.run("", "credentials", "show", "Work Zoom").ok(t))
	r = record(e.run("", "credentials", "show", "Work Zoom", "-o", "json").ok(t))
	var show struct {
		Name, Type, Status string
		Properties         map[string]any
	}
	if err := json.Unmarshal([]byte(r.stdout), &show); err != nil {
		t.Fatal(err)
	}
	if show.Properties["clientSecret"] != "(set, hidden)" || show.Properties["clientId"] != "lifecycle-client" || show.Properties["environment"] != "custom" {
		t.Errorf("show properties = %v", show.Properties)
	}

	r = record(e.run("", "credentials", "delete", "Work Zoom").ok(t))
	if !strings.Contains(r.stdout, `Deleted credential "Work Zoom"`) {
		t.Errorf("delete: %q", r.stdout)
	}
	r = record(e.run("", "credentials", "show", "Work Zoom").fails(t, 1))
	if !strings.Contains(r.stderr, `no credential named "Work Zoom"`) {
		t.Errorf("show after delete: %q", r.stderr)
	}
	record(e.run("", "credentials", "delete", "Work Zoom").fails(t, 1))
	r = record(e.run("", "credentials", "list", "-o", "json").ok(t))
	if strings.TrimSpace(r.stdout) != "[]" {
		t.Errorf("list after delete = %s", r.stdout)
	}

	if len(outputs) < 20 {
		t.Fatalf("only %d outputs recorded", len(outputs))
	}
	for i, o := range outputs {
		assertNoSecret(t, "output #"+strconv.Itoa(i), []byte(o), secret)
	}
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// cmpSorted compares string slices regardless of order.
var cmpSorted = cmp.Transformer("sorted", func(in []string) []string {
	out := append([]string(nil), in...)
	sort.Strings(out)
	return out
})
