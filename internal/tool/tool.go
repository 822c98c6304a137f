package tool

import (
	"context"
	"encoding/json"
	"errors"
	"time"
)

// Risk levels of a tool: what harm a wrong call could do.
const (
	RiskLow    = "low"    // reads nothing private, changes nothing
	RiskMedium = "medium" // reads private data or reaches the network
	RiskHigh   = "high"   // changes something outside ragline
)

// Outcomes of a call, the outcome label of ragline_tool_calls_total.
const (
	OutcomeOK      = "ok"
	OutcomeInvalid = "invalid" // the arguments failed the schema
	OutcomeDenied  = "denied"  // not allowed (allow-list, unknown tool)
	OutcomeTimeout = "timeout"
	OutcomeError   = "error"
)

// Outcomes lists every call outcome.
var Outcomes = []string{OutcomeOK, OutcomeInvalid, OutcomeDenied, OutcomeTimeout, OutcomeError}

// Sentinel errors callers branch on.
var (
	// ErrUnknown is returned for a tool that is not registered.
	ErrUnknown = errors.New("unknown tool")
	// ErrInvalidArguments is returned when arguments fail the schema.
	ErrInvalidArguments = errors.New("invalid arguments")
	// ErrDenied is returned when a call is not allowed.
	ErrDenied = errors.New("not allowed")
)

// Spec describes a tool.
type Spec struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	// Parameters is the JSON Schema of the arguments object.
	Parameters json.RawMessage `json:"parameters"`
	// Timeout bounds one call (0: the registry's default).
	Timeout time.Duration `json:"-"`
	// Risk is RiskLow, RiskMedium or RiskHigh.
	Risk string `json:"risk"`
}

// Tool is a callable tool. Implementations are safe for concurrent use.
type Tool interface {
	// Spec describes the tool.
	Spec() Spec
	// Call runs the tool on a JSON arguments object that already passed
	// the schema and returns its JSON result.
	Call(ctx context.Context, args json.RawMessage) (json.RawMessage, error)
}

// Func adapts a function and a spec to Tool.
type Func struct {
	S Spec
	F func(ctx context.Context, args json.RawMessage) (json.RawMessage, error)
}

// Spec implements Tool.
func (f Func) Spec() Spec { return f.S }

// Call implements Tool.
func (f Func) Call(ctx context.Context, args json.RawMessage) (json.RawMessage, error) {
	return f.F(ctx, args)
}
