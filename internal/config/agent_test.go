package config

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestAgentErrors reports every problem of the agent, tools, plugins and
// MCP sections at once, each with its place.
func TestAgentErrors(t *testing.T) {
	_, err := Load("testdata/agent.bad.yaml")
	if err == nil {
		t.Fatal("want errors")
	}
	for _, want := range []string{
		"agent.bad.yaml:4:7: agent.intents[0].regex[0]: invalid regular expression: error parsing regexp: missing closing )",
		`agent.bad.yaml:5:13: agent.intents[1].name: duplicate intent "math"`,
		`agent.bad.yaml:9:14: agent.rules[0].when.intents[0]: unknown intent "maths" (declare it under agent.intents)`,
		`agent.bad.yaml:11:13: agent.rules[0].tool: unknown tool "calculater" (known: calculator, current_time, http_request, search_documents)`,
		"agent.bad.yaml:12:13: agent.rules[1].message: is required for action respond",
		`agent.bad.yaml:13:15: agent.rules[2].action: must be one of "retrieve", "tool", "respond", "handoff", got "explode"`,
		"agent.bad.yaml:14:14: agent.max_steps: must be between 1 and 32",
		`agent.bad.yaml:16:3: tools.disabled[0]: unknown builtin tool "shell"`,
		`agent.bad.yaml:17:24: tools.current_time.zone: unknown time zone "Mars/Olympus"`,
		`agent.bad.yaml:19:5: tools.http_request.allowed_methods[0]: must be an upper-case HTTP method, got "get"`,
		`agent.bad.yaml:21:11: plugins[0].name: "calculator" is already a builtin tool`,
		"agent.bad.yaml:22:11: plugins[0].path: is required",
		"agent.bad.yaml:23:19: plugins[0].memory_limit: must be between 1MiB and 4GiB",
		`agent.bad.yaml:24:11: plugins[0].risk: must be one of ["low" "medium" "high"], got "extreme"`,
		"agent.bad.yaml:27:11: mcp.servers[0]: needs command or url",
		"agent.bad.yaml:28:11: mcp.servers[1]: has both command and url; choose one",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in:\n%v", want, err)
		}
	}
}

// TestAgentGood loads the example agent configuration and a plugin and
// MCP declaration, with paths resolved and per-entry defaults applied.
func TestAgentGood(t *testing.T) {
	cfg, err := Load("../../examples/agent/ragline.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Agent.Intents) != 3 || len(cfg.Agent.Rules) != 4 || cfg.Agent.MaxSteps != 4 || cfg.Tools.HTTP.AllowedMethods[0] != "GET" {
		t.Errorf("agent %+v", cfg.Agent)
	}
	if got := cfg.Agent.Rules[1].Arguments["expression"]; got != `{{.Group "expr"}}` {
		t.Errorf("arguments %v", cfg.Agent.Rules[1].Arguments)
	}
	if cfg, err := Load("../../examples/agent/tool-calling.yaml"); err != nil || len(cfg.Agent.Tools) != 3 || cfg.Agent.MaxToolOutput != 8<<10 {
		t.Errorf("tool-calling example: %v", err)
	}
	cfg, err = Parse("/etc/ragline/ragline.yaml", []byte(`plugins:
  - name: stats
    path: plugins/stats.wasm
    read_dir: notes
    parameters: {type: object, properties: {text: {type: string}}}
mcp:
  servers:
    - {name: files, command: [mcp-files, --root, /srv]}
agent:
  rules:
    - {when: {keywords: [list]}, action: tool, tool: files_list}
`))
	if err != nil {
		t.Fatal(err)
	}
	p := cfg.Plugins[0]
	if p.Path != filepath.FromSlash("/etc/ragline/plugins/stats.wasm") || p.ReadDir != filepath.FromSlash("/etc/ragline/notes") ||
		time.Duration(p.Timeout) != DefaultPluginTimeout || p.MemoryLimit != DefaultPluginMemory || p.Risk != "medium" {
		t.Errorf("plugin %+v", p)
	}
	if s := cfg.MCP.Servers[0]; time.Duration(s.Timeout) != DefaultMCPTimeout || s.Risk != "medium" {
		t.Errorf("mcp server %+v", s)
	}
}

// TestAgentNeedsChatModel rejects settings that only a chat model acts on
// when none is configured.
func TestAgentNeedsChatModel(t *testing.T) {
	_, err := Parse("x.yaml", []byte(`agent:
  classify_intents: true
  tools: [calculator]
  intents: [{name: a, keywords: [a]}]
  rules: [{when: {intents: [a]}, action: tool, tool: calculator, feed_back: true}]
`))
	for _, want := range []string{"agent.classify_intents: needs models.chat", "agent.tools: needs models.chat", "agent.rules[0].feed_back: needs models.chat"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in %v", want, err)
		}
	}
}
