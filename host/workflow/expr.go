package workflow

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// ErrUnsupportedExpression is matched (errors.Is) by an *ExpressionError
// whose expression uses a form nodeplug does not support yet.
var ErrUnsupportedExpression = errors.New("expression form not supported yet")

// supportedForms lists the expression forms nodeplug supports, for messages.
const supportedForms = `supported: {{ $json.a.b }}, {{ $json["a"][0] }}, {{ $input.item.json.a }}, ` +
	`{{ $node["Name"].json.a }}, {{ $('Name').item.json.a }}, with ?. and .length; rewrite the expression or replace the node`

// ExpressionError says that a parameter's expression could not be resolved.
type ExpressionError struct {
	// Node is the node whose parameter it is.
	Node string
	// Parameter is the parameter's JSON path, e.g. "additionalFields.startTime".
	Parameter string
	// Expression is the offending expression ("{{ … }}" block).
	Expression string
	// Reason says what is wrong.
	Reason string
	// Unsupported is true when the expression's form is not supported yet
	// (then errors.Is(err, ErrUnsupportedExpression)).
	Unsupported bool
}

// Error names the node, the parameter and the expression, and says why it failed.
func (e *ExpressionError) Error() string {
	expr := e.Expression
	if utf8.RuneCountInString(expr) > 120 {
		expr = string([]rune(expr)[:117]) + "..."
	}
	return fmt.Sprintf("node %q, parameter %q: expression %s: %s", e.Node, e.Parameter, strconv.Quote(expr), e.Reason)
}

// Unwrap returns ErrUnsupportedExpression for unsupported forms.
func (e *ExpressionError) Unwrap() error {
	if e.Unsupported {
		return ErrUnsupportedExpression
	}
	return nil
}

// ExprContext is what expressions of one node and input item can see.
type ExprContext struct {
	// Node is the name of the node whose parameters are resolved (for errors).
	Node string
	// ItemIndex is the index of the item among the node's input items.
	ItemIndex int
	// Lookup returns the JSON of the output item of node nodeName that the
	// node's input item itemIndex derives from (n8n's paired item), as
	// $('Name').item.json needs. nil: no other node can be referenced.
	Lookup func(nodeName string, itemIndex int) (json.RawMessage, bool)
	// LookupOutput returns the JSON of item itemIndex of node nodeName's
	// first output, as n8n's legacy $node["Name"].json reads it (same item
	// index, not the paired item). nil: Lookup is used.
	LookupOutput func(nodeName string, itemIndex int) (json.RawMessage, bool)
}

// refKind is what an expression reference starts from.
type refKind int

const (
	refJSON   refKind = iota // $json, $input.item.json
	refNode                  // $node["Name"].json
	refPaired                // $('Name').item.json
)

type pathStep struct {
	key      string
	index    int
	isIndex  bool
	optional bool // ?. : stop quietly on null/undefined
}

type reference struct {
	kind refKind
	node string
	path []pathStep
}

// syntaxError is a parse failure of an expression.
type syntaxError struct{ msg string }

func (e *syntaxError) Error() string { return e.msg }

type exprParser struct {
	s   string
	pos int
}

// parseReference parses the inside of a {{ … }} block.
func parseReference(s string) (reference, error) {
	p := &exprParser{s: s}
	p.ws()
	var ref reference
	switch {
	case p.word("$json"):
		ref.kind = refJSON
	case p.word("$input"):
		if !p.dot() || !p.word("item") || !p.dot() || !p.word("json") {
			return ref, p.fail()
		}
		ref.kind = refJSON
	case p.word("$node"):
		p.ws()
		if !p.lit("[") {
			return ref, p.fail()
		}
		p.ws()
		name, ok := p.str()
		if !ok {
			return ref, p.fail()
		}
		p.ws()
		if !p.lit("]") || !p.dot() || !p.word("json") {
			return ref, p.fail()
		}
		ref.kind, ref.node = refNode, name
	case p.lit("$("):
		p.ws()
		name, ok := p.str()
		if !ok {
			return ref, p.fail()
		}
		p.ws()
		if !p.lit(")") || !p.dot() || !p.word("item") || !p.dot() || !p.word("json") {
			return ref, p.fail()
		}
		ref.kind, ref.node = refPaired, name
	default:
		return ref, p.fail()
	}
	for {
		p.ws()
		if p.pos >= len(p.s) {
			return ref, nil
		}
		optional := p.lit("?.")
		switch {
		case p.lit("["):
			p.ws()
			var step pathStep
			if key, ok := p.str(); ok {
				step.key = key
			} else if n, ok := p.digits(); ok {
				if i, err := strconv.Atoi(n); err == nil {
					step.index, step.isIndex = i, true
				} else {
					step.key = n
				}
			} else {
				return ref, p.fail()
			}
			p.ws()
			if !p.lit("]") {
				return ref, p.fail()
			}
			step.optional = optional
			ref.path = append(ref.path, step)
		case optional || p.lit("."):
			p.ws()
			id, ok := p.ident()
			if !ok {
				return ref, p.fail()
			}
			ref.path = append(ref.path, pathStep{key: id, optional: optional})
		default:
			return ref, p.fail()
		}
	}
}

