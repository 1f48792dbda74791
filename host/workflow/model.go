package workflow

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Node types the engine itself knows about.
const (
	// ManualTriggerType is n8n's manual trigger, the default start node.
	ManualTriggerType = "n8n-nodes-base.manualTrigger"
	// NoOpType is n8n's "No Operation, do nothing" node.
	NoOpType = "n8n-nodes-base.noOp"
	// StickyNoteType is a canvas annotation; it is ignored everywhere.
	StickyNoteType = "n8n-nodes-base.stickyNote"
)

// Connection kinds and onError values used by n8n.
const (
	// MainConnection is the kind of connection that carries items.
	MainConnection = "main"

	// OnErrorStop stops the workflow when the node fails (n8n's default).
	OnErrorStop = "stopWorkflow"
	// OnErrorContinueRegular turns failures into {"error": …} items on the
	// node's first output.
	OnErrorContinueRegular = "continueRegularOutput"
	// OnErrorContinueError turns failures into {"error": …} items on the
	// node's error output, the output after its regular ones.
	OnErrorContinueError = "continueErrorOutput"
)

// Workflow is a parsed n8n workflow export.
type Workflow struct {
	// ID is the workflow id; a numeric id in the export is kept as its text.
	ID string
	// Name is the workflow's name; it may be empty.
	Name string
	// Active is n8n's "active" flag (unused by nodeplug).
	Active bool
	// Nodes are the workflow's nodes in file order, sticky notes included.
	Nodes []Node
	// Connections maps a source node name to connection kind ("main",
	// "ai_tool", …) to output index to the connections leaving that output.
	Connections map[string]map[string][][]Connection
	// Settings is the workflow's "settings" object, verbatim (nil if absent).
	Settings json.RawMessage
	// PinData maps a node name to its pinned items' JSON; n8n's {"json": …}
	// wrapper is removed. Run does not use it.
	PinData map[string][]json.RawMessage
}

// Node returns the node with the given name.
func (w *Workflow) Node(name string) (*Node, bool) {
	for i := range w.Nodes {
		if w.Nodes[i].Name == name {
			return &w.Nodes[i], true
		}
	}
	return nil, false
}

// Connection is one edge of the workflow graph.
type Connection struct {
	// Node is the name of the target node.
	Node string `json:"node"`
	// Type is the connection kind at the target ("main", "ai_tool", …).
	Type string `json:"type"`
	// Index is the target's input index.
	Index int `json:"index"`
}

// Position is a node's place on the n8n canvas: x, y.
type Position [2]float64

// X is the horizontal coordinate.
func (p Position) X() float64 { return p[0] }

// Y is the vertical coordinate.
func (p Position) Y() float64 { return p[1] }

// Node is one node of a workflow.
type Node struct {
	// ID is n8n's node id (a UUID in recent exports, absent in old ones).
	ID string
	// Name is unique within the workflow; connections and expressions use it.
	Name string
	// Type is the node type, e.g. "n8n-nodes-base.zoom".
	Type string
	// TypeVersion is the node type's version (1, 1.2, 2.2, …); 1 if absent.
	TypeVersion float64
	// Position is the node's place on the canvas.
	Position Position
	// Parameters is the node's "parameters" object, byte for byte as in
	// the export ({} when absent). Decode it with DecodeJSON to keep numbers
	// as json.Number.
	Parameters json.RawMessage
	// Credentials maps a credential type (e.g. "zoomOAuth2Api") to the
	// credential the node uses.
	Credentials map[string]CredentialRef
	// Disabled nodes are not run; they pass their input items through.
	Disabled bool
	// OnError is n8n's error mode: "", OnErrorStop, OnErrorContinueRegular
	// or OnErrorContinueError. See ErrorMode.
	OnError string
	// ContinueOnFail is the legacy form of OnErrorContinueRegular.
	ContinueOnFail bool
	// AlwaysOutputData makes a node that produced no item output one empty
	// item.
	AlwaysOutputData bool
	// ExecuteOnce runs the node with its first input item only.
	ExecuteOnce bool
	// RetryOnFail is n8n's "Retry On Fail" setting. nodeplug does not retry
	// nodes yet (a retried create could duplicate a meeting); the host warns.
	RetryOnFail bool
	// Notes is the node's free-text note.
	Notes string
	// NotesInFlow shows the note on the canvas.
	NotesInFlow bool
}

