package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/nodeplug/nodeplug/host/store"
)

func (a *app) executionsCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "executions",
		Aliases: []string{"execution", "exec"},
		Short:   "Read the execution history",
	}
	var limit int
	list := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List recent executions, newest first",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			asJSON, err := a.wantJSON()
			if err != nil {
				return err
			}
			st, err := a.store(cmd.Context())
			if err != nil {
				return err
			}
			a.reapAbandoned(cmd.Context(), st)
			es, err := st.ListExecutions(cmd.Context(), limit)
			if err != nil {
				return err
			}
			if asJSON {
				out := make([]executionJSON, 0, len(es))
				for _, e := range es {
					out = append(out, newExecutionJSON(&e))
				}
				return a.printJSON(out)
			}
			tw := tabwriter.NewWriter(a.io.Out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tSTATUS\tWORKFLOW\tSTARTED\tDURATION")
			for _, e := range es {
				dur := "-"
				if !e.FinishedAt.IsZero() {
					dur = e.FinishedAt.Sub(e.StartedAt).Round(time.Millisecond).String()
				}
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", e.ID, e.Status, e.WorkflowName, e.StartedAt.Local().Format(time.DateTime), dur)
			}
			return tw.Flush()
		},
	}
	list.Flags().IntVar(&limit, "limit", 20, "how many executions to list (0: all)")
	a.addOutputFlag(list)

	show := &cobra.Command{
		Use:   "show ID",
		Short: "Show one execution with each node's items and errors",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			asJSON, err := a.wantJSON()
			if err != nil {
				return err
			}
			id, err := strconv.ParseInt(args[0], 10, 64)
			if err != nil {
				return fmt.Errorf("execution ID %q is not a number: see nodeplug executions list", args[0])
			}
			st, err := a.store(cmd.Context())
			if err != nil {
				return err
			}
			a.reapAbandoned(cmd.Context(), st)
			e, runs, err := st.Execution(cmd.Context(), id)
			if err != nil {
				if errors.Is(err, store.ErrExecutionNotFound) {
					return fmt.Errorf("no execution %d: list them with nodeplug executions list", id)
				}
				return err
			}
			if asJSON {
				type nodeOut struct {
					Name       string          `json:"name"`
					Type       string          `json:"type"`
					Status     string          `json:"status"`
					StartedAt  time.Time       `json:"startedAt"`
					FinishedAt time.Time       `json:"finishedAt"`
					Outputs    json.RawMessage `json:"outputs,omitempty"`
					Error      string          `json:"error,omitempty"`
				}
				out := struct {
					executionJSON
					Nodes []nodeOut `json:"nodes"`
				}{executionJSON: newExecutionJSON(e)}
				for _, r := range runs {
					out.Nodes = append(out.Nodes, nodeOut{r.NodeName, r.NodeType, r.Status, r.StartedAt, r.FinishedAt, r.Items, r.Error})
				}
				return a.printJSON(out)
			}
			w := a.io.Out
			fmt.Fprintf(w, "Execution %d: %s\nWorkflow:  %s (%s)\nStarted:   %s\n", e.ID, e.Status, e.WorkflowName, e.WorkflowFile, e.StartedAt.Local().Format(time.RFC3339))
			if !e.FinishedAt.IsZero() {
				fmt.Fprintf(w, "Duration:  %s\n", e.FinishedAt.Sub(e.StartedAt).Round(time.Millisecond))
			}
			if e.Error != "" {
				fmt.Fprintf(w, "Error:     %s\n", e.Error)
			}
			for _, r := range runs {
				var outs [][]json.RawMessage
				_ = json.Unmarshal(r.Items, &outs)
				n := 0
				for _, o := range outs {
					n += len(o)
				}
				fmt.Fprintf(w, "\n● %s (%s): %s, %s, %s\n", r.NodeName, r.NodeType, r.Status, plural(n, "item"), r.FinishedAt.Sub(r.StartedAt).Round(time.Microsecond))
				if r.Error != "" {
					fmt.Fprintf(w, "  error: %s\n", r.Error)
				}
				if len(r.Items) > 0 {
					var ind []byte
					if b, err := json.MarshalIndent(json.RawMessage(r.Items), "  ", "  "); err == nil {
						ind = b
					}
					fmt.Fprintf(w, "  %s\n", ind)
				}
			}
			return nil
		},
	}
	a.addOutputFlag(show)
	cmd.AddCommand(list, show)
	return cmd
}

// executionJSON is an execution as -o json shows it.
type executionJSON struct {
	ID         int64     `json:"id"`
	Status     string    `json:"status"`
	WorkflowID string    `json:"workflowId,omitempty"`
	Workflow   string    `json:"workflow"`
	File       string    `json:"file,omitempty"`
	Mode       string    `json:"mode"`
	StartedAt  time.Time `json:"startedAt"`
	FinishedAt time.Time `json:"finishedAt,omitzero"`
	Error      string    `json:"error,omitempty"`
}

func newExecutionJSON(e *store.Execution) executionJSON {
	return executionJSON{e.ID, string(e.Status), e.WorkflowID, e.WorkflowName, e.WorkflowFile, e.Mode, e.StartedAt, e.FinishedAt, e.Error}
}

// reapAbandoned marks the runs whose nodeplug process died (killed, crashed)
// as failed, so that they do not show as running forever.
func (a *app) reapAbandoned(ctx context.Context, st *store.Store) {
	if _, err := st.ReapAbandoned(ctx, processAlive); err != nil {
		a.logger().Warn("checking for abandoned executions", "error", err)
	}
}

// processAlive reports whether a process with this ID exists.
func processAlive(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	return p.Signal(syscall.Signal(0)) == nil
}
