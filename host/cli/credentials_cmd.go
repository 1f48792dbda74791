package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os/exec"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/nodeplug/nodeplug/host/internal/shellquote"
	"github.com/nodeplug/nodeplug/host/oauth"
	"github.com/nodeplug/nodeplug/host/plugins"
	"github.com/nodeplug/nodeplug/host/store"
	"github.com/nodeplug/nodeplug/plugin/sdk"
)

// DefaultCallbackURL is where the host receives OAuth2 redirects; it is the
// URL to enter as the OAuth Redirect URL in the provider's app settings.
const DefaultCallbackURL = "http://localhost:8737/oauth2/callback"

// EnvCallbackURL overrides DefaultCallbackURL.
const EnvCallbackURL = "NODEPLUG_CALLBACK_URL"

func (a *app) credentialsCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "credentials",
		Aliases: []string{"credential", "creds"},
		Short:   "Create, connect, test and manage credentials (stored encrypted)",
	}
	cmd.AddCommand(a.credCreateCommand(), a.credUpdateCommand(), a.credListCommand(), a.credShowCommand(), a.credDeleteCommand(), a.credConnectCommand(), a.credTestCommand())
	return cmd
}

func (a *app) callbackURL(flag string) string {
	if flag != "" {
		return flag
	}
	if v := a.io.Getenv(EnvCallbackURL); v != "" {
		return v
	}
	return DefaultCallbackURL
}

func (a *app) credCreateCommand() *cobra.Command {
	var typ, name string
	cmd := &cobra.Command{
		Use:   "create --type TYPE --name NAME",
		Short: "Create a credential; asks for each property, or reads them as JSON from standard input",
		Long: `Create a credential of a type that a plugin serves (see nodeplug plugins).

On a terminal, nodeplug asks for each property and reads secrets without echo.
Otherwise it reads one JSON object of properties from standard input.
Secrets are never taken from command-line arguments.`,
		Example: `  nodeplug credentials create --type zoomOAuth2Api --name zoom
  echo '{"accountId":"…","clientId":"…","clientSecret":"…"}' | nodeplug credentials create --type zoomServerToServerOAuthApi --name zoom-s2s`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if typ == "" || name == "" {
				return errors.New("both --type and --name are required: e.g. nodeplug credentials create --type zoomOAuth2Api --name zoom")
			}
			if strings.HasPrefix(name, "-") || strings.TrimSpace(name) != name {
				return fmt.Errorf("credential name %q must not start with '-' or have spaces around it", name)
			}
			p, ct, err := a.credentialType(ctx, typ)
			if err != nil {
				return err
			}
			st, err := a.store(ctx)
			if err != nil {
				return err
			}
			if _, err := st.Credential(ctx, name); err == nil {
				return fmt.Errorf("a credential named %q already exists: choose another --name, or delete it first (nodeplug credentials delete %s)", name, shellquote.Quote(name))
			}
			data, err := a.readProperties(ct, nil)
			if err != nil {
				return err
			}
			data, err = validateProperties(ct, data)
			if err != nil {
				return err
			}
			if err := checkEndpoints(ctx, p, ct, data); err != nil {
				return err
			}
			c := &store.Credential{Name: name, Type: typ, Data: data, Status: store.StatusNew}
			if err := st.CreateCredential(ctx, c); err != nil {
				return err
			}
			fmt.Fprintf(a.io.Out, "Created credential %q (%s).\n", name, ct.DisplayName)
			if ct.DeprecationNotice != "" {
				fmt.Fprintf(a.io.Err, "warning: %s is deprecated: %s\n", ct.Name, ct.DeprecationNotice)
			}
			switch ct.Auth.Kind {
			case sdk.AuthOAuth2AuthorizationCode:
				fmt.Fprintf(a.io.Out, "Next: enter this OAuth Redirect URL in your app's settings:\n  %s\nthen run: nodeplug credentials connect %s\n", a.callbackURL(""), shellquote.Quote(name))
			default:
				fmt.Fprintf(a.io.Out, "Next: nodeplug credentials test %s\n", shellquote.Quote(name))
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&typ, "type", "", "credential type, e.g. zoomOAuth2Api")
	cmd.Flags().StringVar(&name, "name", "", "a unique name for the credential")
	return cmd
}

// readProperties asks for the properties on a terminal (current values are
// kept on Enter) or reads them as one JSON object from standard input.
func (a *app) readProperties(ct *sdk.CredentialType, current map[string]any) (map[string]any, error) {
	if a.io.IsTerminal != nil && a.io.IsTerminal() {
		return a.promptProperties(ct, current)
	}
	return readJSONProperties(a.io.In)
}

func (a *app) credUpdateCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "update NAME",
		Short: "Change some properties of a credential (e.g. a new client secret)",
		Long: `Change properties of a credential. On a terminal, nodeplug asks for each
property and keeps the current value when you press Enter. Otherwise it reads
a JSON object of the properties to change from standard input; the others keep
their values. The stored token is dropped: connect or test the credential
again afterwards.`,
		Example: `  echo '{"clientSecret":"…"}' | nodeplug credentials update zoom-s2s`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			st, c, err := a.loadCredential(ctx, args[0])
			if err != nil {
				return err
			}
			p, ct, err := a.credentialType(ctx, c.Type)
			if err != nil {
				return err
			}
			changes, err := a.readProperties(ct, c.Data)
			if err != nil {
				return err
			}
			merged := map[string]any{}
			for k, v := range c.Data {
				merged[k] = v
			}
			for k, v := range changes {
				merged[k] = v
			}
			merged, err = validateProperties(ct, merged)
			if err != nil {
				return err
			}
			if err := checkEndpoints(ctx, p, ct, merged); err != nil {
				return err
			}
			if err := st.UpdateCredentialData(ctx, c.ID, merged); err != nil {
				return err
			}
			fmt.Fprintf(a.io.Out, "Updated credential %q.\n", c.Name)
			if ct.Auth.Kind == sdk.AuthOAuth2AuthorizationCode {
				fmt.Fprintf(a.io.Out, "Next: nodeplug credentials connect %s\n", shellquote.Quote(c.Name))
			} else {
				fmt.Fprintf(a.io.Out, "Next: nodeplug credentials test %s\n", shellquote.Quote(c.Name))
			}
			return nil
		},
	}
}