// ErrorMode is the node's effective error mode, as n8n computes it: OnError
// when set, else OnErrorContinueRegular when ContinueOnFail, else
// OnErrorStop.
func (n *Node) ErrorMode() string {
	switch {
	case n.OnError != "":
		return n.OnError
	case n.ContinueOnFail:
		return OnErrorContinueRegular
	default:
		return OnErrorStop
	}
}

// Ref is the node's name, type and version.
func (n *Node) Ref() NodeRef {
	return NodeRef{Name: n.Name, Type: n.Type, TypeVersion: n.TypeVersion}
}

// NodeRef names a node and its type in errors.
type NodeRef struct {
	Name        string
	Type        string
	TypeVersion float64
}

// String formats the reference as `"Name" (type vN)`.
func (r NodeRef) String() string {
	return fmt.Sprintf("%q (%s v%s)", r.Name, r.Type, formatVersion(r.TypeVersion))
}

func formatVersion(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// CredentialRef names the stored credential a node uses. In exports it is
// either an {"id", "name"} object or a plain string, which is a name ("" is
// an empty reference).
type CredentialRef struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// IsZero reports whether the reference names no credential.
func (c CredentialRef) IsZero() bool { return c.ID == "" && c.Name == "" }

// UnmarshalJSON accepts {"id": …, "name": …}, a plain string (a name) or null.
func (c *CredentialRef) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	switch {
	case len(data) == 0 || string(data) == "null":
		*c = CredentialRef{}
		return nil
	case data[0] == '"':
		var name string
		if err := json.Unmarshal(data, &name); err != nil {
			return err
		}
		*c = CredentialRef{Name: name}
		return nil
	case data[0] == '{':
		var raw struct {
			ID   flexString `json:"id"`
			Name string     `json:"name"`
		}
		if err := json.Unmarshal(data, &raw); err != nil {
			return fmt.Errorf("credential reference: %w", err)
		}
		*c = CredentialRef{ID: string(raw.ID), Name: raw.Name}
		return nil
	default:
		return fmt.Errorf("credential reference is %s; want an {\"id\", \"name\"} object or a string", jsonKind(data))
	}
}

// flexString decodes a JSON string, or a number as its literal text, or null
// as "". n8n ids are strings, but old exports have numeric workflow ids.
type flexString string

func (f *flexString) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	switch {
	case string(data) == "null":
		*f = ""
	case len(data) > 0 && data[0] == '"':
		var s string
		if err := json.Unmarshal(data, &s); err != nil {
			return err
		}
		*f = flexString(s)
	case len(data) > 0 && (data[0] == '-' || (data[0] >= '0' && data[0] <= '9')):
		*f = flexString(data)
	default:
		return fmt.Errorf("id is %s; want a string or a number", jsonKind(data))
	}
	return nil
}

// ParseError says what is wrong in a workflow export and where.
type ParseError struct {
	// Line and Column locate the problem in the input (1-based; 0 when
	// unknown). Column counts characters.
	Line, Column int
	// Path is the JSON path of the value at fault, e.g. "nodes[2].typeVersion".
	Path string
	// Node is the name of the node at fault, when there is one.
	Node string
	// Msg says what is wrong.
	Msg string
	// Err is the underlying error, if any.
	Err error
}

