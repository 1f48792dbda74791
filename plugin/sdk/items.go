package sdk

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
)

// Defaulter is implemented by parameter structs that set n8n's defaults
// before the item's parameters are decoded over them: n8n exports leave out
// parameters that equal their default.
type Defaulter interface{ SetDefaults() }

// ItemCall is one input item handed to an ItemFunc, with its parameters
// decoded into P.
type ItemCall[P any] struct {
	Index   int
	Item    Item
	Params  P
	Request *ExecuteRequest
}

// ItemFunc handles one item and returns the JSON of its output items; each
// is paired to the input item. An error (ideally a *Diagnostic) fails the
// item.
type ItemFunc[P any] func(ctx context.Context, call ItemCall[P]) ([]json.RawMessage, error)

// PerItem makes an Executor from a typed per-item function. It decodes each
// item's parameters into P (reporting the parameter at fault when they do not
// fit), runs fn, pairs outputs to inputs, and applies the request's OnError
// policy: stop at the first failing item, or emit {"error": …} items in the
// main or in an extra error output and go on. It stops between items when
// ctx is done.
func PerItem[P any](fn ItemFunc[P]) Executor {
	return ExecutorFunc(func(ctx context.Context, req *ExecuteRequest) (*ExecuteResponse, error) {
		resp := &ExecuteResponse{Outputs: [][]OutputItem{{}}}
		if req.OnError == OnErrorContinueErrorOutput {
			resp.Outputs = append(resp.Outputs, []OutputItem{})
		}
		for i, item := range req.Items {
			if err := ctx.Err(); err != nil {
				resp.Diagnostics.Append(Diagnostic{Severity: SeverityError, Kind: KindTransient, Summary: "Execution canceled",
					Detail: fmt.Sprintf("stopped before item %d: %v", i, err), ItemIndex: i})
				return resp, nil
			}
			out, err := runItem(ctx, fn, req, i, item)
			if err == nil {
				for _, o := range out {
					resp.Outputs[0] = append(resp.Outputs[0], OutputItem{JSON: o, PairedItem: i})
				}
				continue
			}
			d := AsDiagnostic(err)
			if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
				d = &Diagnostic{Severity: SeverityError, Kind: KindTransient, Summary: "Execution stopped",
					Detail: fmt.Sprintf("the host stopped the run while item %d was running: %v", i, err)}
			}
			d.ItemIndex = i
			switch req.OnError {
			case OnErrorContinueRegularOutput, OnErrorContinueErrorOutput:
				d.Severity = SeverityWarning
				resp.Diagnostics.Append(*d)
				errItem := OutputItem{JSON: ErrorItemJSON(d), PairedItem: i}
				last := len(resp.Outputs) - 1
				resp.Outputs[last] = append(resp.Outputs[last], errItem)
			default:
				resp.Diagnostics.Append(*d)
				return resp, nil
			}
		}
		return resp, nil
	})
}

func runItem[P any](ctx context.Context, fn ItemFunc[P], req *ExecuteRequest, i int, item Item) ([]json.RawMessage, error) {
	var params P
	if d, ok := any(&params).(Defaulter); ok {
		d.SetDefaults()
	}
	if err := DecodeParameters(item.Parameters, &params); err != nil {
		return nil, err
	}
	return fn(ctx, ItemCall[P]{Index: i, Item: item, Params: params, Request: req})
}

// DecodeParameters decodes a JSON object of node parameters into v, keeping
// numbers exact, and turns a mismatch into a configuration Diagnostic naming
// the parameter at fault. The path comes from encoding/json, so parameter
// types must not embed structs (an embedded type's name would appear in it).
func DecodeParameters(data json.RawMessage, v any) error {
	if len(bytes.TrimSpace(data)) == 0 || bytes.Equal(bytes.TrimSpace(data), []byte("null")) {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return AttributeError(te.Field, "Invalid parameter value",
				fmt.Sprintf("parameter %q must be a %s, not a JSON %s", te.Field, goKindName(te.Type.Kind().String()), te.Value))
		}
		var de *Diagnostic
		if errors.As(err, &de) {
			return de
		}
		return &Diagnostic{Severity: SeverityError, Kind: KindConfig, Summary: "Invalid parameters", Detail: err.Error(), ItemIndex: NoItem}
	}
	return nil
}

func goKindName(k string) string {
	switch k {
	case "string":
		return "string"
	case "bool":
		return "boolean"
	case "struct", "map":
		return "object"
	case "slice", "array":
		return "list"
	default:
		return "number"
	}
}

// ErrorItemJSON is the JSON of an n8n-style error item: {"error": message}.
func ErrorItemJSON(d *Diagnostic) json.RawMessage {
	b, _ := json.Marshal(map[string]string{"error": d.Error()})
	return b
}