func readJSONProperties(r io.Reader) (map[string]any, error) {
	b, err := io.ReadAll(io.LimitReader(r, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("reading properties from standard input: %w", err)
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, errors.New("standard input is empty: pipe a JSON object of the credential's properties (see nodeplug describe TYPE), or run on a terminal to be asked for each")
	}
	var data map[string]any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&data); err != nil {
		return nil, fmt.Errorf("standard input is not a JSON object of properties (e.g. {\"clientId\": \"…\"}; see nodeplug describe TYPE): %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("standard input has more after the JSON object of properties: give exactly one object")
	}
	return data, nil
}

// shown evaluates a property's display options against the values so far.
func shown(p sdk.Property, data map[string]any) bool {
	if p.DisplayOptions == nil {
		return true
	}
	match := func(c sdk.Condition) bool {
		v, _ := json.Marshal(data[c.Property])
		for _, want := range c.Values {
			if bytes.Equal(bytes.TrimSpace(want), v) {
				return true
			}
		}
		return false
	}
	for _, c := range p.DisplayOptions.Show {
		if !match(c) {
			return false
		}
	}
	for _, c := range p.DisplayOptions.Hide {
		if match(c) {
			return false
		}
	}
	return true
}

// validateProperties checks data against the type: unknown names, required
// values and types; it fills defaults.
func validateProperties(ct *sdk.CredentialType, data map[string]any) (map[string]any, error) {
	out := map[string]any{}
	known := map[string]bool{}
	for _, p := range ct.Properties {
		known[p.Name] = true
	}
	var unknown []string
	for k := range data {
		if !known[k] {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		var names []string
		for _, p := range ct.Properties {
			if p.Type != sdk.TypeNotice && !p.Hidden {
				names = append(names, p.Name)
			}
		}
		return nil, fmt.Errorf("credential type %s has no property %s; its properties are: %s", ct.Name, strings.Join(quoteAll(unknown), ", "), strings.Join(names, ", "))
	}
	for _, p := range ct.Properties {
		if p.Type == sdk.TypeNotice {
			continue
		}
		v, ok := data[p.Name]
		if !ok && len(p.Default) > 0 {
			var d any
			if err := json.Unmarshal(p.Default, &d); err == nil {
				v, ok = d, true
			}
		}
		if ok {
			out[p.Name] = v
		}
	}
	var problems []string
	for _, p := range ct.Properties {
		if p.Type == sdk.TypeNotice || !shown(p, out) {
			continue
		}
		v, ok := out[p.Name]
		if !ok || v == nil || v == "" {
			if p.Required {
				problems = append(problems, fmt.Sprintf("%s (%s) is required", p.Name, p.DisplayName))
			}
			continue
		}
		if msg := checkValue(p, v); msg != "" {
			problems = append(problems, p.Name+" "+msg)
		}
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("invalid %s credential:\n  - %s", ct.Name, strings.Join(problems, "\n  - "))
	}
	return out, nil
}

// checkEndpoints asks the plugin to resolve an OAuth2 credential's endpoints
// now, so that a bad base URL is reported at creation, not at first use.
func checkEndpoints(ctx context.Context, p *plugins.Plugin, ct *sdk.CredentialType, data map[string]any) error {
	if ct.Auth.OAuth2 == nil {
		return nil
	}
	res, err := p.Client().ResolveAuth(ctx, &sdk.ResolveAuthRequest{CredentialType: ct.Name, Data: publicData(ct, data)})
	if err != nil {
		if res != nil && len(res.Diagnostics.Errors()) > 0 {
			var msgs []string
			for _, d := range res.Diagnostics.Errors() {
				msgs = append(msgs, d.Error())
			}
			return fmt.Errorf("invalid %s credential:\n  - %s", ct.Name, strings.Join(msgs, "\n  - "))
		}
		return p.Wrap("checking the credential's endpoints", err)
	}
	return nil
}

func checkValue(p sdk.Property, v any) string {
	switch p.Type {
	case sdk.TypeString, sdk.TypeDateTime:
		if _, ok := v.(string); !ok {
			return "must be a string"
		}
	case sdk.TypeNumber:
		switch v.(type) {
		case json.Number, float64:
		default:
			return "must be a number"
		}
	case sdk.TypeBoolean:
		if _, ok := v.(bool); !ok {
			return "must be true or false"
		}
	case sdk.TypeOptions:
		got, _ := json.Marshal(v)
		var vals []string
		for _, o := range p.Options {
			if bytes.Equal(bytes.TrimSpace(o.Value), got) {
				return ""
			}
			vals = append(vals, string(o.Value))
		}
		return "must be one of " + strings.Join(vals, ", ")
	}
	return ""
}

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = strconv.Quote(s)
	}
	return out
}

