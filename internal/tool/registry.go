package tool

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/google/jsonschema-go/jsonschema"
)

// Observer is told about every call: the tool's registered name (or
// "other" for a name that is not registered), its outcome and duration.
type Observer func(tool, outcome string, d time.Duration)

// Options configure a Registry.
type Options struct {
	// Timeout bounds a call of a tool that sets no timeout of its own.
	Timeout time.Duration
	// Logger receives one record per call.
	Logger *slog.Logger
	// Observe, when set, is told about every call (metrics).
	Observe Observer
}

type entry struct {
	tool   Tool
	spec   Spec
	schema *jsonschema.Resolved
}

// Registry holds the tools by name. Registration happens at start-up;
// calls are safe for concurrent use with each other and with Register.
type Registry struct {
	opts  Options
	mu    sync.RWMutex
	tools map[string]entry
}

// NewRegistry returns an empty registry.
func NewRegistry(o Options) *Registry {
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Registry{opts: o, tools: map[string]entry{}}
}

// Register adds a tool; its name must be new and its schema valid.
func (r *Registry) Register(t Tool) error {
	s := t.Spec()
	if s.Name == "" {
		return errors.New("register tool: empty name")
	}
	if len(s.Parameters) == 0 {
		s.Parameters = json.RawMessage(`{"type":"object"}`)
	}
	var sch jsonschema.Schema
	if err := json.Unmarshal(s.Parameters, &sch); err != nil {
		return fmt.Errorf("register tool %s: parameters: %w", s.Name, err)
	}
	res, err := sch.Resolve(nil)
	if err != nil {
		return fmt.Errorf("register tool %s: parameters: %w", s.Name, err)
	}
	if s.Risk == "" {
		s.Risk = RiskMedium
	}
	if s.Timeout <= 0 {
		s.Timeout = r.opts.Timeout
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.tools[s.Name]; dup {
		return fmt.Errorf("register tool %s: a tool of that name is already registered", s.Name)
	}
	r.tools[s.Name] = entry{tool: t, spec: s, schema: res}
	return nil
}

// Names lists the registered tools, sorted.
func (r *Registry) Names() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]string, 0, len(r.tools))
	for n := range r.tools {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Spec returns a registered tool's spec.
func (r *Registry) Spec(name string) (Spec, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	e, ok := r.tools[name]
	return e.spec, ok
}

// Specs returns the specs of the named tools that are registered, in the
// order given.
func (r *Registry) Specs(names []string) []Spec {
	var out []Spec
	for _, n := range names {
		if s, ok := r.Spec(n); ok {
			out = append(out, s)
		}
	}
	return out
}

// Call validates args against the tool's schema, then runs the tool within
// its timeout. Every call, refused or not, is logged and observed.
func (r *Registry) Call(ctx context.Context, name string, args json.RawMessage) (json.RawMessage, error) {
	start := time.Now()
	r.mu.RLock()
	e, ok := r.tools[name]
	r.mu.RUnlock()
	label := name
	if !ok {
		label = "other"
	}
	out, err := r.call(ctx, e, ok, name, args)
	outcome := OutcomeOf(err)
	d := time.Since(start)
	if r.opts.Observe != nil {
		r.opts.Observe(label, outcome, d)
	}
	attrs := []any{"tool", name, "arguments", Redact(args), "duration_ms", float64(d.Microseconds()) / 1000, "outcome", outcome}
	if err != nil {
		attrs = append(attrs, "err", err.Error())
		r.opts.Logger.WarnContext(ctx, "tool call", attrs...)
	} else {
		attrs = append(attrs, "result_bytes", len(out))
		r.opts.Logger.InfoContext(ctx, "tool call", attrs...)
	}
	return out, err
}

// CallAllowed calls name only when allowed lists it; a refused call is
// logged and observed with outcome "denied" and never reaches the tool.
func (r *Registry) CallAllowed(ctx context.Context, allowed []string, name string, args json.RawMessage) (json.RawMessage, error) {
	if slices.Contains(allowed, name) {
		return r.Call(ctx, name, args)
	}
	label := name
	if _, ok := r.Spec(name); !ok {
		label = "other"
	}
	if r.opts.Observe != nil {
		r.opts.Observe(label, OutcomeDenied, 0)
	}
	err := fmt.Errorf("%w: tool %q is not on the allow-list (%s)", ErrDenied, name, strings.Join(allowed, ", "))
	r.opts.Logger.WarnContext(ctx, "tool call", "tool", name, "arguments", Redact(args), "duration_ms", 0, "outcome", OutcomeDenied, "err", err.Error())
	return nil, err
}

func (r *Registry) call(ctx context.Context, e entry, ok bool, name string, args json.RawMessage) (json.RawMessage, error) {
	if !ok {
		return nil, fmt.Errorf("%w %q", ErrUnknown, name)
	}
	if len(strings.TrimSpace(string(args))) == 0 {
		args = json.RawMessage("{}")
	}
	if err := Validate(e.schema, args); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	cctx, cancel := context.WithTimeout(ctx, e.spec.Timeout)
	defer cancel()
	out, err := e.tool.Call(cctx, args)
	if err != nil {
		if cctx.Err() == context.DeadlineExceeded && ctx.Err() == nil {
			return nil, fmt.Errorf("%s: timed out after %v: %w", name, e.spec.Timeout, context.DeadlineExceeded)
		}
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if !json.Valid(out) {
		return nil, fmt.Errorf("%s: the tool returned invalid JSON", name)
	}
	return out, nil
}

// Validate checks a JSON arguments object against a resolved schema and
// names the offending field in its error.
func Validate(s *jsonschema.Resolved, args json.RawMessage) error {
	var v any
	dec := json.NewDecoder(strings.NewReader(string(args)))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return fmt.Errorf("%w: not JSON: %v", ErrInvalidArguments, err)
	}
	if dec.More() {
		return fmt.Errorf("%w: more than one JSON value", ErrInvalidArguments)
	}
	// The validator wants plain JSON values.
	if err := json.Unmarshal(args, &v); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidArguments, err)
	}
	if err := s.Validate(v); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidArguments, err)
	}
	return nil
}

