package protocol

import (
	"encoding/json"
	"time"

	"github.com/nodeplug/nodeplug/plugin/sdk"
	pb "github.com/nodeplug/nodeplug/proto/nodeplug/v1"
)

// This file is the only place where sdk types meet generated types.

func diagsToProto(ds sdk.Diagnostics) []*pb.Diagnostic {
	if len(ds) == 0 {
		return nil
	}
	out := make([]*pb.Diagnostic, len(ds))
	for i, d := range ds {
		out[i] = &pb.Diagnostic{
			Severity:  pb.Diagnostic_Severity(d.Severity),
			Summary:   d.Summary,
			Detail:    d.Detail,
			Attribute: pathToProto(d.Attribute),
			ItemIndex: int32(d.ItemIndex),
			Kind:      pb.Diagnostic_Kind(d.Kind),
			Code:      d.Code,
		}
	}
	return out
}

func diagsFromProto(ds []*pb.Diagnostic) sdk.Diagnostics {
	if len(ds) == 0 {
		return nil
	}
	out := make(sdk.Diagnostics, len(ds))
	for i, d := range ds {
		out[i] = sdk.Diagnostic{
			Severity:  sdk.Severity(d.GetSeverity()),
			Summary:   d.GetSummary(),
			Detail:    d.GetDetail(),
			Attribute: pathFromProto(d.GetAttribute()),
			ItemIndex: int(d.GetItemIndex()),
			Kind:      sdk.Kind(d.GetKind()),
			Code:      d.GetCode(),
		}
		if out[i].Severity != sdk.SeverityWarning {
			out[i].Severity = sdk.SeverityError
		}
	}
	return out
}

func pathToProto(p sdk.Path) *pb.AttributePath {
	if len(p) == 0 {
		return nil
	}
	steps := make([]*pb.AttributePath_Step, len(p))
	for i, s := range p {
		if s.IsIndex {
			steps[i] = &pb.AttributePath_Step{Selector: &pb.AttributePath_Step_ElementKeyInt{ElementKeyInt: int64(s.Index)}}
		} else {
			steps[i] = &pb.AttributePath_Step{Selector: &pb.AttributePath_Step_AttributeName{AttributeName: s.Name}}
		}
	}
	return &pb.AttributePath{Steps: steps}
}

func pathFromProto(p *pb.AttributePath) sdk.Path {
	if len(p.GetSteps()) == 0 {
		return nil
	}
	out := make(sdk.Path, 0, len(p.GetSteps()))
	for _, s := range p.GetSteps() {
		switch sel := s.GetSelector().(type) {
		case *pb.AttributePath_Step_AttributeName:
			out = append(out, sdk.PathStep{Name: sel.AttributeName})
		case *pb.AttributePath_Step_ElementKeyString:
			out = append(out, sdk.PathStep{Name: sel.ElementKeyString})
		case *pb.AttributePath_Step_ElementKeyInt:
			out = append(out, sdk.PathStep{Index: int(sel.ElementKeyInt), IsIndex: true})
		}
	}
	return out
}

func propertiesToProto(ps []sdk.Property) []*pb.Property {
	if len(ps) == 0 {
		return nil
	}
	out := make([]*pb.Property, len(ps))
	for i := range ps {
		p := &ps[i]
		out[i] = &pb.Property{
			Name:              p.Name,
			DisplayName:       p.DisplayName,
			Type:              pb.PropertyType(p.Type),
			DefaultJson:       p.Default,
			Required:          p.Required,
			Secret:            p.Secret,
			Hidden:            p.Hidden,
			Description:       p.Description,
			Placeholder:       p.Placeholder,
			Hint:              p.Hint,
			Options:           optionsToProto(p.Options),
			Children:          propertiesToProto(p.Children),
			DisplayOptions:    displayToProto(p.DisplayOptions),
			LoadOptionsMethod: p.LoadOptionsMethod,
			NoDataExpression:  p.NoDataExpression,
			MinValue:          p.MinValue,
			MaxValue:          p.MaxValue,
			MaxLength:         int32(p.MaxLength),
			MultipleValues:    p.MultipleValues,
		}
		for _, g := range p.Groups {
			out[i].Groups = append(out[i].Groups, &pb.PropertyGroup{Name: g.Name, DisplayName: g.DisplayName, Properties: propertiesToProto(g.Properties)})
		}
	}
	return out
}