func (a *app) promptProperties(ct *sdk.CredentialType, current map[string]any) (map[string]any, error) {
	in := bufio.NewReader(a.io.In)
	data := map[string]any{}
	for k, v := range current {
		data[k] = v
	}
	for _, p := range ct.Properties {
		if p.Hidden {
			continue
		}
		if p.Type == sdk.TypeNotice {
			if p.Description != "" || p.DisplayName != "" {
				fmt.Fprintf(a.io.Err, "Note: %s\n", strings.TrimSpace(p.DisplayName+" "+p.Description))
			}
			continue
		}
		if !shown(p, data) {
			continue
		}
		label := p.DisplayName
		if len(p.Options) > 0 {
			var vals []string
			for _, o := range p.Options {
				vals = append(vals, string(o.Value)+"="+o.Name)
			}
			label += " [" + strings.Join(vals, ", ") + "]"
		}
		if v, ok := current[p.Name]; ok && p.Secret {
			label += " (set; Enter keeps it)"
		} else if ok {
			label += fmt.Sprintf(" (now %v; Enter keeps it)", v)
		} else if len(p.Default) > 0 && string(p.Default) != `""` && !p.Secret {
			label += " (default " + string(p.Default) + ")"
		}
		if p.Required {
			label += " *"
		}
		fmt.Fprintf(a.io.Err, "%s: ", label)
		var s string
		var err error
		if p.Secret && a.io.ReadSecret != nil {
			s, err = a.io.ReadSecret()
		} else {
			s, err = readLine(in)
		}
		if err != nil && !(errors.Is(err, io.EOF) && s != "") {
			return nil, fmt.Errorf("reading %s: %w", p.Name, err)
		}
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		switch p.Type {
		case sdk.TypeNumber:
			data[p.Name] = json.Number(s)
		case sdk.TypeBoolean:
			data[p.Name] = s == "true" || s == "yes" || s == "y"
		case sdk.TypeOptions:
			var v any = s
			if n, err := strconv.ParseFloat(s, 64); err == nil && !isStringOption(p, s) {
				v = json.Number(strconv.FormatFloat(n, 'f', -1, 64))
			}
			data[p.Name] = v
		default:
			data[p.Name] = s
		}
	}
	return data, nil
}

