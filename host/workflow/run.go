package workflow

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// Observer is told about each node run, e.g. to record execution history.
// Its methods are called from the goroutine that called Run, in order.
type Observer interface {
	// NodeStarted is called before a node runs, with its input items.
	NodeStarted(ctx context.Context, node *Node, input []Item)
	// NodeFinished is called after a node ran: with its outputs, or with
	// the error that failed it (and the run).
	NodeFinished(ctx context.Context, node *Node, outputs [][]Item, err error)
}

// RunResult is what a run produced, also when it failed.
type RunResult struct {
	// Nodes holds the outputs of each node that ran, by output index.
	Nodes map[string][][]Item
	// Order lists the nodes that ran, in order (the failed node last).
	Order []string
	// LastNode is the last node that ran successfully; its first output is
	// the run's result.
	LastNode string
	// Err is the error that stopped the run, as returned by Run.
	Err error
}

// NodeError says that a node failed and stopped the run.
type NodeError struct {
	// Node is the failed node.
	Node NodeRef
	// Err is what went wrong.
	Err error
}

// Error names the failed node and says what went wrong.
func (e *NodeError) Error() string {
	return fmt.Sprintf("node %q (%s) failed: %v", e.Node.Name, e.Node.Type, e.Err)
}

// Unwrap returns what went wrong.
func (e *NodeError) Unwrap() error { return e.Err }

// ItemErrors is the error of a node whose executor reported failed items
// while the node's error mode is to stop.
type ItemErrors []ItemError

// Error lists the failed items with their messages.
func (e ItemErrors) Error() string {
	msgs := make([]string, len(e))
	for i, ie := range e {
		msgs[i] = fmt.Sprintf("item %d: %s", ie.ItemIndex, ie.Message)
	}
	return strings.Join(msgs, "; ")
}

// source is where an input item came from: item index of output output of
// node node.
type source struct {
	node          string
	output, index int
}

type nodeRun struct {
	inputs  []Item
	sources []source // per input item
	outputs [][]Item
}

type runner struct {
	plan    *ExecutionPlan
	obs     Observer
	runs    map[string]*nodeRun
	pending map[string]*nodeRun // inputs gathered for nodes not run yet
	res     *RunResult
}

// Run runs a planned workflow from its start node. See the package
// documentation for the order. The start node is called with no items;
// every other node with the items its parents sent it and, for each item,
// its parameters resolved by ResolveParameters. Run checks ctx between
// nodes. It returns the partial result together with the error when a node
// fails (*NodeError) or ctx ends. obs may be nil.
func Run(ctx context.Context, plan *ExecutionPlan, obs Observer) (*RunResult, error) {
	r := &runner{
		plan:    plan,
		obs:     obs,
		runs:    map[string]*nodeRun{},
		pending: map[string]*nodeRun{},
		res:     &RunResult{Nodes: map[string][][]Item{}},
	}
	for _, name := range plan.steps {
		if err := ctx.Err(); err != nil {
			r.res.Err = fmt.Errorf("run of %s stopped before node %q: %w", workflowLabel(plan.Workflow.Name), name, err)
			return r.res, r.res.Err
		}
		if err := r.step(ctx, name); err != nil {
			r.res.Err = err
			return r.res, err
		}
	}
	return r.res, nil
}

func (r *runner) step(ctx context.Context, name string) error {
	node := r.plan.nodes[name]
	run := r.pending[name]
	delete(r.pending, name)
	if run == nil {
		run = &nodeRun{}
	}
	if name != r.plan.Start && len(run.inputs) == 0 {
		return nil // no item reached this node: it does not run
	}
	if node.Disabled {
		out := make([]Item, len(run.inputs))
		for i, it := range run.inputs {
			out[i] = Item{JSON: it.JSON, PairedItem: i}
		}
		run.outputs = [][]Item{out}
		r.runs[name] = run
		r.forward(name, run.outputs)
		return nil
	}
	if node.ExecuteOnce && len(run.inputs) > 1 {
		run.inputs, run.sources = run.inputs[:1], run.sources[:1]
	}
	r.runs[name] = run
	r.res.Order = append(r.res.Order, name)
	if r.obs != nil {
		r.obs.NodeStarted(ctx, node, run.inputs)
	}
	outputs, err := r.execute(ctx, node, run)
	if err != nil {
		err = &NodeError{Node: node.Ref(), Err: err}
		if r.obs != nil {
			r.obs.NodeFinished(ctx, node, nil, err)
		}
		return err
	}
	run.outputs = outputs
	r.res.Nodes[name] = outputs
	r.res.LastNode = name
	if r.obs != nil {
		r.obs.NodeFinished(ctx, node, outputs, nil)
	}
	r.forward(name, outputs)
	return nil
}

// forward hands a node's outputs to its children.
func (r *runner) forward(name string, outputs [][]Item) {
	conns := r.plan.children[name]
	for out, items := range outputs {
		if out >= len(conns) {
			break
		}
		for _, c := range conns[out] {
			in := r.pending[c.Node]
			if in == nil {
				in = &nodeRun{}
				r.pending[c.Node] = in
			}
			for i, it := range items {
				in.inputs = append(in.inputs, it)
				in.sources = append(in.sources, source{node: name, output: out, index: i})
			}
		}
	}
}

// paired follows paired items back from input item idx of node to an
// output item of target.
func (r *runner) paired(node string, idx int, target string) (json.RawMessage, bool) {
	for hops := 0; hops <= len(r.runs); hops++ {
		run := r.runs[node]
		if run == nil || idx < 0 || idx >= len(run.sources) {
			return nil, false
		}
		src := run.sources[idx]
		srcRun := r.runs[src.node]
		if srcRun == nil || src.output >= len(srcRun.outputs) || src.index >= len(srcRun.outputs[src.output]) {
			return nil, false
		}
		item := srcRun.outputs[src.output][src.index]
		if src.node == target {
			return item.JSON, true
		}
		node, idx = src.node, item.PairedItem
	}
	return nil, false
}