// Error says where the problem is and what it is.
func (e *ParseError) Error() string {
	var b strings.Builder
	b.WriteString("workflow JSON")
	if e.Line > 0 {
		fmt.Fprintf(&b, " line %d:%d", e.Line, e.Column)
	}
	if e.Node != "" {
		fmt.Fprintf(&b, ", node %q", e.Node)
	}
	if e.Path != "" {
		fmt.Fprintf(&b, ", %s", e.Path)
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	return b.String()
}

// Unwrap returns the underlying error.
func (e *ParseError) Unwrap() error { return e.Err }

// lineCol turns a byte offset into 1-based line and column (in characters).
func lineCol(data []byte, off int64) (line, col int) {
	if off < 0 {
		off = 0
	}
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	prefix := data[:off]
	line = bytes.Count(prefix, []byte{'\n'}) + 1
	start := bytes.LastIndexByte(prefix, '\n') + 1
	col = utf8.RuneCount(prefix[start:]) + 1
	return line, col
}

// decodeError turns an encoding/json error into a ParseError located in
// data, where the decoded value starts at byte base.
func decodeError(data []byte, base int64, path, node string, err error) *ParseError {
	pe := &ParseError{Path: path, Node: node, Err: err}
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		pe.Line, pe.Column = lineCol(data, base+syn.Offset-1)
		pe.Msg = "invalid JSON: " + syn.Error()
	case errors.As(err, &typ):
		pe.Line, pe.Column = lineCol(data, base+typ.Offset)
		if typ.Field != "" {
			if pe.Path != "" {
				pe.Path += "."
			}
			pe.Path += typ.Field
		}
		pe.Msg = fmt.Sprintf("value is a JSON %s; want %s", typ.Value, goKindName(typ.Type.String()))
	default:
		pe.Line, pe.Column = lineCol(data, base)
		pe.Msg = err.Error()
	}
	return pe
}

func goKindName(t string) string {
	switch {
	case strings.HasPrefix(t, "float") || strings.HasPrefix(t, "int"):
		return "a number"
	case t == "string" || t == "workflow.flexString":
		return "a string"
	case t == "bool":
		return "true or false"
	case strings.HasPrefix(t, "map[") || strings.HasPrefix(t, "struct"):
		return "an object"
	case strings.HasPrefix(t, "[]") || strings.HasPrefix(t, "workflow.Position") || strings.HasPrefix(t, "["):
		return "an array"
	default:
		return t
	}
}

// jsonKind names the kind of a JSON value for messages.
func jsonKind(data []byte) string {
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return "empty"
	}
	switch data[0] {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	default:
		return "a number"
	}
}

type rawWorkflow struct {
	ID          flexString      `json:"id"`
	Name        string          `json:"name"`
	Active      bool            `json:"active"`
	Nodes       json.RawMessage `json:"nodes"`
	Connections json.RawMessage `json:"connections"`
	Settings    json.RawMessage `json:"settings"`
	PinData     json.RawMessage `json:"pinData"`
}

type rawNode struct {
	ID               flexString                 `json:"id"`
	Name             string                     `json:"name"`
	Type             string                     `json:"type"`
	TypeVersion      *float64                   `json:"typeVersion"`
	Position         Position                   `json:"position"`
	Parameters       json.RawMessage            `json:"parameters"`
	Credentials      map[string]json.RawMessage `json:"credentials"`
	Disabled         bool                       `json:"disabled"`
	OnError          string                     `json:"onError"`
	ContinueOnFail   bool                       `json:"continueOnFail"`
	AlwaysOutputData bool                       `json:"alwaysOutputData"`
	ExecuteOnce      bool                       `json:"executeOnce"`
	RetryOnFail      bool                       `json:"retryOnFail"`
	Notes            string                     `json:"notes"`
	NotesInFlow      bool                       `json:"notesInFlow"`
}

// Parse parses an n8n workflow export. Unknown fields are ignored. It
// rejects invalid JSON (with line:column), values of the wrong type, a
// workflow without nodes, nodes without a name or type, duplicate node
// names, unknown onError values and connections that name a node that does
// not exist. Errors are *ParseError values (several are joined).
func Parse(data []byte) (*Workflow, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // UTF-8 byte order mark
	if !json.Valid(data) {
		var v any
		err := json.Unmarshal(data, &v)
		if err == nil { // cannot happen: json.Valid said no
			err = errors.New("invalid JSON")
		}
		return nil, decodeError(data, 0, "", "", err)
	}
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	if trimmed[0] != '{' {
		return nil, &ParseError{Line: 1, Column: 1, Msg: fmt.Sprintf("the document is %s; want an n8n workflow export object with \"nodes\" and \"connections\"", jsonKind(trimmed))}
	}
	var raw rawWorkflow
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, decodeError(data, 0, "", "", err)
	}
	wf := &Workflow{ID: string(raw.ID), Name: raw.Name, Active: raw.Active}
	if !isNull(raw.Settings) {
		wf.Settings = raw.Settings
	}

	nodes, err := parseNodes(data, raw.Nodes)
	if err != nil {
		return nil, err
	}
	wf.Nodes = nodes

	conns, err := parseConnections(data, raw.Connections, wf)
	if err != nil {
		return nil, err
	}
	wf.Connections = conns

	pins, err := parsePinData(data, raw.PinData)
	if err != nil {
		return nil, err
	}
	wf.PinData = pins
	return wf, nil
}

