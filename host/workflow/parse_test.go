package workflow

import (
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestParseReferenceWorkflows parses every shared n8n Zoom workflow and
// checks what the model keeps against the raw JSON.
func TestParseReferenceWorkflows(t *testing.T) {
	t.Parallel()
	for _, path := range referenceFiles(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			t.Parallel()
			data := readFile(t, path)
			wf := mustParse(t, data)

			// Compare with a generic decode of the same file.
			var raw struct {
				Name  string
				Nodes []map[string]json.RawMessage
			}
			if err := json.Unmarshal(data, &raw); err != nil {
				t.Fatal(err)
			}
			if wf.Name != raw.Name {
				t.Errorf("Name = %q, want %q", wf.Name, raw.Name)
			}
			if len(wf.Nodes) != len(raw.Nodes) {
				t.Fatalf("%d nodes, want %d", len(wf.Nodes), len(raw.Nodes))
			}
			for i, rn := range raw.Nodes {
				n := wf.Nodes[i]
				var name, typ string
				_ = json.Unmarshal(rn["name"], &name)
				_ = json.Unmarshal(rn["type"], &typ)
				if n.Name != name || n.Type != typ {
					t.Errorf("node %d = %q/%q, want %q/%q", i, n.Name, n.Type, name, typ)
				}
				if p := rn["parameters"]; p != nil && string(n.Parameters) != string(p) {
					t.Errorf("node %q parameters not kept byte for byte:\n got %s\nwant %s", n.Name, n.Parameters, p)
				}
				var version float64
				_ = json.Unmarshal(rn["typeVersion"], &version)
				if n.TypeVersion != version {
					t.Errorf("node %q typeVersion = %v, want %v", n.Name, n.TypeVersion, version)
				}
				var disabled bool
				_ = json.Unmarshal(rn["disabled"], &disabled)
				if n.Disabled != disabled {
					t.Errorf("node %q disabled = %v, want %v", n.Name, n.Disabled, disabled)
				}
				var onError string
				_ = json.Unmarshal(rn["onError"], &onError)
				if n.OnError != onError {
					t.Errorf("node %q onError = %q, want %q", n.Name, n.OnError, onError)
				}
				var creds map[string]any
				_ = json.Unmarshal(rn["credentials"], &creds)
				if len(n.Credentials) != len(creds) {
					t.Errorf("node %q has %d credentials, want %d", n.Name, len(n.Credentials), len(creds))
				}
				for typ, c := range creds {
					got := n.Credentials[typ]
					switch c := c.(type) {
					case string:
						if got != (CredentialRef{Name: c}) {
							t.Errorf("node %q credential %s = %+v, want name %q", n.Name, typ, got, c)
						}
					case map[string]any:
						if got.ID != c["id"] || got.Name != c["name"] {
							t.Errorf("node %q credential %s = %+v, want %v", n.Name, typ, got, c)
						}
					}
				}
			}
		})
	}
}

