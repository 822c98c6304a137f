package tool

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode"
)

// Limits of the calculator, so that no expression can take long.
const (
	maxExprLen   = 512
	maxExprDepth = 64
)

// Calculator evaluates arithmetic with a parser of its own: numbers,
// + - * / % ^, parentheses, the constants pi and e and a few functions.
// Nothing in the input is ever executed.
func Calculator() Tool {
	return Func{S: Spec{
		Name:        "calculator",
		Description: "Evaluate an arithmetic expression: numbers, + - * / % ^ (power), parentheses, pi, e, and sqrt abs round floor ceil ln log10 sin cos tan min max.",
		Parameters: json.RawMessage(`{"type":"object","properties":{"expression":{"type":"string","minLength":1,"maxLength":512,` +
			`"description":"the expression, e.g. 17*23+4"}},"required":["expression"],"additionalProperties":false}`),
		Risk: RiskLow,
	}, F: func(ctx context.Context, args json.RawMessage) (json.RawMessage, error) {
		var in struct {
			Expression string `json:"expression"`
		}
		if err := json.Unmarshal(args, &in); err != nil {
			return nil, err
		}
		v, err := Evaluate(in.Expression)
		if err != nil {
			return nil, err
		}
		s := FormatNumber(v)
		return json.Marshal(map[string]any{"expression": in.Expression, "value": v, "text": strings.TrimSpace(in.Expression) + " = " + s})
	}}
}

// FormatNumber prints v without a trailing ".0" and without exponent for
// ordinary magnitudes.
func FormatNumber(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return strconv.FormatFloat(v, 'g', 12, 64)
}

// ErrExpression is wrapped by every evaluation error.
var ErrExpression = errors.New("invalid expression")

// Evaluate computes an arithmetic expression. × and ÷ are read as * and /.
func Evaluate(expr string) (float64, error) {
	if len(expr) > maxExprLen {
		return 0, fmt.Errorf("%w: longer than %d characters", ErrExpression, maxExprLen)
	}
	r := strings.NewReplacer("×", "*", "÷", "/", "−", "-", "（", "(", "）", ")", "**", "^")
	p := &parser{src: []rune(r.Replace(expr))}
	v, err := p.expr(0)
	if err != nil {
		return 0, err
	}
	p.space()
	if p.pos < len(p.src) {
		return 0, p.fail("unexpected %q", string(p.src[p.pos]))
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("%w: the result is not a finite number", ErrExpression)
	}
	return v, nil
}

type parser struct {
	src []rune
	pos int
}

func (p *parser) fail(format string, args ...any) error {
	return fmt.Errorf("%w at position %d: %s", ErrExpression, p.pos+1, fmt.Sprintf(format, args...))
}

func (p *parser) space() {
	for p.pos < len(p.src) && unicode.IsSpace(p.src[p.pos]) {
		p.pos++
	}
}

func (p *parser) peek() rune {
	p.space()
	if p.pos < len(p.src) {
		return p.src[p.pos]
	}
	return 0
}

// expr := term (('+'|'-') term)*
func (p *parser) expr(depth int) (float64, error) {
	if depth > maxExprDepth {
		return 0, p.fail("nested too deeply")
	}
	v, err := p.term(depth)
	if err != nil {
		return 0, err
	}
	for {
		switch p.peek() {
		case '+':
			p.pos++
			w, err := p.term(depth)
			if err != nil {
				return 0, err
			}
			v += w
		case '-':
			p.pos++
			w, err := p.term(depth)
			if err != nil {
				return 0, err
			}
			v -= w
		default:
			return v, nil
		}
	}
}

// term := unary (('*'|'/'|'%') unary)*
func (p *parser) term(depth int) (float64, error) {
	v, err := p.unary(depth)
	if err != nil {
		return 0, err
	}
	for {
		op := p.peek()
		if op != '*' && op != '/' && op != '%' {
			return v, nil
		}
		p.pos++
		w, err := p.unary(depth)
		if err != nil {
			return 0, err
		}
		switch op {
		case '*':
			v *= w
		case '/':
			if w == 0 {
				return 0, p.fail("division by zero")
			}
			v /= w
		case '%':
			if w == 0 {
				return 0, p.fail("modulo by zero")
			}
			v = math.Mod(v, w)
		}
	}
}

// unary := ('-'|'+') unary | power
func (p *parser) unary(depth int) (float64, error) {
	if depth > maxExprDepth {
		return 0, p.fail("nested too deeply")
	}
	switch p.peek() {
	case '-':
		p.pos++
		v, err := p.unary(depth + 1)
		return -v, err
	case '+':
		p.pos++
		return p.unary(depth + 1)
	}
	return p.power(depth)
}