func isStringOption(p sdk.Property, s string) bool {
	q, _ := json.Marshal(s)
	for _, o := range p.Options {
		if bytes.Equal(o.Value, q) {
			return true
		}
	}
	return false
}

func (a *app) credListCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List credentials with their status",
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
			cs, err := st.ListCredentials(cmd.Context())
			if err != nil {
				return err
			}
			type row struct {
				Name      string     `json:"name"`
				Type      string     `json:"type"`
				Status    string     `json:"status"`
				ExpiresAt *time.Time `json:"tokenExpiresAt,omitempty"`
				Message   string     `json:"message,omitempty"`
				note      string     // the table's short form of Message
			}
			rows := make([]row, 0, len(cs))
			for _, c := range cs {
				r := row{Name: c.Name, Type: c.Type, Status: statusText(&c), Message: c.StatusMessage, note: c.StatusMessage}
				if c.Status == store.StatusNeedsReconnect {
					r.note = "reconnect: nodeplug credentials connect " + shellquote.Quote(c.Name)
				} else if len(r.note) > 80 {
					r.note = r.note[:77] + "..."
				}
				if c.Token == nil && a.isStaticType(cmd.Context(), c.Type) {
					r.Status = "static token"
				}
				if c.Token != nil && !c.Token.Expiry.IsZero() {
					e := c.Token.Expiry.UTC()
					r.ExpiresAt = &e
				}
				rows = append(rows, r)
			}
			if asJSON {
				return a.printJSON(rows)
			}
			if len(rows) == 0 {
				fmt.Fprintln(a.io.Err, "No credentials yet: nodeplug credentials create --type TYPE --name NAME")
				return nil
			}
			tw := tabwriter.NewWriter(a.io.Out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tTYPE\tSTATUS\tTOKEN EXPIRES\tNOTE")
			for _, r := range rows {
				exp := "-"
				if r.ExpiresAt != nil {
					exp = r.ExpiresAt.Format(time.RFC3339)
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.Name, r.Type, r.Status, exp, r.note)
			}
			return tw.Flush()
		},
	}
	a.addOutputFlag(cmd)
	return cmd
}

// isStaticType reports whether a credential type's token is entered by the
// user (no token is ever obtained); false when no plugin serves the type.
func (a *app) isStaticType(ctx context.Context, typ string) bool {
	_, ct, err := a.credentialType(ctx, typ)
	return err == nil && ct.Auth.Kind == sdk.AuthStaticBearer
}

func statusText(c *store.Credential) string {
	switch c.Status {
	case store.StatusConnected:
		return "connected"
	case store.StatusNeedsReconnect:
		return "needs reconnect"
	default:
		if c.Token != nil {
			return "connected"
		}
		return "no token yet"
	}
}