// TestParseReferenceDetails checks format details that occur in specific
// reference files.
func TestParseReferenceDetails(t *testing.T) {
	t.Parallel()
	referenceFiles(t)
	load := func(name string) *Workflow { return mustParseFile(t, filepath.Join(referenceDir, name)) }

	basic := load("zoom-create-meeting-basic.json")
	zoom, _ := basic.Node("Zoom")
	if diff := cmp.Diff(map[string]CredentialRef{"zoomOAuth2Api": {}}, zoom.Credentials); diff != "" {
		t.Errorf("plain-string credential (-want +got):\n%s", diff)
	}
	if !zoom.Credentials["zoomOAuth2Api"].IsZero() {
		t.Error(`credential "" should be an empty reference`)
	}
	if got := basic.Connections["Zoom"][MainConnection]; len(got) != 1 || len(got[0]) != 0 {
		t.Errorf(`"Zoom": {"main": [[]]} parsed as %v`, got)
	}
	if string(basic.Settings) != "{}" {
		t.Errorf("Settings = %s, want {}", basic.Settings)
	}

	gcal := load("gcal-to-zoom-meeting.json")
	if gcal.ID != "1" {
		t.Errorf("numeric workflow id parsed as %q, want \"1\"", gcal.ID)
	}
	ifNode, _ := gcal.Node("IF Zoom meeting")
	if !strings.HasPrefix(ifNode.Notes, "filters out:") {
		t.Errorf("notes = %q", ifNode.Notes)
	}

	recurring := load("recurring-zoom-wordpress-slack.json")
	if recurring.ID != "" || recurring.Name != "" {
		t.Errorf("absent id/name parsed as %q/%q", recurring.ID, recurring.Name)
	}
	if slack, _ := recurring.Node("Slack"); slack.TypeVersion != 2.2 {
		t.Errorf("Slack typeVersion = %v, want 2.2", slack.TypeVersion)
	}
	if sched, _ := recurring.Node("Schedule Trigger"); sched.TypeVersion != 1.2 {
		t.Errorf("Schedule Trigger typeVersion = %v, want 1.2", sched.TypeVersion)
	}

	ai := load("zoom-ai-meeting-assistant.json")
	if got := ai.Connections["OpenAI Chat Model"]["ai_languageModel"][0][0]; got != (Connection{Node: "Create tasks and follow-up call", Type: "ai_languageModel"}) {
		t.Errorf("ai_languageModel connection = %+v", got)
	}
	if got := ai.Connections["Create tasks"]["ai_tool"][0][0].Node; got != "Create tasks and follow-up call" {
		t.Errorf("ai_tool connection target = %q", got)
	}
	trig, _ := ai.Node("Execute Workflow Trigger")
	if !trig.Disabled {
		t.Error("Execute Workflow Trigger should be disabled")
	}
	if n, _ := ai.Node("Zoom: Get transcripts data"); n.ErrorMode() != OnErrorContinueError {
		t.Errorf("ErrorMode = %q", n.ErrorMode())
	}
	pins := ai.PinData["Execute Workflow Trigger"]
	if len(pins) != 1 || !strings.HasPrefix(compact(t, pins[0]), `{"query":{"items":[{"name":"Partner abtelefonieren"`) {
		t.Errorf("pinData not unwrapped from {\"json\": …}: %s", pins)
	}

	stripe := load("zoom-stripe-paid-meetings.json")
	if n, _ := stripe.Node("Store event"); !n.AlwaysOutputData {
		t.Error("Store event should have alwaysOutputData")
	}
	if n, _ := stripe.Node("Config"); !n.NotesInFlow || n.Notes != "Setup your flow" {
		t.Errorf("Config notes = %q, inFlow %v", n.Notes, n.NotesInFlow)
	}
	if !strings.Contains(string(stripe.Settings), `"executionOrder": "v1"`) {
		t.Errorf("Settings = %s", stripe.Settings)
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		input string
		// want are substrings of the error message.
		want []string
		// line, col: expected location (0: not checked).
		line, col int
	}{
		"empty input": {
			input: "",
			want:  []string{"invalid JSON"},
			line:  1, col: 1,
		},
		"syntax error": {
			input: "{\n  \"nodes\": [\n    {\"name\": \"A\",}\n  ]\n}",
			want:  []string{"line 3:18", "invalid JSON", "invalid character '}'"},
			line:  3, col: 18,
		},
		"not an object": {
			input: `[1, 2]`,
			want:  []string{"document is an array", "workflow export object"},
		},
		"no nodes key": {
			input: `{"name": "W"}`,
			want:  []string{"no nodes"},
		},
		"empty nodes": {
			input: `{"nodes": [], "connections": {}}`,
			want:  []string{"no nodes"},
		},
		"nodes not an array": {
			input: `{"nodes": {"a": 1}}`,
			want:  []string{"nodes", "value is a JSON object; want an array"},
		},
		"node not an object": {
			input: `{"nodes": [42]}`,
			want:  []string{"nodes[0]", "node is a number; want an object"},
		},
		"wrong type names the node": {
			input: "{\"nodes\": [\n {\"name\": \"Start\", \"type\": \"n8n-nodes-base.manualTrigger\"},\n {\"name\": \"Zoom\", \"type\": \"n8n-nodes-base.zoom\",\n  \"typeVersion\": \"1\"}\n]}",
			want:  []string{`node "Zoom"`, "nodes[1].typeVersion", "value is a JSON string; want a number"},
			line:  4,
		},
		"missing name": {
			input: `{"nodes": [{"type": "n8n-nodes-base.noOp"}]}`,
			want:  []string{"nodes[0].name", "no name"},
		},
		"missing type": {
			input: `{"nodes": [{"name": "A"}]}`,
			want:  []string{`node "A"`, "no type"},
		},
		"duplicate names": {
			input: "{\"nodes\": [\n{\"name\": \"A\", \"type\": \"t\"},\n{\"name\": \"B\", \"type\": \"t\"},\n{\"name\": \"A\", \"type\": \"t\"}]}",
			want:  []string{"duplicate node name", `nodes[0] and nodes[2] are both named "A"`},
			line:  4, col: 1,
		},
		"bad credential": {
			input: `{"nodes": [{"name": "Z", "type": "t", "credentials": {"zoomOAuth2Api": 7}}]}`,
			want:  []string{`node "Z"`, "nodes[0].credentials.zoomOAuth2Api", "credential reference is a number"},
		},
		"bad onError": {
			input: `{"nodes": [{"name": "Z", "type": "t", "onError": "ignore"}]}`,
			want:  []string{`node "Z"`, `onError is "ignore"`, "continueRegularOutput"},
		},
		"parameters not an object": {
			input: `{"nodes": [{"name": "Z", "type": "t", "parameters": [1]}]}`,
			want:  []string{`node "Z"`, "parameters is an array"},
		},
		"connection to missing node": {
			input: `{"nodes": [{"name": "A", "type": "t"}], "connections": {"A": {"main": [[{"node": "Ghost", "type": "main", "index": 0}]]}}}`,
			want:  []string{`connections["A"].main[0][0]`, `goes to node "Ghost", which does not exist`},
		},
		"connection from missing node": {
			input: `{"nodes": [{"name": "A", "type": "t"}], "connections": {"Gone": {"main": [[{"node": "A", "type": "main", "index": 0}]]}}}`,
			want:  []string{`connections start at node "Gone", which does not exist`},
		},
		"both missing reported": {
			input: `{"nodes": [{"name": "A", "type": "t"}], "connections": {"A": {"main": [[{"node": "X"}], [{"node": "Y"}]]}}}`,
			want:  []string{`"X"`, `"Y"`, "main output 1"},
		},
		"connections wrong shape": {
			input: "{\"nodes\": [{\"name\": \"A\", \"type\": \"t\"}],\n\"connections\": {\"A\": {\"main\": [{\"node\": \"A\"}]}}}",
			want:  []string{"connections", "want an array"},
			line:  2,
		},
		"pinned item not an object": {
			input: `{"nodes": [{"name": "A", "type": "t"}], "pinData": {"A": [3]}}`,
			want:  []string{`pinData["A"][0]`, "want an object"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			wf, err := Parse([]byte(tc.input))
			if err == nil {
				t.Fatalf("Parse succeeded: %+v", wf)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %T is not a *ParseError", err)
			}
			if tc.line != 0 && pe.Line != tc.line {
				t.Errorf("line = %d, want %d (%v)", pe.Line, tc.line, err)
			}
			if tc.col != 0 && pe.Column != tc.col {
				t.Errorf("column = %d, want %d (%v)", pe.Column, tc.col, err)
			}
		})
	}
}

