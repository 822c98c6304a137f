package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"
)

// FieldError is one configuration problem with its place.
type FieldError struct {
	File  string
	Pos   Position
	Field string
	Msg   string
}

// Error formats as "file:line:col: field.path: message".
func (e FieldError) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		if e.Pos.Line > 0 {
			fmt.Fprintf(&b, ":%d:%d", e.Pos.Line, e.Pos.Column)
		}
		b.WriteString(": ")
	}
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Errors is every problem found in one configuration, in file order.
type Errors []FieldError

// Error joins the problems one per line.
func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Load reads, decodes and validates the configuration at path. Defaults are
// applied first, unknown keys are rejected and every problem is reported at
// once as an Errors value.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	return Parse(path, data)
}

// Parse decodes and validates configuration bytes; path is used for
// messages and to resolve relative paths.
func Parse(path string, data []byte) (*Config, error) {
	cfg := Default()
	cfg.file = path
	dir := filepath.Dir(path)
	file, err := parser.ParseBytes(data, 0)
	if err != nil {
		fe := FieldError{File: path, Msg: "invalid YAML"}
		var ye interface {
			GetMessage() string
			GetToken() *token.Token
		}
		if errors.As(err, &ye) && ye.GetToken() != nil {
			fe.Pos = Position{ye.GetToken().Position.Line, ye.GetToken().Position.Column}
			fe.Msg = "invalid YAML: " + ye.GetMessage()
		} else {
			fe.Msg = "invalid YAML: " + err.Error()
		}
		return nil, Errors{fe}
	}
	d := &decoder{file: path, dir: dir, pos: cfg.pos}
	if len(file.Docs) > 1 {
		d.errs = append(d.errs, FieldError{File: path, Msg: "want one YAML document, found several"})
	}
	if len(file.Docs) > 0 && file.Docs[0].Body != nil {
		d.decode(file.Docs[0].Body, reflect.ValueOf(cfg).Elem(), "")
	}
	if cfg.Data != "" && !filepath.IsAbs(cfg.Data) && !strings.Contains(cfg.Data, "://") {
		cfg.Data = filepath.Join(dir, cfg.Data)
	}
	if cfg.Ingest.Root != "" && !filepath.IsAbs(cfg.Ingest.Root) {
		cfg.Ingest.Root = filepath.Join(dir, cfg.Ingest.Root)
	}
	if cfg.Sessions.Path != "" && !filepath.IsAbs(cfg.Sessions.Path) {
		cfg.Sessions.Path = filepath.Join(dir, cfg.Sessions.Path)
	}
	for i, src := range cfg.Sources {
		if src.Path != "" && !filepath.IsAbs(src.Path) {
			cfg.Sources[i].Path = filepath.Join(dir, src.Path)
		}
	}
	cfg.resolveAgent(dir)
	// Semantic checks run even after decode errors (a field that failed
	// to decode keeps its valid default), so every problem is reported.
	d.errs = append(d.errs, cfg.Validate()...)
	if len(d.errs) > 0 {
		return nil, d.sorted()
	}
	return cfg, nil
}

type decoder struct {
	file string
	dir  string
	pos  map[string]Position
	errs Errors
}

func (d *decoder) sorted() Errors {
	sort.SliceStable(d.errs, func(i, j int) bool {
		a, b := d.errs[i].Pos, d.errs[j].Pos
		return a.Line < b.Line || (a.Line == b.Line && a.Column < b.Column)
	})
	return d.errs
}

func (d *decoder) fail(n ast.Node, field, format string, args ...any) {
	d.errs = append(d.errs, FieldError{File: d.file, Pos: position(n), Field: field, Msg: fmt.Sprintf(format, args...)})
}

func position(n ast.Node) Position {
	if n == nil || n.GetToken() == nil {
		return Position{}
	}
	p := n.GetToken().Position
	return Position{p.Line, p.Column}
}

var (
	unmarshalerType = reflect.TypeOf((*yaml.InterfaceUnmarshaler)(nil)).Elem()
	secretType      = reflect.TypeOf(Secret{})
)