func (p *exprParser) fail() error {
	rest := p.s[p.pos:]
	if rest == "" {
		return &syntaxError{msg: "it ends too early"}
	}
	if utf8.RuneCountInString(rest) > 30 {
		rest = string([]rune(rest)[:30]) + "..."
	}
	return &syntaxError{msg: fmt.Sprintf("at character %d: %q", utf8.RuneCountInString(p.s[:p.pos])+1, rest)}
}

func (p *exprParser) ws() {
	for p.pos < len(p.s) {
		r, n := utf8.DecodeRuneInString(p.s[p.pos:])
		if !unicode.IsSpace(r) {
			return
		}
		p.pos += n
	}
}

func (p *exprParser) lit(s string) bool {
	if strings.HasPrefix(p.s[p.pos:], s) {
		p.pos += len(s)
		return true
	}
	return false
}

// dot consumes "." with whitespace around it.
func (p *exprParser) dot() bool {
	p.ws()
	if !p.lit(".") {
		return false
	}
	p.ws()
	return true
}

// word consumes an identifier-like word that is not followed by more
// identifier characters.
func (p *exprParser) word(w string) bool {
	if !strings.HasPrefix(p.s[p.pos:], w) {
		return false
	}
	if r, _ := utf8.DecodeRuneInString(p.s[p.pos+len(w):]); p.pos+len(w) < len(p.s) && isIdentPart(r) {
		return false
	}
	p.pos += len(w)
	return true
}

func isIdentStart(r rune) bool { return r == '_' || r == '$' || unicode.IsLetter(r) }
func isIdentPart(r rune) bool  { return isIdentStart(r) || unicode.IsDigit(r) }

func (p *exprParser) ident() (string, bool) {
	start := p.pos
	for p.pos < len(p.s) {
		r, n := utf8.DecodeRuneInString(p.s[p.pos:])
		if !(isIdentPart(r) && (p.pos > start || isIdentStart(r))) {
			break
		}
		p.pos += n
	}
	return p.s[start:p.pos], p.pos > start
}

func (p *exprParser) digits() (string, bool) {
	start := p.pos
	for p.pos < len(p.s) && p.s[p.pos] >= '0' && p.s[p.pos] <= '9' {
		p.pos++
	}
	return p.s[start:p.pos], p.pos > start
}

// str parses a JavaScript string literal in single, double or back quotes
// (no ${…} substitutions).
func (p *exprParser) str() (string, bool) {
	if p.pos >= len(p.s) {
		return "", false
	}
	q := p.s[p.pos]
	if q != '"' && q != '\'' && q != '`' {
		return "", false
	}
	var b strings.Builder
	for i := p.pos + 1; i < len(p.s); {
		c := p.s[i]
		switch {
		case c == q:
			p.pos = i + 1
			return b.String(), true
		case q == '`' && c == '$' && strings.HasPrefix(p.s[i:], "${"):
			return "", false // template substitution
		case c == '\n' && q != '`':
			return "", false
		case c == '\\':
			r, n, ok := unescape(p.s[i+1:])
			if !ok {
				return "", false
			}
			b.WriteString(r)
			i += 1 + n
		default:
			b.WriteByte(c)
			i++
		}
	}
	return "", false
}

// unescape decodes the JavaScript escape sequence at the start of s (after
// the backslash): it returns the text and how many bytes it used.
func unescape(s string) (string, int, bool) {
	if s == "" {
		return "", 0, false
	}
	switch s[0] {
	case 'n':
		return "\n", 1, true
	case 't':
		return "\t", 1, true
	case 'r':
		return "\r", 1, true
	case 'b':
		return "\b", 1, true
	case 'f':
		return "\f", 1, true
	case 'v':
		return "\v", 1, true
	case '0':
		return "\x00", 1, true
	case 'x', 'u':
		width := 2
		if s[0] == 'u' {
			width = 4
		}
		if len(s) < 1+width {
			return "", 0, false
		}
		v, err := strconv.ParseUint(s[1:1+width], 16, 32)
		if err != nil {
			return "", 0, false
		}
		r := rune(v)
		used := 1 + width
		if utf16.IsSurrogate(r) && len(s) >= used+6 && s[used] == '\\' && s[used+1] == 'u' {
			if lo, err := strconv.ParseUint(s[used+2:used+6], 16, 32); err == nil {
				if pair := utf16.DecodeRune(r, rune(lo)); pair != utf8.RuneError {
					return string(pair), used + 6, true
				}
			}
		}
		return string(r), used, true
	default:
		r, n := utf8.DecodeRuneInString(s)
		return string(r), n, true
	}
}

