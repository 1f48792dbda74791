package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/nodeplug/nodeplug/host/plugins"
	"github.com/nodeplug/nodeplug/host/store"
	"github.com/nodeplug/nodeplug/host/workflow"
	"github.com/nodeplug/nodeplug/plugin/sdk"
)

func (a *app) runCommand() *cobra.Command {
	var overrides []string
	var all bool
	var start string
	cmd := &cobra.Command{
		Use:   "run WORKFLOW.json | -",
		Short: "Run an n8n workflow export from its manual trigger",
		Long: `Run an n8n workflow export (the JSON n8n's "Download" gives) from its manual
trigger along its connections. Every node type must be served by nodeplug
or a plugin: a workflow with other node types is refused before anything runs.

Credential references are matched by id, then by name; an empty reference
uses the only credential of that type. --credential TYPE=NAME overrides, and
may name a credential of another type of the same plugin (e.g. run an n8n
workflow written for zoomOAuth2Api with a Server-to-Server credential).
WORKFLOW.json "-" reads the workflow from standard input.

The last node's items are printed as JSON on stdout (--all: every node's);
a one-line summary goes to stderr. Every run is recorded: nodeplug executions.`,
		Example: `  nodeplug run examples/zoom-create-meeting.json
  nodeplug run workflow.json --credential zoomOAuth2Api=work-zoom --all`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.run(cmd.Context(), args[0], overrides, all, start)
		},
	}
	cmd.Flags().StringArrayVar(&overrides, "credential", nil, "use credential NAME for credential type TYPE (TYPE=NAME, repeatable)")
	cmd.Flags().BoolVar(&all, "all", false, "print every node's output items, not only the last node's")
	cmd.Flags().StringVar(&start, "start", "", "start from this node instead of the manual trigger (e.g. a workflow started by a schedule)")
	return cmd
}

// pluginRegistry makes plugin-served node types runnable.
type pluginRegistry struct {
	a     *app
	pm    *plugins.Manager
	creds map[string][]*store.Credential // by node name, resolved before the run
	// partial keeps the outputs a failing node produced before it failed,
	// so that they are recorded (a created meeting is never lost).
	mu      sync.Mutex
	partial map[string][][]workflow.Item
	execID  string
}

func (r *pluginRegistry) Lookup(nodeType string, version float64) (workflow.Executor, bool) {
	p, nt, err := r.pm.NodeType(nodeType)
	if err != nil || !nt.SupportsVersion(version) {
		return nil, false
	}
	return &pluginNode{r: r, p: p, nt: nt}, true
}

type pluginNode struct {
	r  *pluginRegistry
	p  *plugins.Plugin
	nt *sdk.NodeType
}

func onErrorOf(n *workflow.Node) sdk.OnError {
	switch n.ErrorMode() {
	case workflow.OnErrorContinueRegular:
		return sdk.OnErrorContinueRegularOutput
	case workflow.OnErrorContinueError:
		return sdk.OnErrorContinueErrorOutput
	}
	return sdk.OnErrorStop
}

func (n *pluginNode) Execute(ctx context.Context, call *workflow.Call) (*workflow.Result, error) {
	req := &sdk.ExecuteRequest{
		NodeType:    n.nt.Name,
		TypeVersion: call.Node.TypeVersion,
		NodeName:    call.Node.Name,
		OnError:     onErrorOf(call.Node),
		ExecutionID: n.r.execID,
	}
	if call.Items == nil {
		req.Items = []sdk.Item{{JSON: json.RawMessage(`{}`), Parameters: call.Node.Parameters}}
	}
	for i, it := range call.Items {
		req.Items = append(req.Items, sdk.Item{JSON: it.JSON, Parameters: call.Parameters[i]})
	}
	for _, c := range n.r.creds[call.Node.Name] {
		cc, err := n.r.a.callCredential(ctx, c)
		if err != nil {
			return nil, fmt.Errorf("credential %q: %w", c.Name, err)
		}
		req.Credentials = append(req.Credentials, cc)
	}
	resp, err := n.p.Client().Execute(ctx, req)
	if err != nil {
		return nil, n.p.Wrap("executing node "+call.Node.Name, err)
	}
	res := &workflow.Result{Outputs: make([][]workflow.Item, len(resp.Outputs))}
	for i, out := range resp.Outputs {
		res.Outputs[i] = make([]workflow.Item, len(out))
		for j, it := range out {
			res.Outputs[i][j] = workflow.Item{JSON: it.JSON, PairedItem: it.PairedItem}
		}
	}
	for _, d := range resp.Diagnostics {
		if d.Severity == sdk.SeverityWarning {
			n.r.a.logger().Warn("node warning", "node", call.Node.Name, "item", d.ItemIndex, "message", d.Error())
		}
	}
	if errs := resp.Diagnostics.Errors(); len(errs) > 0 {
		n.r.mu.Lock()
		n.r.partial[call.Node.Name] = res.Outputs
		n.r.mu.Unlock()
		return nil, &diagnosticsError{diags: errs}
	}
	return res, nil
}

