package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/nodeplug/nodeplug/host/workflow"
	"github.com/nodeplug/nodeplug/plugin/sdk"
)

func testCredentialType() *sdk.CredentialType {
	return &sdk.CredentialType{
		Name: "zoomOAuth2Api",
		Properties: []sdk.Property{
			{Name: "notice", Type: sdk.TypeNotice},
			{Name: "environment", DisplayName: "Environment", Type: sdk.TypeOptions, Default: sdk.JSON("zoom"),
				Options: []sdk.Option{{Name: "Zoom", Value: sdk.JSON("zoom")}, {Name: "Custom", Value: sdk.JSON("custom")}}},
			{Name: "apiBaseUrl", DisplayName: "API Base URL", Type: sdk.TypeString, Required: true, DisplayOptions: sdk.ShowWhen("environment", "custom")},
			{Name: "clientId", DisplayName: "Client ID", Type: sdk.TypeString, Required: true},
			{Name: "clientSecret", DisplayName: "Client Secret", Type: sdk.TypeString, Required: true, Secret: true},
			{Name: "retries", DisplayName: "Retries", Type: sdk.TypeNumber},
		},
	}
}

func TestValidateProperties(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		in      string
		want    map[string]any
		wantErr []string
	}{
		"defaults filled": {
			in:   `{"clientId":"id","clientSecret":"s"}`,
			want: map[string]any{"environment": "zoom", "clientId": "id", "clientSecret": "s"},
		},
		"shown property required only when shown": {
			in:      `{"environment":"custom","clientId":"id","clientSecret":"s"}`,
			wantErr: []string{"apiBaseUrl (API Base URL) is required"},
		},
		"unknown property named with the known ones": {
			in:      `{"clientID":"id","clientSecret":"s"}`,
			wantErr: []string{`has no property "clientID"`, "environment, apiBaseUrl, clientId, clientSecret, retries"},
		},
		"every problem listed": {
			in:      `{"environment":"moon","retries":"three"}`,
			wantErr: []string{"environment must be one of \"zoom\", \"custom\"", "clientId (Client ID) is required", "clientSecret (Client Secret) is required", "retries must be a number"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			data, err := readJSONProperties(strings.NewReader(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			got, err := validateProperties(testCredentialType(), data)
			if len(tc.wantErr) > 0 {
				if err == nil {
					t.Fatalf("no error; got %v", got)
				}
				for _, w := range tc.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q lacks %q", err, w)
					}
				}
				if strings.Contains(err.Error(), `"s"`) {
					t.Errorf("error shows a secret value: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestPublicDataDropsSecrets(t *testing.T) {
	t.Parallel()
	got := publicData(testCredentialType(), map[string]any{"clientId": "id", "clientSecret": "hunter2", "environment": "zoom"})
	var m map[string]any
	if err := json.Unmarshal(got, &m); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]any{"clientId": "id", "environment": "zoom"}, m); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestNodeCredentialTypes(t *testing.T) {
	t.Parallel()
	nt := &sdk.NodeType{
		Properties: []sdk.Property{{Name: "authentication", Type: sdk.TypeOptions, Default: sdk.JSON("accessToken")}},
		Credentials: []sdk.NodeCredential{
			{Name: "zoomApi", Required: true, DisplayOptions: sdk.ShowWhen("authentication", "accessToken")},
			{Name: "zoomOAuth2Api", Required: true, DisplayOptions: sdk.ShowWhen("authentication", "oAuth2")},
		},
	}
	tests := map[string]struct {
		node workflow.Node
		want []string
	}{
		"workflow names the credential": {
			node: workflow.Node{Parameters: json.RawMessage(`{"authentication":""}`), Credentials: map[string]workflow.CredentialRef{"zoomOAuth2Api": {}}},
			want: []string{"zoomOAuth2Api"},
		},
		"from the authentication parameter": {
			node: workflow.Node{Parameters: json.RawMessage(`{"authentication":"oAuth2"}`)},
			want: []string{"zoomOAuth2Api"},
		},
		"from the parameter's default": {
			node: workflow.Node{Parameters: json.RawMessage(`{}`)},
			want: []string{"zoomApi"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tc.want, nodeCredentialTypes(&tc.node, nt)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestDiagnosticsErrorNamesItemParameterAndKind(t *testing.T) {
	t.Parallel()
	e := &diagnosticsError{diags: sdk.Diagnostics{{Severity: sdk.SeverityError, Kind: sdk.KindNotFound, Summary: "Meeting 85746065432 was not found", Attribute: sdk.ParsePath("meetingId"), ItemIndex: 0}}}
	want := `item 0: Meeting 85746065432 was not found (parameter "meetingId") [not-found]`
	if e.Error() != want {
		t.Errorf("got %q, want %q", e.Error(), want)
	}
}
