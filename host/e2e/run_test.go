package e2e_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/nodeplug/nodeplug/zoomsandbox"
)

// meetingID matches a Zoom meeting ID as printed: an 11-digit integer.
var meetingID = regexp.MustCompile(`^[1-9][0-9]{10}$`)

// TestRunExamples runs the two example workflows with a connected OAuth2
// credential and reads them back from the execution history.
func TestRunExamples(t *testing.T) {
	t.Parallel()
	sb := startSandbox(t)
	e := newNP(t)
	e.createCred("zoomOAuth2Api", "Zoom account", sb.oauth2JSON())
	e.connect("Zoom account")

	r := e.run("", "run", example("zoom-create-meeting.json")).ok(t)
	items := decodeItems(t, r.stdout)
	if len(items) != 1 {
		t.Fatalf("zoom-create-meeting: %d items, want 1:\n%s", len(items), r.stdout)
	}
	id, _ := items[0]["id"].(json.Number)
	if !meetingID.MatchString(id.String()) || !regexp.MustCompile(`"id": `+id.String()+`,?\n`).MatchString(r.stdout) {
		t.Fatalf("meeting id %q is not an 11-digit integer printed as is:\n%s", id, r.stdout)
	}
	if items[0]["topic"] != "nodeplug demo: weekly sync" || items[0]["timezone"] != "Europe/Berlin" {
		t.Errorf("created meeting = %v", items[0])
	}
	status, m := sb.Meeting(id.String())
	if status != 200 || m["id"] != id || m["topic"] != "nodeplug demo: weekly sync" {
		t.Errorf("the sandbox has meeting %s as %d %v", id, status, m)
	}
	if !strings.Contains(r.stderr, `✓ execution 1 of "Create a Zoom meeting" succeeded`) {
		t.Errorf("run summary: %q", r.stderr)
	}

	r = e.run("", "run", example("zoom-meeting-lifecycle.json"), "--all").ok(t)
	var all map[string][][]map[string]any
	dec := json.NewDecoder(strings.NewReader(r.stdout))
	dec.UseNumber()
	if err := dec.Decode(&all); err != nil {
		t.Fatalf("run --all: %v\n%s", err, r.stdout)
	}
	nodes := []string{"When clicking 'Execute workflow'", "Create meeting", "Get meeting", "Update meeting", "List meetings", "Delete meeting"}
	var names []string
	for k := range all {
		names = append(names, k)
	}
	if diff := cmp.Diff(nodes, names, cmpSorted); diff != "" {
		t.Fatalf("nodes in --all (-want +got):\n%s", diff)
	}
	one := func(node string) map[string]any {
		t.Helper()
		if len(all[node]) != 1 || len(all[node][0]) != 1 {
			t.Fatalf("node %s: outputs %v, want one item", node, all[node])
		}
		return all[node][0][0]
	}
	created := one("Create meeting")
	lid, _ := created["id"].(json.Number)
	if !meetingID.MatchString(lid.String()) || lid == id {
		t.Fatalf("lifecycle meeting id %q", lid)
	}
	if got := one("Get meeting"); got["id"] != lid || got["topic"] != "nodeplug lifecycle demo" {
		t.Errorf("Get meeting = %v", got)
	}
	success := map[string]any{"success": true}
	for _, n := range []string{"Update meeting", "Delete meeting"} {
		if diff := cmp.Diff(success, one(n)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", n, diff)
		}
	}
	listed := map[string]string{}
	for _, it := range all["List meetings"][0] {
		n, _ := it["id"].(json.Number)
		listed[n.String()], _ = it["topic"].(string)
	}
	if listed[lid.String()] != "Renamed: nodeplug lifecycle demo" || listed[id.String()] != "nodeplug demo: weekly sync" {
		t.Errorf("List meetings after the update = %v", listed)
	}
	if status, _ := sb.Meeting(lid.String()); status != 404 {
		t.Errorf("the deleted meeting answers %d", status)
	}
	if st := sb.Stats(); st.Meetings != 1 {
		t.Errorf("the sandbox holds %d meetings, want 1", st.Meetings)
	}

	es := e.executions()
	var got []execution
	for _, x := range es {
		got = append(got, execution{ID: x.ID, WorkflowName: x.WorkflowName, Status: x.Status})
	}
	if diff := cmp.Diff([]execution{{ID: 2, WorkflowName: "Zoom meeting lifecycle", Status: "success"}, {ID: 1, WorkflowName: "Create a Zoom meeting", Status: "success"}}, got); diff != "" {
		t.Errorf("executions list (-want +got):\n%s", diff)
	}
	r = e.run("", "executions", "list").ok(t)
	if !strings.Contains(r.stdout, "Zoom meeting lifecycle") || !strings.Contains(r.stdout, "success") {
		t.Errorf("executions list:\n%s", r.stdout)
	}
	r = e.run("", "executions", "show", "2", "-o", "json").ok(t)
	var show struct {
		ID     int64
		Status string `json:"status"`
		Nodes  []struct {
			Name    string `json:"name"`
			Status  string `json:"status"`
			Outputs [][]struct {
				JSON       map[string]any `json:"json"`
				PairedItem int            `json:"pairedItem"`
			} `json:"outputs"`
			Error string `json:"error"`
		} `json:"nodes"`
	}
	dec = json.NewDecoder(strings.NewReader(r.stdout))
	dec.UseNumber()
	if err := dec.Decode(&show); err != nil {
		t.Fatalf("executions show -o json: %v\n%s", err, r.stdout)
	}
	if show.Status != "success" || len(show.Nodes) != len(nodes) {
		t.Fatalf("executions show 2: status %q, %d nodes", show.Status, len(show.Nodes))
	}
	for i, n := range show.Nodes {
		if n.Name != nodes[i] || n.Status != "success" || len(n.Outputs) != 1 || len(n.Outputs[0]) == 0 {
			t.Errorf("node %d: %s %s outputs %v", i, n.Name, n.Status, n.Outputs)
		}
	}
	if got := show.Nodes[1].Outputs[0][0]; got.JSON["id"] != lid || got.PairedItem != 0 {
		t.Errorf("the history has the created meeting as %+v, want id %s paired to item 0", got, lid)
	}
	r = e.run("", "executions", "show", "2").ok(t)
	if !strings.Contains(r.stdout, "● Create meeting") || !strings.Contains(r.stdout, lid.String()) {
		t.Errorf("executions show 2:\n%s", r.stdout)
	}
}

