package workflow

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// runFile plans and runs a testdata workflow.
func runFile(t *testing.T, file string) (*RunResult, *testRegistry, *recorder, error) {
	t.Helper()
	return runWorkflow(t, mustParseFile(t, filepath.Join("testdata", file)))
}

func runWorkflow(t *testing.T, wf *Workflow) (*RunResult, *testRegistry, *recorder, error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	reg := &testRegistry{cancel: cancel}
	plan, err := Plan(wf, reg, PlanOptions{})
	if err != nil {
		t.Fatalf("Plan: %v", err)
	}
	rec := &recorder{}
	res, err := Run(ctx, plan, rec)
	if res == nil {
		t.Fatal("Run returned no result")
	}
	if res.Err != err {
		t.Errorf("RunResult.Err = %v, Run returned %v", res.Err, err)
	}
	return res, reg, rec, err
}

func TestRunChain(t *testing.T) {
	t.Parallel()
	res, reg, rec, err := runFile(t, "chain.json")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"Start", "Pass", "Make", "Echo"}, res.Order); diff != "" {
		t.Errorf("order (-want +got):\n%s", diff)
	}
	if res.LastNode != "Echo" {
		t.Errorf("LastNode = %q", res.LastNode)
	}
	want := map[string][][]simpleItem{
		"Start": {{{JSON: `{}`, Paired: -1}}},
		"Pass":  {{{JSON: `{}`, Paired: 0}}},
		"Make": {{
			{JSON: `{"id":85746065432,"topic":"A","host":{"email":"a@example.com"}}`, Paired: 0},
			{JSON: `{"id":1234567890123456789,"topic":"B <b>&</b>","host":{"email":"b@example.com"}}`, Paired: 0},
		}},
		"Echo": {{
			{JSON: `{"meetingId":85746065432,"label":"Meeting A (85746065432)","host":{"email":"a@example.com"},` +
				`"fromMake":"a@example.com","legacy":"A","literal":"no braces","untouched":12.50,"missing":null}`, Paired: 0},
			{JSON: `{"meetingId":1234567890123456789,"label":"Meeting B <b>&</b> (1234567890123456789)","host":{"email":"b@example.com"},` +
				`"fromMake":"b@example.com","legacy":"B <b>&</b>","literal":"no braces","untouched":12.50,"missing":null}`, Paired: 1},
		}},
	}
	got := map[string][][]simpleItem{}
	for name, outs := range res.Nodes {
		got[name] = simplify(t, outs)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("outputs (-want +got):\n%s", diff)
	}

	starts := reg.callsOf("Start")
	if len(starts) != 1 || starts[0].Items != nil || starts[0].Parameters != nil {
		t.Errorf("start node call = %+v, want one call without items", starts)
	}
	echoes := reg.callsOf("Echo")
	if len(echoes) != 1 || len(echoes[0].Items) != 2 || len(echoes[0].Parameters) != 2 {
		t.Fatalf("Echo calls = %+v", echoes)
	}
	if echoes[0].Node.Name != "Echo" || echoes[0].Node.Type != echoType {
		t.Errorf("call.Node = %+v", echoes[0].Node)
	}

	wantEvents := []event{
		{Kind: "started", Node: "Start", Items: 0}, {Kind: "finished", Node: "Start", Items: 1},
		{Kind: "started", Node: "Pass", Items: 1}, {Kind: "finished", Node: "Pass", Items: 1},
		{Kind: "started", Node: "Make", Items: 1}, {Kind: "finished", Node: "Make", Items: 2},
		{Kind: "started", Node: "Echo", Items: 2}, {Kind: "finished", Node: "Echo", Items: 2},
	}
	if diff := cmp.Diff(wantEvents, rec.events); diff != "" {
		t.Errorf("observer events (-want +got):\n%s", diff)
	}
}