func (a *app) credShowCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "show NAME",
		Short: "Show a credential (never its secrets)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			asJSON, err := a.wantJSON()
			if err != nil {
				return err
			}
			_, c, err := a.loadCredential(ctx, args[0])
			if err != nil {
				return err
			}
			secret := map[string]bool{}
			if _, ct, err := a.credentialType(ctx, c.Type); err == nil {
				for _, p := range ct.Properties {
					secret[p.Name] = p.Secret
				}
			} else {
				a.logger().Warn("credential type not served by any plugin; hiding every property value", "type", c.Type)
			}
			props := map[string]any{}
			for k, v := range c.Data {
				if s, known := secret[k]; s || !known {
					props[k] = "(set, hidden)"
				} else {
					props[k] = v
				}
			}
			out := map[string]any{"name": c.Name, "id": c.ID, "type": c.Type, "status": statusText(c), "properties": props,
				"createdAt": c.CreatedAt.UTC(), "updatedAt": c.UpdatedAt.UTC()}
			if c.StatusMessage != "" {
				out["message"] = c.StatusMessage
			}
			if t := c.Token; t != nil {
				tok := map[string]any{"obtainedAt": t.ObtainedAt.UTC(), "scope": t.Scope, "hasRefreshToken": t.RefreshToken != ""}
				if !t.Expiry.IsZero() {
					tok["expiresAt"] = t.Expiry.UTC()
				}
				if u := t.Extra["api_url"]; u != "" {
					tok["apiUrl"] = u
				}
				out["token"] = tok
			}
			if asJSON {
				return a.printJSON(out)
			}
			w := a.io.Out
			fmt.Fprintf(w, "Name:     %s\nType:     %s\nID:       %s\nStatus:   %s\n", c.Name, c.Type, c.ID, statusText(c))
			if c.StatusMessage != "" {
				fmt.Fprintf(w, "Message:  %s\n", c.StatusMessage)
			}
			fmt.Fprintf(w, "Created:  %s\nUpdated:  %s\n", c.CreatedAt.Local().Format(time.RFC3339), c.UpdatedAt.Local().Format(time.RFC3339))
			if t := c.Token; t != nil {
				exp := "unknown"
				if !t.Expiry.IsZero() {
					exp = t.Expiry.Local().Format(time.RFC3339)
				}
				fmt.Fprintf(w, "Token:    expires %s, obtained %s, refresh token: %v\n", exp, t.ObtainedAt.Local().Format(time.RFC3339), t.RefreshToken != "")
				if t.Scope != "" {
					fmt.Fprintf(w, "Scope:    %s\n", t.Scope)
				}
				if u := t.Extra["api_url"]; u != "" {
					fmt.Fprintf(w, "API URL:  %s\n", u)
				}
			}
			fmt.Fprintln(w, "Properties:")
			keys := make([]string, 0, len(props))
			for k := range props {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
			for _, k := range keys {
				fmt.Fprintf(tw, "  %s\t%v\n", k, props[k])
			}
			return tw.Flush()
		},
	}
	a.addOutputFlag(cmd)
	return cmd
}

// loadCredential opens the store and reads one credential by name or ID.
func (a *app) loadCredential(ctx context.Context, name string) (*store.Store, *store.Credential, error) {
	st, err := a.store(ctx)
	if err != nil {
		return nil, nil, err
	}
	c, err := st.Credential(ctx, name)
	if err != nil {
		return nil, nil, notFound(err, name)
	}
	return st, c, nil
}

func notFound(err error, name string) error {
	if errors.Is(err, store.ErrCredentialNotFound) {
		return fmt.Errorf("no credential named %q: list them with nodeplug credentials list", name)
	}
	return err
}

func (a *app) credDeleteCommand() *cobra.Command {
	return &cobra.Command{
		Use:     "delete NAME",
		Aliases: []string{"rm"},
		Short:   "Delete a credential",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := a.store(cmd.Context())
			if err != nil {
				return err
			}
			if err := st.DeleteCredential(cmd.Context(), args[0]); err != nil {
				return notFound(err, args[0])
			}
			fmt.Fprintf(a.io.Out, "Deleted credential %q.\n", args[0])
			return nil
		},
	}
}

