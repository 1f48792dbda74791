package bench_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/nodeplug/nodeplug/host/workflow"
)

// fakeZoom plays the zoom node: getAll lists up to limit of the available
// meetings, create records the resolved parameters of every item.
type fakeZoom struct {
	available int
	created   []createParams
}

type zoomParams struct {
	Authentication string `json:"authentication"`
	Operation      string `json:"operation"`
	Limit          int    `json:"limit"`
	Filters        struct {
		Type string `json:"type"`
	} `json:"filters"`
}

type createParams struct {
	Authentication   string `json:"authentication"`
	Topic            string `json:"topic"`
	AdditionalFields struct {
		Agenda    string `json:"agenda"`
		Duration  int    `json:"duration"`
		StartTime string `json:"startTime"`
		TimeZone  string `json:"timeZone"`
	} `json:"additionalFields"`
}

func (z *fakeZoom) Execute(_ context.Context, call *workflow.Call) (*workflow.Result, error) {
	var out []workflow.Item
	for i := range call.Items {
		var p zoomParams
		if err := json.Unmarshal(call.Parameters[i], &p); err != nil {
			return nil, fmt.Errorf("node %q, item %d: %w", call.Node.Name, i, err)
		}
		switch p.Operation {
		case "getAll":
			if p.Authentication != "serverToServerOAuth" || p.Filters.Type != "scheduled" {
				return nil, fmt.Errorf("getAll with authentication %q, type %q; want serverToServerOAuth, scheduled", p.Authentication, p.Filters.Type)
			}
			for j := range min(p.Limit, z.available) {
				out = append(out, workflow.Item{JSON: json.RawMessage(fmt.Sprintf(`{"id":%d,"topic":"meeting %d"}`, 85746065432+j, j)), PairedItem: i})
			}
		case "", "create":
			var c createParams
			if err := json.Unmarshal(call.Parameters[i], &c); err != nil {
				return nil, err
			}
			z.created = append(z.created, c)
			out = append(out, workflow.Item{JSON: call.Items[i].JSON, PairedItem: i})
		default:
			return nil, fmt.Errorf("unexpected operation %q", p.Operation)
		}
	}
	return &workflow.Result{Outputs: [][]workflow.Item{out}}, nil
}

type nopObserver struct{}

func (nopObserver) NodeStarted(context.Context, *workflow.Node, []workflow.Item)           {}
func (nopObserver) NodeFinished(context.Context, *workflow.Node, [][]workflow.Item, error) {}

// TestHundredMeetingsWorkflow checks that the 100-meeting bench workflow
// turns up to 100 listed meetings into as many create items, each with its
// own resolved topic, in one call of the create node.
func TestHundredMeetingsWorkflow(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("testdata/zoom-create-100-meetings.json")
	if err != nil {
		t.Fatal(err)
	}
	tests := map[string]struct {
		available int
		want      int
	}{
		"fill-up run":         {available: 7, want: 7},
		"exactly 100":         {available: 100, want: 100},
		"more than a hundred": {available: 250, want: 100},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			wf, err := workflow.Parse(data)
			if err != nil {
				t.Fatal(err)
			}
			z := &fakeZoom{available: tc.available}
			reg := workflow.MultiRegistry{workflow.MapRegistry(workflow.Builtins()), workflow.MapRegistry{"n8n-nodes-base.zoom": z}}
			plan, err := workflow.Plan(wf, reg, workflow.PlanOptions{})
			if err != nil {
				t.Fatal(err)
			}
			res, err := workflow.Run(context.Background(), plan, nopObserver{})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]string{"When clicking 'Execute workflow'", "List 100 meetings", "Create 100 meetings"}, res.Order); diff != "" {
				t.Errorf("nodes run (-want +got):\n%s", diff)
			}
			if got := len(res.Nodes["Create 100 meetings"][0]); got != tc.want {
				t.Errorf("create node output %d items; want %d", got, tc.want)
			}
			if len(z.created) != tc.want {
				t.Fatalf("create node got %d items; want %d", len(z.created), tc.want)
			}
			for j, c := range z.created {
				want := createParams{Authentication: "serverToServerOAuth", Topic: fmt.Sprintf("Bench copy of meeting %d", 85746065432+j)}
				want.AdditionalFields.Agenda = fmt.Sprintf("Copied by the nodeplug benchmark from meeting %d", 85746065432+j)
				want.AdditionalFields.Duration = 30
				want.AdditionalFields.StartTime = "2030-01-15T10:00:00"
				want.AdditionalFields.TimeZone = "Europe/Berlin"
				if diff := cmp.Diff(want, c); diff != "" {
					t.Fatalf("create item %d parameters (-want +got):\n%s", j, diff)
				}
			}
		})
	}
}
