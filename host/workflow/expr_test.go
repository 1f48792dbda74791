package workflow

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const exprItem = `{
  "a": {"b": 85746065432, "c": "x y", "d": null},
  "id": 1234567890123456789,
  "big": 123456789012345678901234567890,
  "f": 1.50,
  "name": "Ann",
  "list": [10, {"k": "v"}],
  "x y": {"z": true},
  "obj": {"q": 1, "p": [1, 2], "a": "first key order kept"},
  "html": "<b>&</b>",
  "}}": "braces",
  "emoji": "😀",
  "n": null,
  "t": false
}`

// exprContext serves $('Prev').item and $node["Prev"] from fixed data and
// records which item index was asked for.
func exprContext(itemIndex int) ExprContext {
	prev := []string{`{"topic": "first", "id": 1}`, `{"topic": "second", "id": 2}`}
	return ExprContext{
		Node:      "Zoom",
		ItemIndex: itemIndex,
		Lookup: func(name string, idx int) (json.RawMessage, bool) {
			if name != "Prev" || idx < 0 || idx >= len(prev) {
				return nil, false
			}
			return json.RawMessage(prev[idx]), true
		},
		LookupOutput: func(name string, idx int) (json.RawMessage, bool) {
			if name != "Prev" || idx < 0 || idx >= len(prev) {
				return nil, false
			}
			// Legacy $node reads the output by index: mark it to tell the two apart.
			return json.RawMessage(`{"topic": "output ` + prev[idx][11:]), true
		},
	}
}

