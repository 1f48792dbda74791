package zoom_test

import (
	"fmt"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/nodeplug/nodeplug/plugin/sdk"
)

// oddName is a credential name that a shell splits unless it is quoted.
const oddName = "Ada's Zoom"

// quotedOddName is oddName quoted for a POSIX shell.
const quotedOddName = `'Ada'\''s Zoom'`

// doubledPunctuation matches "..", ": :", ". ." and the like.
var doubledPunctuation = regexp.MustCompile(`\.\.|[.:;,]\s*[:;,]|[:;,]\s*\.`)

// suggestedCommands returns the nodeplug commands in a message: from
// "nodeplug credentials" to the first ")" or "," that is neither in single
// quotes nor backslash-escaped.
func suggestedCommands(msg string) []string {
	var out []string
	for {
		i := strings.Index(msg, "nodeplug credentials")
		if i < 0 {
			return out
		}
		msg = msg[i:]
		end, quoted, escaped := len(msg), false, false
		for j, c := range msg {
			switch {
			case escaped:
				escaped = false
			case c == '\'':
				quoted = !quoted
			case !quoted && c == '\\':
				escaped = true
			case !quoted && (c == ')' || c == ','):
				end = j
			}
			if end != len(msg) {
				break
			}
		}
		out = append(out, strings.TrimSpace(msg[:end]))
		msg = msg[end:]
	}
}

// shArgs has sh split a command line into its arguments; ok is false
// without sh.
func shArgs(t *testing.T, cmdline string) ([]string, bool) {
	t.Helper()
	sh, err := exec.LookPath("sh")
	if err != nil {
		return nil, false
	}
	out, err := exec.Command(sh, "-c", `eval "set -- $1"; for a in "$@"; do printf '%s\0' "$a"; done`, "sh", cmdline).Output()
	if err != nil {
		t.Fatalf("sh could not parse %q: %v", cmdline, err)
	}
	args := strings.Split(string(out), "\x00")
	return args[:len(args)-1], true
}

// checkCommands checks that every command a message suggests works when
// pasted: sh reads the credential name back as one argument, and a
// credential is created with its own type.
func checkCommands(t *testing.T, msg, name, typ string) {
	t.Helper()
	for _, c := range suggestedCommands(msg) {
		args, ok := shArgs(t, c)
		if !ok {
			t.Logf("no sh to parse %q", c)
			continue
		}
		if len(args) < 4 || args[0] != "nodeplug" || args[1] != "credentials" {
			t.Errorf("command %q parses into %q", c, args)
			continue
		}
		switch verb := args[2]; verb {
		case "create":
			if i := slices.Index(args, "--name"); i < 0 || i+1 >= len(args) || args[i+1] != name {
				t.Errorf("command %q: --name is not %q: %q", c, name, args)
			}
			if i := slices.Index(args, "--type"); i < 0 || i+1 >= len(args) || args[i+1] != typ {
				t.Errorf("command %q: --type is not %s: %q", c, typ, args)
			}
		case "connect", "test", "delete", "update":
			rest := args[3:]
			if rest[0] == "--" {
				rest = rest[1:]
			}
			if len(rest) != 1 || rest[0] != name {
				t.Errorf("command %q: arguments %q, want the one name %q", c, rest, name)
			}
			if verb == "connect" && typ != "zoomOAuth2Api" {
				t.Errorf("command %q: only zoomOAuth2Api credentials can be connected, this is %s", c, typ)
			}
		default:
			t.Errorf("command %q: unknown verb %s", c, verb)
		}
	}
}

// hostRefusal is a failed token request as a host reports it, ending in a
// period, as the host's messages may.
func hostRefusal() (sdk.Token, error) {
	return sdk.Token{}, &sdk.Diagnostic{Severity: sdk.SeverityError, Kind: sdk.KindAuth, Summary: "Token request failed",
		Detail: "the token endpoint answered HTTP 400 invalid_grant.", ItemIndex: sdk.NoItem}
}

