package workflow

import (
	"context"
	"encoding/json"
)

// Item is one n8n item flowing between nodes.
type Item struct {
	// JSON is the item's data, a JSON object. nil is read as {}.
	JSON json.RawMessage `json:"json"`
	// PairedItem is the index of the input item this item came from, or -1
	// when it has none (trigger output). Out-of-range values are read as -1.
	PairedItem int `json:"pairedItem"`
}

// ItemError reports that one input item failed.
type ItemError struct {
	// ItemIndex is the index of the failed item in Call.Items.
	ItemIndex int
	// Message says what failed; it must not contain secrets.
	Message string
}

// Call is one execution of a node.
type Call struct {
	// Node is the node being run.
	Node *Node
	// Items are the node's input items (nil for the start node).
	Items []Item
	// Parameters holds the node's parameters resolved for each input item,
	// in the order of Items (nil when Items is nil: the executor then reads
	// Node.Parameters, which hold no resolved expressions).
	Parameters []json.RawMessage
}

// Result is what a node produced.
type Result struct {
	// Outputs holds the items of each regular output, by output index.
	Outputs [][]Item
	// Errors lists the input items that failed. Depending on the node's
	// error mode they fail the node or become {"error": …} items.
	Errors []ItemError
}

// Executor runs one node type. A non-nil error fails the whole node (and
// the run) unless the node's error mode says to continue.
type Executor interface {
	Execute(ctx context.Context, call *Call) (*Result, error)
}

// ExecutorFunc adapts a function to Executor.
type ExecutorFunc func(ctx context.Context, call *Call) (*Result, error)

// Execute calls f.
func (f ExecutorFunc) Execute(ctx context.Context, call *Call) (*Result, error) { return f(ctx, call) }

// OutputCounter may be implemented by an Executor whose node type has more
// than one regular output (such as If). The runner uses it to place the
// error output of a node with onError "continueErrorOutput" when Execute
// failed; otherwise the error output follows the outputs of the Result, or
// is output 1.
type OutputCounter interface {
	OutputCount(node *Node) int
}

// Registry says which node types nodeplug can run.
type Registry interface {
	// Lookup returns the executor for a node type and version.
	Lookup(nodeType string, typeVersion float64) (Executor, bool)
}

// MapRegistry is a Registry keyed by node type that accepts every type
// version.
type MapRegistry map[string]Executor

// Lookup implements Registry.
func (m MapRegistry) Lookup(nodeType string, _ float64) (Executor, bool) {
	e, ok := m[nodeType]
	return e, ok
}

// MultiRegistry asks each registry in turn; the first that knows the node
// type wins.
type MultiRegistry []Registry

// Lookup implements Registry.
func (m MultiRegistry) Lookup(nodeType string, typeVersion float64) (Executor, bool) {
	for _, r := range m {
		if e, ok := r.Lookup(nodeType, typeVersion); ok {
			return e, true
		}
	}
	return nil, false
}

// Builtins returns the node types the engine implements itself, keyed by
// node type: the manual trigger and No Operation. Compose them into the
// host's registry, e.g. MultiRegistry{MapRegistry(Builtins()), plugins}.
func Builtins() map[string]Executor {
	return map[string]Executor{
		ManualTriggerType: ManualTrigger{},
		NoOpType:          NoOp{},
	}
}

// ManualTrigger is n8n-nodes-base.manualTrigger: it emits one empty item.
type ManualTrigger struct{}

// Execute implements Executor.
func (ManualTrigger) Execute(context.Context, *Call) (*Result, error) {
	return &Result{Outputs: [][]Item{{{JSON: json.RawMessage("{}"), PairedItem: -1}}}}, nil
}

// NoOp is n8n-nodes-base.noOp: it passes its input items through.
type NoOp struct{}

// Execute implements Executor.
func (NoOp) Execute(_ context.Context, call *Call) (*Result, error) {
	out := make([]Item, len(call.Items))
	for i, it := range call.Items {
		out[i] = Item{JSON: it.JSON, PairedItem: i}
	}
	return &Result{Outputs: [][]Item{out}}, nil
}