// outputItem returns item idx of target's first output.
func (r *runner) outputItem(target string, idx int) (json.RawMessage, bool) {
	run := r.runs[target]
	if run == nil || len(run.outputs) == 0 || idx < 0 || idx >= len(run.outputs[0]) {
		return nil, false
	}
	return run.outputs[0][idx].JSON, true
}

// execute resolves parameters, calls the executor and applies the node's
// error mode and alwaysOutputData.
func (r *runner) execute(ctx context.Context, node *Node, run *nodeRun) ([][]Item, error) {
	mode := node.ErrorMode()
	cont := mode != OnErrorStop
	failed := map[int]string{} // input index → error message

	call := &Call{Node: node}
	var callIdx []int // call item index → input index
	if run.inputs != nil {
		for i, it := range run.inputs {
			params, err := ResolveParameters(node.Parameters, it, ExprContext{
				Node:      node.Name,
				ItemIndex: i,
				Lookup: func(target string, idx int) (json.RawMessage, bool) {
					return r.paired(node.Name, idx, target)
				},
				LookupOutput: r.outputItem,
			})
			if err != nil {
				if !cont {
					return nil, fmt.Errorf("item %d: %w", i, err)
				}
				failed[i] = err.Error()
				continue
			}
			call.Items = append(call.Items, it)
			call.Parameters = append(call.Parameters, params)
			callIdx = append(callIdx, i)
		}
	}

	var res *Result
	if run.inputs == nil || len(call.Items) > 0 {
		var err error
		res, err = safeExecute(ctx, r.plan.execs[node.Name], call)
		if err != nil {
			if !cont || ctx.Err() != nil {
				return nil, err
			}
			if run.inputs == nil {
				failed[-1] = err.Error()
			}
			for _, i := range callIdx {
				failed[i] = err.Error()
			}
			res = nil
		}
	}

	var outputs [][]Item
	if res != nil {
		outputs = make([][]Item, len(res.Outputs))
		for o, items := range res.Outputs {
			outputs[o] = make([]Item, len(items))
			for j, it := range items {
				obj, err := normalizeItem(it.JSON)
				if err != nil {
					return nil, fmt.Errorf("output %d item %d: %w", o, j, err)
				}
				paired := -1
				if it.PairedItem >= 0 && it.PairedItem < len(callIdx) {
					paired = callIdx[it.PairedItem]
				}
				outputs[o][j] = Item{JSON: obj, PairedItem: paired}
			}
		}
		var itemErrs ItemErrors
		for _, ie := range res.Errors {
			in := -1
			if ie.ItemIndex >= 0 && ie.ItemIndex < len(callIdx) {
				in = callIdx[ie.ItemIndex]
			}
			itemErrs = append(itemErrs, ItemError{ItemIndex: in, Message: ie.Message})
		}
		if len(itemErrs) > 0 {
			if !cont {
				return nil, itemErrs
			}
			for _, ie := range itemErrs {
				failed[ie.ItemIndex] = ie.Message
			}
		}
	}

	if len(failed) > 0 {
		errOut := 0
		if mode == OnErrorContinueError {
			errOut = errorOutputIndex(r.plan.execs[node.Name], node, res)
		}
		for len(outputs) <= errOut {
			outputs = append(outputs, nil)
		}
		idxs := make([]int, 0, len(failed))
		for i := range failed {
			idxs = append(idxs, i)
		}
		sort.Ints(idxs)
		for _, i := range idxs {
			msg, _ := json.Marshal(map[string]string{"error": failed[i]})
			outputs[errOut] = append(outputs[errOut], Item{JSON: msg, PairedItem: i})
		}
	}

	if node.AlwaysOutputData && allEmpty(outputs) {
		paired := -1
		if len(run.inputs) > 0 {
			paired = 0
		}
		if len(outputs) == 0 {
			outputs = make([][]Item, 1)
		}
		outputs[0] = []Item{{JSON: json.RawMessage("{}"), PairedItem: paired}}
	}
	return outputs, nil
}

func errorOutputIndex(exec Executor, node *Node, res *Result) int {
	if oc, ok := exec.(OutputCounter); ok {
		if n := oc.OutputCount(node); n > 0 {
			return n
		}
	}
	if res != nil && len(res.Outputs) > 0 {
		return len(res.Outputs)
	}
	return 1
}

func allEmpty(outputs [][]Item) bool {
	for _, o := range outputs {
		if len(o) > 0 {
			return false
		}
	}
	return true
}

// normalizeItem checks that an item's JSON is an object ({} when empty).
func normalizeItem(raw json.RawMessage) (json.RawMessage, error) {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 {
		return json.RawMessage("{}"), nil
	}
	if t[0] != '{' || !json.Valid(t) {
		return nil, fmt.Errorf("the node returned an item whose json is %s; an item must be a JSON object", describeJSON(t))
	}
	return raw, nil
}

func describeJSON(t []byte) string {
	if !json.Valid(t) {
		return "not valid JSON"
	}
	return jsonKind(t)
}

// safeExecute calls the executor, turning a panic into an error.
func safeExecute(ctx context.Context, exec Executor, call *Call) (res *Result, err error) {
	defer func() {
		if p := recover(); p != nil {
			res, err = nil, fmt.Errorf("node executor panicked: %v", p)
		}
	}()
	res, err = exec.Execute(ctx, call)
	if err == nil && res == nil {
		res = &Result{}
	}
	return res, err
}