func TestParseCredentialForms(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		creds string
		want  CredentialRef
	}{
		"object":        {`{"id": "7", "name": "Zoom account"}`, CredentialRef{ID: "7", Name: "Zoom account"}},
		"numeric id":    {`{"id": 12, "name": "Old"}`, CredentialRef{ID: "12", Name: "Old"}},
		"plain string":  {`"Zoom account"`, CredentialRef{Name: "Zoom account"}},
		"empty string":  {`""`, CredentialRef{}},
		"null":          {`null`, CredentialRef{}},
		"extra fields":  {`{"id": "1", "name": "n", "x": true}`, CredentialRef{ID: "1", Name: "n"}},
		"name only obj": {`{"name": "n"}`, CredentialRef{Name: "n"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			wf := mustParse(t, []byte(`{"nodes": [{"name": "Z", "type": "t", "credentials": {"zoomOAuth2Api": `+tc.creds+`}}]}`))
			if diff := cmp.Diff(tc.want, wf.Nodes[0].Credentials["zoomOAuth2Api"]); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseDefaultsAndUnknownFields(t *testing.T) {
	t.Parallel()
	wf := mustParse(t, []byte(`{"nodes": [{"name": "A", "type": "t", "parameters": null, "somethingNew": {"x": 1}, "position": [1, 2, 3]}],
		"connections": {"A": {"main": [null, [{"node": "A", "index": 0}]]}}, "futureField": 1}`))
	n := wf.Nodes[0]
	if n.TypeVersion != 1 {
		t.Errorf("default typeVersion = %v, want 1", n.TypeVersion)
	}
	if string(n.Parameters) != "{}" {
		t.Errorf("null parameters = %s, want {}", n.Parameters)
	}
	if n.Position != (Position{1, 2}) {
		t.Errorf("position = %v", n.Position)
	}
	if got := wf.Connections["A"][MainConnection][1][0].Type; got != MainConnection {
		t.Errorf("connection type defaults to %q, want main", got)
	}
	if n.ErrorMode() != OnErrorStop {
		t.Errorf("ErrorMode = %q", n.ErrorMode())
	}
	legacy := Node{ContinueOnFail: true}
	if legacy.ErrorMode() != OnErrorContinueRegular {
		t.Errorf("continueOnFail ErrorMode = %q", legacy.ErrorMode())
	}
	explicit := Node{ContinueOnFail: true, OnError: OnErrorStop}
	if explicit.ErrorMode() != OnErrorStop {
		t.Errorf("onError should win over continueOnFail, got %q", explicit.ErrorMode())
	}
}

func TestParseByteOrderMark(t *testing.T) {
	t.Parallel()
	wf := mustParse(t, []byte("\xef\xbb\xbf"+`{"nodes": [{"name": "A", "type": "t"}]}`))
	if wf.Nodes[0].Name != "A" {
		t.Errorf("nodes = %+v", wf.Nodes)
	}
}

func TestDecodeJSONKeepsNumbers(t *testing.T) {
	t.Parallel()
	var v map[string]any
	if err := DecodeJSON(json.RawMessage(`{"id": 1234567890123456789, "d": 85746065432}`), &v); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]any{"id": json.Number("1234567890123456789"), "d": json.Number("85746065432")}, v); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if err := DecodeJSON(json.RawMessage(`{} {}`), &v); err == nil {
		t.Error("trailing data accepted")
	}
}

func FuzzParse(f *testing.F) {
	for _, path := range fuzzSeeds() {
		f.Add(readFile(f, path))
	}
	f.Add([]byte(`{"nodes": [{"name": "A", "type": "t", "credentials": {"x": ""}}], "connections": {"A": {"main": [[]]}}}`))
	f.Add([]byte(`{"nodes": [{"name": "A", "type": "t"}], "pinData": {"A": [{"json": {}}]}}`))
	f.Add([]byte("{\n\"nodes\": [\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		wf, err := Parse(data)
		if err != nil {
			if wf != nil {
				t.Fatal("workflow returned with an error")
			}
			if err.Error() == "" {
				t.Fatal("empty error message")
			}
			return
		}
		if len(wf.Nodes) == 0 {
			t.Fatal("workflow without nodes accepted")
		}
		seen := map[string]bool{}
		for _, n := range wf.Nodes {
			if n.Name == "" || n.Type == "" || seen[n.Name] {
				t.Fatalf("bad node accepted: %+v", n)
			}
			seen[n.Name] = true
			if !json.Valid(n.Parameters) {
				t.Fatalf("node %q parameters invalid: %q", n.Name, n.Parameters)
			}
		}
		for src, kinds := range wf.Connections {
			if !seen[src] {
				t.Fatalf("connection from unknown node %q accepted", src)
			}
			for _, outs := range kinds {
				for _, out := range outs {
					for _, c := range out {
						if !seen[c.Node] {
							t.Fatalf("connection to unknown node %q accepted", c.Node)
						}
					}
				}
			}
		}
	})
}

// fuzzSeeds returns the reference workflows and local testdata workflows.
func fuzzSeeds() []string {
	local, _ := filepath.Glob(filepath.Join("testdata", "*.json"))
	ref, _ := filepath.Glob(filepath.Join(referenceDir, "*.json"))
	return append(local, ref...)
}