// referenceDir is the public n8n exports of ../shared/reference.
func referenceDir(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(bins.repo, "..", "shared", "reference", "n8n-zoom-workflows")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("reference workflows absent (%s): %v", dir, err)
	}
	return dir
}

// referenceUnsupported lists, per reference workflow, every node nodeplug
// must refuse (not sticky notes, not disabled, not the manual trigger, No
// Operation or the Zoom node v1). nil: the workflow must run.
var referenceUnsupported = map[string][]string{
	"zoom-create-meeting-basic.json": nil,
	"gcal-to-zoom-meeting.json": {
		`"Cron Once a Day" (n8n-nodes-base.cron v1)`,
		`"Date & Time" (n8n-nodes-base.dateTime v1)`,
		`"Google Calendar" (n8n-nodes-base.googleCalendar v1)`,
		`"IF Zoom meeting" (n8n-nodes-base.if v1)`,
	},
	"recurring-zoom-wordpress-slack.json": {
		`"Schedule Trigger" (n8n-nodes-base.scheduleTrigger v1.2)`,
		`"Slack" (n8n-nodes-base.slack v2.2)`,
		`"Wordpress" (n8n-nodes-base.wordpress v1)`,
	},
	"zoom-ai-meeting-assistant.json": {
		`"ClickUp" (n8n-nodes-base.clickUp v1)`,
		`"Create follow-up call" (n8n-nodes-base.microsoftOutlookTool v2)`,
		`"Create meeting summary" (@n8n/n8n-nodes-langchain.openAi v1.8)`,
		`"Create tasks" (@n8n/n8n-nodes-langchain.toolWorkflow v1.3)`,
		`"Create tasks and follow-up call" (@n8n/n8n-nodes-langchain.agent v1.7)`,
		`"Extract text from transcript file" (n8n-nodes-base.extractFromFile v1)`,
		`"Filter transcript URL" (n8n-nodes-base.set v3.4)`,
		`"Filter: Last 24 hours" (n8n-nodes-base.filter v2.2)`,
		`"Filter: Only 1 item" (n8n-nodes-base.splitInBatches v3)`,
		`"Format to html" (n8n-nodes-base.code v2)`,
		`"Format transcript text" (n8n-nodes-base.set v3.4)`,
		`"No Recording/Transcript available" (n8n-nodes-base.stopAndError v1)`,
		`"OpenAI Chat Model" (@n8n/n8n-nodes-langchain.lmChatOpenAi v1)`,
		`"Send meeting summary" (n8n-nodes-base.emailSend v2.1)`,
		`"Sort for mail delivery" (n8n-nodes-base.set v3.4)`,
		`"Split Out" (n8n-nodes-base.splitOut v1)`,
		`"Zoom: Get participants data" (n8n-nodes-base.httpRequest v4.2)`,
		`"Zoom: Get transcript file" (n8n-nodes-base.httpRequest v4.2)`,
		`"Zoom: Get transcripts data" (n8n-nodes-base.httpRequest v4.2)`,
	},
	"zoom-ai-meeting-assistant-variant.json": {
		`"Anthropic Chat Model" (@n8n/n8n-nodes-langchain.lmChatAnthropic v1.3)`,
		`"ClickUp" (n8n-nodes-base.clickUp v1)`,
		`"Create follow-up call" (n8n-nodes-base.microsoftOutlookTool v2)`,
		`"Create meeting summary" (@n8n/n8n-nodes-langchain.agent v1.9)`,
		`"Create tasks" (@n8n/n8n-nodes-langchain.toolWorkflow v1.3)`,
		`"Create tasks and follow-up call" (@n8n/n8n-nodes-langchain.agent v1.7)`,
		`"Extract text from transcript file" (n8n-nodes-base.extractFromFile v1)`,
		`"Filter transcript URL" (n8n-nodes-base.set v3.4)`,
		`"Filter: Last 24 hours" (n8n-nodes-base.filter v2.2)`,
		`"Filter: Only 1 item" (n8n-nodes-base.splitInBatches v3)`,
		`"Format to html" (n8n-nodes-base.code v2)`,
		`"Format transcript text" (n8n-nodes-base.set v3.4)`,
		`"No Recording/Transcript available" (n8n-nodes-base.stopAndError v1)`,
		`"Send meeting summary" (n8n-nodes-base.emailSend v2.1)`,
		`"Sort for mail delivery" (n8n-nodes-base.set v3.4)`,
		`"Split Out" (n8n-nodes-base.splitOut v1)`,
		`"Think" (@n8n/n8n-nodes-langchain.toolThink v1)`,
		`"Zoom: Get participants data" (n8n-nodes-base.httpRequest v4.2)`,
		`"Zoom: Get transcript file" (n8n-nodes-base.httpRequest v4.2)`,
		`"Zoom: Get transcripts data" (n8n-nodes-base.httpRequest v4.2)`,
	},
	"zoom-stripe-paid-meetings.json": {
		`"Add participant to list" (n8n-nodes-base.googleSheets v4.3)`,
		`"Config" (n8n-nodes-base.set v3.3)`,
		`"Create Stripe Product" (n8n-nodes-base.httpRequest v4.1)`,
		`"Create participant list" (n8n-nodes-base.googleSheets v4.3)`,
		`"Create payment link" (n8n-nodes-base.httpRequest v4.1)`,
		`"Creation Form" (n8n-nodes-base.formTrigger v2)`,
		`"Format event" (n8n-nodes-base.set v3.3)`,
		`"Format participant" (n8n-nodes-base.set v3.3)`,
		`"Notify teacher" (n8n-nodes-base.gmail v2.1)`,
		`"Send confirmation to participant" (n8n-nodes-base.gmail v2.1)`,
		`"Send email to teacher" (n8n-nodes-base.gmail v2.1)`,
		`"Store event" (n8n-nodes-base.googleSheets v4.3)`,
		`"if is creation flow" (n8n-nodes-base.if v2)`,
	},
}