// power := primary ('^' unary)?   (right-associative)
func (p *parser) power(depth int) (float64, error) {
	v, err := p.primary(depth)
	if err != nil {
		return 0, err
	}
	if p.peek() == '^' {
		p.pos++
		w, err := p.unary(depth + 1)
		if err != nil {
			return 0, err
		}
		return math.Pow(v, w), nil
	}
	return v, nil
}

var functions = map[string]func(args []float64) (float64, error){
	"sqrt":  one(math.Sqrt),
	"abs":   one(math.Abs),
	"round": one(math.Round),
	"floor": one(math.Floor),
	"ceil":  one(math.Ceil),
	"ln":    one(math.Log),
	"log10": one(math.Log10),
	"log":   one(math.Log10),
	"sin":   one(math.Sin),
	"cos":   one(math.Cos),
	"tan":   one(math.Tan),
	"min":   fold(math.Min),
	"max":   fold(math.Max),
}

func one(f func(float64) float64) func([]float64) (float64, error) {
	return func(a []float64) (float64, error) {
		if len(a) != 1 {
			return 0, fmt.Errorf("takes one argument, got %d", len(a))
		}
		return f(a[0]), nil
	}
}

func fold(f func(a, b float64) float64) func([]float64) (float64, error) {
	return func(a []float64) (float64, error) {
		if len(a) == 0 {
			return 0, errors.New("takes at least one argument")
		}
		v := a[0]
		for _, x := range a[1:] {
			v = f(v, x)
		}
		return v, nil
	}
}

// primary := number | name | name '(' args ')' | '(' expr ')'
func (p *parser) primary(depth int) (float64, error) {
	c := p.peek()
	switch {
	case c == '(':
		p.pos++
		v, err := p.expr(depth + 1)
		if err != nil {
			return 0, err
		}
		if p.peek() != ')' {
			return 0, p.fail("missing ')'")
		}
		p.pos++
		return v, nil
	case c >= '0' && c <= '9' || c == '.':
		start := p.pos
		for p.pos < len(p.src) && (p.src[p.pos] >= '0' && p.src[p.pos] <= '9' || p.src[p.pos] == '.' || p.src[p.pos] == '_') {
			p.pos++
		}
		// An exponent: 1e3, 2.5E-4.
		if p.pos < len(p.src) && (p.src[p.pos] == 'e' || p.src[p.pos] == 'E') {
			q := p.pos + 1
			if q < len(p.src) && (p.src[q] == '-' || p.src[q] == '+') {
				q++
			}
			if q < len(p.src) && p.src[q] >= '0' && p.src[q] <= '9' {
				for q < len(p.src) && p.src[q] >= '0' && p.src[q] <= '9' {
					q++
				}
				p.pos = q
			}
		}
		lit := strings.ReplaceAll(string(p.src[start:p.pos]), "_", "")
		v, err := strconv.ParseFloat(lit, 64)
		if err != nil {
			p.pos = start
			return 0, p.fail("bad number %q", lit)
		}
		return v, nil
	case unicode.IsLetter(c):
		start := p.pos
		for p.pos < len(p.src) && (unicode.IsLetter(p.src[p.pos]) || unicode.IsDigit(p.src[p.pos])) {
			p.pos++
		}
		name := strings.ToLower(string(p.src[start:p.pos]))
		switch name {
		case "pi", "π":
			return math.Pi, nil
		case "e":
			return math.E, nil
		}
		f, ok := functions[name]
		if !ok {
			p.pos = start
			return 0, p.fail("unknown name %q", name)
		}
		if p.peek() != '(' {
			return 0, p.fail("%s needs '('", name)
		}
		p.pos++
		var args []float64
		if p.peek() != ')' {
			for {
				v, err := p.expr(depth + 1)
				if err != nil {
					return 0, err
				}
				args = append(args, v)
				if p.peek() == ';' || p.peek() == ',' {
					p.pos++
					continue
				}
				break
			}
		}
		if p.peek() != ')' {
			return 0, p.fail("missing ')' after the arguments of %s", name)
		}
		p.pos++
		v, err := f(args)
		if err != nil {
			return 0, p.fail("%s %v", name, err)
		}
		return v, nil
	case c == 0:
		return 0, p.fail("unexpected end of expression")
	}
	return 0, p.fail("unexpected %q", string(c))
}