// diagnosticsError is a node failure reported by a plugin.
type diagnosticsError struct{ diags sdk.Diagnostics }

func (e *diagnosticsError) Error() string {
	var parts []string
	for _, d := range e.diags {
		s := d.Error()
		if d.ItemIndex >= 0 {
			s = fmt.Sprintf("item %d: %s", d.ItemIndex, s)
		}
		if d.Kind != sdk.KindUnspecified {
			s += " [" + d.Kind.String() + "]"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}

// nodeCredentialTypes lists the credential types a node needs: those the
// workflow names for it, else those the node type requires for its
// parameters (e.g. authentication = oAuth2 → zoomOAuth2Api).
func nodeCredentialTypes(n *workflow.Node, nt *sdk.NodeType) []string {
	if len(n.Credentials) > 0 {
		var out []string
		for typ := range n.Credentials {
			out = append(out, typ)
		}
		sort.Strings(out)
		return out
	}
	params := map[string]any{}
	_ = workflow.DecodeJSON(n.Parameters, &params)
	for _, p := range nt.Properties {
		if _, ok := params[p.Name]; !ok && len(p.Default) > 0 {
			var d any
			if json.Unmarshal(p.Default, &d) == nil {
				params[p.Name] = d
			}
		}
	}
	var out []string
	for _, c := range nt.Credentials {
		if c.Required && shown(sdk.Property{DisplayOptions: c.DisplayOptions}, params) {
			out = append(out, c.Name)
		}
	}
	return out
}

// resolveCredentials matches every plugin node's credential references to
// stored credentials, before anything runs; it names every one it cannot.
func (a *app) resolveCredentials(ctx context.Context, plan *workflow.ExecutionPlan, pm *plugins.Manager, overrides []string) (map[string][]*store.Credential, error) {
	st, err := a.store(ctx)
	if err != nil {
		return nil, err
	}
	all, err := st.ListCredentials(ctx)
	if err != nil {
		return nil, err
	}
	byType := map[string]string{}
	for _, o := range overrides {
		typ, name, ok := strings.Cut(o, "=")
		if !ok || typ == "" || name == "" {
			return nil, fmt.Errorf("--credential %q: use TYPE=NAME, e.g. --credential zoomOAuth2Api=my-zoom", o)
		}
		byType[typ] = name
	}
	used := map[string]bool{}
	find := func(pred func(*store.Credential) bool) []*store.Credential {
		var out []*store.Credential
		for i := range all {
			if pred(&all[i]) {
				out = append(out, &all[i])
			}
		}
		return out
	}
	out := map[string][]*store.Credential{}
	var problems []string
	for _, name := range plan.Order {
		node, _ := plan.Node(name)
		p, nt, err := pm.NodeType(node.Type)
		if err != nil {
			continue // a built-in node
		}
		for _, typ := range nodeCredentialTypes(node, nt) {
			used[typ] = true
			ref := node.Credentials[typ]
			var got []*store.Credential
			var why string
			switch {
			case byType[typ] != "":
				got = find(func(c *store.Credential) bool { return c.Name == byType[typ] || c.ID == byType[typ] })
				why = fmt.Sprintf("--credential %s=%s names no stored credential", typ, byType[typ])
				if len(got) == 1 {
					if _, _, err := pm.CredentialType(got[0].Type); err != nil {
						problems = append(problems, fmt.Sprintf("node %q: credential %q is of type %s, which no plugin serves", name, got[0].Name, got[0].Type))
						continue
					}
					if owner, _, _ := pm.CredentialType(got[0].Type); owner != p {
						problems = append(problems, fmt.Sprintf("node %q: credential %q is of type %s from plugin %s, not usable by %s", name, got[0].Name, got[0].Type, owner.Name, node.Type))
						continue
					}
				}
			case ref.ID != "" && len(find(func(c *store.Credential) bool { return c.ID == ref.ID })) == 1:
				got = find(func(c *store.Credential) bool { return c.ID == ref.ID })
			case ref.Name != "":
				got = find(func(c *store.Credential) bool { return c.Name == ref.Name && c.Type == typ })
				why = fmt.Sprintf("no %s credential named %q", typ, ref.Name)
			default:
				got = find(func(c *store.Credential) bool { return c.Type == typ })
				switch len(got) {
				case 0:
					why = fmt.Sprintf("no %s credential exists", typ)
				default:
					var names []string
					for _, c := range got {
						names = append(names, c.Name)
					}
					why = fmt.Sprintf("the workflow names no %s credential and there are %d (%s)", typ, len(got), strings.Join(names, ", "))
				}
			}
			if len(got) != 1 {
				problems = append(problems, fmt.Sprintf("node %q needs a %s credential: %s; create one (nodeplug credentials create --type %s --name NAME) or choose one with --credential %s=NAME", name, typ, why, typ, typ))
				continue
			}
			out[name] = append(out[name], got[0])
		}
	}
	for typ := range byType {
		if !used[typ] {
			var kinds []string
			for k := range used {
				kinds = append(kinds, k)
			}
			sort.Strings(kinds)
			problems = append(problems, fmt.Sprintf("--credential %s=%s: no node of this workflow uses credential type %s (it uses: %s)", typ, byType[typ], typ, strings.Join(kinds, ", ")))
		}
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		return nil, fmt.Errorf("cannot run (nothing was run):\n  - %s", strings.Join(problems, "\n  - "))
	}
	return out, nil
}

// recorder writes each node's run into the execution history.
type recorder struct {
	a      *app
	st     *store.Store
	execID int64
	reg    *pluginRegistry

	started map[string]time.Time
	items   int
	errs    []error
}

func (r *recorder) NodeStarted(_ context.Context, node *workflow.Node, _ []workflow.Item) {
	r.started[node.Name] = time.Now()
}

func (r *recorder) NodeFinished(ctx context.Context, node *workflow.Node, outputs [][]workflow.Item, err error) {
	run := store.NodeRun{NodeName: node.Name, NodeType: node.Type, StartedAt: r.started[node.Name], FinishedAt: time.Now(), Status: "success"}
	if err != nil {
		run.Status = "error"
		run.Error = err.Error()
		if outputs == nil {
			r.reg.mu.Lock()
			outputs = r.reg.partial[node.Name]
			r.reg.mu.Unlock()
		}
	}
	if outputs != nil {
		b, _ := json.Marshal(outputs)
		run.Items = b
	}
	// The history must not fail because the run was canceled.
	if e := r.st.AddNodeRun(context.WithoutCancel(ctx), r.execID, run); e != nil {
		r.errs = append(r.errs, e)
	}
}

func (a *app) run(ctx context.Context, file string, overrides []string, all bool, start string) error {
	started := time.Now()
	var data []byte
	var err error
	if file == "-" {
		data, err = io.ReadAll(io.LimitReader(a.io.In, 64<<20))
	} else {
		data, err = os.ReadFile(file)
	}
	if err != nil {
		return fmt.Errorf("reading workflow: %w", err)
	}
	wf, err := workflow.Parse(data)
	if err != nil {
		if file == "-" {
			file = "standard input"
		}
		return fmt.Errorf("%s: %w", file, err)
	}
	// Open the encrypted store while the plugins start: the two are
	// independent, and starting a plugin is mostly waiting for it.
	if _, err := a.dataDir(); err != nil {
		return err
	}
	a.logger()
	var storeErr error
	storeDone := make(chan struct{})
	go func() {
		defer close(storeDone)
		_, storeErr = a.store(ctx)
	}()
	defer func() { <-storeDone }()
	pm, err := a.plugins(ctx)
	if err != nil {
		return err
	}
	if <-storeDone; storeErr != nil {
		return storeErr
	}
	reg := &pluginRegistry{a: a, pm: pm, partial: map[string][][]workflow.Item{}}
	plan, err := workflow.Plan(wf, workflow.MultiRegistry{workflow.MapRegistry(workflow.Builtins()), reg}, workflow.PlanOptions{StartNode: start})
	if err != nil {
		return err
	}
	for _, name := range plan.Order {
		if n, _ := plan.Node(name); n.RetryOnFail {
			fmt.Fprintf(a.io.Err, "warning: node %q has Retry On Fail set; nodeplug runs each node once (retrying could create a meeting twice)\n", name)
		}
	}
	if reg.creds, err = a.resolveCredentials(ctx, plan, pm, overrides); err != nil {
		return err
	}
	if _, err := a.tokens(ctx); err != nil { // settings errors surface before anything runs
		return err
	}
	st, err := a.store(ctx)
	if err != nil {
		return err
	}
	abs := file
	if file != "-" {
		abs, _ = filepath.Abs(file)
	}
	execID, err := st.CreateExecution(ctx, store.Execution{WorkflowID: wf.ID, WorkflowName: wf.Name, WorkflowFile: abs, Mode: "cli", Status: store.ExecRunning, StartedAt: started, HostPID: os.Getpid()})
	if err != nil {
		return fmt.Errorf("recording the execution: %w", err)
	}
	reg.execID = fmt.Sprint(execID)
	rec := &recorder{a: a, st: st, execID: execID, reg: reg, started: map[string]time.Time{}}
	res, runErr := workflow.Run(ctx, plan, rec)

	status, msg := store.ExecSuccess, ""
	if runErr != nil {
		status, msg = store.ExecError, runErr.Error()
		if errors.Is(runErr, context.Canceled) || ctx.Err() != nil {
			status = store.ExecCanceled
		}
	}
	if err := st.FinishExecution(context.WithoutCancel(ctx), execID, status, time.Now(), msg); err != nil {
		a.logger().Error("recording the end of the execution", "error", err)
	}
	for _, e := range rec.errs {
		a.logger().Error("recording a node run", "error", e)
	}

	// A failed run prints no items: half a result on stdout would be taken
	// for the result. What ran is in the execution history.
	if res != nil && runErr == nil {
		if err := a.printRunOutput(res, all); err != nil {
			return err
		}
	}
	name := wf.Name
	if name == "" {
		name = filepath.Base(file)
	}
	elapsed := time.Since(started).Round(time.Millisecond)
	if status == store.ExecCanceled {
		fmt.Fprintf(a.io.Err, "✗ execution %d of %q was canceled (interrupted) after %s; what ran is recorded: nodeplug executions show %d\n", execID, name, elapsed, execID)
		return &exitError{code: 130}
	}
	if runErr != nil {
		fmt.Fprintf(a.io.Err, "✗ execution %d of %q failed after %s: %v (details: nodeplug executions show %d)\n", execID, name, elapsed, runErr, execID)
		return &exitError{code: 1}
	}
	n := 0
	if res != nil && res.LastNode != "" && len(res.Nodes[res.LastNode]) > 0 {
		n = len(res.Nodes[res.LastNode][0])
	}
	fmt.Fprintf(a.io.Err, "✓ execution %d of %q succeeded in %s: %s ran, %s from %q\n", execID, name, elapsed, plural(len(res.Order), "node"), plural(n, "item"), res.LastNode)
	return nil
}

func (a *app) printRunOutput(res *workflow.RunResult, all bool) error {
	if all {
		var buf bytes.Buffer
		buf.WriteString("{")
		for i, name := range res.Order {
			if i > 0 {
				buf.WriteString(",")
			}
			k, _ := json.Marshal(name)
			buf.Write(k)
			buf.WriteString(":")
			writeOutputs(&buf, res.Nodes[name])
		}
		buf.WriteString("}")
		return a.writeIndented(buf.Bytes())
	}
	var items []workflow.Item
	if outs := res.Nodes[res.LastNode]; len(outs) > 0 {
		items = outs[0]
	}
	var buf bytes.Buffer
	writeItems(&buf, items)
	return a.writeIndented(buf.Bytes())
}

func writeOutputs(buf *bytes.Buffer, outs [][]workflow.Item) {
	buf.WriteString("[")
	for i, o := range outs {
		if i > 0 {
			buf.WriteString(",")
		}
		writeItems(buf, o)
	}
	buf.WriteString("]")
}

// writeItems writes the items' JSON byte for byte (IDs stay exact).
func writeItems(buf *bytes.Buffer, items []workflow.Item) {
	buf.WriteString("[")
	for i, it := range items {
		if i > 0 {
			buf.WriteString(",")
		}
		if len(it.JSON) == 0 {
			buf.WriteString("{}")
		} else {
			buf.Write(it.JSON)
		}
	}
	buf.WriteString("]")
}

func (a *app) writeIndented(b []byte) error {
	var out bytes.Buffer
	if err := json.Indent(&out, b, "", "  "); err != nil {
		return fmt.Errorf("formatting output: %w", err)
	}
	out.WriteString("\n")
	_, err := a.io.Out.Write(out.Bytes())
	return err
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