// TestReferenceWorkflows runs every public n8n export: each either runs or
// is refused before anything runs with the list of its unsupported nodes.
func TestReferenceWorkflows(t *testing.T) {
	t.Parallel()
	dir := referenceDir(t)
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no reference workflows in %s: %v", dir, err)
	}
	var names []string
	for _, f := range files {
		names = append(names, filepath.Base(f))
	}
	var known []string
	for k := range referenceUnsupported {
		known = append(known, k)
	}
	if diff := cmp.Diff(known, names, cmpSorted); diff != "" {
		t.Errorf("reference workflows changed (-expected by this test +present):\n%s", diff)
	}

	sb := startSandbox(t)
	e := newNP(t)
	// The only OAuth2 credential, named unlike anything in the exports; an
	// S2S one beside it must not make the empty reference ambiguous.
	e.createCred("zoomOAuth2Api", "My Zoom", sb.oauth2JSON())
	e.connect("My Zoom")
	e.createCred("zoomServerToServerOAuthApi", "Zoom S2S", sb.s2sJSON(""))
	sort.Strings(names)
	for _, name := range names {
		want, ok := referenceUnsupported[name]
		if !ok {
			continue
		}
		t.Run(name, func(t *testing.T) {
			sb.ResetRequests()
			before := len(e.executions())
			meetings := sb.Stats().Meetings
			r := e.run("", "run", filepath.Join(dir, name))
			if want == nil {
				r.ok(t)
				items := decodeItems(t, r.stdout)
				if len(items) != 1 || items[0]["topic"] != "Something" {
					t.Errorf("%s ran with items %v", name, items)
				}
				if got := sb.Stats().Meetings; got != meetings+1 {
					t.Errorf("meetings %d → %d", meetings, got)
				}
				return
			}
			r.fails(t, 1)
			var listed []string
			for _, l := range strings.Split(r.stderr, "\n") {
				if s, ok := strings.CutPrefix(l, "  - "); ok {
					listed = append(listed, s)
				}
			}
			if diff := cmp.Diff(want, listed); diff != "" {
				t.Errorf("unsupported nodes listed (-want +got):\n%s\nstderr:\n%s", diff, r.stderr)
			}
			if !strings.Contains(r.stderr, "does not support") {
				t.Errorf("stderr does not say what is wrong:\n%s", r.stderr)
			}
			if rs := sb.Requests(); len(rs) != 0 {
				t.Errorf("the sandbox received %v for a refused workflow", rs)
			}
			if after := len(e.executions()); after != before {
				t.Errorf("a refused workflow was recorded: %d → %d executions", before, after)
			}
		})
	}
}