// decode walks node into v, collecting every problem instead of stopping at
// the first one.
func (d *decoder) decode(node ast.Node, v reflect.Value, path string) {
	node = unwrap(node)
	if node == nil || node.Type() == ast.NullType {
		return
	}
	if _, known := d.pos[path]; path != "" && !known {
		d.pos[path] = position(node)
	}
	if v.Kind() == reflect.Struct && !reflect.PointerTo(v.Type()).Implements(unmarshalerType) {
		d.decodeStruct(node, v, path)
		return
	}
	if v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.Struct {
		seq, ok := node.(*ast.SequenceNode)
		if !ok {
			d.fail(node, path, "want a list, found %s", strings.ToLower(node.Type().String()))
			return
		}
		out := reflect.MakeSlice(v.Type(), len(seq.Values), len(seq.Values))
		for i, item := range seq.Values {
			d.decode(item, out.Index(i), fmt.Sprintf("%s[%d]", path, i))
		}
		v.Set(out)
		return
	}
	ptr := reflect.New(v.Type())
	ptr.Elem().Set(v)
	if err := yaml.NodeToValue(node, ptr.Interface(), yaml.DisallowUnknownField()); err != nil {
		d.fail(node, path, "%s", cleanTypeError(err, v.Type()))
		return
	}
	if v.Type() == secretType {
		s := ptr.Interface().(*Secret)
		if err := s.resolve(d.dir); err != nil {
			d.fail(node, path, "%v", err)
			return
		}
	}
	v.Set(ptr.Elem())
}

func (d *decoder) decodeStruct(node ast.Node, v reflect.Value, path string) {
	var pairs []*ast.MappingValueNode
	switch n := node.(type) {
	case *ast.MappingNode:
		pairs = n.Values
	case *ast.MappingValueNode:
		pairs = []*ast.MappingValueNode{n}
	default:
		d.fail(node, path, "want a mapping, found %s", strings.ToLower(node.Type().String()))
		return
	}
	fields := yamlFields(v.Type())
	seen := map[string]bool{}
	for _, p := range pairs {
		key := p.Key.String()
		child := key
		if path != "" {
			child = path + "." + key
		}
		if seen[key] {
			d.fail(p.Key, child, "duplicate key")
			continue
		}
		seen[key] = true
		idx, ok := fields[key]
		if !ok {
			d.fail(p.Key, child, "unknown field%s", suggest(key, fields))
			continue
		}
		// A section is placed at its key, a scalar at its value.
		switch unwrap(p.Value).(type) {
		case *ast.MappingNode, *ast.MappingValueNode, *ast.SequenceNode:
			d.pos[child] = position(p.Key)
		}
		d.decode(p.Value, v.Field(idx), child)
		if _, has := d.pos[child]; !has {
			d.pos[child] = position(p.Key)
		}
	}
}

func unwrap(n ast.Node) ast.Node {
	for {
		switch x := n.(type) {
		case *ast.AnchorNode:
			n = x.Value
		case *ast.TagNode:
			n = x.Value
		case *ast.DocumentNode:
			n = x.Body
		default:
			return n
		}
	}
}

func yamlFields(t reflect.Type) map[string]int {
	m := map[string]int{}
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "" || name == "-" {
			continue
		}
		m[name] = i
	}
	return m
}

// suggest names the closest known key, for typos.
func suggest(key string, fields map[string]int) string {
	best, bestD := "", 3
	for name := range fields {
		if dd := editDistance(key, name); dd < bestD || (dd == bestD && name < best) {
			best, bestD = name, dd
		}
	}
	if best == "" {
		names := make([]string, 0, len(fields))
		for name := range fields {
			names = append(names, name)
		}
		sort.Strings(names)
		return " (known: " + strings.Join(names, ", ") + ")"
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// cleanTypeError turns a decoder error into a short message without the
// source excerpt the YAML library appends.
func cleanTypeError(err error, t reflect.Type) string {
	var ye interface{ GetMessage() string }
	msg := err.Error()
	if errors.As(err, &ye) {
		msg = ye.GetMessage()
	}
	if i := strings.Index(msg, "\n"); i >= 0 {
		msg = msg[:i]
	}
	msg = strings.TrimSpace(msg)
	if strings.Contains(msg, "cannot unmarshal") {
		return "want " + kindName(t)
	}
	return msg
}

func kindName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Int, reflect.Int64, reflect.Int32:
		return "an integer"
	case reflect.Float64, reflect.Float32:
		return "a number"
	case reflect.Bool:
		return "true or false"
	case reflect.String:
		return "a string"
	case reflect.Slice:
		return "a list"
	case reflect.Map, reflect.Struct:
		return "a mapping"
	}
	return t.String()
}
