package workflow

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestPlanReferenceWorkflows plans every reference workflow with a registry
// that supports only the manual trigger, No Operation and Zoom. The outcome
// of each file (its plan, or the full error listing its unsupported nodes)
// is compared with testdata/unsupported.golden.
func TestPlanReferenceWorkflows(t *testing.T) {
	t.Parallel()
	files := referenceFiles(t)
	var got strings.Builder
	for i, path := range files {
		if i > 0 {
			got.WriteString("\n")
		}
		fmt.Fprintf(&got, "== %s\n", filepath.Base(path))
		wf := mustParseFile(t, path)
		plan, err := Plan(wf, &testRegistry{zoom: true}, PlanOptions{})
		if err != nil {
			var unsupported *UnsupportedNodesError
			if !errors.As(err, &unsupported) {
				t.Errorf("%s: error %T is not *UnsupportedNodesError: %v", path, err, err)
			}
			got.WriteString(err.Error() + "\n")
			continue
		}
		fmt.Fprintf(&got, "planned: start %q, order %q\n", plan.Start, plan.Order)
	}

	golden := filepath.Join("testdata", "unsupported.golden")
	if *update {
		if err := os.WriteFile(golden, []byte(got.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want := string(readFile(t, golden))
	if diff := cmp.Diff(want, got.String()); diff != "" {
		t.Errorf("plan outcomes differ from %s (-want +got; rerun with -update after checking):\n%s", golden, diff)
	}
}

// TestPlanUnsupportedNodes checks the unsupported list itself: every
// non-sticky, enabled node, reachable or not, sorted by name.
func TestPlanUnsupportedNodes(t *testing.T) {
	t.Parallel()
	referenceFiles(t)
	wf := mustParseFile(t, filepath.Join(referenceDir, "recurring-zoom-wordpress-slack.json"))
	_, err := Plan(wf, &testRegistry{zoom: true}, PlanOptions{})
	var unsupported *UnsupportedNodesError
	if !errors.As(err, &unsupported) {
		t.Fatalf("err = %v, want *UnsupportedNodesError", err)
	}
	want := []NodeRef{
		{Name: "Schedule Trigger", Type: "n8n-nodes-base.scheduleTrigger", TypeVersion: 1.2},
		{Name: "Slack", Type: "n8n-nodes-base.slack", TypeVersion: 2.2},
		{Name: "Wordpress", Type: "n8n-nodes-base.wordpress", TypeVersion: 1},
	}
	if diff := cmp.Diff(want, unsupported.Nodes); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}

	// Disabled nodes and sticky notes are not validated.
	ai := mustParseFile(t, filepath.Join(referenceDir, "zoom-ai-meeting-assistant.json"))
	_, err = Plan(ai, &testRegistry{zoom: true}, PlanOptions{})
	if !errors.As(err, &unsupported) {
		t.Fatalf("err = %v, want *UnsupportedNodesError", err)
	}
	for _, n := range unsupported.Nodes {
		if n.Type == StickyNoteType || n.Name == "Execute Workflow Trigger" {
			t.Errorf("%s listed as unsupported", n)
		}
	}
}

func TestPlanStartNode(t *testing.T) {
	t.Parallel()
	referenceFiles(t)
	tests := map[string]struct {
		file  string
		opts  PlanOptions
		check func(t *testing.T, p *ExecutionPlan, err error)
	}{
		"schedule trigger only": {
			file: "recurring-zoom-wordpress-slack.json",
			check: func(t *testing.T, _ *ExecutionPlan, err error) {
				var ns *NoStartNodeError
				if !errors.As(err, &ns) {
					t.Fatalf("err = %v, want *NoStartNodeError", err)
				}
				want := []NodeRef{{Name: "Schedule Trigger", Type: "n8n-nodes-base.scheduleTrigger", TypeVersion: 1.2}}
				if diff := cmp.Diff(want, ns.Triggers); diff != "" {
					t.Errorf("triggers (-want +got):\n%s", diff)
				}
				for _, s := range []string{"no manual trigger", `"Schedule Trigger" (n8n-nodes-base.scheduleTrigger v1.2)`, "add a Manual Trigger"} {
					if !strings.Contains(err.Error(), s) {
						t.Errorf("error %q does not contain %q", err, s)
					}
				}
			},
		},
		"form trigger, disabled stripe trigger": {
			file: "zoom-stripe-paid-meetings.json",
			check: func(t *testing.T, _ *ExecutionPlan, err error) {
				var ns *NoStartNodeError
				if !errors.As(err, &ns) {
					t.Fatalf("err = %v, want *NoStartNodeError", err)
				}
				want := []NodeRef{{Name: "Creation Form", Type: "n8n-nodes-base.formTrigger", TypeVersion: 2}}
				if diff := cmp.Diff(want, ns.Triggers); diff != "" {
					t.Errorf("triggers (-want +got):\n%s", diff)
				}
			},
		},
		"explicit start node": {
			file: "zoom-stripe-paid-meetings.json",
			opts: PlanOptions{StartNode: "Create Zoom meeting"},
			check: func(t *testing.T, p *ExecutionPlan, err error) {
				if err == nil {
					t.Fatal("plan accepted the unsupported expressions of Create Stripe Product")
				}
				// Plan got past the start node: the error is about expressions.
				if !errors.Is(err, ErrUnsupportedExpression) {
					t.Errorf("err = %v, want an unsupported expression", err)
				}
			},
		},
		"unknown start node": {
			file: "zoom-create-meeting-basic.json",
			opts: PlanOptions{StartNode: "Nope"},
			check: func(t *testing.T, _ *ExecutionPlan, err error) {
				if err == nil || !strings.Contains(err.Error(), `start node "Nope" does not exist`) {
					t.Errorf("err = %v", err)
				}
			},
		},
		"disabled start node": {
			file: "zoom-ai-meeting-assistant.json",
			opts: PlanOptions{StartNode: "Execute Workflow Trigger"},
			check: func(t *testing.T, _ *ExecutionPlan, err error) {
				if err == nil || !strings.Contains(err.Error(), "is disabled") {
					t.Errorf("err = %v", err)
				}
			},
		},
		"sticky start node": {
			file: "zoom-ai-meeting-assistant.json",
			opts: PlanOptions{StartNode: "Sticky Note"},
			check: func(t *testing.T, _ *ExecutionPlan, err error) {
				if err == nil || !strings.Contains(err.Error(), "sticky note") {
					t.Errorf("err = %v", err)
				}
			},
		},
		"start at a later node": {
			file: "zoom-create-meeting-basic.json",
			opts: PlanOptions{StartNode: "Zoom"},
			check: func(t *testing.T, p *ExecutionPlan, err error) {
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff([]string{"Zoom"}, p.Order); diff != "" {
					t.Errorf("order (-want +got):\n%s", diff)
				}
			},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			wf := mustParseFile(t, filepath.Join(referenceDir, tc.file))
			p, err := Plan(wf, &testRegistry{all: true}, tc.opts)
			tc.check(t, p, err)
		})
	}
}

func TestPlanUnsupportedComesFirst(t *testing.T) {
	t.Parallel()
	referenceFiles(t)
	// The stripe workflow has no manual trigger and its form trigger is
	// unsupported: the unsupported list is what the user sees.
	wf := mustParseFile(t, filepath.Join(referenceDir, "zoom-stripe-paid-meetings.json"))
	_, err := Plan(wf, &testRegistry{zoom: true}, PlanOptions{})
	var unsupported *UnsupportedNodesError
	if !errors.As(err, &unsupported) {
		t.Fatalf("err = %v, want *UnsupportedNodesError first", err)
	}
	if !strings.Contains(err.Error(), `"Creation Form" (n8n-nodes-base.formTrigger v2)`) {
		t.Errorf("trigger missing from %v", err)
	}
}

func TestPlanMoreThanOneManualTrigger(t *testing.T) {
	t.Parallel()
	wf := mustParse(t, []byte(`{"nodes": [
		{"name": "B", "type": "n8n-nodes-base.manualTrigger"},
		{"name": "A", "type": "n8n-nodes-base.manualTrigger"},
		{"name": "C", "type": "n8n-nodes-base.manualTrigger", "disabled": true}]}`))
	_, err := Plan(wf, &testRegistry{}, PlanOptions{})
	var ns *NoStartNodeError
	if !errors.As(err, &ns) {
		t.Fatalf("err = %v", err)
	}
	if diff := cmp.Diff([]string{"A", "B"}, ns.ManualTriggers); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	p, err := Plan(wf, &testRegistry{}, PlanOptions{StartNode: "B"})
	if err != nil || p.Start != "B" {
		t.Fatalf("explicit start: %v", err)
	}
}

func TestPlanLoopRefused(t *testing.T) {
	t.Parallel()
	referenceFiles(t)
	wf := mustParseFile(t, filepath.Join(referenceDir, "zoom-ai-meeting-assistant.json"))
	_, err := Plan(wf, &testRegistry{all: true}, PlanOptions{})
	var cycle *CycleError
	if !errors.As(err, &cycle) {
		t.Fatalf("err = %v, want *CycleError", err)
	}
	// "Filter: Only 1 item" (Loop Over Items) feeds itself.
	want := []string{"Filter: Only 1 item"}
	if diff := cmp.Diff(want, cycle.Nodes); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestPlanChecksExpressions(t *testing.T) {
	t.Parallel()
	referenceFiles(t)
	wf := mustParseFile(t, filepath.Join(referenceDir, "gcal-to-zoom-meeting.json"))
	_, err := Plan(wf, &testRegistry{all: true}, PlanOptions{})
	if !errors.Is(err, ErrUnsupportedExpression) {
		t.Fatalf("err = %v, want unsupported expressions", err)
	}
	var got []string
	for _, e := range flatten(err) {
		var ee *ExpressionError
		if errors.As(e, &ee) {
			got = append(got, ee.Node+" / "+ee.Parameter)
		}
	}
	// Only the JavaScript ones; the $node["…"].json references are fine.
	want := []string{
		"Date & Time / value",
		"Google Calendar / options.timeMin",
		"Zoom / additionalFields.duration",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestPlanExpressionNamesUnknownNode(t *testing.T) {
	t.Parallel()
	wf := mustParse(t, []byte(`{"nodes": [
		{"name": "Start", "type": "n8n-nodes-base.manualTrigger"},
		{"name": "Next", "type": "n8n-nodes-base.noOp", "parameters": {"a": {"b": "=x {{ $('Ghost').item.json.id }}"}}}],
		"connections": {"Start": {"main": [[{"node": "Next", "type": "main", "index": 0}]]}}}`))
	_, err := Plan(wf, &testRegistry{}, PlanOptions{})
	var ee *ExpressionError
	if !errors.As(err, &ee) {
		t.Fatalf("err = %v", err)
	}
	if ee.Node != "Next" || ee.Parameter != "a.b" || !strings.Contains(ee.Reason, `node "Ghost", which does not exist`) {
		t.Errorf("error = %+v", ee)
	}
}

func TestPlanOrder(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		file string
		want []string
	}{
		"chain":      {"chain.json", []string{"Start", "Pass", "Make", "Echo"}},
		"branch":     {"branch.json", []string{"Start", "Make", "Route", "Top", "Top child", "Bottom", "Join"}},
		"zero items": {"zero-items.json", []string{"Start", "Empty", "Never", "Empty always", "After"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			wf := mustParseFile(t, filepath.Join("testdata", tc.file))
			p, err := Plan(wf, &testRegistry{}, PlanOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, p.Order); diff != "" {
				t.Errorf("order (-want +got):\n%s", diff)
			}
		})
	}
}

// flatten unwraps joined errors.
func flatten(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, flatten(e)...)
		}
		return out
	}
	return []error{err}
}