func propertiesFromProto(ps []*pb.Property) []sdk.Property {
	if len(ps) == 0 {
		return nil
	}
	out := make([]sdk.Property, len(ps))
	for i, p := range ps {
		out[i] = sdk.Property{
			Name:              p.GetName(),
			DisplayName:       p.GetDisplayName(),
			Type:              sdk.PropertyType(p.GetType()),
			Default:           rawOrNil(p.GetDefaultJson()),
			Required:          p.GetRequired(),
			Secret:            p.GetSecret(),
			Hidden:            p.GetHidden(),
			Description:       p.GetDescription(),
			Placeholder:       p.GetPlaceholder(),
			Hint:              p.GetHint(),
			Options:           optionsFromProto(p.GetOptions()),
			Children:          propertiesFromProto(p.GetChildren()),
			DisplayOptions:    displayFromProto(p.GetDisplayOptions()),
			LoadOptionsMethod: p.GetLoadOptionsMethod(),
			NoDataExpression:  p.GetNoDataExpression(),
			MinValue:          p.MinValue,
			MaxValue:          p.MaxValue,
			MaxLength:         int(p.GetMaxLength()),
			MultipleValues:    p.GetMultipleValues(),
		}
		for _, g := range p.GetGroups() {
			out[i].Groups = append(out[i].Groups, sdk.PropertyGroup{Name: g.GetName(), DisplayName: g.GetDisplayName(), Properties: propertiesFromProto(g.GetProperties())})
		}
	}
	return out
}

func rawOrNil(b []byte) json.RawMessage {
	if len(b) == 0 {
		return nil
	}
	return json.RawMessage(b)
}

func optionsToProto(os []sdk.Option) []*pb.PropertyOption {
	if len(os) == 0 {
		return nil
	}
	out := make([]*pb.PropertyOption, len(os))
	for i, o := range os {
		out[i] = &pb.PropertyOption{Name: o.Name, ValueJson: o.Value, Description: o.Description, Action: o.Action}
	}
	return out
}

func optionsFromProto(os []*pb.PropertyOption) []sdk.Option {
	if len(os) == 0 {
		return nil
	}
	out := make([]sdk.Option, len(os))
	for i, o := range os {
		out[i] = sdk.Option{Name: o.GetName(), Value: rawOrNil(o.GetValueJson()), Description: o.GetDescription(), Action: o.GetAction()}
	}
	return out
}

func conditionsToProto(cs []sdk.Condition) []*pb.DisplayOptions_Condition {
	out := make([]*pb.DisplayOptions_Condition, len(cs))
	for i, c := range cs {
		vals := make([][]byte, len(c.Values))
		for j, v := range c.Values {
			vals[j] = v
		}
		out[i] = &pb.DisplayOptions_Condition{Property: c.Property, ValuesJson: vals}
	}
	return out
}

func conditionsFromProto(cs []*pb.DisplayOptions_Condition) []sdk.Condition {
	if len(cs) == 0 {
		return nil
	}
	out := make([]sdk.Condition, len(cs))
	for i, c := range cs {
		vals := make([]json.RawMessage, len(c.GetValuesJson()))
		for j, v := range c.GetValuesJson() {
			vals[j] = v
		}
		out[i] = sdk.Condition{Property: c.GetProperty(), Values: vals}
	}
	return out
}

func displayToProto(d *sdk.DisplayOptions) *pb.DisplayOptions {
	if d == nil {
		return nil
	}
	return &pb.DisplayOptions{Show: conditionsToProto(d.Show), Hide: conditionsToProto(d.Hide)}
}

func displayFromProto(d *pb.DisplayOptions) *sdk.DisplayOptions {
	if d == nil {
		return nil
	}
	return &sdk.DisplayOptions{Show: conditionsFromProto(d.GetShow()), Hide: conditionsFromProto(d.GetHide())}
}

