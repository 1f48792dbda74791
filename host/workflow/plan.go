package workflow

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// PlanOptions tunes Plan.
type PlanOptions struct {
	// StartNode names the node to start from. Empty: the workflow's (single,
	// enabled) manual trigger.
	StartNode string
}

// ExecutionPlan is a workflow checked against a Registry and ready to Run.
// It is not modified by Run and may be run several times.
type ExecutionPlan struct {
	// Workflow is the planned workflow.
	Workflow *Workflow
	// Start is the name of the start node.
	Start string
	// Order lists the nodes that may run, in the order they run; a node
	// whose inputs carry no item is skipped at run time. Disabled nodes
	// are left out (they pass items through).
	Order []string

	steps []string // Order plus reachable disabled nodes
	nodes map[string]*Node
	execs map[string]Executor
	// children maps a node to its main outputs' connections to planned nodes.
	children map[string][][]Connection
}

// Node returns the planned node with the given name.
func (p *ExecutionPlan) Node(name string) (*Node, bool) {
	n, ok := p.nodes[name]
	return n, ok
}

// UnsupportedNodesError lists the nodes whose type (or type version) the
// Registry does not provide. Nothing runs when a workflow has one.
type UnsupportedNodesError struct {
	// Workflow is the workflow's name.
	Workflow string
	// Nodes are the unsupported nodes, sorted by name.
	Nodes []NodeRef
}

