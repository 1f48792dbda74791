package zoom_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/nodeplug/nodeplug/plugin/sdk"
	"github.com/nodeplug/nodeplug/plugin/zoom"
	"github.com/nodeplug/nodeplug/zoomsandbox"
)

func testCredential(t *testing.T, p *sdk.Plugin, c sdk.Credential) *sdk.TestResult {
	t.Helper()
	def, ok := p.Credential(c.Type)
	if !ok {
		t.Fatalf("no credential type %s", c.Type)
	}
	r, err := def.Tester.TestCredential(t.Context(), &c)
	if err != nil {
		t.Fatalf("TestCredential: %v", err)
	}
	return r
}

// TestCredentialTests runs the credential test as a new user would meet it:
// valid tokens of each kind, then the ways a token goes wrong.
func TestCredentialTests(t *testing.T) {
	t.Parallel()
	sb := newSandbox(t)
	// An app with no meeting or user scope at all, and one without user:read.
	narrow, err := zoomsandbox.New(zoomsandbox.Config{
		Apps: []zoomsandbox.App{
			{Name: "no-scopes", ClientID: "c1", ClientSecret: "s1", Kind: zoomsandbox.AppServerToServer, Scopes: []string{"webinar:read:admin"}},
			{Name: "meetings-only", ClientID: "c2", ClientSecret: "s2", Kind: zoomsandbox.AppUserOAuth, RedirectURIs: []string{"http://127.0.0.1/cb"},
				Scopes: []string{"meeting:read", "meeting:write"}},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	narrowSrv := &sandbox{Server: narrow, URL: newHTTPServer(t, narrow)}
	p, _, logs := newTestPlugin(t)

	expired, err := sb.MintAccessToken(oauthApp, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	revoked := sb.mint(t, oauthApp)
	sb.RevokeToken(revoked)
	s2sExpired, _ := sb.MintAccessToken(s2sApp, time.Minute)
	validOAuth := sb.mint(t, oauthApp)
	validS2S := sb.mint(t, s2sApp)
	sb.Advance(2 * time.Minute) // expires the one-minute tokens only
	jwt := "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJteS1hcGkta2V5IiwiZXhwIjoxNjg1NjAwMDAwfQ.bm90LWEtcmVhbC1zaWduYXR1cmU"

	offline := sdk.Credential{ID: "x", Type: "zoomOAuth2Api", Name: "offline", AccessToken: "tok-offline-secret",
		Data: json.RawMessage(`{"environment":"custom","oauthBaseUrl":"http://127.0.0.1:1","apiBaseUrl":"http://127.0.0.1:1"}`)}

	tests := map[string]struct {
		cred    sdk.Credential
		status  sdk.TestStatus
		message string // exact on success, contained on failure
		code    string
		kind    sdk.Kind
		account string
	}{
		"valid OAuth2 token": {
			cred: sb.credential("zoomOAuth2Api", validOAuth), status: sdk.TestOK,
			message: "Connected to Zoom as Ada Host <ada.host@example.test> (account q6g…, user type Licensed)",
			account: `{"id":"KDcuGIm1QgePTO8WbOqwIQ","email":"ada.host@example.test","display_name":"Ada Host","account_id":"q6gBJVO5TzexKYTb_I2rpg","type":2}`,
		},
		"valid Server-to-Server token": {
			cred: sb.credential("zoomServerToServerOAuthApi", validS2S), status: sdk.TestOK,
			message: "Connected to Zoom as Ada Host <ada.host@example.test> (account q6g…, user type Licensed)",
			account: `{"id":"KDcuGIm1QgePTO8WbOqwIQ","email":"ada.host@example.test","display_name":"Ada Host","account_id":"q6gBJVO5TzexKYTb_I2rpg","type":2}`,
		},
		"expired OAuth2 token": {
			cred: sb.credential("zoomOAuth2Api", expired), status: sdk.TestFailed, kind: sdk.KindAuth, code: "zoom.token_expired",
			message: "test the credential again (nodeplug credentials test zoom-zoomOAuth2Api); if it keeps failing, reconnect it (nodeplug credentials connect zoom-zoomOAuth2Api)",
		},
		"expired S2S token": {
			cred: sb.credential("zoomServerToServerOAuthApi", s2sExpired), status: sdk.TestFailed, kind: sdk.KindAuth, code: "zoom.token_expired",
			message: "The host fetches a new Server-to-Server token automatically (there is nothing to connect)",
		},
		"revoked token": {
			cred: sb.credential("zoomOAuth2Api", revoked), status: sdk.TestFailed, kind: sdk.KindAuth, code: "zoom.token_invalid",
			message: "The token was revoked or was not issued by Zoom. Reconnect the credential (nodeplug credentials connect zoom-zoomOAuth2Api)",
		},
		"JWT on zoomApi": {
			cred: sb.credential("zoomApi", jwt), status: sdk.TestFailed, kind: sdk.KindAuth, code: "zoom.jwt_retired",
			message: "Server-to-Server OAuth",
		},
		"unknown token on zoomApi": {
			cred: sb.credential("zoomApi", "some-pasted-token"), status: sdk.TestFailed, kind: sdk.KindAuth, code: "zoom.jwt_retired",
			message: "ended JWT apps in September 2023",
		},
		"token without any needed scope": {
			cred: narrowSrv.credential("zoomServerToServerOAuthApi", narrowSrv.mint(t, "no-scopes")), status: sdk.TestFailed, kind: sdk.KindAuth, code: "zoom.missing_scope",
			message: "The endpoint needs one of: meeting:read, meeting:read:admin. Add it to the app under Scopes in the Zoom App Marketplace; tokens issued after that carry it. " +
				"Then test the credential (nodeplug credentials test zoom-zoomServerToServerOAuthApi)",
		},
		"token that cannot read the user": {
			cred: narrowSrv.credential("zoomOAuth2Api", narrowSrv.mint(t, "meetings-only")), status: sdk.TestOK, code: "zoom.missing_scope",
			message: "Connected to Zoom: the token can list meetings, but it lacks a user:read scope, so the user cannot be named",
		},
		"no token yet": {
			cred: sb.credential("zoomOAuth2Api", ""), status: sdk.TestFailed, kind: sdk.KindAuth, code: "zoom.token_missing",
			message: "nodeplug credentials connect",
		},
		"Zoom unreachable": {
			cred: offline, status: sdk.TestFailed, kind: sdk.KindTransient, code: "zoom.unreachable", message: "Could not reach Zoom at 127.0.0.1:1",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			r := testCredential(t, p, tc.cred)
			if r.Status != tc.status {
				t.Fatalf("status %v, want %v: %s %+v", r.Status, tc.status, r.Message, r.Diagnostics)
			}
			if tc.status == sdk.TestOK && !strings.HasPrefix(tc.message, "Connected to Zoom:") {
				if r.Message != tc.message {
					t.Errorf("message %q, want %q", r.Message, tc.message)
				}
			} else if !strings.Contains(r.Message, tc.message) {
				t.Errorf("message %q does not contain %q", r.Message, tc.message)
			}
			if tc.account != "" {
				if diff := cmp.Diff(tc.account, string(r.Account)); diff != "" {
					t.Errorf("account (-want +got):\n%s", diff)
				}
			}
			if tc.code != "" {
				if len(r.Diagnostics) != 1 || r.Diagnostics[0].Code != tc.code || (tc.status == sdk.TestFailed && r.Diagnostics[0].Kind != tc.kind) {
					t.Errorf("diagnostics %+v, want code %s kind %v", r.Diagnostics, tc.code, tc.kind)
				}
			}
			if strings.Contains(r.Message, tc.cred.AccessToken) && tc.cred.AccessToken != "" {
				t.Error("the message shows the token")
			}
		})
	}
	if strings.Contains(logs.String(), validOAuth) || strings.Contains(logs.String(), "tok-offline-secret") {
		t.Error("a token was logged")
	}
}

func TestResolveAuth(t *testing.T) {
	t.Parallel()
	p := zoom.New()
	tests := map[string]struct {
		typ, data string
		want      *sdk.ResolvedAuth
		diagAttr  []string
	}{
		"OAuth2 zoom.us by default": {"zoomOAuth2Api", `{"clientId":"abc"}`,
			&sdk.ResolvedAuth{AuthorizeURL: "https://zoom.us/oauth/authorize", TokenURL: "https://zoom.us/oauth/token", Scopes: []string{"meeting:read", "meeting:write"}}, nil},
		"OAuth2 Zoom for Government": {"zoomOAuth2Api", `{"environment":"zoomGov","scope":"meeting:read meeting:write user:read"}`,
			&sdk.ResolvedAuth{AuthorizeURL: "https://zoomgov.com/oauth/authorize", TokenURL: "https://zoomgov.com/oauth/token", Scopes: []string{"meeting:read", "meeting:write", "user:read"}}, nil},
		"OAuth2 custom sandbox": {"zoomOAuth2Api", `{"environment":"custom","oauthBaseUrl":"http://127.0.0.1:9901/","apiBaseUrl":"http://127.0.0.1:9901","scope":""}`,
			&sdk.ResolvedAuth{AuthorizeURL: "http://127.0.0.1:9901/oauth/authorize", TokenURL: "http://127.0.0.1:9901/oauth/token", Scopes: []string{}}, nil},
		"OAuth2 custom URL not http": {"zoomOAuth2Api", `{"environment":"custom","oauthBaseUrl":"ftp://127.0.0.1:9901"}`,
			&sdk.ResolvedAuth{Scopes: []string{"meeting:read", "meeting:write"}}, []string{"oauthBaseUrl"}},
		"OAuth2 custom without URL": {"zoomOAuth2Api", `{"environment":"custom"}`,
			&sdk.ResolvedAuth{Scopes: []string{"meeting:read", "meeting:write"}}, []string{"oauthBaseUrl"}},
		"OAuth2 custom bad API URL": {"zoomOAuth2Api", `{"environment":"custom","oauthBaseUrl":"https://proxy.example.test","apiBaseUrl":"javascript:alert(1)"}`,
			&sdk.ResolvedAuth{AuthorizeURL: "https://proxy.example.test/oauth/authorize", TokenURL: "https://proxy.example.test/oauth/token", Scopes: []string{"meeting:read", "meeting:write"}}, []string{"apiBaseUrl"}},
		"unknown environment": {"zoomOAuth2Api", `{"environment":"zoomEU"}`,
			&sdk.ResolvedAuth{Scopes: []string{"meeting:read", "meeting:write"}}, []string{"environment"}},
		"S2S": {"zoomServerToServerOAuthApi", `{"accountId":" q6gBJVO5TzexKYTb_I2rpg ","clientId":"c"}`,
			&sdk.ResolvedAuth{TokenURL: "https://zoom.us/oauth/token", TokenParams: map[string]string{"account_id": "q6gBJVO5TzexKYTb_I2rpg"}}, nil},
		"S2S government": {"zoomServerToServerOAuthApi", `{"environment":"zoomGov","accountId":"acct"}`,
			&sdk.ResolvedAuth{TokenURL: "https://zoomgov.com/oauth/token", TokenParams: map[string]string{"account_id": "acct"}}, nil},
		"S2S custom": {"zoomServerToServerOAuthApi", `{"environment":"custom","oauthBaseUrl":"http://localhost:9901","accountId":"acct"}`,
			&sdk.ResolvedAuth{TokenURL: "http://localhost:9901/oauth/token", TokenParams: map[string]string{"account_id": "acct"}}, nil},
		"S2S without account": {"zoomServerToServerOAuthApi", `{}`,
			&sdk.ResolvedAuth{TokenURL: "https://zoom.us/oauth/token", TokenParams: map[string]string{"account_id": ""}}, []string{"accountId"}},
		"JWT":             {"zoomApi", `{}`, &sdk.ResolvedAuth{}, nil},
		"JWT bad API URL": {"zoomApi", `{"environment":"custom","apiBaseUrl":"127.0.0.1:9901"}`, &sdk.ResolvedAuth{}, []string{"apiBaseUrl"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			def, _ := p.Credential(tc.typ)
			got, err := def.Resolver.ResolveAuth(t.Context(), &sdk.ResolveAuthRequest{CredentialType: tc.typ, Data: json.RawMessage(tc.data)})
			if err != nil {
				t.Fatal(err)
			}
			var attrs []string
			for _, d := range got.Diagnostics {
				if d.Severity != sdk.SeverityError || d.Kind != sdk.KindConfig || d.Detail == "" {
					t.Errorf("diagnostic %+v", d)
				}
				attrs = append(attrs, d.Attribute.String())
			}
			if diff := cmp.Diff(tc.diagAttr, attrs); diff != "" {
				t.Errorf("diagnostic attributes (-want +got):\n%s", diff)
			}
			got.Diagnostics = nil
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("resolved (-want +got):\n%s", diff)
			}
		})
	}
}