func isNull(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) == 0 || string(raw) == "null"
}

// offsetOf finds where raw (a verbatim copy of part of data) starts, looking
// from from on.
func offsetOf(data, raw []byte, from int) int {
	if from > len(data) {
		from = len(data)
	}
	if i := bytes.Index(data[from:], raw); i >= 0 {
		return from + i
	}
	return from
}

func parseNodes(data []byte, rawNodes json.RawMessage) ([]Node, error) {
	if isNull(rawNodes) {
		return nil, &ParseError{Path: "nodes", Msg: "the workflow has no nodes; export it from n8n with its nodes"}
	}
	base := offsetOf(data, rawNodes, 0)
	var elems []json.RawMessage
	if err := json.Unmarshal(rawNodes, &elems); err != nil {
		return nil, decodeError(data, int64(base), "nodes", "", err)
	}
	if len(elems) == 0 {
		l, c := lineCol(data, int64(base))
		return nil, &ParseError{Line: l, Column: c, Path: "nodes", Msg: "the workflow has no nodes"}
	}
	nodes := make([]Node, 0, len(elems))
	seen := make(map[string]int, len(elems))
	from := base
	for i, elem := range elems {
		off := offsetOf(data, elem, from)
		from = off + len(elem)
		path := fmt.Sprintf("nodes[%d]", i)
		line, col := lineCol(data, int64(off))
		if bytes.TrimSpace(elem)[0] != '{' {
			return nil, &ParseError{Line: line, Column: col, Path: path, Msg: fmt.Sprintf("node is %s; want an object", jsonKind(elem))}
		}
		var named struct {
			Name any `json:"name"`
		}
		_ = json.Unmarshal(elem, &named) // only to name the node in errors
		name, _ := named.Name.(string)

		var rn rawNode
		if err := json.Unmarshal(elem, &rn); err != nil {
			return nil, decodeError(data, int64(off), path, name, err)
		}
		if rn.Name == "" {
			return nil, &ParseError{Line: line, Column: col, Path: path + ".name", Msg: "node has no name; every node needs a unique name"}
		}
		if j, dup := seen[rn.Name]; dup {
			return nil, &ParseError{Line: line, Column: col, Path: path + ".name", Node: rn.Name,
				Msg: fmt.Sprintf("duplicate node name: nodes[%d] and nodes[%d] are both named %q; rename one", j, i, rn.Name)}
		}
		seen[rn.Name] = i
		if rn.Type == "" {
			return nil, &ParseError{Line: line, Column: col, Path: path + ".type", Node: rn.Name, Msg: "node has no type"}
		}
		switch rn.OnError {
		case "", OnErrorStop, OnErrorContinueRegular, OnErrorContinueError:
		default:
			return nil, &ParseError{Line: line, Column: col, Path: path + ".onError", Node: rn.Name,
				Msg: fmt.Sprintf("onError is %q; want %q, %q or %q", rn.OnError, OnErrorStop, OnErrorContinueRegular, OnErrorContinueError)}
		}
		params := rn.Parameters
		if isNull(params) {
			params = json.RawMessage("{}")
		} else if bytes.TrimSpace(params)[0] != '{' {
			return nil, &ParseError{Line: line, Column: col, Path: path + ".parameters", Node: rn.Name,
				Msg: fmt.Sprintf("parameters is %s; want an object", jsonKind(params))}
		}
		creds, err := parseCredentials(rn.Credentials)
		if err != nil {
			return nil, &ParseError{Line: line, Column: col, Path: path + ".credentials." + err.key, Node: rn.Name, Msg: err.Error(), Err: err.err}
		}
		version := 1.0
		if rn.TypeVersion != nil {
			version = *rn.TypeVersion
		}
		nodes = append(nodes, Node{
			ID:               string(rn.ID),
			Name:             rn.Name,
			Type:             rn.Type,
			TypeVersion:      version,
			Position:         rn.Position,
			Parameters:       params,
			Credentials:      creds,
			Disabled:         rn.Disabled,
			OnError:          rn.OnError,
			ContinueOnFail:   rn.ContinueOnFail,
			AlwaysOutputData: rn.AlwaysOutputData,
			ExecuteOnce:      rn.ExecuteOnce,
			RetryOnFail:      rn.RetryOnFail,
			Notes:            rn.Notes,
			NotesInFlow:      rn.NotesInFlow,
		})
	}
	return nodes, nil
}