func credentialTypeToProto(c *sdk.CredentialType) *pb.CredentialType {
	out := &pb.CredentialType{
		Name:              c.Name,
		DisplayName:       c.DisplayName,
		Description:       c.Description,
		DocumentationUrl:  c.DocumentationURL,
		DeprecationNotice: c.DeprecationNotice,
		Extends:           c.Extends,
		Properties:        propertiesToProto(c.Properties),
		Auth:              &pb.AuthScheme{Kind: pb.AuthKind(c.Auth.Kind), TokenProperty: c.Auth.TokenProperty},
	}
	if o := c.Auth.OAuth2; o != nil {
		out.Auth.Oauth2 = &pb.OAuth2{
			AuthorizeUrl:         o.AuthorizeURL,
			TokenUrl:             o.TokenURL,
			DefaultScopes:        o.DefaultScopes,
			ClientAuth:           pb.OAuth2_ClientAuth(o.ClientAuth),
			Pkce:                 o.PKCE,
			ClientIdProperty:     o.ClientIDProperty,
			ClientSecretProperty: o.ClientSecretProperty,
			ScopeProperty:        o.ScopeProperty,
		}
	}
	return out
}

func credentialTypeFromProto(c *pb.CredentialType) sdk.CredentialType {
	out := sdk.CredentialType{
		Name:              c.GetName(),
		DisplayName:       c.GetDisplayName(),
		Description:       c.GetDescription(),
		DocumentationURL:  c.GetDocumentationUrl(),
		DeprecationNotice: c.GetDeprecationNotice(),
		Extends:           c.GetExtends(),
		Properties:        propertiesFromProto(c.GetProperties()),
		Auth:              sdk.AuthScheme{Kind: sdk.AuthKind(c.GetAuth().GetKind()), TokenProperty: c.GetAuth().GetTokenProperty()},
	}
	if o := c.GetAuth().GetOauth2(); o != nil {
		out.Auth.OAuth2 = &sdk.OAuth2Spec{
			AuthorizeURL:         o.GetAuthorizeUrl(),
			TokenURL:             o.GetTokenUrl(),
			DefaultScopes:        o.GetDefaultScopes(),
			ClientAuth:           sdk.ClientAuth(o.GetClientAuth()),
			PKCE:                 o.GetPkce(),
			ClientIDProperty:     o.GetClientIdProperty(),
			ClientSecretProperty: o.GetClientSecretProperty(),
			ScopeProperty:        o.GetScopeProperty(),
		}
	}
	return out
}

func nodeTypeToProto(n *sdk.NodeType) *pb.NodeType {
	out := &pb.NodeType{
		Name:             n.Name,
		Aliases:          n.Aliases,
		DisplayName:      n.DisplayName,
		Description:      n.Description,
		Versions:         n.Versions,
		Subtitle:         n.Subtitle,
		Group:            n.Group,
		DocumentationUrl: n.DocumentationURL,
		Inputs:           n.Inputs,
		Outputs:          n.Outputs,
		Properties:       propertiesToProto(n.Properties),
		DefaultName:      n.DefaultName,
		Icon:             n.Icon,
	}
	for _, c := range n.Credentials {
		out.Credentials = append(out.Credentials, &pb.NodeCredential{Name: c.Name, Required: c.Required, DisplayOptions: displayToProto(c.DisplayOptions)})
	}
	return out
}

func nodeTypeFromProto(n *pb.NodeType) sdk.NodeType {
	out := sdk.NodeType{
		Name:             n.GetName(),
		Aliases:          n.GetAliases(),
		DisplayName:      n.GetDisplayName(),
		Description:      n.GetDescription(),
		Versions:         n.GetVersions(),
		Subtitle:         n.GetSubtitle(),
		Group:            n.GetGroup(),
		DocumentationURL: n.GetDocumentationUrl(),
		Inputs:           n.GetInputs(),
		Outputs:          n.GetOutputs(),
		Properties:       propertiesFromProto(n.GetProperties()),
		DefaultName:      n.GetDefaultName(),
		Icon:             n.GetIcon(),
	}
	for _, c := range n.GetCredentials() {
		out.Credentials = append(out.Credentials, sdk.NodeCredential{Name: c.GetName(), Required: c.GetRequired(), DisplayOptions: displayFromProto(c.GetDisplayOptions())})
	}
	return out
}

