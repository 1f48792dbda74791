package zoom_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"

	"github.com/nodeplug/nodeplug/plugin/protocol"
	"github.com/nodeplug/nodeplug/plugin/sdk"
	"github.com/nodeplug/nodeplug/plugin/zoom"
	"github.com/nodeplug/nodeplug/zoomsandbox"
)

// buildPlugin builds cmd/nodeplug-zoom into a temporary directory.
func buildPlugin(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and launches the plugin binary; skipped with -short")
	}
	goBin := filepath.Join(runtime.GOROOT(), "bin", "go")
	bin := filepath.Join(t.TempDir(), "nodeplug-zoom")
	cmd := exec.Command(goBin, "build", "-o", bin, "github.com/nodeplug/nodeplug/cmd/nodeplug-zoom")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// launch starts the plugin binary the way a host does.
func launch(t *testing.T, bin string, versions map[int]plugin.PluginSet, stderr, stdout, hostLog *syncBuffer) (*plugin.Client, *exec.Cmd) {
	t.Helper()
	cmd := exec.Command(bin)
	cmd.Env = []string{protocol.LogLevelEnv + "=debug"}
	c := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  protocol.Handshake(),
		VersionedPlugins: versions,
		Cmd:              cmd,
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		AutoMTLS:         true,
		SkipHostEnv:      true,
		Stderr:           stderr,
		SyncStdout:       stdout,
		SyncStderr:       stderr,
		StartTimeout:     time.Minute,
		Logger:           hclog.New(&hclog.LoggerOptions{Name: "e2e-host", Level: hclog.Debug, Output: hostLog}),
	})
	t.Cleanup(c.Kill)
	return c, cmd
}

// processGone reports whether pid no longer exists.
func processGone(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return true
	}
	err = p.Signal(syscall.Signal(0))
	if err == nil {
		return false
	}
	_, statErr := os.Stat(filepath.Join("/proc", itoa(pid)))
	return errors.Is(err, os.ErrProcessDone) || errors.Is(err, syscall.ESRCH) || os.IsNotExist(statErr)
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }

// TestEndToEnd builds the plugin, launches it with go-plugin as a host would
// and drives every RPC against an in-process sandbox, including the token
// refresh callback over the broker.
func TestEndToEnd(t *testing.T) {
	bin := buildPlugin(t)
	sb := newSandbox(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	// The host's token service: mints a fresh sandbox token.
	var (
		freshMu sync.Mutex
		fresh   []string
	)
	host := &refresher{next: func() (sdk.Token, error) {
		tok, err := sb.MintAccessToken(oauthApp, 0)
		freshMu.Lock()
		fresh = append(fresh, tok)
		freshMu.Unlock()
		return sdk.Token{AccessToken: tok, ExpiresAt: time.Now().Add(time.Hour), Info: map[string]string{"api_url": sb.URL}}, err
	}}
	stderr, stdout, hostLog := &syncBuffer{}, &syncBuffer{}, &syncBuffer{}
	pc, _ := launch(t, bin, protocol.HostPlugins(host), stderr, stdout, hostLog)

	rpc, err := pc.Client()
	if err != nil {
		t.Fatalf("handshake: %v\nplugin stderr:\n%s", err, stderr)
	}
	if pc.NegotiatedVersion() != sdk.ProtocolVersion || pc.Protocol() != plugin.ProtocolGRPC {
		t.Errorf("negotiated version %d protocol %s", pc.NegotiatedVersion(), pc.Protocol())
	}
	raw, err := rpc.Dispense(protocol.PluginName)
	if err != nil {
		t.Fatal(err)
	}
	client, ok := raw.(*protocol.Client)
	if !ok {
		t.Fatalf("Dispense gave %T", raw)
	}
	pid := pc.ReattachConfig().Pid

	// metadata and descriptions equal the in-process plugin's
	inproc := zoom.New()
	md, err := client.Metadata(ctx, "e2e-host", "0.0.0")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(inproc.Metadata(), md); diff != "" {
		t.Errorf("metadata (-in-process +plugin):\n%s", diff)
	}
	credTypes, err := client.CredentialTypes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var wantCreds []sdk.CredentialType
	for _, c := range inproc.Credentials {
		wantCreds = append(wantCreds, c.Type)
	}
	if diff := cmp.Diff(string(marshalIndent(t, wantCreds)), string(marshalIndent(t, credTypes))); diff != "" {
		t.Errorf("credential types over gRPC (-in-process +plugin):\n%s", diff)
	}
	nodeTypes, err := client.NodeTypes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(nodeTypes) != 1 {
		t.Fatalf("%d node types", len(nodeTypes))
	}
	if diff := cmp.Diff(string(marshalIndent(t, inproc.Nodes[0].Type)), string(marshalIndent(t, nodeTypes[0]))); diff != "" {
		t.Errorf("node type over gRPC (-in-process +plugin):\n%s", diff)
	}

	// ResolveAuth, LoadOptions
	ra, err := client.ResolveAuth(ctx, &sdk.ResolveAuthRequest{CredentialType: "zoomServerToServerOAuthApi", Data: json.RawMessage(`{"environment":"custom","oauthBaseUrl":"` + sb.URL + `","accountId":"acct"}`)})
	if err != nil || ra.TokenURL != sb.URL+"/oauth/token" || ra.TokenParams["account_id"] != "acct" {
		t.Errorf("ResolveAuth = %+v, %v", ra, err)
	}
	if _, err := client.ResolveAuth(ctx, &sdk.ResolveAuthRequest{CredentialType: "zoomOAuth2Api", Data: json.RawMessage(`{"environment":"custom","oauthBaseUrl":"gopher://x"}`)}); err == nil || !strings.Contains(err.Error(), "oauthBaseUrl") {
		t.Errorf("ResolveAuth with a bad URL: %v", err)
	}
	tz, err := client.LoadOptions(ctx, &sdk.LoadOptionsRequest{NodeType: "n8n-nodes-base.zoom", Method: "getTimezones"})
	if err != nil || len(tz) < 400 {
		t.Errorf("getTimezones: %d options, %v", len(tz), err)
	}

	// credential test
	tok := sb.mint(t, oauthApp)
	cred := sb.credential("zoomOAuth2Api", tok)
	cred.ID = "cred-1"
	tr, err := client.TestCredential(ctx, &cred)
	if err != nil || tr.Status != sdk.TestOK || tr.Message != "Connected to Zoom as Ada Host <ada.host@example.test> (account q6g…, user type Licensed)" {
		t.Errorf("TestCredential = %+v, %v", tr, err)
	}
	revoked := sb.mint(t, oauthApp)
	sb.RevokeToken(revoked)
	bad := sb.credential("zoomOAuth2Api", revoked)
	tr, err = client.TestCredential(ctx, &bad)
	if err != nil || tr.Status != sdk.TestFailed || len(tr.Diagnostics) != 1 || tr.Diagnostics[0].Code != "zoom.token_invalid" {
		t.Errorf("TestCredential(revoked) = %+v, %v", tr, err)
	}

	exec := func(params string) *sdk.ExecuteResponse {
		t.Helper()
		resp, err := client.Execute(ctx, &sdk.ExecuteRequest{NodeType: "n8n-nodes-base.zoom", TypeVersion: 1, NodeName: "Zoom", ExecutionID: "e2e",
			Credentials: []sdk.Credential{cred}, OnError: sdk.OnErrorStop, Items: []sdk.Item{{JSON: json.RawMessage(`{}`), Parameters: json.RawMessage(params)}}})
		if err != nil {
			t.Fatalf("Execute: %v", err)
		}
		return resp
	}

	// every operation
	resp := exec(`{"authentication":"oAuth2","topic":"e2e","additionalFields":{"startTime":"2026-11-03T15:00:00Z","timeZone":"Europe/Berlin","settings":{"hostVideo":false}}}`)
	mustOK(t, resp)
	id := meetingIDOf(t, outputs(resp)[0])
	if got := field(t, outputs(resp)[0], "start_time"); got != "2026-11-03T15:00:00Z" {
		t.Errorf("start_time %v", got)
	}
	mustOK(t, exec(`{"authentication":"oAuth2","operation":"update","meetingId":"`+id+`","updateFields":{"topic":"e2e renamed"}}`))

	// the broker refresh path: the next get is refused once with 401/124
	sb.InjectFault(zoomsandbox.Fault{PathPrefix: "/v2/meetings/", Method: http.MethodGet, Status: 401, Code: 124, Message: "Access token is expired."})
	resp = exec(`{"authentication":"oAuth2","operation":"get","meetingId":"` + id + `"}`)
	mustOK(t, resp)
	if got := field(t, outputs(resp)[0], "topic"); got != "e2e renamed" {
		t.Errorf("topic after update %v", got)
	}
	host.mu.Lock()
	if diff := cmp.Diff([]string{"cred-1"}, host.calls); diff != "" {
		t.Errorf("refresh calls (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{tok}, host.rejected); diff != "" {
		t.Error("the plugin did not report the rejected token")
	}
	host.mu.Unlock()

	resp = exec(`{"authentication":"oAuth2","operation":"getAll","returnAll":true}`)
	mustOK(t, resp)
	if n := len(outputs(resp)); n != 1 {
		t.Errorf("getAll gave %d meetings", n)
	}
	if diff := cmp.Diff([]string{`{"success":true}`}, outputs(exec(`{"authentication":"oAuth2","operation":"delete","meetingId":"`+id+`"}`))); diff != "" {
		t.Errorf("delete (-want +got):\n%s", diff)
	}
	d := onlyDiag(t, exec(`{"authentication":"oAuth2","operation":"get","meetingId":"`+id+`"}`))
	if d.Kind != sdk.KindNotFound || d.Code != "zoom.meeting_not_found" || d.Attribute.String() != "meetingId" || !strings.Contains(d.Summary, id) {
		t.Errorf("get after delete over gRPC: %+v", d)
	}
	// Unsupported node version.
	vresp, err := client.Execute(ctx, &sdk.ExecuteRequest{NodeType: "zoom", TypeVersion: 2, Items: []sdk.Item{{Parameters: json.RawMessage(`{}`)}}})
	if err != nil || !vresp.Diagnostics.HasError() {
		t.Errorf("version 2: %+v %v", vresp, err)
	}

	pc.Kill()
	if !processGone(pid) {
		t.Errorf("plugin process %d still exists after Kill", pid)
	}
	logs := stderr.String()
	if !strings.Contains(logs, `"path":"/v2/users/me/meetings"`) || !strings.Contains(logs, `"@level":"debug"`) {
		t.Errorf("the plugin's stderr lacks its debug JSON logs:\n%s", logs)
	}
	freshMu.Lock()
	secrets := append([]string{tok, revoked}, fresh...)
	freshMu.Unlock()
	for _, secret := range secrets {
		if strings.Contains(logs, secret) || strings.Contains(hostLog.String(), secret) {
			t.Errorf("a token appears in the logs")
		}
	}
	for _, line := range strings.Split(strings.TrimSpace(logs), "\n") {
		if line != "" && !json.Valid([]byte(line)) {
			t.Errorf("stderr line is not JSON: %q", line)
		}
	}
	if strings.Contains(strings.ToLower(logs), "authorization") {
		t.Error("the plugin logged an Authorization header")
	}
	if stdout.String() != "" {
		t.Errorf("the plugin wrote to stdout: %q", stdout.String())
	}
}

// TestEndToEndVersionMismatch: a host that speaks only protocol 2 gets an
// error naming both versions, and no process is left behind.
func TestEndToEndVersionMismatch(t *testing.T) {
	bin := buildPlugin(t)
	stderr, stdout, hostLog := &syncBuffer{}, &syncBuffer{}, &syncBuffer{}
	pc, cmd := launch(t, bin, map[int]plugin.PluginSet{2: {protocol.PluginName: &protocol.GRPCPlugin{}}}, stderr, stdout, hostLog)
	_, err := pc.Client()
	if err == nil {
		t.Fatal("a protocol 2 host connected to a protocol 1 plugin")
	}
	for _, want := range []string{"incompatible API version", "Plugin version: 1", "Client versions: [2]"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	pc.Kill()
	if cmd.Process == nil {
		t.Fatal("the plugin was never started")
	}
	if !processGone(cmd.Process.Pid) {
		t.Errorf("plugin process %d still exists after Kill", cmd.Process.Pid)
	}
}