// TestMissingCredential: a workflow whose credential does not exist is
// refused, naming the node and the type, before anything runs;
// --credential TYPE=NAME chooses another credential (here an S2S one for an
// OAuth2 workflow).
func TestMissingCredential(t *testing.T) {
	t.Parallel()
	sb := startSandbox(t)
	e := newNP(t)
	check := func(r result, want ...string) {
		t.Helper()
		r.fails(t, 1)
		for _, w := range want {
			if !strings.Contains(r.stderr, w) {
				t.Errorf("stderr does not contain %q:\n%s", w, r.stderr)
			}
		}
		if rs := sb.Requests(); len(rs) != 0 {
			t.Errorf("the sandbox received %v", rs)
		}
		if es := e.executions(); len(es) != 0 {
			t.Errorf("executions were recorded: %v", es)
		}
	}
	wf := example("zoom-create-meeting.json")
	check(e.run("", "run", wf), `node "Create meeting" needs a zoomOAuth2Api credential`, "nothing was run", "nodeplug credentials create --type zoomOAuth2Api")

	e.createCred("zoomServerToServerOAuthApi", "Zoom S2S", sb.s2sJSON(""))
	check(e.run("", "run", wf), `node "Create meeting" needs a zoomOAuth2Api credential`)
	check(e.run("", "run", wf, "--credential", "zoomOAuth2Api=nosuch"), "--credential zoomOAuth2Api=nosuch names no stored credential")
	check(e.run("", "run", wf, "--credential", "zoomOAuth2Api"), "TYPE=NAME")

	r := e.run("", "run", wf, "--credential", "zoomOAuth2Api=Zoom S2S").ok(t)
	items := decodeItems(t, r.stdout)
	if len(items) != 1 || !meetingID.MatchString(string(items[0]["id"].(json.Number))) {
		t.Errorf("run with the override: %v", items)
	}
	if st := sb.Stats(); st.TokenGrants[zoomsandbox.GrantAccountCredentials] != 1 || st.Meetings != 1 {
		t.Errorf("the override did not use the S2S credential: grants %v, meetings %d", st.TokenGrants, st.Meetings)
	}
}

// TestZoomErrorIsActionable: getting a meeting that does not exist fails the
// run with a message naming the node, the meeting ID and "not found".
func TestZoomErrorIsActionable(t *testing.T) {
	t.Parallel()
	sb := startSandbox(t)
	e := newNP(t)
	e.createCred("zoomServerToServerOAuthApi", "Zoom S2S", sb.s2sJSON(""))
	const missing = "81234567890"
	wf := writeWorkflow(t, "Get a missing meeting", "zoomServerToServerOAuthApi", "Zoom S2S",
		zoomNode{Name: "Get missing meeting", Params: map[string]any{"operation": "get", "meetingId": missing}})
	r := e.run("", "run", wf).fails(t, 1)
	for _, want := range []string{`"Get missing meeting"`, missing, "not found"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr does not contain %q:\n%s", want, r.stderr)
		}
	}
	es := e.executions()
	if len(es) != 1 || es[0].Status != "error" || !strings.Contains(es[0].Error, missing) {
		t.Errorf("executions = %+v", es)
	}
}