func TestRunBranch(t *testing.T) {
	t.Parallel()
	res, _, _, err := runFile(t, "branch.json")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"Start", "Make", "Route", "Top", "Top child", "Bottom", "Join"}, res.Order); diff != "" {
		t.Errorf("order (-want +got):\n%s", diff)
	}
	if res.LastNode != "Join" {
		t.Errorf("LastNode = %q", res.LastNode)
	}
	want := map[string][][]simpleItem{
		"Route": {
			{{JSON: `{"name":"one","route":0}`, Paired: 0}, {JSON: `{"name":"three","route":0}`, Paired: 2}},
			{{JSON: `{"name":"two","route":1}`, Paired: 1}},
		},
		"Top":    {{{JSON: `{"side":"top one","name":"one"}`, Paired: 0}, {JSON: `{"side":"top three","name":"three"}`, Paired: 1}}},
		"Bottom": {{{JSON: `{"side":"bottom two","name":"two"}`, Paired: 0}}},
		// Join runs once, after both parents, with Top's items then Bottom's;
		// paired items lead back through each branch to Route and Make.
		"Join": {{
			{JSON: `{"side":"top one","made":"one","routed":0}`, Paired: 0},
			{JSON: `{"side":"top three","made":"three","routed":0}`, Paired: 1},
			{JSON: `{"side":"bottom two","made":"two","routed":1}`, Paired: 2},
		}},
	}
	for name, w := range want {
		if diff := cmp.Diff(w, simplify(t, res.Nodes[name])); diff != "" {
			t.Errorf("%s outputs (-want +got):\n%s", name, diff)
		}
	}
	if _, ok := res.Nodes["Note"]; ok {
		t.Error("sticky note ran")
	}
}

func TestRunZeroItems(t *testing.T) {
	t.Parallel()
	res, reg, _, err := runFile(t, "zero-items.json")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"Start", "Empty", "Empty always", "After"}, res.Order); diff != "" {
		t.Errorf("order (-want +got):\n%s", diff)
	}
	if _, ran := res.Nodes["Never"]; ran || len(reg.callsOf("Never")) != 0 {
		t.Error("a node without input items ran")
	}
	want := map[string][][]simpleItem{
		"Empty":        {{}},
		"Empty always": {{{JSON: `{}`, Paired: 0}}},
		"After":        {{{JSON: `{"seen":"yes","input":{}}`, Paired: 0}}},
	}
	for name, w := range want {
		if diff := cmp.Diff(w, simplify(t, res.Nodes[name])); diff != "" {
			t.Errorf("%s outputs (-want +got):\n%s", name, diff)
		}
	}
}

func TestRunOnErrorContinue(t *testing.T) {
	t.Parallel()
	res, reg, _, err := runFile(t, "onerror.json")
	if err != nil {
		t.Fatal(err)
	}
	wantOrder := []string{"Start", "Make", "Fail items regular", "After regular", "Fail node legacy", "After legacy",
		"Fail items error output", "OK branch", "Error branch", "Bad data"}
	if diff := cmp.Diff(wantOrder, res.Order); diff != "" {
		t.Errorf("order (-want +got):\n%s", diff)
	}
	badData := `{"error":"node \"Bad data\", parameter \"deep\": expression \"{{ $json.missing.deep }}\": cannot read \"deep\" of undefined: missing is not set"}`
	want := map[string][][]simpleItem{
		"Fail items regular": {{{JSON: `{"n":1}`, Paired: 0}, {JSON: `{"n":3}`, Paired: 2}, {JSON: `{"error":"n=2 is bad"}`, Paired: 1}}},
		"After regular":      {{{JSON: `{"n":1}`, Paired: 0}, {JSON: `{"n":3}`, Paired: 1}, {JSON: `{"error":"n=2 is bad"}`, Paired: 2}}},
		"Fail node legacy":   {{{JSON: `{"error":"boom"}`, Paired: 0}, {JSON: `{"error":"boom"}`, Paired: 1}, {JSON: `{"error":"boom"}`, Paired: 2}}},
		"After legacy":       {{{JSON: `{"error":"boom"}`, Paired: 0}, {JSON: `{"error":"boom"}`, Paired: 1}, {JSON: `{"error":"boom"}`, Paired: 2}}},
		"Fail items error output": {
			{{JSON: `{"n":1}`, Paired: 0}, {JSON: `{"n":3}`, Paired: 2}},
			{{JSON: `{"error":"n=2 is bad"}`, Paired: 1}},
		},
		"OK branch":    {{{JSON: `{"n":1}`, Paired: 0}, {JSON: `{"n":3}`, Paired: 1}}},
		"Error branch": {{{JSON: `{"error":"n=2 is bad"}`, Paired: 0}}},
		"Bad data":     {{{JSON: badData, Paired: 0}, {JSON: badData, Paired: 1}, {JSON: badData, Paired: 2}}},
	}
	for name, w := range want {
		if diff := cmp.Diff(w, simplify(t, res.Nodes[name])); diff != "" {
			t.Errorf("%s outputs (-want +got):\n%s", name, diff)
		}
	}
	if n := len(reg.callsOf("Bad data")); n != 0 {
		t.Errorf("Bad data executed %d times although no item resolved", n)
	}
}

