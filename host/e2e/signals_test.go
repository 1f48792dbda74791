package e2e_test

import (
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nodeplug/nodeplug/zoomsandbox"
)

// TestSignalEndsRun: SIGTERM or SIGINT while a node runs (the sandbox holds
// the meeting request) ends nodeplug, leaves no plugin process behind and
// records the execution as canceled (or error), not running.
func TestSignalEndsRun(t *testing.T) {
	t.Parallel()
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			t.Parallel()
			sb := startSandbox(t)
			e := newNP(t)
			e.createCred("zoomServerToServerOAuthApi", "Zoom S2S", sb.s2sJSON(""))
			wf := writeWorkflow(t, "Held meeting", "zoomServerToServerOAuthApi", "Zoom S2S",
				zoomNode{Name: "Create meeting", Params: map[string]any{"topic": "held"}})
			sb.Fault(zoomsandbox.Fault{PathPrefix: "/v2/users/", Method: "POST", Delay: 2 * time.Minute})

			p := e.start("run", wf)
			sb.waitForRequest("the held meeting request", isMeetingCreate)
			host := p.cmd.Process.Pid
			plugin := pluginChild(t, host)
			if err := p.cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			r := p.wait(t, 20*time.Second)
			if r.code == 0 {
				t.Errorf("nodeplug exited 0 after %s", sig)
			}
			waitUntil(t, 10*time.Second, "the plugin process to be gone", func() bool { return !running(plugin) })

			es := e.executions()
			if len(es) != 1 {
				t.Fatalf("executions = %+v, want 1", es)
			}
			if es[0].Status != "canceled" && es[0].Status != "error" {
				t.Errorf("execution status %q after %s, want canceled (or error)", es[0].Status, sig)
			}
			if es[0].FinishedAt.IsZero() {
				t.Error("the canceled execution has no finish time")
			}
			if !strings.Contains(r.stderr, "cancel") {
				t.Errorf("stderr does not say the run was canceled:\n%s", r.stderr)
			}
			if st := sb.Stats(); st.Meetings != 0 {
				t.Errorf("a meeting was created after %s", sig)
			}
		})
	}
}
