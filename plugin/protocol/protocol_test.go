package protocol_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	goplugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/nodeplug/nodeplug/plugin/protocol"
	"github.com/nodeplug/nodeplug/plugin/sdk"
)

type echoParams struct {
	Value   json.RawMessage `json:"value"`
	Fail    string          `json:"fail"`
	Refresh bool            `json:"refresh"`
	Panic   bool            `json:"panic"`
}

func (p *echoParams) SetDefaults() { p.Value = json.RawMessage(`"default"`) }

func testPlugin() *sdk.Plugin {
	min := 1.0
	return &sdk.Plugin{
		Name:    "echo",
		Version: "1.2.3",
		Credentials: []sdk.CredentialDef{{
			Type: sdk.CredentialType{
				Name: "echoApi", DisplayName: "Echo API", DeprecationNotice: "use echo2",
				Properties: []sdk.Property{
					{Name: "clientId", DisplayName: "Client ID", Type: sdk.TypeString, Required: true},
					{Name: "clientSecret", DisplayName: "Client Secret", Type: sdk.TypeString, Secret: true, Required: true},
				},
				Auth: sdk.AuthScheme{Kind: sdk.AuthOAuth2AuthorizationCode, OAuth2: &sdk.OAuth2Spec{
					AuthorizeURL: "https://example.test/authorize", TokenURL: "https://example.test/token",
					DefaultScopes: []string{"a", "b"}, ClientAuth: sdk.ClientAuthHeader, PKCE: true,
					ClientIDProperty: "clientId", ClientSecretProperty: "clientSecret",
				}},
			},
			Tester: sdk.CredentialTesterFunc(func(_ context.Context, c *sdk.Credential) (*sdk.TestResult, error) {
				if c.AccessToken != "good" {
					d := sdk.Errorf(sdk.KindAuth, "Token rejected", "reconnect")
					d.Code = "echo.bad_token"
					return &sdk.TestResult{Status: sdk.TestFailed, Message: "token rejected", Diagnostics: sdk.Diagnostics{*d}}, nil
				}
				return &sdk.TestResult{Status: sdk.TestOK, Message: "connected as ada", Account: json.RawMessage(`{"id":12345678901234567890}`)}, nil
			}),
		}},
		Nodes: []sdk.NodeDef{{
			Type: sdk.NodeType{
				Name: "echo", Aliases: []string{"n8n-nodes-base.echo"}, DisplayName: "Echo", Versions: []float64{1, 1.1},
				Inputs: []string{"main"}, Outputs: []string{"main"},
				Credentials: []sdk.NodeCredential{{Name: "echoApi", Required: true, DisplayOptions: sdk.ShowWhen("authentication", "oAuth2")}},
				Properties: []sdk.Property{
					{Name: "value", DisplayName: "Value", Type: sdk.TypeNumber, Default: sdk.JSON(0), MinValue: &min},
					{Name: "mode", DisplayName: "Mode", Type: sdk.TypeOptions, Options: []sdk.Option{{Name: "One", Value: sdk.JSON(1)}, {Name: "Two", Value: sdk.JSON("two")}}},
					{Name: "extra", DisplayName: "Extra", Type: sdk.TypeCollection, Children: []sdk.Property{{Name: "x", Type: sdk.TypeBoolean}}},
					{Name: "groups", DisplayName: "Groups", Type: sdk.TypeFixedCollection, Groups: []sdk.PropertyGroup{{Name: "g", DisplayName: "G", Properties: []sdk.Property{{Name: "y", Type: sdk.TypeJSON}}}}},
				},
			},
			Executor: sdk.PerItem(func(ctx context.Context, call sdk.ItemCall[echoParams]) ([]json.RawMessage, error) {
				if call.Params.Panic {
					panic("boom")
				}
				if call.Params.Fail != "" {
					d := sdk.AttributeError("fail", "Asked to fail", call.Params.Fail)
					return nil, d
				}
				if call.Params.Refresh {
					c, ok := call.Request.Credential("echoApi")
					if !ok {
						return nil, errors.New("no credential")
					}
					if err := c.Refresh(ctx); err != nil {
						return nil, err
					}
					return []json.RawMessage{json.RawMessage(`{"token":"` + c.AccessToken + `"}`)}, nil
				}
				return []json.RawMessage{call.Params.Value, call.Item.JSON}, nil
			}),
			OptionLoaders: map[string]sdk.OptionsLoader{"getThings": sdk.OptionsLoaderFunc(func(context.Context, *sdk.LoadOptionsRequest) ([]sdk.Option, error) {
				return []sdk.Option{{Name: "Europe/Berlin", Value: sdk.JSON("Europe/Berlin")}}, nil
			})},
		}},
	}
}