func (a *app) credConnectCommand() *cobra.Command {
	var callback string
	var open bool
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "connect NAME",
		Short: "Run the OAuth2 authorization-code flow (PKCE) and store the tokens",
		Long: `Connect an OAuth2 credential: nodeplug prints the authorize URL and serves the
OAuth callback on localhost. Open the URL, approve, and the browser comes back
to the callback; nodeplug checks the state, exchanges the code (with PKCE) and
stores the tokens encrypted.

The callback URL is what you enter as the OAuth Redirect URL (and in the
allow list) of your app, e.g. in Zoom's App Marketplace.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			st, c, err := a.loadCredential(ctx, args[0])
			if err != nil {
				return err
			}
			_, ct, err := a.credentialType(ctx, c.Type)
			if err != nil {
				return err
			}
			if ct.Auth.Kind != sdk.AuthOAuth2AuthorizationCode {
				return fmt.Errorf("credential %q (%s) does not use the OAuth2 authorization-code flow, so there is nothing to connect: run nodeplug credentials test %s", c.Name, c.Type, shellquote.Quote(c.Name))
			}
			ep, err := (&authResolver{a: a}).Endpoint(ctx, c)
			if err != nil {
				return err
			}
			cb, err := parseCallbackURL(a.callbackURL(callback))
			if err != nil {
				return err
			}
			flow, err := oauth.StartCodeFlow(ep, cb.String())
			if err != nil {
				return err
			}
			ln, err := net.Listen("tcp", cb.Host)
			if err != nil {
				return fmt.Errorf("cannot serve the OAuth callback on %s (is another nodeplug connect running?): %w; choose another with --callback-url, and enter that URL in your app's settings", cb.Host, err)
			}
			fmt.Fprintf(a.io.Out, "OAuth callback URL (enter it as the OAuth Redirect URL of your app): %s\n", cb.String())
			fmt.Fprintf(a.io.Out, "Open this URL to authorize %s:\n%s\n", c.Name, flow.AuthURL())
			if open {
				openBrowser(flow.AuthURL())
			}
			ctx, cancel := context.WithTimeout(ctx, timeout)
			defer cancel()
			tok, err := oauth.ServeCallback(ctx, ln, cb.Path, flow)
			if err != nil {
				if errors.Is(err, context.DeadlineExceeded) {
					return fmt.Errorf("no OAuth callback within %s: open the URL above, or run the command again", timeout)
				}
				return fmt.Errorf("connecting %q: %w", c.Name, err)
			}
			err = st.WithCredentialLock(ctx, c.ID, func(ctx context.Context, _ *store.Credential, tx store.CredentialTx) error {
				if err := tx.SetToken(ctx, tok); err != nil {
					return err
				}
				return tx.SetStatus(ctx, store.StatusConnected, "")
			})
			if err != nil {
				return fmt.Errorf("storing the tokens of %q: %w", c.Name, err)
			}
			exp := "unknown"
			if !tok.Expiry.IsZero() {
				exp = tok.Expiry.UTC().Format(time.RFC3339)
			}
			fmt.Fprintf(a.io.Out, "Connected %q (access token expires %s). Test it: nodeplug credentials test %s\n", c.Name, exp, shellquote.Quote(c.Name))
			return nil
		},
	}
	cmd.Flags().StringVar(&callback, "callback-url", "", "OAuth callback URL to serve (default $"+EnvCallbackURL+", else "+DefaultCallbackURL+")")
	cmd.Flags().BoolVar(&open, "open", false, "open the authorize URL in the default browser")
	cmd.Flags().DurationVar(&timeout, "timeout", 5*time.Minute, "how long to wait for the callback")
	return cmd
}

// testCredential obtains a token and runs the plugin's credential test. When
// the service rejects a token the host still thought valid (revoked, or
// issued by a server that forgot it), the host gets a fresh one once and
// tests again, as a run would.
func (a *app) testCredential(ctx context.Context, c *store.Credential) (*sdk.TestResult, error) {
	p, ct, err := a.credentialType(ctx, c.Type)
	if err != nil {
		return nil, err
	}
	cc, err := a.callCredential(ctx, c)
	if err != nil {
		return nil, err
	}
	res, err := p.Client().TestCredential(ctx, &cc)
	if err != nil {
		return nil, p.Wrap("testing credential "+c.Name, err)
	}
	if res.Status == sdk.TestOK || ct.Auth.Kind == sdk.AuthStaticBearer || !hasKind(res.Diagnostics, sdk.KindAuth) {
		return res, nil
	}
	tm, err := a.tokens(ctx)
	if err != nil {
		return nil, err
	}
	t, err := tm.Refresh(ctx, c.ID, cc.AccessToken)
	if err != nil {
		return nil, err
	}
	cc.AccessToken, cc.ExpiresAt, cc.TokenInfo = t.AccessToken, t.Expiry, t.Extra
	res, err = p.Client().TestCredential(ctx, &cc)
	if err != nil {
		return nil, p.Wrap("testing credential "+c.Name, err)
	}
	return res, nil
}

func hasKind(ds sdk.Diagnostics, k sdk.Kind) bool {
	for _, d := range ds {
		if d.Kind == k && d.Severity == sdk.SeverityError {
			return true
		}
	}
	return false
}

// parseCallbackURL accepts the URLs nodeplug can serve itself: plain http on
// a loopback host with an explicit port (the one registered in the app).
func parseCallbackURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	bad := func(why string) error {
		return fmt.Errorf("callback URL %q %s: use e.g. %s (it must match the OAuth Redirect URL registered in your app)", raw, why, DefaultCallbackURL)
	}
	switch {
	case err != nil:
		return nil, bad("is not a URL")
	case u.Scheme != "http":
		return nil, bad("must be http:// (nodeplug serves it itself on this machine; https callbacks need a proxy in front of it)")
	case u.Port() == "" || u.Port() == "0":
		return nil, bad("needs an explicit port")
	}
	host := u.Hostname()
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return nil, bad("must be on localhost or a loopback address")
	}
	if u.Path == "" {
		u.Path = "/"
	}
	return u, nil
}

func openBrowser(u string) {
	var cmd *exec.Cmd
	switch runtime.GOOS {
	case "darwin":
		cmd = exec.Command("open", u)
	case "windows":
		cmd = exec.Command("rundll32", "url.dll,FileProtocolHandler", u)
	default:
		cmd = exec.Command("xdg-open", u)
	}
	_ = cmd.Start()
}

func (a *app) credTestCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "test NAME",
		Short: "Obtain a token if needed and test the credential through its plugin",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			asJSON, err := a.wantJSON()
			if err != nil {
				return err
			}
			_, c, err := a.loadCredential(ctx, args[0])
			if err != nil {
				return err
			}
			res, err := a.testCredential(ctx, c)
			if err != nil {
				if !asJSON {
					return &exitError{code: 1, msg: err.Error()}
				}
				res = &sdk.TestResult{Status: sdk.TestFailed, Message: err.Error()}
			}
			if asJSON {
				out := map[string]any{"name": c.Name, "ok": res.Status == sdk.TestOK, "message": res.Message}
				if len(res.Account) > 0 {
					out["account"] = res.Account
				}
				if len(res.Diagnostics) > 0 {
					out["diagnostics"] = res.Diagnostics
				}
				if err := a.printJSON(out); err != nil {
					return err
				}
			} else if res.Status == sdk.TestOK {
				fmt.Fprintf(a.io.Out, "✓ %s: %s\n", c.Name, res.Message)
				for _, d := range res.Diagnostics {
					if d.Severity == sdk.SeverityWarning {
						fmt.Fprintf(a.io.Out, "  warning: %s\n", d.Error())
					}
				}
			} else {
				fmt.Fprintf(a.io.Out, "✗ %s: %s\n", c.Name, res.Message)
				for _, d := range res.Diagnostics {
					if d.Detail != "" && !strings.Contains(res.Message, d.Detail) {
						fmt.Fprintf(a.io.Out, "  %s\n", d.Detail)
					}
				}
			}
			if res.Status != sdk.TestOK {
				return &exitError{code: 1}
			}
			return nil
		},
	}
	a.addOutputFlag(cmd)
	return cmd
}
