package agent

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"text/template"
	"time"

	"github.com/ragline/ragline/internal/config"
	"github.com/ragline/ragline/internal/tool"
)

// Actions a rule can take.
const (
	ActionRetrieve = "retrieve"
	ActionTool     = "tool"
	ActionRespond  = "respond"
	ActionHandoff  = "handoff"
	// ActionModel lets the chat model choose among the allow-listed tools;
	// it replaces the default retrieve when agent.tools is set and a chat
	// model is configured.
	ActionModel = "model"
)

// Decision is what the decide layer chose.
type Decision struct {
	Action string
	// Rule names the rule that decided ("" for the default).
	Rule       string
	Collection string
	TopK       int
	Tool       string
	Arguments  json.RawMessage
	Message    string
	answer     *template.Template
	FeedBack   bool
}

type rule struct {
	cfg      config.RuleConfig
	name     string
	keywords []string
	regex    []*regexp.Regexp
	args     map[string]any // strings replaced by *template.Template
	answer   *template.Template
}

// Decider is the decide layer. It is safe for concurrent use.
type Decider struct {
	rules    []rule
	tools    *tool.Registry
	useModel bool
}

// NewDecider compiles the configured rules and their templates.
func NewDecider(cfg *config.Config, tools *tool.Registry, hasChat bool) (*Decider, error) {
	d := &Decider{tools: tools, useModel: hasChat && len(cfg.Agent.Tools) > 0}
	for i, rc := range cfg.Agent.Rules {
		r := rule{cfg: rc, name: rc.Name, keywords: lower(rc.When.Keywords)}
		if r.name == "" {
			r.name = fmt.Sprintf("rules[%d]", i)
		}
		for _, re := range rc.When.Regex {
			c, err := regexp.Compile(re)
			if err != nil {
				return nil, errorf("rule %s: %v", r.name, err)
			}
			r.regex = append(r.regex, c)
		}
		args, err := compileArgs(r.name, rc.Arguments)
		if err != nil {
			return nil, err
		}
		r.args, _ = args.(map[string]any)
		if rc.Answer != "" {
			if r.answer, err = template.New(r.name).Option("missingkey=zero").Parse(rc.Answer); err != nil {
				return nil, errorf("rule %s: answer: %v", r.name, err)
			}
		}
		d.rules = append(d.rules, r)
	}
	return d, nil
}

// compileArgs turns every string of an argument object into a template.
func compileArgs(name string, v any) (any, error) {
	switch x := v.(type) {
	case string:
		t, err := template.New(name).Option("missingkey=zero").Parse(x)
		if err != nil {
			return nil, errorf("rule %s: arguments: %v", name, err)
		}
		return t, nil
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, val := range x {
			c, err := compileArgs(name, val)
			if err != nil {
				return nil, err
			}
			out[k] = c
		}
		return out, nil
	case []any:
		out := make([]any, len(x))
		for i, val := range x {
			c, err := compileArgs(name, val)
			if err != nil {
				return nil, err
			}
			out[i] = c
		}
		return out, nil
	case nil:
		return map[string]any{}, nil
	}
	return v, nil
}

// TemplateData is what argument and answer templates see.
type TemplateData struct {
	Question   string
	Standalone string
	Language   string
	Collection string
	Intent     string
	// Match is the text the deciding regex (the rule's, else the
	// intent's) matched.
	Match  string
	groups map[string]string
	// Result is the decoded tool result and Text its "text" field (answer
	// templates only).
	Result any
	Text   string
}

// Group returns a named group of the deciding regex.
func (t TemplateData) Group(name string) string { return t.groups[name] }

