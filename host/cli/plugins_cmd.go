package cli

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/nodeplug/nodeplug/plugin/sdk"
)

func (a *app) pluginsCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "plugins",
		Short: "List installed plugins with their node and credential types",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			asJSON, err := a.wantJSON()
			if err != nil {
				return err
			}
			pm, err := a.plugins(cmd.Context())
			if err != nil {
				return err
			}
			type nodeOut struct {
				Name     string    `json:"name"`
				Aliases  []string  `json:"aliases,omitempty"`
				Versions []float64 `json:"versions"`
			}
			type credOut struct {
				Name       string `json:"name"`
				Deprecated bool   `json:"deprecated,omitempty"`
			}
			type pluginOut struct {
				Name            string    `json:"name"`
				Version         string    `json:"version"`
				ProtocolVersion int       `json:"protocolVersion"`
				Path            string    `json:"path"`
				NodeTypes       []nodeOut `json:"nodeTypes"`
				CredentialTypes []credOut `json:"credentialTypes"`
			}
			var out []pluginOut
			for _, p := range pm.Plugins() {
				po := pluginOut{Name: p.Metadata.Name, Version: p.Metadata.Version, ProtocolVersion: p.Metadata.ProtocolVersion, Path: p.Path}
				for _, n := range p.NodeTypes {
					po.NodeTypes = append(po.NodeTypes, nodeOut{n.Name, n.Aliases, n.Versions})
				}
				for _, c := range p.CredentialTypes {
					po.CredentialTypes = append(po.CredentialTypes, credOut{c.Name, c.DeprecationNotice != ""})
				}
				out = append(out, po)
			}
			if asJSON {
				if err := a.printJSON(out); err != nil {
					return err
				}
			} else {
				tw := tabwriter.NewWriter(a.io.Out, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "PLUGIN\tVERSION\tPROTOCOL\tNODE TYPES\tCREDENTIAL TYPES")
				for _, p := range out {
					var nodes, creds []string
					for _, n := range p.NodeTypes {
						nodes = append(nodes, strings.Join(append([]string{n.Name}, n.Aliases...), " | "))
					}
					for _, c := range p.CredentialTypes {
						if c.Deprecated {
							c.Name += " (deprecated)"
						}
						creds = append(creds, c.Name)
					}
					fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\n", p.Name, p.Version, p.ProtocolVersion, strings.Join(nodes, ", "), strings.Join(creds, ", "))
				}
				if err := tw.Flush(); err != nil {
					return err
				}
			}
			if a.pluginErr != nil {
				return fmt.Errorf("some plugins could not be loaded:\n%w", a.pluginErr)
			}
			return nil
		},
	}
	a.addOutputFlag(cmd)
	return cmd
}