// TestCredentialAdviceFitsTheType runs each way a token goes wrong for each
// credential type and checks that the advice can work for that type: no
// connect for Server-to-Server or JWT credentials, commands that survive
// being pasted, no doubled punctuation. The messages are pinned in
// testdata/credential_messages.golden.txt.
func TestCredentialAdviceFitsTheType(t *testing.T) {
	t.Parallel()
	expired := answer{401, `{"code":124,"message":"Access token is expired."}`, nil}
	invalid := answer{401, `{"code":124,"message":"Invalid access token."}`, nil}
	noScope := answer{400, `{"code":4711,"message":"Invalid access token, does not contain scopes:[meeting:read:list_meetings, meeting:read:list_meetings:admin]."}`, nil}
	fresh := func() (sdk.Token, error) { return sdk.Token{AccessToken: "tok-2"}, nil }
	empty := func() (sdk.Token, error) { return sdk.Token{}, nil }

	const (
		oauth = "zoomOAuth2Api"
		s2s   = "zoomServerToServerOAuthApi"
		jwt   = "zoomApi"
	)
	connect := "nodeplug credentials connect " + quotedOddName
	test := "nodeplug credentials test " + quotedOddName
	recreateS2S := "nodeplug credentials update " + quotedOddName
	recreateJWT := "nodeplug credentials update " + quotedOddName
	activated := "check in the Zoom App Marketplace that the Server-to-Server OAuth app is activated and that the credential's account ID, client ID and client secret are right"
	retired := "ended JWT apps in September 2023"

	type want struct {
		code     string
		contains []string
	}
	tests := []struct {
		name    string
		token   string
		answers []answer
		refresh func() (sdk.Token, error) // nil: the host offers no refresh
		viaTest bool                      // the credential test instead of a run
		want    map[string]want
	}{
		{name: "expired after a refresh", token: "tok", answers: []answer{expired, expired}, refresh: fresh, want: map[string]want{
			oauth: {"zoom.token_expired", []string{test, connect}},
			s2s:   {"zoom.token_expired", []string{"The host fetches a new Server-to-Server token automatically", activated, recreateS2S}},
			jwt:   {"zoom.token_expired", []string{"static token that the host cannot refresh", recreateJWT}},
		}},
		{name: "rejected after a refresh", token: "tok", answers: []answer{invalid, invalid}, refresh: fresh, want: map[string]want{
			oauth: {"zoom.token_invalid", []string{"Reconnect the credential (" + connect + ")"}},
			s2s:   {"zoom.token_invalid", []string{"The host fetches a new Server-to-Server token automatically", activated, recreateS2S}},
			jwt:   {"zoom.jwt_retired", []string{retired}},
		}},
		{name: "host refresh fails", token: "tok", answers: []answer{invalid}, refresh: hostRefusal, want: map[string]want{
			oauth: {"zoom.refresh_failed", []string{"invalid_grant. Reconnect the credential (" + connect + ")"}},
			s2s:   {"zoom.refresh_failed", []string{"invalid_grant. C" + activated[1:], recreateS2S}},
			jwt:   {"zoom.jwt_retired", []string{retired}},
		}},
		{name: "host offers no refresh", token: "tok", answers: []answer{invalid}, want: map[string]want{
			oauth: {"zoom.token_invalid", []string{connect, "no token refresh"}},
			s2s:   {"zoom.token_invalid", []string{activated, "no token refresh"}},
			jwt:   {"zoom.jwt_retired", []string{retired}},
		}},
		{name: "missing scope", token: "tok", answers: []answer{noScope}, refresh: fresh, want: map[string]want{
			oauth: {"zoom.missing_scope", []string{"then reconnect (" + connect + ") so that the new token carries it"}},
			s2s:   {"zoom.missing_scope", []string{"tokens issued after that carry it. Then test the credential (" + test + ")", "the host fetches a new one"}},
			jwt:   {"zoom.missing_scope", []string{"cannot gain scopes", retired}},
		}},
		{name: "no token", token: "", refresh: empty, want: map[string]want{
			oauth: {"zoom.token_missing", []string{"connect it (" + connect + ")"}},
			s2s:   {"zoom.token_missing", []string{"account credentials grant", test, activated}},
			jwt:   {"zoom.token_missing", []string{recreateJWT, retired}},
		}},
		{name: "credential test: expired", token: "tok", answers: []answer{expired}, viaTest: true, want: map[string]want{
			oauth: {"zoom.token_expired", []string{test, connect}},
			s2s:   {"zoom.token_expired", []string{"fetches a new Server-to-Server token automatically", activated}},
			jwt:   {"zoom.token_expired", []string{recreateJWT}},
		}},
		{name: "credential test: rejected", token: "tok", answers: []answer{invalid}, viaTest: true, want: map[string]want{
			oauth: {"zoom.token_invalid", []string{connect}},
			s2s:   {"zoom.token_invalid", []string{activated, recreateS2S}},
			jwt:   {"zoom.jwt_retired", []string{retired}},
		}},
	}
	p, _, _ := newTestPlugin(t)
	var golden strings.Builder
	for _, tc := range tests {
		for _, typ := range []string{oauth, s2s, jwt} {
			t.Run(tc.name+"/"+typ, func(t *testing.T) {
				w := tc.want[typ]
				url := newHTTPServer(t, &scripted{answers: tc.answers})
				cred := scriptedCred(url)
				cred.Type, cred.Name, cred.AccessToken = typ, oddName, tc.token
				if tc.refresh != nil {
					cred.Refresher = &refresher{next: tc.refresh}
				}
				var d sdk.Diagnostic
				if tc.viaTest {
					r := testCredential(t, p, cred)
					if r.Status != sdk.TestFailed || len(r.Diagnostics) != 1 {
						t.Fatalf("test result %+v", r)
					}
					d = r.Diagnostics[0]
				} else {
					d = onlyDiag(t, execute(t, p, cred, sdk.OnErrorStop, `{"operation":"getAll"}`))
				}
				msg := d.Error()
				fmt.Fprintf(&golden, "%s / %s: %s\n\t%s\n", tc.name, typ, d.Code, msg)
				if d.Code != w.code || d.Kind != sdk.KindAuth {
					t.Errorf("code %s kind %v, want %s auth: %s", d.Code, d.Kind, w.code, msg)
				}
				for _, s := range w.contains {
					if !strings.Contains(msg, s) {
						t.Errorf("message does not contain %q:\n%s", s, msg)
					}
				}
				if typ != oauth && strings.Contains(msg, "credentials connect") {
					t.Errorf("%s credentials cannot be connected, yet the message says so:\n%s", typ, msg)
				}
				if m := doubledPunctuation.FindString(msg); m != "" {
					t.Errorf("doubled punctuation %q in:\n%s", m, msg)
				}
				if strings.Contains(msg, "credentials connect "+oddName) || strings.Contains(msg, "credentials test "+oddName) {
					t.Errorf("unquoted name in a command:\n%s", msg)
				}
				checkCommands(t, msg, oddName, typ)
			})
		}
	}
	checkGolden(t, "credential_messages.golden.txt", []byte(golden.String()))
}