// chainJSON builds a workflow Start → Make (emitting items) → each of
// nodes in turn, in one chain.
func chainJSON(items string, nodes ...string) []byte {
	var b strings.Builder
	b.WriteString(`{"name": "inline", "nodes": [
		{"name": "Start", "type": "n8n-nodes-base.manualTrigger"},
		{"name": "Make", "type": "nodeplug-test.emit", "parameters": {"items": ` + items + `}}`)
	names := []string{"Start", "Make"}
	for _, n := range nodes {
		b.WriteString(",\n" + n)
		var named struct{ Name string }
		_ = json.Unmarshal([]byte(n), &named)
		names = append(names, named.Name)
	}
	b.WriteString(`], "connections": {`)
	for i := 0; i+1 < len(names); i++ {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(`"` + names[i] + `": {"main": [[{"node": "` + names[i+1] + `", "type": "main", "index": 0}]]}`)
	}
	b.WriteString("}}")
	return []byte(b.String())
}

func TestRunFailureStopsTheRun(t *testing.T) {
	t.Parallel()
	after := `{"name": "After", "type": "n8n-nodes-base.noOp"}`
	tests := map[string]struct {
		node   string
		reason []string
	}{
		"node error": {
			node:   `{"name": "Bad", "type": "nodeplug-test.fail", "parameters": {"mode": "node"}}`,
			reason: []string{`node "Bad" (nodeplug-test.fail) failed: boom`},
		},
		"item errors": {
			node:   `{"name": "Bad", "type": "nodeplug-test.fail", "onError": "stopWorkflow", "parameters": {"mode": "items", "fail": "={{ $json.fail }}", "n": "={{ $json.n }}"}}`,
			reason: []string{`node "Bad" (nodeplug-test.fail) failed: item 1: n=2 is bad`},
		},
		"expression error": {
			node:   `{"name": "Bad", "type": "nodeplug-test.echo", "parameters": {"x": {"y": "={{ $json.nope.deeper }}"}}}`,
			reason: []string{`failed: item 0: node "Bad", parameter "x.y"`, `cannot read "deeper" of undefined`},
		},
		"executor panics": {
			node:   `{"name": "Bad", "type": "nodeplug-test.panic", "continueOnFail": false}`,
			reason: []string{"panicked: kaboom"},
		},
		"item not an object": {
			node:   `{"name": "Bad", "type": "nodeplug-test.bad"}`,
			reason: []string{"output 0 item 0", "an item must be a JSON object"},
		},
		"invalid item even when continuing": {
			node:   `{"name": "Bad", "type": "nodeplug-test.bad", "onError": "continueRegularOutput"}`,
			reason: []string{"an item must be a JSON object"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			wf := mustParse(t, chainJSON(`[{"n": 1}, {"n": 2, "fail": true}]`, tc.node, after))
			res, _, rec, err := runWorkflow(t, wf)
			var ne *NodeError
			if !errors.As(err, &ne) || ne.Node.Name != "Bad" {
				t.Fatalf("err = %v, want a *NodeError for Bad", err)
			}
			for _, r := range tc.reason {
				if !strings.Contains(err.Error(), r) {
					t.Errorf("error %q does not contain %q", err, r)
				}
			}
			if diff := cmp.Diff([]string{"Start", "Make", "Bad"}, res.Order); diff != "" {
				t.Errorf("order (-want +got):\n%s", diff)
			}
			if res.LastNode != "Make" {
				t.Errorf("LastNode = %q, want Make (the last node that succeeded)", res.LastNode)
			}
			if _, ok := res.Nodes["Bad"]; ok {
				t.Error("failed node has outputs")
			}
			last := rec.events[len(rec.events)-1]
			if last != (event{Kind: "finished", Node: "Bad", Failed: true}) {
				t.Errorf("last observer event = %+v", last)
			}
		})
	}
}