type fakeHost struct {
	calls []string
	err   error
}

func (h *fakeHost) RefreshToken(_ context.Context, id, rejected string) (sdk.Token, error) {
	h.calls = append(h.calls, id+":"+rejected)
	if h.err != nil {
		return sdk.Token{}, h.err
	}
	return sdk.Token{AccessToken: "fresh", Info: map[string]string{"api_url": "http://x"}}, nil
}

func connect(t *testing.T, host sdk.TokenRefresher) *protocol.Client {
	t.Helper()
	set := map[string]goplugin.Plugin{protocol.PluginName: &protocol.GRPCPlugin{Impl: testPlugin(), Host: host}}
	client, server := goplugin.TestPluginGRPCConn(t, false, set)
	_ = server // client.Close shuts the server down through go-plugin's controller.
	t.Cleanup(func() { _ = client.Close() })
	raw, err := client.Dispense(protocol.PluginName)
	if err != nil {
		t.Fatal(err)
	}
	return raw.(*protocol.Client)
}

func TestDescribeRoundTrip(t *testing.T) {
	c := connect(t, nil)
	ctx := context.Background()
	p := testPlugin()

	md, err := c.Metadata(ctx, "test", "0")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(p.Metadata(), md); diff != "" {
		t.Errorf("metadata (-want +got):\n%s", diff)
	}
	cts, err := c.CredentialTypes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]sdk.CredentialType{p.Credentials[0].Type}, cts); diff != "" {
		t.Errorf("credential types (-want +got):\n%s", diff)
	}
	nts, err := c.NodeTypes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]sdk.NodeType{p.Nodes[0].Type}, nts); diff != "" {
		t.Errorf("node types (-want +got):\n%s", diff)
	}
	opts, err := c.LoadOptions(ctx, &sdk.LoadOptionsRequest{NodeType: "n8n-nodes-base.echo", Method: "getThings"})
	if err != nil {
		t.Fatal(err)
	}
	if len(opts) != 1 || string(opts[0].Value) != `"Europe/Berlin"` {
		t.Errorf("options = %+v", opts)
	}
	ra, err := c.ResolveAuth(ctx, &sdk.ResolveAuthRequest{CredentialType: "echoApi"})
	if err != nil {
		t.Fatal(err)
	}
	if ra.TokenURL != "https://example.test/token" || !cmp.Equal(ra.Scopes, []string{"a", "b"}) {
		t.Errorf("resolve auth = %+v", ra)
	}
}

func TestExecute(t *testing.T) {
	c := connect(t, nil)
	items := []sdk.Item{
		{JSON: json.RawMessage(`{"id":85746065432}`), Parameters: json.RawMessage(`{"value":1234567890123456789}`)},
		{JSON: json.RawMessage(`{}`), Parameters: json.RawMessage(`{"fail":"item two is bad"}`)},
		{JSON: json.RawMessage(`{"n":3}`), Parameters: json.RawMessage(`{}`)},
	}
	tests := map[string]struct {
		onError   sdk.OnError
		outputs   [][]sdk.OutputItem
		severity  sdk.Severity
		diagIndex int
	}{
		"stop at first failure": {
			onError: sdk.OnErrorStop,
			outputs: [][]sdk.OutputItem{{
				{JSON: json.RawMessage(`1234567890123456789`), PairedItem: 0},
				{JSON: json.RawMessage(`{"id":85746065432}`), PairedItem: 0},
			}},
			severity: sdk.SeverityError, diagIndex: 1,
		},
		"continue in regular output": {
			onError: sdk.OnErrorContinueRegularOutput,
			outputs: [][]sdk.OutputItem{{
				{JSON: json.RawMessage(`1234567890123456789`), PairedItem: 0},
				{JSON: json.RawMessage(`{"id":85746065432}`), PairedItem: 0},
				{JSON: json.RawMessage(`{"error":"Asked to fail (parameter \"fail\"): item two is bad"}`), PairedItem: 1},
				{JSON: json.RawMessage(`"default"`), PairedItem: 2},
				{JSON: json.RawMessage(`{"n":3}`), PairedItem: 2},
			}},
			severity: sdk.SeverityWarning, diagIndex: 1,
		},
		"continue in error output": {
			onError: sdk.OnErrorContinueErrorOutput,
			outputs: [][]sdk.OutputItem{{
				{JSON: json.RawMessage(`1234567890123456789`), PairedItem: 0},
				{JSON: json.RawMessage(`{"id":85746065432}`), PairedItem: 0},
				{JSON: json.RawMessage(`"default"`), PairedItem: 2},
				{JSON: json.RawMessage(`{"n":3}`), PairedItem: 2},
			}, {
				{JSON: json.RawMessage(`{"error":"Asked to fail (parameter \"fail\"): item two is bad"}`), PairedItem: 1},
			}},
			severity: sdk.SeverityWarning, diagIndex: 1,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			resp, err := c.Execute(context.Background(), &sdk.ExecuteRequest{NodeType: "echo", TypeVersion: 1, NodeName: "Echo", Items: items, OnError: tc.onError})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.outputs, resp.Outputs); diff != "" {
				t.Errorf("outputs (-want +got):\n%s", diff)
			}
			want := sdk.Diagnostics{{Severity: tc.severity, Kind: sdk.KindConfig, Summary: "Asked to fail", Detail: "item two is bad", Attribute: sdk.Path{{Name: "fail"}}, ItemIndex: tc.diagIndex}}
			if diff := cmp.Diff(want, resp.Diagnostics); diff != "" {
				t.Errorf("diagnostics (-want +got):\n%s", diff)
			}
		})
	}
}