// TestSuggestedCommandsQuoteOnlyWhenNeeded: plain names stay as they are,
// names a shell would split are quoted, and a name that looks like a flag
// comes after "--".
func TestSuggestedCommandsQuoteOnlyWhenNeeded(t *testing.T) {
	t.Parallel()
	p, _, _ := newTestPlugin(t)
	tests := map[string]struct {
		typ, name, want string
	}{
		"plain OAuth2":      {"zoomOAuth2Api", "zoom-prod", "(nodeplug credentials connect zoom-prod)"},
		"spaces OAuth2":     {"zoomOAuth2Api", "good s2s", "(nodeplug credentials connect 'good s2s')"},
		"dollar OAuth2":     {"zoomOAuth2Api", "$ZOOM", "(nodeplug credentials connect '$ZOOM')"},
		"flag-like OAuth2":  {"zoomOAuth2Api", "-prod", "(nodeplug credentials connect -- -prod)"},
		"plain S2S":         {"zoomServerToServerOAuthApi", "zoom-s2s", "(nodeplug credentials update zoom-s2s)"},
		"spaces S2S":        {"zoomServerToServerOAuthApi", "My Zoom S2S", "(nodeplug credentials update 'My Zoom S2S')"},
		"flag-like S2S":     {"zoomServerToServerOAuthApi", "-s2s", "(nodeplug credentials update -- -s2s)"},
		"plain JWT expired": {"zoomApi", "jwt", "(nodeplug credentials update jwt)"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			url := newHTTPServer(t, &scripted{answers: []answer{{401, `{"code":124,"message":"Access token is expired."}`, nil}}})
			cred := scriptedCred(url)
			cred.Type, cred.Name = tc.typ, tc.name
			d := onlyDiag(t, execute(t, p, cred, sdk.OnErrorStop, `{"operation":"getAll"}`))
			if !strings.Contains(d.Detail, tc.want) {
				t.Errorf("detail does not contain %q:\n%s", tc.want, d.Detail)
			}
			checkCommands(t, d.Detail, tc.name, tc.typ)
		})
	}
}

