package workflow

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// referenceDir is the shared n8n Zoom workflow corpus, relative to this package.
const referenceDir = "../../../shared/reference/n8n-zoom-workflows"

// referenceFiles returns the corpus files, or skips the test when the
// corpus is absent.
func referenceFiles(t testing.TB) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(referenceDir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Skipf("reference workflows are absent (%s): skipping; CI always has them", referenceDir)
	}
	return files
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func mustParse(t testing.TB, data []byte) *Workflow {
	t.Helper()
	wf, err := Parse(data)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return wf
}

func mustParseFile(t testing.TB, path string) *Workflow {
	t.Helper()
	return mustParse(t, readFile(t, path))
}

// compact returns raw compacted, failing the test on invalid JSON.
func compact(t testing.TB, raw json.RawMessage) string {
	t.Helper()
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		t.Fatalf("invalid JSON %q: %v", raw, err)
	}
	return b.String()
}

// simpleItem is an Item with compacted JSON, for comparisons.
type simpleItem struct {
	JSON   string
	Paired int
}

func simplify(t testing.TB, outputs [][]Item) [][]simpleItem {
	t.Helper()
	if outputs == nil {
		return nil
	}
	res := make([][]simpleItem, len(outputs))
	for o, items := range outputs {
		res[o] = make([]simpleItem, len(items))
		for i, it := range items {
			res[o][i] = simpleItem{JSON: compact(t, it.JSON), Paired: it.PairedItem}
		}
	}
	return res
}

// Test node types.
const (
	emitType   = "nodeplug-test.emit"   // emits the items of parameter "items" for each input item
	echoType   = "nodeplug-test.echo"   // outputs its resolved parameters as the item
	routeType  = "nodeplug-test.route"  // sends each item to output parameter "output" (of "outputs")
	failType   = "nodeplug-test.fail"   // "mode": "node" fails the node; "items" fails items whose "fail" is true
	cancelType = "nodeplug-test.cancel" // cancels the run's context, then passes items through
	panicType  = "nodeplug-test.panic"  // panics
	badType    = "nodeplug-test.bad"    // returns an item that is not an object
)

// testRegistry knows the builtins, the test node types and, optionally,
// every other type (all) or the fake Zoom node (zoom).
type testRegistry struct {
	all    bool
	zoom   bool
	cancel context.CancelFunc
	mu     sync.Mutex
	calls  map[string][]*Call // by node name
}

func (r *testRegistry) Lookup(nodeType string, typeVersion float64) (Executor, bool) {
	if e, ok := Builtins()[nodeType]; ok {
		return r.recording(e), true
	}
	var e Executor
	switch nodeType {
	case emitType:
		e = ExecutorFunc(emit)
	case echoType:
		e = ExecutorFunc(echo)
	case routeType:
		e = ExecutorFunc(route)
	case failType:
		e = ExecutorFunc(fail)
	case cancelType:
		e = ExecutorFunc(func(ctx context.Context, call *Call) (*Result, error) {
			r.cancel()
			return NoOp{}.Execute(ctx, call)
		})
	case panicType:
		e = ExecutorFunc(func(context.Context, *Call) (*Result, error) { panic("kaboom") })
	case badType:
		e = ExecutorFunc(func(context.Context, *Call) (*Result, error) {
			return &Result{Outputs: [][]Item{{{JSON: json.RawMessage(`[1,2]`)}}}}, nil
		})
	case "n8n-nodes-base.zoom":
		if !r.zoom && !r.all {
			return nil, false
		}
		e = NoOp{}
	default:
		if !r.all {
			return nil, false
		}
		e = NoOp{}
	}
	return r.recording(e), true
}

func (r *testRegistry) recording(e Executor) Executor {
	return ExecutorFunc(func(ctx context.Context, call *Call) (*Result, error) {
		r.mu.Lock()
		if r.calls == nil {
			r.calls = map[string][]*Call{}
		}
		r.calls[call.Node.Name] = append(r.calls[call.Node.Name], call)
		r.mu.Unlock()
		return e.Execute(ctx, call)
	})
}

func (r *testRegistry) callsOf(name string) []*Call {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.calls[name]
}

func emit(_ context.Context, call *Call) (*Result, error) {
	var out []Item
	for i, p := range call.Parameters {
		var params struct {
			Items []json.RawMessage `json:"items"`
		}
		if err := DecodeJSON(p, &params); err != nil {
			return nil, err
		}
		for _, it := range params.Items {
			out = append(out, Item{JSON: it, PairedItem: i})
		}
	}
	return &Result{Outputs: [][]Item{out}}, nil
}

func echo(_ context.Context, call *Call) (*Result, error) {
	out := make([]Item, len(call.Items))
	for i := range call.Items {
		out[i] = Item{JSON: call.Parameters[i], PairedItem: i}
	}
	return &Result{Outputs: [][]Item{out}}, nil
}

func route(_ context.Context, call *Call) (*Result, error) {
	var outputs [][]Item
	for i, p := range call.Parameters {
		var params struct {
			Output  int `json:"output"`
			Outputs int `json:"outputs"`
		}
		if err := DecodeJSON(p, &params); err != nil {
			return nil, err
		}
		for len(outputs) < params.Outputs {
			outputs = append(outputs, []Item{})
		}
		if params.Output < 0 || params.Output >= len(outputs) {
			return nil, fmt.Errorf("output %d out of range", params.Output)
		}
		outputs[params.Output] = append(outputs[params.Output], Item{JSON: call.Items[i].JSON, PairedItem: i})
	}
	return &Result{Outputs: outputs}, nil
}

func fail(_ context.Context, call *Call) (*Result, error) {
	res := &Result{Outputs: [][]Item{{}}}
	for i, p := range call.Parameters {
		var params struct {
			Mode string          `json:"mode"`
			Fail *bool           `json:"fail"`
			N    json.RawMessage `json:"n"`
		}
		if err := DecodeJSON(p, &params); err != nil {
			return nil, err
		}
		if params.Mode == "node" {
			return nil, errors.New("boom")
		}
		if params.Fail != nil && *params.Fail {
			res.Errors = append(res.Errors, ItemError{ItemIndex: i, Message: fmt.Sprintf("n=%s is bad", params.N)})
			continue
		}
		res.Outputs[0] = append(res.Outputs[0], Item{JSON: call.Items[i].JSON, PairedItem: i})
	}
	return res, nil
}

// event is one Observer call.
type event struct {
	Kind   string // "started" or "finished"
	Node   string
	Items  int // input items (started) or items of all outputs (finished)
	Failed bool
}

type recorder struct {
	events []event
}

func (r *recorder) NodeStarted(_ context.Context, node *Node, input []Item) {
	r.events = append(r.events, event{Kind: "started", Node: node.Name, Items: len(input)})
}

func (r *recorder) NodeFinished(_ context.Context, node *Node, outputs [][]Item, err error) {
	n := 0
	for _, o := range outputs {
		n += len(o)
	}
	r.events = append(r.events, event{Kind: "finished", Node: node.Name, Items: n, Failed: err != nil})
}