// OutcomeOf classifies a call's error.
func OutcomeOf(err error) string {
	switch {
	case err == nil:
		return OutcomeOK
	case errors.Is(err, ErrInvalidArguments):
		return OutcomeInvalid
	case errors.Is(err, ErrDenied), errors.Is(err, ErrUnknown):
		return OutcomeDenied
	case errors.Is(err, context.DeadlineExceeded):
		return OutcomeTimeout
	}
	return OutcomeError
}

// secretKey matches argument names whose values are never logged.
var secretKey = regexp.MustCompile(`(?i)(pass(word)?|secret|token|api[_-]?key|authori[sz]ation|cookie|credential|private)`)

// Redact returns args as JSON text with the values of secret-looking keys
// (password, token, api_key, authorization, …) replaced by "<redacted>",
// at any depth. Text that is not a JSON object is shown by length only.
func Redact(args json.RawMessage) string {
	var v any
	if err := json.Unmarshal(args, &v); err != nil {
		return fmt.Sprintf("<%d bytes, not JSON>", len(args))
	}
	b, _ := json.Marshal(redact(v))
	return string(b)
}

func redact(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, val := range x {
			if secretKey.MatchString(k) {
				out[k] = "<redacted>"
				continue
			}
			out[k] = redact(val)
		}
		return out
	case []any:
		out := slices.Clone(x)
		for i := range out {
			out[i] = redact(out[i])
		}
		return out
	case string:
		if l := strings.ToLower(x); strings.HasPrefix(l, "bearer ") || strings.HasPrefix(l, "basic ") {
			return "<redacted>"
		}
	}
	return v
}

// Resolve compiles a JSON Schema for Validate.
func Resolve(schema json.RawMessage) (*jsonschema.Resolved, error) {
	var s jsonschema.Schema
	if err := json.Unmarshal(schema, &s); err != nil {
		return nil, err
	}
	return s.Resolve(nil)
}