// TestValidationNamesEveryField: a code-300 answer becomes one diagnostic
// (the sdk fails an item with one) whose detail lists every field Zoom
// rejected, each as the node parameter where one matches, and whose
// attribute is the first such parameter. The messages are pinned in
// testdata/validation_messages.golden.txt.
func TestValidationNamesEveryField(t *testing.T) {
	t.Parallel()
	const (
		create = `{"authentication":"oAuth2","topic":"x","additionalFields":{"password":"pass word","settings":{"audio":"stereo"}}}`
		update = `{"authentication":"oAuth2","operation":"update","meetingId":"1","updateFields":{"startTime":"2020-01-01T00:00:00Z","settings":{"audio":"stereo"}}}`
		getAll = `{"authentication":"oAuth2","operation":"getAll","limit":5,"filters":{"type":"past"}}`
	)
	failed := func(body string) answer { return answer{400, body, nil} }
	tests := []struct {
		name    string
		params  string
		answer  answer
		summary string
		attr    string
		fields  []string // Zoom fields that the detail names, each once
		params2 []string // node parameters that the detail names
	}{
		{"update: three fields", update,
			failed(`{"code":300,"message":"Validation Failed.","errors":[{"field":"start_time","message":"Invalid field."},{"field":"settings.audio","message":"Invalid field."},{"field":"settings.jbh_time","message":"Invalid field."}]}`),
			"Zoom rejected 3 fields", "updateFields.startTime",
			[]string{"start_time", "settings.audio", "settings.jbh_time"}, []string{"updateFields.startTime", "updateFields.settings.audio"}},
		{"create: the first field has no parameter", create,
			failed(`{"code":300,"message":"Validation Failed.","errors":[{"field":"settings.jbh_time","message":"Invalid field."},{"field":"password","message":"Invalid field."},{"field":"settings.audio","message":"Must be voip, telephony or both."}]}`),
			"Zoom rejected 3 fields", "additionalFields.password",
			[]string{"settings.jbh_time", "password", "settings.audio"}, []string{"additionalFields.password", "additionalFields.settings.audio"}},
		{"repeated entries count once", create,
			failed(`{"code":300,"message":"Validation Failed.","errors":[{"field":"password","message":"Invalid field."},{"field":"password","message":"Invalid field."},{"field":"topic","message":"Invalid field."}]}`),
			"Zoom rejected 2 fields", "additionalFields.password",
			[]string{"password", "topic"}, []string{"additionalFields.password", "topic"}},
		{"unnamed field, empty message", create,
			failed(`{"code":300,"message":"Validation Failed.","errors":[{"field":"","message":""}]}`),
			"Zoom rejected 1 field", "", nil, nil},
		{"Zoom's own doubled period", create,
			failed(`{"code":300,"message":"Validation Failed.","errors":[{"field":"password","message":" Invalid field..  "}]}`),
			"Zoom rejected 1 field", "additionalFields.password", []string{"password"}, []string{"additionalFields.password"}},
		{"getAll fields", getAll,
			failed(`{"code":300,"message":"Validation Failed.","errors":[{"field":"type","message":"Invalid field."},{"field":"page_size","message":"Invalid field."}]}`),
			"Zoom rejected 2 fields", "filters.type", []string{"type", "page_size"}, []string{"filters.type", "limit"}},
		{"no errors[], a parameter named", getAll,
			failed(`{"code":300,"message":"Invalid parameter: page_size."}`),
			"Zoom rejected the request's values", "limit", nil, []string{"limit"}},
		{"no errors[], an unknown parameter named", getAll,
			failed(`{"code":300,"message":"Invalid parameter: from."}`),
			"Zoom rejected the request's values", "", nil, nil},
	}
	p, _, _ := newTestPlugin(t)
	var golden strings.Builder
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			url := newHTTPServer(t, &scripted{answers: []answer{tc.answer}})
			d := onlyDiag(t, execute(t, p, scriptedCred(url), sdk.OnErrorStop, tc.params))
			msg := d.Error()
			fmt.Fprintf(&golden, "%s: %s [%s]\n\t%s\n", tc.name, d.Code, d.Attribute, msg)
			if d.Code != "zoom.validation_failed" || d.Kind != sdk.KindConfig || d.Summary != tc.summary || d.Attribute.String() != tc.attr {
				t.Errorf("got %s %v %q on %q, want zoom.validation_failed config %q on %q", d.Code, d.Kind, d.Summary, d.Attribute, tc.summary, tc.attr)
			}
			for _, f := range tc.fields {
				if n := strings.Count(d.Detail, "Zoom field "+f+")") + strings.Count(d.Detail, "Zoom field "+f+" (not a node parameter)"); n != 1 {
					t.Errorf("Zoom field %s named %d times, want once:\n%s", f, n, d.Detail)
				}
			}
			for _, p := range tc.params2 {
				if !strings.Contains(d.Detail, p+" (Zoom field ") && !strings.Contains(d.Detail, "is the parameter "+p+":") {
					t.Errorf("parameter %s not named:\n%s", p, d.Detail)
				}
			}
			if m := doubledPunctuation.FindString(msg); m != "" {
				t.Errorf("doubled punctuation %q in:\n%s", m, msg)
			}
		})
	}
	checkGolden(t, "validation_messages.golden.txt", []byte(golden.String()))
}