func TestResolveParameters(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		params    string
		itemIndex int
		want      string
	}{
		"number kept byte-exact":   {`{"v": "={{ $json.a.b }}"}`, 0, `{"v": 85746065432}`},
		"19-digit id":              {`{"v": "={{ $json.id }}"}`, 0, `{"v": 1234567890123456789}`},
		"30-digit number":          {`{"v": "={{ $json.big }}"}`, 0, `{"v": 123456789012345678901234567890}`},
		"decimal keeps its text":   {`{"v": "={{ $json.f }}"}`, 0, `{"v": 1.50}`},
		"boolean":                  {`{"v": "={{ $json.t }}"}`, 0, `{"v": false}`},
		"null":                     {`{"v": "={{ $json.n }}"}`, 0, `{"v": null}`},
		"object stays object":      {`{"v": "={{ $json.obj }}"}`, 0, `{"v": {"q":1,"p":[1,2],"a":"first key order kept"}}`},
		"double quotes":            {`{"v": "={{ $json[\"a\"][\"b\"] }}"}`, 0, `{"v": 85746065432}`},
		"single quotes":            {`{"v": "={{$json['a']['c']}}"}`, 0, `{"v": "x y"}`},
		"back quotes":              {"{\"v\": \"={{ $json[`name`] }}\"}", 0, `{"v": "Ann"}`},
		"array index":              {`{"v": "={{ $json.list[1].k }}"}`, 0, `{"v": "v"}`},
		"array index as string":    {`{"v": "={{ $json.list[\"0\"] }}"}`, 0, `{"v": 10}`},
		"index out of range":       {`{"v": "={{ $json.list[5] }}"}`, 0, `{"v": null}`},
		"key with space":           {`{"v": "={{ $json[\"x y\"].z }}"}`, 0, `{"v": true}`},
		"whitespace tolerant":      {`{"v": "={{   $json [ 'a' ] . b   }}"}`, 0, `{"v": 85746065432}`},
		"no whitespace":            {`{"v": "={{$json.a.c}}"}`, 0, `{"v": "x y"}`},
		"escaped key":              {`{"v": "={{ $json[\"\\u0061\"].b }}"}`, 0, `{"v": 85746065432}`},
		"braces inside key":        {`{"v": "={{ $json[\"}}\"] }}"}`, 0, `{"v": "braces"}`},
		"missing key is null":      {`{"v": "={{ $json.nope }}"}`, 0, `{"v": null}`},
		"optional chaining":        {`{"v": "={{ $json.nope?.deep }}"}`, 0, `{"v": null}`},
		"optional on null":         {`{"v": "={{ $json.a.d?.x.y }}"}`, 0, `{"v": null}`},
		"array length":             {`{"v": "={{ $json.list.length }}"}`, 0, `{"v": 2}`},
		"string length (UTF-16)":   {`{"v": "={{ $json.emoji.length }}"}`, 0, `{"v": 2}`},
		"property of a number":     {`{"v": "={{ $json.f.x }}"}`, 0, `{"v": null}`},
		"$input.item.json":         {`{"v": "={{ $input.item.json.name }}"}`, 0, `{"v": "Ann"}`},
		"whole $json":              {`{"v": "={{ $json.list }}"}`, 0, `{"v": [10,{"k":"v"}]}`},
		"paired item of node":      {`{"v": "={{ $('Prev').item.json.topic }}"}`, 1, `{"v": "second"}`},
		"paired with double quote": {`{"v": "={{ $(\"Prev\").item.json.id }}"}`, 0, `{"v": 1}`},
		"legacy $node":             {`{"v": "={{ $node[\"Prev\"].json[\"topic\"] }}"}`, 1, `{"v": "output second"}`},
		"interpolation":            {`{"v": "=Meeting with {{ $json.name }}"}`, 0, `{"v": "Meeting with Ann"}`},
		"interpolated number":      {`{"v": "=id {{ $json.id }}!"}`, 0, `{"v": "id 1234567890123456789!"}`},
		"interpolated missing":     {`{"v": "=[{{ $json.nope }}]"}`, 0, `{"v": "[]"}`},
		"interpolated null":        {`{"v": "=[{{ $json.n }}]"}`, 0, `{"v": "[]"}`},
		"interpolated bool":        {`{"v": "={{ $json.t }}?"}`, 0, `{"v": "false?"}`},
		"interpolated object":      {`{"v": "=o: {{ $json.obj }}"}`, 0, `{"v": "o: {\"q\":1,\"p\":[1,2],\"a\":\"first key order kept\"}"}`},
		"several blocks":           {`{"v": "={{ $json.name }}/{{ $json.a.c }}/{{ $('Prev').item.json.topic }}"}`, 0, `{"v": "Ann/x y/first"}`},
		"no HTML escaping":         {`{"v": "=x {{ $json.html }}"}`, 0, `{"v": "x <b>&</b>"}`},
		"space before braces":      {`{"v": "= {{ $json.a.b }}"}`, 0, `{"v": " 85746065432"}`},
		"newline after braces":     {`{"v": "={{ $json.a.b }}\n"}`, 0, `{"v": "85746065432\n"}`},
		"literal":                  {`{"v": "=just text"}`, 0, `{"v": "just text"}`},
		"empty literal":            {`{"v": "="}`, 0, `{"v": ""}`},
		"unclosed braces literal":  {`{"v": "=a {{ b"}`, 0, `{"v": "a {{ b"}`},
		"not an expression":        {`{"v": "{{ $json.name }}"}`, 0, `{"v": "{{ $json.name }}"}`},
		"keys are not expressions": {`{"=k": 1}`, 0, `{"=k": 1}`},
		"nested and formatting kept": {
			"{\n  \"topic\": \"={{ $json.name }}\",\n  \"additionalFields\": {\"startTime\": \"={{ $json.a.c }}\", \"list\": [1, \"={{ $json.n }}\" , 2.50e3]},\n  \"other\":   85746065432.0\n}", 0,
			"{\n  \"topic\": \"Ann\",\n  \"additionalFields\": {\"startTime\": \"x y\", \"list\": [1, null , 2.50e3]},\n  \"other\":   85746065432.0\n}",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, err := ResolveParameters(json.RawMessage(tc.params), Item{JSON: json.RawMessage(exprItem)}, exprContext(tc.itemIndex))
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestResolveParametersErrors(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		params      string
		unsupported bool
		parameter   string
		expression  string
		reason      []string
	}{
		"method call": {
			params: `{"additionalFields": {"startTime": "={{ $json.a.b.toFixed(2) }}"}}`, unsupported: true,
			parameter: "additionalFields.startTime", expression: "{{ $json.a.b.toFixed(2) }}",
			reason: []string{"not supported yet", `(at character 19: "(2) ")`, `$node["Name"].json.a`, `$('Name').item.json.a`},
		},
		"javascript": {
			params: `{"bodyParameters": {"parameters": [{"value": "x"}, {"value": "={{ new Date().toISOString() }}"}]}}`, unsupported: true,
			parameter: "bodyParameters.parameters[1].value", expression: "{{ new Date().toISOString() }}",
			reason: []string{"not supported yet"},
		},
		"inside interpolation": {
			params: `{"x y": "=Hi {{ $json.name.toUpperCase() }}!"}`, unsupported: true,
			parameter: `["x y"]`, expression: "{{ $json.name.toUpperCase() }}",
		},
		"empty expression": {
			params: `{"v": "={{ }}"}`, unsupported: true, parameter: "v", expression: "{{ }}",
			reason: []string{"ends too early"},
		},
		"unknown variable": {
			params: `{"v": "={{ $jsonx.a }}"}`, unsupported: true, parameter: "v",
		},
		"$now": {
			params: `{"v": "={{ $now }}"}`, unsupported: true, parameter: "v",
		},
		"string index": {
			params: `{"v": "={{ $json.name[0] }}"}`, unsupported: true, parameter: "v",
			reason: []string{"indexing into a string"},
		},
		"unterminated string": {
			params: `{"v": "={{ $json[\"a }}"}`, unsupported: true, parameter: "v",
		},
		"through a missing key": {
			params: `{"list": ["={{ $json.nope.deep }}"]}`, parameter: "list[0]",
			reason: []string{`cannot read "deep" of undefined: nope is not set`},
		},
		"through null": {
			params: `{"v": "={{ $json.a.d.x }}"}`, parameter: "v",
			reason: []string{`cannot read "x" of null: a.d is null`},
		},
		"node without paired item": {
			params: `{"v": "={{ $('Prev').item.json.topic }}"}`, parameter: "v",
			reason: []string{`node "Prev" has no item for this one`},
		},
		"unknown node": {
			params: `{"v": "={{ $node[\"Other\"].json.topic }}"}`, parameter: "v",
			reason: []string{`node "Other" has no item`},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := exprContext(0)
			if name == "node without paired item" {
				ctx.ItemIndex = 7
			}
			_, err := ResolveParameters(json.RawMessage(tc.params), Item{JSON: json.RawMessage(exprItem)}, ctx)
			var ee *ExpressionError
			if !errors.As(err, &ee) {
				t.Fatalf("err = %v, want *ExpressionError", err)
			}
			if ee.Node != "Zoom" || ee.Parameter != tc.parameter {
				t.Errorf("node/parameter = %q/%q, want Zoom/%q", ee.Node, ee.Parameter, tc.parameter)
			}
			if tc.expression != "" && ee.Expression != tc.expression {
				t.Errorf("expression = %q, want %q", ee.Expression, tc.expression)
			}
			if ee.Unsupported != tc.unsupported || errors.Is(err, ErrUnsupportedExpression) != tc.unsupported {
				t.Errorf("unsupported = %v, want %v", ee.Unsupported, tc.unsupported)
			}
			for _, r := range tc.reason {
				if !strings.Contains(ee.Reason, r) {
					t.Errorf("reason %q does not contain %q", ee.Reason, r)
				}
			}
			msg := err.Error()
			for _, s := range []string{`node "Zoom"`, `parameter "` + strings.ReplaceAll(tc.parameter, `"`, `\"`) + `"`} {
				if !strings.Contains(msg, s) {
					t.Errorf("message %q does not contain %q", msg, s)
				}
			}
		})
	}
}