func TestExecuteProtocolErrors(t *testing.T) {
	c := connect(t, nil)
	ctx := context.Background()

	_, err := c.Execute(ctx, &sdk.ExecuteRequest{NodeType: "nope"})
	if status.Code(errors.Unwrap(err)) != codes.NotFound {
		t.Errorf("unknown node: err = %v, want NotFound", err)
	}

	resp, err := c.Execute(ctx, &sdk.ExecuteRequest{NodeType: "echo", TypeVersion: 7, NodeName: "Echo"})
	if err != nil {
		t.Fatal(err)
	}
	if !resp.Diagnostics.HasError() || !strings.Contains(resp.Diagnostics[0].Detail, "version 7") {
		t.Errorf("version 7: diagnostics = %+v", resp.Diagnostics)
	}

	resp, err = c.Execute(ctx, &sdk.ExecuteRequest{NodeType: "echo", NodeName: "Echo", Items: []sdk.Item{{Parameters: json.RawMessage(`{"panic":true}`)}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Diagnostics) != 1 || resp.Diagnostics[0].Kind != sdk.KindSystem || !strings.Contains(resp.Diagnostics[0].Detail, "boom") {
		t.Errorf("panic: diagnostics = %+v", resp.Diagnostics)
	}

	resp, err = c.Execute(ctx, &sdk.ExecuteRequest{NodeType: "echo", NodeName: "Echo", Items: []sdk.Item{{Parameters: json.RawMessage(`{"fail":12}`)}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Diagnostics) != 1 || resp.Diagnostics[0].Attribute.String() != "fail" || resp.Diagnostics[0].Kind != sdk.KindConfig {
		t.Errorf("bad parameter type: diagnostics = %+v", resp.Diagnostics)
	}
}

func TestRefreshCallbackOverBroker(t *testing.T) {
	host := &fakeHost{}
	c := connect(t, host)
	// A host announces its token service in GetMetadata and connects it
	// concurrently; the plugin waits for it when it needs a token first.
	if _, err := c.Metadata(context.Background(), "test", "0"); err != nil {
		t.Fatal(err)
	}
	req := &sdk.ExecuteRequest{
		NodeType: "echo", NodeName: "Echo",
		Items:       []sdk.Item{{Parameters: json.RawMessage(`{"refresh":true}`)}},
		Credentials: []sdk.Credential{{ID: "cred-1", Type: "echoApi", AccessToken: "stale"}},
	}
	resp, err := c.Execute(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([][]sdk.OutputItem{{{JSON: json.RawMessage(`{"token":"fresh"}`), PairedItem: 0}}}, resp.Outputs); diff != "" {
		t.Errorf("outputs (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"cred-1:stale"}, host.calls); diff != "" {
		t.Errorf("host calls (-want +got):\n%s", diff)
	}

	if err := c.HostService(context.Background()); err != nil {
		t.Fatalf("HostService: %v", err)
	}
	host.err = &sdk.Diagnostic{Severity: sdk.SeverityError, Kind: sdk.KindAuth, Summary: "Needs reconnect", Detail: "run nodeplug credentials connect x"}
	resp, err = c.Execute(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Diagnostics) != 1 || resp.Diagnostics[0].Kind != sdk.KindAuth || resp.Diagnostics[0].Summary != "Needs reconnect" {
		t.Errorf("diagnostics = %+v", resp.Diagnostics)
	}
}

func TestCredentialTest(t *testing.T) {
	c := connect(t, nil)
	tests := map[string]struct {
		token  string
		status sdk.TestStatus
		code   string
	}{
		"good token": {token: "good", status: sdk.TestOK},
		"bad token":  {token: "bad", status: sdk.TestFailed, code: "echo.bad_token"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			r, err := c.TestCredential(context.Background(), &sdk.Credential{Type: "echoApi", AccessToken: tc.token})
			if err != nil {
				t.Fatal(err)
			}
			if r.Status != tc.status {
				t.Errorf("status = %v, want %v", r.Status, tc.status)
			}
			if tc.code != "" && (len(r.Diagnostics) != 1 || r.Diagnostics[0].Code != tc.code) {
				t.Errorf("diagnostics = %+v, want code %s", r.Diagnostics, tc.code)
			}
			if tc.status == sdk.TestOK && string(r.Account) != `{"id":12345678901234567890}` {
				t.Errorf("account = %s", r.Account)
			}
		})
	}
}

func TestNoRefreshWithoutHostService(t *testing.T) {
	c := connect(t, nil)
	if err := c.HostService(context.Background()); err != nil {
		t.Fatalf("HostService without a host: %v", err)
	}
	resp, err := c.Execute(context.Background(), &sdk.ExecuteRequest{
		NodeType: "echo", NodeName: "Echo",
		Items:       []sdk.Item{{Parameters: json.RawMessage(`{"refresh":true}`)}},
		Credentials: []sdk.Credential{{ID: "cred-1", Type: "echoApi", AccessToken: "stale"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Diagnostics) != 1 || !strings.Contains(resp.Diagnostics[0].Detail, sdk.ErrNoRefresher.Error()) {
		t.Errorf("diagnostics = %+v, want one saying the host cannot refresh", resp.Diagnostics)
	}
}

// TestStopKeepsWhatWasDone: when the host's context ends mid-batch (Ctrl-C),
// the plugin is asked to stop between items and the outputs of the items
// already done still reach the host.
func TestStopKeepsWhatWasDone(t *testing.T) {
	firstDone := make(chan struct{})
	p := &sdk.Plugin{Name: "slow", Version: "1", Nodes: []sdk.NodeDef{{
		Type: sdk.NodeType{Name: "slow", Versions: []float64{1}},
		Executor: sdk.PerItem(func(ctx context.Context, call sdk.ItemCall[struct{}]) ([]json.RawMessage, error) {
			if call.Index == 0 {
				close(firstDone)
				return []json.RawMessage{json.RawMessage(`{"created":1}`)}, nil
			}
			<-ctx.Done() // the second item waits until the host stops the run
			return nil, ctx.Err()
		}),
	}}}
	set := map[string]goplugin.Plugin{protocol.PluginName: &protocol.GRPCPlugin{Impl: p}}
	client, _ := goplugin.TestPluginGRPCConn(t, false, set)
	t.Cleanup(func() { _ = client.Close() })
	raw, err := client.Dispense(protocol.PluginName)
	if err != nil {
		t.Fatal(err)
	}
	c := raw.(*protocol.Client)

	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-firstDone
		cancel()
	}()
	resp, err := c.Execute(ctx, &sdk.ExecuteRequest{NodeType: "slow", NodeName: "Slow", ExecutionID: "7", Items: make([]sdk.Item, 3)})
	if err != nil {
		t.Fatalf("Execute after stop: %v", err)
	}
	if diff := cmp.Diff([][]sdk.OutputItem{{{JSON: json.RawMessage(`{"created":1}`), PairedItem: 0}}}, resp.Outputs); diff != "" {
		t.Errorf("outputs (-want +got):\n%s", diff)
	}
	if !resp.Diagnostics.HasError() || resp.Diagnostics[0].ItemIndex != 1 {
		t.Errorf("diagnostics = %+v, want an error on item 1", resp.Diagnostics)
	}
}