// segment is a piece of a template: literal text or a {{ … }} expression.
type segment struct {
	text   string // literal text, or the expression inside the braces
	block  string // the whole "{{ … }}" block, for messages
	isExpr bool
}

// splitTemplate splits the text after a parameter's leading "=" into
// literal text and {{ … }} blocks. An unclosed "{{" is literal text.
func splitTemplate(s string) []segment {
	var segs []segment
	for {
		open := strings.Index(s, "{{")
		if open < 0 {
			break
		}
		closeAt := findClose(s[open+2:])
		if closeAt < 0 {
			break
		}
		if open > 0 {
			segs = append(segs, segment{text: s[:open]})
		}
		inner := s[open+2 : open+2+closeAt]
		segs = append(segs, segment{text: inner, block: s[open : open+4+closeAt], isExpr: true})
		s = s[open+4+closeAt:]
	}
	if s != "" {
		segs = append(segs, segment{text: s})
	}
	return segs
}

// findClose finds the "}}" that ends an expression, skipping string
// literals; if quotes do not balance it falls back to the first "}}".
func findClose(s string) int {
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == '\\' {
				i++
			} else if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'' || c == '`':
			quote = c
		case c == '}' && i+1 < len(s) && s[i+1] == '}':
			return i
		}
	}
	return strings.Index(s, "}}")
}

// evalReference follows ref for the given item.
func evalReference(ref reference, item Item, ctx ExprContext) (json.RawMessage, error) {
	var cur json.RawMessage
	switch ref.kind {
	case refJSON:
		cur = item.JSON
		if len(bytes.TrimSpace(cur)) == 0 {
			cur = json.RawMessage("{}")
		}
	case refNode, refPaired:
		lookup := ctx.Lookup
		if ref.kind == refNode && ctx.LookupOutput != nil {
			lookup = ctx.LookupOutput
		}
		var ok bool
		if lookup != nil {
			cur, ok = lookup(ref.node, ctx.ItemIndex)
		}
		if !ok {
			return nil, fmt.Errorf("node %q has no item for this one: it has not run before node %q, or it produced no item linked to this item", ref.node, ctx.Node)
		}
		if len(bytes.TrimSpace(cur)) == 0 {
			cur = json.RawMessage("{}")
		}
	}
	for i, step := range ref.path {
		switch {
		case cur == nil || isNull(cur):
			if step.optional {
				return nil, nil
			}
			what, state := "undefined", "is not set"
			if cur != nil {
				what, state = "null", "is null"
			}
			return nil, fmt.Errorf("cannot read %s of %s: %s %s", describeStep(step), what, describePath(ref.path[:i]), state)
		}
		next, err := stepInto(cur, step)
		if err != nil {
			return nil, err
		}
		cur = next
	}
	return cur, nil
}

func describeStep(s pathStep) string {
	if s.isIndex {
		return fmt.Sprintf("index %d", s.index)
	}
	return strconv.Quote(s.key)
}

func describePath(steps []pathStep) string {
	var b strings.Builder
	for _, s := range steps {
		switch {
		case s.isIndex:
			fmt.Fprintf(&b, "[%d]", s.index)
		case isIdentifier(s.key):
			b.WriteByte('.')
			b.WriteString(s.key)
		default:
			fmt.Fprintf(&b, "[%s]", strconv.Quote(s.key))
		}
	}
	return strings.TrimPrefix(b.String(), ".")
}

func isIdentifier(s string) bool {
	for i, r := range s {
		if !isIdentPart(r) || (i == 0 && !isIdentStart(r)) {
			return false
		}
	}
	return s != ""
}