func TestRunCancellation(t *testing.T) {
	t.Parallel()
	t.Run("between nodes", func(t *testing.T) {
		t.Parallel()
		wf := mustParse(t, chainJSON(`[{}]`, `{"name": "Cancel", "type": "nodeplug-test.cancel"}`, `{"name": "After", "type": "n8n-nodes-base.noOp"}`))
		res, reg, _, err := runWorkflow(t, wf)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
		if !strings.Contains(err.Error(), `before node "After"`) {
			t.Errorf("error %q does not name the next node", err)
		}
		if diff := cmp.Diff([]string{"Start", "Make", "Cancel"}, res.Order); diff != "" {
			t.Errorf("order (-want +got):\n%s", diff)
		}
		if len(reg.callsOf("After")) != 0 {
			t.Error("a node ran after cancellation")
		}
	})
	t.Run("before the start", func(t *testing.T) {
		t.Parallel()
		wf := mustParse(t, chainJSON(`[{}]`))
		plan, err := Plan(wf, &testRegistry{}, PlanOptions{})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		res, err := Run(ctx, plan, nil)
		if !errors.Is(err, context.Canceled) || len(res.Order) != 0 {
			t.Errorf("err = %v, order %v", err, res.Order)
		}
	})
}

func TestRunExecuteOnce(t *testing.T) {
	t.Parallel()
	wf := mustParse(t, chainJSON(`[{"n": 1}, {"n": 2}, {"n": 3}]`,
		`{"name": "Once", "type": "nodeplug-test.echo", "executeOnce": true, "parameters": {"n": "={{ $json.n }}"}}`))
	res, reg, _, err := runWorkflow(t, wf)
	if err != nil {
		t.Fatal(err)
	}
	calls := reg.callsOf("Once")
	if len(calls) != 1 || len(calls[0].Items) != 1 {
		t.Fatalf("calls = %+v, want one call with one item", calls)
	}
	if diff := cmp.Diff([][]simpleItem{{{JSON: `{"n":1}`, Paired: 0}}}, simplify(t, res.Nodes["Once"])); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestRunPairedVersusLegacyLookup shows the two ways to reach an earlier
// node: $('Make').item follows paired items, $node["Make"] reads the same
// item index of Make's output (as n8n does).
func TestRunPairedVersusLegacyLookup(t *testing.T) {
	t.Parallel()
	wf := mustParse(t, chainJSON(`[{"name": "a", "route": 1}, {"name": "b", "route": 0}, {"name": "c", "route": 0}]`,
		`{"name": "Route", "type": "nodeplug-test.route", "parameters": {"output": "={{ $json.route }}", "outputs": 2}}`,
		`{"name": "Echo", "type": "nodeplug-test.echo", "parameters": {"paired": "={{ $('Make').item.json.name }}", "legacy": "={{ $node[\"Make\"].json.name }}"}}`))
	res, _, _, err := runWorkflow(t, wf)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]simpleItem{{{JSON: `{"paired":"b","legacy":"a"}`, Paired: 0}, {JSON: `{"paired":"c","legacy":"b"}`, Paired: 1}}}
	if diff := cmp.Diff(want, simplify(t, res.Nodes["Echo"])); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// outputCounter is a failing executor of a node type with three regular
// outputs.
type outputCounter struct{}

func (outputCounter) Execute(context.Context, *Call) (*Result, error) { return nil, errors.New("down") }
func (outputCounter) OutputCount(*Node) int                           { return 3 }

func TestRunErrorOutputOfWholeNodeFailure(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		exec    Executor
		wantOut int
	}{
		"default error output":       {ExecutorFunc(func(context.Context, *Call) (*Result, error) { return nil, errors.New("down") }), 1},
		"after the declared outputs": {outputCounter{}, 3},
		"after the outputs it returns": {ExecutorFunc(func(context.Context, *Call) (*Result, error) {
			return &Result{Outputs: [][]Item{{}, {}}, Errors: []ItemError{{ItemIndex: 0, Message: "down"}}}, nil
		}), 2},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			wf := mustParse(t, chainJSON(`[{"n": 1}]`, `{"name": "Flaky", "type": "flaky", "onError": "continueErrorOutput"}`))
			reg := MultiRegistry{MapRegistry(Builtins()), &testRegistry{}, MapRegistry{"flaky": tc.exec}}
			plan, err := Plan(wf, reg, PlanOptions{})
			if err != nil {
				t.Fatal(err)
			}
			res, err := Run(context.Background(), plan, nil)
			if err != nil {
				t.Fatal(err)
			}
			outs := simplify(t, res.Nodes["Flaky"])
			if len(outs) != tc.wantOut+1 {
				t.Fatalf("outputs = %v, want the error on output %d", outs, tc.wantOut)
			}
			if diff := cmp.Diff([]simpleItem{{JSON: `{"error":"down"}`, Paired: 0}}, outs[tc.wantOut]); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestRunReferenceBasic(t *testing.T) {
	t.Parallel()
	referenceFiles(t)
	data := readFile(t, filepath.Join(referenceDir, "zoom-create-meeting-basic.json"))
	wf := mustParse(t, data)
	reg := &testRegistry{zoom: true}
	plan, err := Plan(wf, reg, PlanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(context.Background(), plan, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.LastNode != "Zoom" || len(res.Order) != 2 {
		t.Errorf("order %v, last %q", res.Order, res.LastNode)
	}
	calls := reg.callsOf("Zoom")
	if len(calls) != 1 || len(calls[0].Parameters) != 1 {
		t.Fatalf("Zoom calls = %+v", calls)
	}
	zoom, _ := wf.Node("Zoom")
	if string(calls[0].Parameters[0]) != string(zoom.Parameters) {
		t.Errorf("parameters without expressions changed:\n got %s\nwant %s", calls[0].Parameters[0], zoom.Parameters)
	}
}

// TestRunPlanConcurrently runs one plan from several goroutines (for -race).
func TestRunPlanConcurrently(t *testing.T) {
	t.Parallel()
	wf := mustParseFile(t, filepath.Join("testdata", "branch.json"))
	plan, err := Plan(wf, &testRegistry{}, PlanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	const runs = 4
	results := make([]*RunResult, runs)
	var wg sync.WaitGroup
	for i := range runs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], _ = Run(context.Background(), plan, nil)
		}()
	}
	wg.Wait()
	for i := 1; i < runs; i++ {
		if results[i].Err != nil || results[0].Err != nil {
			t.Fatalf("run %d: %v / %v", i, results[i].Err, results[0].Err)
		}
		if diff := cmp.Diff(simplify(t, results[0].Nodes["Join"]), simplify(t, results[i].Nodes["Join"])); diff != "" {
			t.Errorf("run %d differs (-first +this):\n%s", i, diff)
		}
	}
}

func TestPlanCycleOfTwo(t *testing.T) {
	t.Parallel()
	wf := mustParse(t, []byte(`{"name": "loop", "nodes": [
		{"name": "Start", "type": "n8n-nodes-base.manualTrigger"},
		{"name": "A", "type": "n8n-nodes-base.noOp"}, {"name": "B", "type": "n8n-nodes-base.noOp"},
		{"name": "C", "type": "n8n-nodes-base.noOp"}],
		"connections": {
		"Start": {"main": [[{"node": "A"}]]}, "A": {"main": [[{"node": "B"}]]},
		"B": {"main": [[{"node": "A"}, {"node": "C"}]]}}}`))
	_, err := Plan(wf, &testRegistry{}, PlanOptions{})
	var ce *CycleError
	if !errors.As(err, &ce) {
		t.Fatalf("err = %v", err)
	}
	if diff := cmp.Diff([]string{"A", "B"}, ce.Nodes); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if !strings.Contains(err.Error(), `workflow "loop" loops back on itself through "A", "B"`) {
		t.Errorf("message: %v", err)
	}
}