func TestResolveParametersReportsEveryError(t *testing.T) {
	t.Parallel()
	_, err := ResolveParameters(json.RawMessage(`{"a": "={{ 1 + 1 }}", "ok": "={{ $json.name }}", "b": {"c": "=x {{ $now }}"}}`),
		Item{JSON: json.RawMessage(exprItem)}, exprContext(0))
	var params []string
	for _, e := range flatten(err) {
		var ee *ExpressionError
		if errors.As(e, &ee) {
			params = append(params, ee.Parameter)
		}
	}
	if diff := cmp.Diff([]string{"a", "b.c"}, params); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestResolveParametersEdgeInputs(t *testing.T) {
	t.Parallel()
	// Empty parameters and an item without JSON.
	got, err := ResolveParameters(nil, Item{}, ExprContext{})
	if err != nil || got != nil {
		t.Errorf("nil params: %s, %v", got, err)
	}
	got, err = ResolveParameters(json.RawMessage(`{"v": "={{ $json.a }}"}`), Item{}, ExprContext{})
	if err != nil || string(got) != `{"v": null}` {
		t.Errorf("item without JSON: %s, %v", got, err)
	}
	if _, err := ResolveParameters(json.RawMessage(`{"v": `), Item{}, ExprContext{}); err == nil {
		t.Error("invalid parameters accepted")
	}
	// No lookup functions: other nodes cannot be referenced.
	_, err = ResolveParameters(json.RawMessage(`{"v": "={{ $('A').item.json.x }}"}`), Item{}, ExprContext{Node: "N"})
	var ee *ExpressionError
	if !errors.As(err, &ee) || ee.Unsupported {
		t.Errorf("err = %v", err)
	}
}

func FuzzResolve(f *testing.F) {
	for _, s := range []string{
		"={{ $json.a.b }}", "=Meeting with {{ $json.name }}", "=x", "={{ $json[\"a\"]['b'] }}",
		"={{ $('Prev').item.json.topic }}", "={{ $node[\"Prev\"].json.a[0] }}", "={{ $json.a?.b.length }}",
		"={{ $json[`a`] }}", "={{ $json['\\u00e9\\x41\\n'] }}", "={{ '\\uD83D\\uDE00' }}", "={{", "=}}{{}}",
		"={{ $json.list[99999999999999999999] }}", "={{ $input.item.json }}", "={{ $json['}}'] }} {{ $json.n }}",
	} {
		f.Add(s, exprItem, 0)
	}
	f.Add("={{ $json.a }}", `{"a": [1, {"b": "c"}]}`, 1)
	f.Fuzz(func(t *testing.T, expr, itemJSON string, itemIndex int) {
		params, err := json.Marshal(map[string]any{"p": expr, "nested": []any{expr, map[string]string{"q": expr}}})
		if err != nil {
			return // not valid UTF-8 for a string value: not a parameter n8n can hold
		}
		item := Item{JSON: json.RawMessage(itemJSON)}
		if !json.Valid(item.JSON) {
			item.JSON = json.RawMessage(`{}`)
		}
		got, err := ResolveParameters(params, item, exprContext(itemIndex))
		if err != nil {
			for _, e := range flatten(err) {
				var ee *ExpressionError
				if !errors.As(e, &ee) {
					t.Fatalf("error %T is not an *ExpressionError: %v", e, e)
				}
				if ee.Parameter == "" || ee.Error() == "" {
					t.Fatalf("error without parameter or message: %+v", ee)
				}
			}
			return
		}
		if !json.Valid(got) {
			t.Fatalf("resolved parameters are not valid JSON: %q", got)
		}
		if err := checkParameters(params, "N", func(string) bool { return true }); err != nil {
			t.Fatalf("resolve succeeded but the plan-time check fails: %v", err)
		}
	})
}