func unixOrZero(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}

func timeOrZero(s int64) time.Time {
	if s == 0 {
		return time.Time{}
	}
	return time.Unix(s, 0)
}

func credentialToProto(c *sdk.Credential) *pb.Credential {
	return &pb.Credential{
		Id:          c.ID,
		Type:        c.Type,
		Name:        c.Name,
		PublicData:  c.Data,
		AccessToken: c.AccessToken,
		ExpiresAt:   unixOrZero(c.ExpiresAt),
		TokenInfo:   c.TokenInfo,
	}
}

func credentialFromProto(c *pb.Credential, r sdk.TokenRefresher) sdk.Credential {
	return sdk.Credential{
		ID:          c.GetId(),
		Type:        c.GetType(),
		Name:        c.GetName(),
		Data:        rawOrNil(c.GetPublicData()),
		AccessToken: c.GetAccessToken(),
		ExpiresAt:   timeOrZero(c.GetExpiresAt()),
		TokenInfo:   c.GetTokenInfo(),
		Refresher:   r,
	}
}

func executeRequestToProto(r *sdk.ExecuteRequest) *pb.ExecuteRequest {
	out := &pb.ExecuteRequest{
		NodeType:    r.NodeType,
		TypeVersion: r.TypeVersion,
		NodeName:    r.NodeName,
		OnError:     pb.OnError(r.OnError),
		ExecutionId: r.ExecutionID,
		Items:       make([]*pb.Item, len(r.Items)),
	}
	for i, it := range r.Items {
		out.Items[i] = &pb.Item{Json: it.JSON, Parameters: it.Parameters}
	}
	for i := range r.Credentials {
		out.Credentials = append(out.Credentials, credentialToProto(&r.Credentials[i]))
	}
	return out
}

func executeRequestFromProto(r *pb.ExecuteRequest, refresher sdk.TokenRefresher) *sdk.ExecuteRequest {
	out := &sdk.ExecuteRequest{
		NodeType:    r.GetNodeType(),
		TypeVersion: r.GetTypeVersion(),
		NodeName:    r.GetNodeName(),
		OnError:     sdk.OnError(r.GetOnError()),
		ExecutionID: r.GetExecutionId(),
		Items:       make([]sdk.Item, len(r.GetItems())),
	}
	for i, it := range r.GetItems() {
		out.Items[i] = sdk.Item{JSON: rawOrNil(it.GetJson()), Parameters: rawOrNil(it.GetParameters())}
	}
	for _, c := range r.GetCredentials() {
		out.Credentials = append(out.Credentials, credentialFromProto(c, refresher))
	}
	return out
}

func executeResponseToProto(r *sdk.ExecuteResponse) *pb.ExecuteResponse {
	out := &pb.ExecuteResponse{Diagnostics: diagsToProto(r.Diagnostics), Outputs: make([]*pb.Output, len(r.Outputs))}
	for i, o := range r.Outputs {
		items := make([]*pb.OutputItem, len(o))
		for j, it := range o {
			items[j] = &pb.OutputItem{Json: it.JSON, PairedItem: int32(it.PairedItem)}
		}
		out.Outputs[i] = &pb.Output{Items: items}
	}
	return out
}

func executeResponseFromProto(r *pb.ExecuteResponse) *sdk.ExecuteResponse {
	out := &sdk.ExecuteResponse{Diagnostics: diagsFromProto(r.GetDiagnostics()), Outputs: make([][]sdk.OutputItem, len(r.GetOutputs()))}
	for i, o := range r.GetOutputs() {
		items := make([]sdk.OutputItem, len(o.GetItems()))
		for j, it := range o.GetItems() {
			items[j] = sdk.OutputItem{JSON: rawOrNil(it.GetJson()), PairedItem: int(it.GetPairedItem())}
		}
		out.Outputs[i] = items
	}
	return out
}