// stepInto applies one path step to a JSON value; nil means undefined.
func stepInto(cur json.RawMessage, step pathStep) (json.RawMessage, error) {
	cur = bytes.TrimSpace(cur)
	if len(cur) == 0 {
		return nil, nil
	}
	switch cur[0] {
	case '{':
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(cur, &obj); err != nil {
			return nil, fmt.Errorf("item data is not valid JSON: %w", err)
		}
		key := step.key
		if step.isIndex {
			key = strconv.Itoa(step.index)
		}
		v, ok := obj[key]
		if !ok {
			return nil, nil
		}
		return v, nil
	case '[':
		var arr []json.RawMessage
		if err := json.Unmarshal(cur, &arr); err != nil {
			return nil, fmt.Errorf("item data is not valid JSON: %w", err)
		}
		idx, isIdx := step.index, step.isIndex
		if !isIdx {
			if step.key == "length" {
				return json.RawMessage(strconv.Itoa(len(arr))), nil
			}
			if n, err := strconv.Atoi(step.key); err == nil && strconv.Itoa(n) == step.key {
				idx, isIdx = n, true
			}
		}
		if !isIdx || idx < 0 || idx >= len(arr) {
			return nil, nil
		}
		return arr[idx], nil
	case '"':
		if !step.isIndex && step.key == "length" {
			var s string
			if err := json.Unmarshal(cur, &s); err != nil {
				return nil, fmt.Errorf("item data is not valid JSON: %w", err)
			}
			return json.RawMessage(strconv.Itoa(len(utf16.Encode([]rune(s))))), nil
		}
		if step.isIndex || isDigits(step.key) {
			return nil, &syntaxError{msg: "indexing into a string"}
		}
		return nil, nil
	default: // numbers, booleans: properties are undefined; null handled by caller
		if isNull(cur) {
			return nil, fmt.Errorf("cannot read %s of null", describeStep(step))
		}
		return nil, nil
	}
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// marshalString encodes s as a JSON string without HTML escaping.
func marshalString(s string) json.RawMessage {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	return bytes.TrimRight(b.Bytes(), "\n")
}

// interpolate renders a value inside text: strings as themselves, null and
// undefined as "", numbers and booleans as their JSON text, objects and
// arrays as compact JSON.
func interpolate(v json.RawMessage) string {
	v = bytes.TrimSpace(v)
	if len(v) == 0 || isNull(v) {
		return ""
	}
	if v[0] == '"' {
		var s string
		if json.Unmarshal(v, &s) == nil {
			return s
		}
	}
	var b bytes.Buffer
	if json.Compact(&b, v) == nil {
		return b.String()
	}
	return string(v)
}

// compactValue returns v compacted, or null for undefined.
func compactValue(v json.RawMessage) json.RawMessage {
	v = bytes.TrimSpace(v)
	if len(v) == 0 {
		return json.RawMessage("null")
	}
	var b bytes.Buffer
	if json.Compact(&b, v) != nil {
		return v
	}
	return b.Bytes()
}

// exprFailure builds an ExpressionError from a parse or evaluation failure.
func exprFailure(ctx ExprContext, param, block string, err error) *ExpressionError {
	var syn *syntaxError
	if errors.As(err, &syn) {
		return &ExpressionError{Node: ctx.Node, Parameter: param, Expression: block, Unsupported: true,
			Reason: "this expression form is not supported yet (" + syn.msg + "); " + supportedForms}
	}
	return &ExpressionError{Node: ctx.Node, Parameter: param, Expression: block, Reason: err.Error()}
}

// resolveString resolves one parameter string value that starts with "=".
// It returns the JSON that replaces the value.
func resolveString(value, param string, item Item, ctx ExprContext) (json.RawMessage, error) {
	body := strings.TrimPrefix(value, "=")
	segs := splitTemplate(body)
	if len(segs) == 1 && segs[0].isExpr {
		ref, err := parseReference(segs[0].text)
		if err != nil {
			return nil, exprFailure(ctx, param, segs[0].block, err)
		}
		v, err := evalReference(ref, item, ctx)
		if err != nil {
			return nil, exprFailure(ctx, param, segs[0].block, err)
		}
		return compactValue(v), nil
	}
	var b strings.Builder
	for _, s := range segs {
		if !s.isExpr {
			b.WriteString(s.text)
			continue
		}
		ref, err := parseReference(s.text)
		if err != nil {
			return nil, exprFailure(ctx, param, s.block, err)
		}
		v, err := evalReference(ref, item, ctx)
		if err != nil {
			return nil, exprFailure(ctx, param, s.block, err)
		}
		b.WriteString(interpolate(v))
	}
	return marshalString(b.String()), nil
}

// checkString parses (without resolving) one parameter string value that
// starts with "=", and checks that the nodes it names exist.
func checkString(value, param, node string, nodeExists func(string) bool) []error {
	var errs []error
	for _, s := range splitTemplate(strings.TrimPrefix(value, "=")) {
		if !s.isExpr {
			continue
		}
		ctx := ExprContext{Node: node}
		ref, err := parseReference(s.text)
		if err != nil {
			errs = append(errs, exprFailure(ctx, param, s.block, err))
			continue
		}
		if ref.kind != refJSON && !nodeExists(ref.node) {
			errs = append(errs, &ExpressionError{Node: node, Parameter: param, Expression: s.block,
				Reason: fmt.Sprintf("it references node %q, which does not exist in the workflow", ref.node)})
		}
	}
	return errs
}