// Decide tries the rules in order and records one "decide" step.
func (d *Decider) Decide(tr *tracer, req Request, p Perception) Decision {
	start := time.Now()
	detail := map[string]any{
		"intent":     p.Intent,
		"language":   p.Language,
		"collection": req.Collection,
		"turns":      p.Turns,
		"rules":      len(d.rules),
	}
	dec := Decision{Action: ActionRetrieve, Collection: req.Collection}
	if d.useModel {
		dec.Action = ActionModel
	}
	for _, r := range d.rules {
		data, ok := r.matches(req, p)
		if !ok {
			continue
		}
		dec = Decision{Action: r.cfg.Action, Rule: r.name, Collection: req.Collection, TopK: r.cfg.TopK,
			Tool: r.cfg.Tool, Message: r.cfg.Message, answer: r.answer, FeedBack: r.cfg.FeedBack}
		if r.cfg.Collection != "" {
			dec.Collection = r.cfg.Collection
		}
		if dec.Action == ActionTool {
			args, err := renderArgs(r.args, data)
			if err != nil {
				detail["error"] = err.Error()
			}
			dec.Arguments = args
		}
		break
	}
	detail["action"] = dec.Action
	if dec.Rule != "" {
		detail["rule"] = dec.Rule
	} else {
		detail["rule"] = "default"
	}
	switch dec.Action {
	case ActionRetrieve:
		detail["target_collection"] = dec.Collection
		if dec.TopK > 0 {
			detail["top_k"] = dec.TopK
		}
	case ActionTool:
		detail["tool"] = dec.Tool
		detail["arguments"] = tool.Redact(dec.Arguments)
	case ActionRespond, ActionHandoff:
		detail["message"] = dec.Message
	}
	tr.step("decide", start, detail)
	return dec
}

// matches reports whether every condition of the rule holds and returns
// the template data the match produced.
func (r rule) matches(req Request, p Perception) (TemplateData, bool) {
	w := r.cfg.When
	data := TemplateData{Question: p.Question, Standalone: p.Standalone, Language: p.Language, Collection: req.Collection,
		Intent: p.Intent, Match: p.Match, groups: p.Groups}
	if len(w.Intents) > 0 && !slices.Contains(w.Intents, p.Intent) {
		return data, false
	}
	if len(w.Languages) > 0 && !slices.Contains(w.Languages, p.Language) {
		return data, false
	}
	if len(w.Collections) > 0 && !slices.Contains(w.Collections, req.Collection) {
		return data, false
	}
	if w.FollowUp != nil && *w.FollowUp != p.FollowUp {
		return data, false
	}
	if p.Turns < w.MinTurns || (w.MaxTurns > 0 && p.Turns > w.MaxTurns) {
		return data, false
	}
	if len(r.keywords) > 0 {
		q := strings.ToLower(p.Question)
		hit := false
		for _, k := range r.keywords {
			if strings.Contains(q, k) {
				hit = true
				break
			}
		}
		if !hit {
			return data, false
		}
	}
	if len(r.regex) > 0 {
		hit := false
		for _, re := range r.regex {
			if m := re.FindStringSubmatch(p.Question); m != nil {
				data.Match, data.groups, hit = m[0], groups(re, m), true
				break
			}
		}
		if !hit {
			return data, false
		}
	}
	return data, true
}

// renderArgs executes the argument templates into a JSON object.
func renderArgs(args map[string]any, data TemplateData) (json.RawMessage, error) {
	v, err := render(args, data)
	if err != nil {
		return json.RawMessage("{}"), err
	}
	b, err := json.Marshal(v)
	if err != nil {
		return json.RawMessage("{}"), err
	}
	return b, nil
}

func render(v any, data TemplateData) (any, error) {
	switch x := v.(type) {
	case *template.Template:
		var b bytes.Buffer
		if err := x.Execute(&b, data); err != nil {
			return nil, errorf("arguments: %v", err)
		}
		return strings.TrimSpace(b.String()), nil
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, val := range x {
			r, err := render(val, data)
			if err != nil {
				return nil, err
			}
			// An empty string from a template leaves the argument out, so a
			// tool's default applies.
			if s, ok := r.(string); ok && s == "" {
				continue
			}
			out[k] = r
		}
		return out, nil
	case []any:
		out := make([]any, len(x))
		for i, val := range x {
			r, err := render(val, data)
			if err != nil {
				return nil, err
			}
			out[i] = r
		}
		return out, nil
	}
	return v, nil
}