// Error lists the unsupported nodes, one per line.
func (e *UnsupportedNodesError) Error() string {
	types := map[string]bool{}
	for _, n := range e.Nodes {
		types[n.Type] = true
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s uses %s nodeplug does not support yet", workflowLabel(e.Workflow), plural(len(types), "node type", "node types"))
	if len(e.Nodes) != len(types) {
		fmt.Fprintf(&b, " (%s)", plural(len(e.Nodes), "node", "nodes"))
	}
	b.WriteString(":\n")
	for _, n := range e.Nodes {
		fmt.Fprintf(&b, "  - %s\n", n)
	}
	b.WriteString("remove or replace these nodes, or install plugins that provide them")
	return b.String()
}

// NoStartNodeError says that the workflow has no node to start a run from.
type NoStartNodeError struct {
	// Workflow is the workflow's name.
	Workflow string
	// Triggers are the workflow's enabled trigger nodes, sorted by name.
	Triggers []NodeRef
	// ManualTriggers lists the candidates when there are several manual
	// triggers, sorted by name.
	ManualTriggers []string
}

// Error names the workflow's triggers and says what to do.
func (e *NoStartNodeError) Error() string {
	if len(e.ManualTriggers) > 1 {
		return fmt.Sprintf("%s has %d manual triggers (%s); choose the start node explicitly",
			workflowLabel(e.Workflow), len(e.ManualTriggers), quoteList(e.ManualTriggers))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s has no manual trigger (%s) to start from", workflowLabel(e.Workflow), ManualTriggerType)
	if len(e.Triggers) == 0 {
		b.WriteString(" and no other trigger node")
	} else {
		fmt.Fprintf(&b, "; it is started by %s:\n", plural(len(e.Triggers), "trigger node", "trigger nodes"))
		for _, t := range e.Triggers {
			fmt.Fprintf(&b, "  - %s\n", t)
		}
		b.WriteString("nodeplug runs workflows by hand only")
	}
	b.WriteString(": add a Manual Trigger to the workflow, or name the start node explicitly")
	return b.String()
}

// CycleError says that the nodes reachable from the start node form a loop.
type CycleError struct {
	// Workflow is the workflow's name.
	Workflow string
	// Nodes are the nodes on a loop, sorted by name.
	Nodes []string
}

// Error names the nodes on the loop.
func (e *CycleError) Error() string {
	return fmt.Sprintf("%s loops back on itself through %s; loops (such as Loop Over Items / Split In Batches) are not supported yet",
		workflowLabel(e.Workflow), quoteList(e.Nodes))
}

func workflowLabel(name string) string {
	if name == "" {
		return "the workflow"
	}
	return fmt.Sprintf("workflow %q", name)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, ", ")
}

// isTrigger guesses from its type whether a node starts workflows by itself.
func isTrigger(nodeType string) bool {
	local := nodeType[strings.LastIndexByte(nodeType, '.')+1:]
	switch local {
	case "cron", "interval", "webhook", "start":
		return true
	}
	return strings.HasSuffix(strings.ToLower(local), "trigger")
}

// Plan checks a workflow against reg and fixes the order its nodes run in.
//
// Every node except sticky notes and disabled nodes must be supported by
// reg, reachable or not: otherwise Plan returns *UnsupportedNodesError
// listing them all. Then it needs a start node (*NoStartNodeError), refuses
// loops (*CycleError), and parses the expressions of the nodes that may run
// (*ExpressionError values, joined), so that nothing runs when any of this
// is wrong. The order is described in the package documentation.
func Plan(wf *Workflow, reg Registry, opts PlanOptions) (*ExecutionPlan, error) {
	if wf == nil || len(wf.Nodes) == 0 {
		return nil, errors.New("the workflow has no nodes")
	}
	if reg == nil {
		return nil, errors.New("no node registry given")
	}
	p := &ExecutionPlan{
		Workflow: wf,
		nodes:    make(map[string]*Node, len(wf.Nodes)),
		execs:    make(map[string]Executor, len(wf.Nodes)),
		children: map[string][][]Connection{},
	}
	var unsupported []NodeRef
	for i := range wf.Nodes {
		n := &wf.Nodes[i]
		if n.Type == StickyNoteType {
			continue
		}
		p.nodes[n.Name] = n
		if n.Disabled {
			continue
		}
		exec, ok := reg.Lookup(n.Type, n.TypeVersion)
		if !ok || exec == nil {
			unsupported = append(unsupported, n.Ref())
			continue
		}
		p.execs[n.Name] = exec
	}
	if len(unsupported) > 0 {
		sort.Slice(unsupported, func(i, j int) bool {
			if unsupported[i].Name != unsupported[j].Name {
				return unsupported[i].Name < unsupported[j].Name
			}
			return unsupported[i].Type < unsupported[j].Type
		})
		return nil, &UnsupportedNodesError{Workflow: wf.Name, Nodes: unsupported}
	}

	start, err := p.findStart(opts.StartNode)
	if err != nil {
		return nil, err
	}
	p.Start = start
	if err := p.order(); err != nil {
		return nil, err
	}

	var exprErrs []error
	exists := func(name string) bool { _, ok := wf.Node(name); return ok }
	for _, name := range p.Order {
		if name == p.Start {
			continue // the start node receives no item: its parameters are not resolved
		}
		if err := checkParameters(p.nodes[name].Parameters, name, exists); err != nil {
			exprErrs = append(exprErrs, err)
		}
	}
	if len(exprErrs) > 0 {
		return nil, errors.Join(exprErrs...)
	}
	return p, nil
}

func (p *ExecutionPlan) findStart(name string) (string, error) {
	wf := p.Workflow
	if name != "" {
		n, ok := wf.Node(name)
		switch {
		case !ok:
			return "", fmt.Errorf("start node %q does not exist in %s", name, workflowLabel(wf.Name))
		case n.Type == StickyNoteType:
			return "", fmt.Errorf("start node %q is a sticky note; name a node that runs", name)
		case n.Disabled:
			return "", fmt.Errorf("start node %q is disabled; enable it or name another start node", name)
		}
		return name, nil
	}
	var manual []string
	var triggers []NodeRef
	for i := range wf.Nodes {
		n := &wf.Nodes[i]
		if n.Disabled || n.Type == StickyNoteType {
			continue
		}
		switch {
		case n.Type == ManualTriggerType:
			manual = append(manual, n.Name)
		case isTrigger(n.Type):
			triggers = append(triggers, n.Ref())
		}
	}
	if len(manual) == 1 {
		return manual[0], nil
	}
	sort.Strings(manual)
	sort.Slice(triggers, func(i, j int) bool { return triggers[i].Name < triggers[j].Name })
	return "", &NoStartNodeError{Workflow: wf.Name, Triggers: triggers, ManualTriggers: manual}
}

// order computes the reachable nodes and their run order (see the package
// documentation).
func (p *ExecutionPlan) order() error {
	wf := p.Workflow
	// Reachable nodes along main connections.
	reach := map[string]bool{p.Start: true}
	queue := []string{p.Start}
	for len(queue) > 0 {
		name := queue[0]
		queue = queue[1:]
		for _, out := range wf.Connections[name][MainConnection] {
			for _, c := range out {
				if _, ok := p.nodes[c.Node]; !ok || reach[c.Node] {
					continue // sticky note, or seen
				}
				reach[c.Node] = true
				queue = append(queue, c.Node)
			}
		}
	}
	// Edges between reachable nodes; in-degree counts distinct parents.
	parents := map[string]map[string]bool{}
	kids := map[string][]string{}
	for name := range reach {
		outs := wf.Connections[name][MainConnection]
		planned := make([][]Connection, len(outs))
		seen := map[string]bool{}
		for i, out := range outs {
			for _, c := range out {
				if !reach[c.Node] {
					continue
				}
				planned[i] = append(planned[i], c)
				if parents[c.Node] == nil {
					parents[c.Node] = map[string]bool{}
				}
				parents[c.Node][name] = true
				if !seen[c.Node] {
					seen[c.Node] = true
					kids[name] = append(kids[name], c.Node)
				}
			}
		}
		p.children[name] = planned
	}
	for name, ks := range kids {
		sort.Slice(ks, func(i, j int) bool {
			a, b := p.nodes[ks[i]], p.nodes[ks[j]]
			if a.Position.Y() != b.Position.Y() {
				return a.Position.Y() < b.Position.Y()
			}
			if a.Position.X() != b.Position.X() {
				return a.Position.X() < b.Position.X()
			}
			return a.Name < b.Name
		})
		kids[name] = ks
	}
	indeg := map[string]int{}
	for name, ps := range parents {
		indeg[name] = len(ps)
	}
	var steps []string
	if indeg[p.Start] == 0 {
		stack := []string{p.Start}
		for len(stack) > 0 {
			name := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			steps = append(steps, name)
			var ready []string
			for _, k := range kids[name] {
				indeg[k]--
				if indeg[k] == 0 {
					ready = append(ready, k)
				}
			}
			for i := len(ready) - 1; i >= 0; i-- {
				stack = append(stack, ready[i])
			}
		}
	}
	if len(steps) < len(reach) {
		done := map[string]bool{}
		for _, s := range steps {
			done[s] = true
		}
		var loop []string
		for name := range reach {
			if !done[name] && reachesItself(name, kids) {
				loop = append(loop, name)
			}
		}
		sort.Strings(loop)
		return &CycleError{Workflow: wf.Name, Nodes: loop}
	}
	p.steps = steps
	for _, s := range steps {
		if !p.nodes[s].Disabled {
			p.Order = append(p.Order, s)
		}
	}
	return nil
}

// reachesItself reports whether name lies on a cycle of kids.
func reachesItself(name string, kids map[string][]string) bool {
	seen := map[string]bool{}
	stack := append([]string(nil), kids[name]...)
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if n == name {
			return true
		}
		if seen[n] {
			continue
		}
		seen[n] = true
		stack = append(stack, kids[n]...)
	}
	return false
}