func (a *app) describeCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "describe TYPE",
		Short: "Show a node type or a credential type",
		Example: `  nodeplug describe n8n-nodes-base.zoom
  nodeplug describe zoomOAuth2Api -o json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			asJSON, err := a.wantJSON()
			if err != nil {
				return err
			}
			pm, err := a.plugins(cmd.Context())
			if err != nil {
				return err
			}
			if p, n, err := pm.NodeType(args[0]); err == nil {
				if asJSON {
					return a.printJSON(struct {
						Kind   string `json:"kind"`
						Plugin string `json:"plugin"`
						*sdk.NodeType
					}{"node", p.Name, n})
				}
				return a.printNodeType(p.Name, n)
			}
			p, c, err := pm.CredentialType(args[0])
			if err != nil {
				return fmt.Errorf("no node or credential type named %q: run `nodeplug plugins` to list them", args[0])
			}
			if asJSON {
				return a.printJSON(struct {
					Kind   string `json:"kind"`
					Plugin string `json:"plugin"`
					*sdk.CredentialType
				}{"credential", p.Name, c})
			}
			return a.printCredentialType(p.Name, c)
		},
	}
	a.addOutputFlag(cmd)
	return cmd
}

func (a *app) printNodeType(plugin string, n *sdk.NodeType) error {
	w := a.io.Out
	fmt.Fprintf(w, "Node type:    %s (plugin %s)\n", n.DisplayName, plugin)
	fmt.Fprintf(w, "Names:        %s\n", strings.Join(append([]string{n.Name}, n.Aliases...), ", "))
	var vs []string
	for _, v := range n.Versions {
		vs = append(vs, strconv.FormatFloat(v, 'f', -1, 64))
	}
	fmt.Fprintf(w, "Versions:     %s\n", strings.Join(vs, ", "))
	if n.Description != "" {
		fmt.Fprintf(w, "Description:  %s\n", n.Description)
	}
	if len(n.Credentials) > 0 {
		fmt.Fprintln(w, "Credentials:")
		for _, c := range n.Credentials {
			fmt.Fprintf(w, "  - %s%s\n", c.Name, displayWhen(c.DisplayOptions))
		}
	}
	fmt.Fprintln(w, "Properties:")
	return a.printProperties(n.Properties)
}

func (a *app) printCredentialType(plugin string, c *sdk.CredentialType) error {
	w := a.io.Out
	fmt.Fprintf(w, "Credential type: %s (%s, plugin %s)\n", c.DisplayName, c.Name, plugin)
	fmt.Fprintf(w, "Authentication:  %s\n", c.Auth.Kind)
	if o := c.Auth.OAuth2; o != nil {
		if o.AuthorizeURL != "" {
			fmt.Fprintf(w, "Authorize URL:   %s\n", o.AuthorizeURL)
		}
		fmt.Fprintf(w, "Token URL:       %s\n", o.TokenURL)
		if len(o.DefaultScopes) > 0 {
			fmt.Fprintf(w, "Default scopes:  %s\n", strings.Join(o.DefaultScopes, " "))
		}
	}
	if c.DocumentationURL != "" {
		fmt.Fprintf(w, "Documentation:   %s\n", c.DocumentationURL)
	}
	if c.DeprecationNotice != "" {
		fmt.Fprintf(w, "DEPRECATED:      %s\n", c.DeprecationNotice)
	}
	fmt.Fprintln(w, "Properties:")
	return a.printProperties(c.Properties)
}

func (a *app) printProperties(props []sdk.Property) error {
	tw := tabwriter.NewWriter(a.io.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  NAME\tTYPE\tDEFAULT\tFLAGS\tSHOWN WHEN / OPTIONS")
	var walk func(prefix string, ps []sdk.Property)
	walk = func(prefix string, ps []sdk.Property) {
		for _, p := range ps {
			var flags []string
			if p.Required {
				flags = append(flags, "required")
			}
			if p.Secret {
				flags = append(flags, "secret")
			}
			if p.Hidden {
				flags = append(flags, "hidden")
			}
			extra := strings.TrimPrefix(displayWhen(p.DisplayOptions), " ")
			if len(p.Options) > 0 {
				var vals []string
				for _, o := range p.Options {
					v := string(o.Value)
					if label := strings.Trim(v, `"`); o.Name != "" && !strings.EqualFold(o.Name, label) {
						v += " (" + o.Name + ")"
					}
					vals = append(vals, v)
				}
				extra = strings.TrimSpace(extra + " options: " + strings.Join(vals, ", "))
			}
			if p.Type == sdk.TypeNotice {
				extra = strings.TrimSpace(extra + " " + strings.TrimSpace(p.DisplayName+" "+p.Description))
			}
			if p.LoadOptionsMethod != "" {
				extra = strings.TrimSpace(extra + " options from the plugin (" + p.LoadOptionsMethod + ")")
			}
			fmt.Fprintf(tw, "  %s%s\t%s\t%s\t%s\t%s\n", prefix, p.Name, p.Type, string(p.Default), strings.Join(flags, ","), extra)
			walk(prefix+p.Name+".", p.Children)
			for _, g := range p.Groups {
				walk(prefix+p.Name+"."+g.Name+".", g.Properties)
			}
		}
	}
	walk("", props)
	return tw.Flush()
}

func displayWhen(d *sdk.DisplayOptions) string {
	if d == nil || len(d.Show) == 0 {
		return ""
	}
	var parts []string
	for _, c := range d.Show {
		var vals []string
		for _, v := range c.Values {
			vals = append(vals, string(v))
		}
		sort.Strings(vals)
		parts = append(parts, c.Property+"="+strings.Join(vals, "|"))
	}
	return " (when " + strings.Join(parts, ", ") + ")"
}