type credentialError struct {
	key string
	err error
}

func (e *credentialError) Error() string { return e.err.Error() }

func parseCredentials(raw map[string]json.RawMessage) (map[string]CredentialRef, *credentialError) {
	if raw == nil {
		return nil, nil
	}
	keys := make([]string, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	creds := make(map[string]CredentialRef, len(raw))
	for _, k := range keys {
		var c CredentialRef
		if err := c.UnmarshalJSON(raw[k]); err != nil {
			return nil, &credentialError{key: k, err: err}
		}
		creds[k] = c
	}
	return creds, nil
}

func parseConnections(data []byte, raw json.RawMessage, wf *Workflow) (map[string]map[string][][]Connection, error) {
	conns := map[string]map[string][][]Connection{}
	if isNull(raw) {
		return conns, nil
	}
	base := offsetOf(data, raw, 0)
	if err := json.Unmarshal(raw, &conns); err != nil {
		return nil, decodeError(data, int64(base), "connections", "", err)
	}
	names := make(map[string]bool, len(wf.Nodes))
	for _, n := range wf.Nodes {
		names[n.Name] = true
	}
	sources := make([]string, 0, len(conns))
	for src := range conns {
		sources = append(sources, src)
	}
	sort.Strings(sources)
	var errs []error
	for _, src := range sources {
		if !names[src] {
			errs = append(errs, &ParseError{Path: fmt.Sprintf("connections[%q]", src),
				Msg: fmt.Sprintf("connections start at node %q, which does not exist in the workflow; remove them or add the node", src)})
		}
		kinds := make([]string, 0, len(conns[src]))
		for kind := range conns[src] {
			kinds = append(kinds, kind)
		}
		sort.Strings(kinds)
		for _, kind := range kinds {
			for out, targets := range conns[src][kind] {
				for j := range targets {
					c := &targets[j]
					path := fmt.Sprintf("connections[%q].%s[%d][%d]", src, kind, out, j)
					if c.Type == "" {
						c.Type = kind
					}
					if !names[c.Node] {
						errs = append(errs, &ParseError{Path: path, Node: src,
							Msg: fmt.Sprintf("connection from %q (%s output %d) goes to node %q, which does not exist in the workflow", src, kind, out, c.Node)})
					}
					if c.Index < 0 {
						errs = append(errs, &ParseError{Path: path + ".index", Node: src, Msg: fmt.Sprintf("input index %d is negative", c.Index)})
					}
				}
			}
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return conns, nil
}

func parsePinData(data []byte, raw json.RawMessage) (map[string][]json.RawMessage, error) {
	if isNull(raw) {
		return nil, nil
	}
	base := offsetOf(data, raw, 0)
	var pins map[string][]json.RawMessage
	if err := json.Unmarshal(raw, &pins); err != nil {
		return nil, decodeError(data, int64(base), "pinData", "", err)
	}
	for name, items := range pins {
		for i, it := range items {
			if bytes.TrimSpace(it)[0] != '{' {
				return nil, &ParseError{Path: fmt.Sprintf("pinData[%q][%d]", name, i), Node: name,
					Msg: fmt.Sprintf("pinned item is %s; want an object", jsonKind(it))}
			}
			var wrapped map[string]json.RawMessage
			if err := json.Unmarshal(it, &wrapped); err == nil {
				if j, ok := wrapped["json"]; ok && len(bytes.TrimSpace(j)) > 0 && bytes.TrimSpace(j)[0] == '{' {
					items[i] = j
				}
			}
		}
	}
	return pins, nil
}

// DecodeJSON decodes raw JSON (node parameters, item JSON) into v, keeping
// numbers as json.Number when v holds interfaces, so that big integers such
// as Zoom meeting ids stay exact.
func DecodeJSON(raw json.RawMessage, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("unexpected data after the JSON value")
	}
	return nil
}
