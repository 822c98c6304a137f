package config

import (
	"fmt"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"
)

// toolName is what a tool-calling model accepts as a function name.
var toolName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// ValidToolName reports whether name can name a tool: 1–64 letters,
// digits, '_' or '-'.
func ValidToolName(name string) bool { return toolName.MatchString(name) }

// Builtin tool names, registered unless tools.disabled lists them.
var BuiltinTools = []string{"calculator", "current_time", "http_request", "search_documents"}

// Defaults of one plugin and one MCP server, applied to entries that leave
// them unset.
const (
	DefaultPluginTimeout   = 2 * time.Second
	DefaultPluginMemory    = 64 << 20
	DefaultPluginMaxOutput = 1 << 20
	DefaultPluginCalls     = 4
	DefaultMCPTimeout      = 30 * time.Second
)

// agentDefaults sets the defaults of the agent, tools, plugins and MCP
// sections.
func agentDefaults(c *Config) {
	c.Agent = AgentConfig{MaxSteps: 4, TokenBudget: 8000, MaxToolOutput: 8 << 10}
	c.Tools = ToolsConfig{
		Timeout:     Duration(10 * time.Second),
		CurrentTime: CurrentTimeConfig{Zone: "UTC"},
		HTTP: HTTPToolConfig{
			AllowedMethods:   []string{"GET"},
			MaxResponseBytes: 64 << 10,
			Timeout:          Duration(10 * time.Second),
		},
	}
}

// resolveAgent fills per-entry defaults and makes plugin paths absolute
// against the configuration's folder.
func (c *Config) resolveAgent(dir string) {
	for i := range c.Plugins {
		p := &c.Plugins[i]
		if p.Path != "" && !filepath.IsAbs(p.Path) {
			p.Path = filepath.Join(dir, p.Path)
		}
		if p.ReadDir != "" && !filepath.IsAbs(p.ReadDir) {
			p.ReadDir = filepath.Join(dir, p.ReadDir)
		}
		if p.Timeout == 0 {
			p.Timeout = Duration(DefaultPluginTimeout)
		}
		if p.MemoryLimit == 0 {
			p.MemoryLimit = DefaultPluginMemory
		}
		if p.MaxOutput == 0 {
			p.MaxOutput = DefaultPluginMaxOutput
		}
		if p.MaxConcurrent == 0 {
			p.MaxConcurrent = DefaultPluginCalls
		}
		if p.Risk == "" {
			p.Risk = "medium"
		}
	}
	for i := range c.MCP.Servers {
		s := &c.MCP.Servers[i]
		if s.Timeout == 0 {
			s.Timeout = Duration(DefaultMCPTimeout)
		}
		if s.Risk == "" {
			s.Risk = "medium"
		}
	}
}

// validateAgent checks the agent, tools, plugins and MCP sections.
func (c *Config) validateAgent(add func(field, format string, args ...any)) {
	a := c.Agent
	intents := map[string]bool{}
	for i, in := range a.Intents {
		f := fmt.Sprintf("agent.intents[%d]", i)
		if in.Name == "" {
			add(f+".name", "is required")
		} else if intents[in.Name] {
			add(f+".name", "duplicate intent %q", in.Name)
		}
		intents[in.Name] = true
		if len(in.Keywords) == 0 && len(in.Regex) == 0 && len(in.Languages) == 0 && !a.ClassifyIntents {
			add(f, "needs keywords, regex or languages (or agent.classify_intents)")
		}
		checkRegex(add, f+".regex", in.Regex)
	}
	tools := c.toolNames()
	for i, r := range a.Rules {
		f := fmt.Sprintf("agent.rules[%d]", i)
		for j, in := range r.When.Intents {
			if !intents[in] {
				add(fmt.Sprintf("%s.when.intents[%d]", f, j), "unknown intent %q (declare it under agent.intents)", in)
			}
		}
		checkRegex(add, f+".when.regex", r.When.Regex)
		for j, col := range r.When.Collections {
			if !ValidCollection(col) {
				add(fmt.Sprintf("%s.when.collections[%d]", f, j), "invalid collection name %q", col)
			}
		}
		if r.When.MinTurns < 0 {
			add(f+".when.min_turns", "must be ≥ 0")
		}
		if r.When.MaxTurns < 0 || (r.When.MaxTurns > 0 && r.When.MaxTurns < r.When.MinTurns) {
			add(f+".when.max_turns", "must be ≥ min_turns")
		}
		switch r.Action {
		case "retrieve":
			if r.Collection != "" && !ValidCollection(r.Collection) {
				add(f+".collection", "invalid collection name %q", r.Collection)
			}
			if r.TopK < 0 || r.TopK > 1000 {
				add(f+".top_k", "must be between 0 and 1000")
			}
		case "tool":
			if r.Tool == "" {
				add(f+".tool", "is required for action tool")
			} else if !tools[r.Tool] && !c.mcpTool(r.Tool) {
				add(f+".tool", "unknown tool %q (known: %s)", r.Tool, strings.Join(sortedKeys(tools), ", "))
			}
		case "respond", "handoff":
			if strings.TrimSpace(r.Message) == "" {
				add(f+".message", "is required for action %s", r.Action)
			}
		default:
			add(f+".action", `must be one of "retrieve", "tool", "respond", "handoff", got %q`, r.Action)
		}
	}
	// What needs a chat model says so, rather than silently doing nothing.
	if !c.Models.Chat.Configured() {
		if a.ClassifyIntents {
			add("agent.classify_intents", "needs models.chat")
		}
		if len(a.Tools) > 0 {
			add("agent.tools", "needs models.chat (the model that chooses among them)")
		}
		for i, r := range a.Rules {
			if r.FeedBack {
				add(fmt.Sprintf("agent.rules[%d].feed_back", i), "needs models.chat")
			}
		}
	}
	for i, t := range a.Tools {
		if !ValidToolName(t) {
			add(fmt.Sprintf("agent.tools[%d]", i), "invalid tool name %q", t)
		}
	}
	if a.MaxSteps < 1 || a.MaxSteps > 32 {
		add("agent.max_steps", "must be between 1 and 32")
	}
	if a.TokenBudget < 1 {
		add("agent.token_budget", "must be ≥ 1")
	}
	if a.MaxToolOutput < 256 {
		add("agent.max_tool_output", "must be ≥ 256B")
	}

	t := c.Tools
	for i, d := range t.Disabled {
		if !slices.Contains(BuiltinTools, d) {
			add(fmt.Sprintf("tools.disabled[%d]", i), "unknown builtin tool %q (known: %s)", d, strings.Join(BuiltinTools, ", "))
		}
	}
	if t.Timeout <= 0 {
		add("tools.timeout", "must be > 0")
	}
	if _, err := time.LoadLocation(t.CurrentTime.Zone); err != nil {
		add("tools.current_time.zone", "unknown time zone %q", t.CurrentTime.Zone)
	}
	for i, h := range t.HTTP.AllowedHosts {
		if h == "" || strings.ContainsAny(h, "/ ") {
			add(fmt.Sprintf("tools.http_request.allowed_hosts[%d]", i), "must be a host name or host:port, got %q", h)
		}
	}
	for i, m := range t.HTTP.AllowedMethods {
		if !slices.Contains([]string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"}, m) {
			add(fmt.Sprintf("tools.http_request.allowed_methods[%d]", i), "must be an upper-case HTTP method, got %q", m)
		}
	}
	if t.HTTP.MaxResponseBytes < 1 {
		add("tools.http_request.max_response_bytes", "must be ≥ 1B")
	}
	if t.HTTP.Timeout <= 0 {
		add("tools.http_request.timeout", "must be > 0")
	}
	for name := range t.Invoke {
		if !ValidToolName(name) {
			add("tools.invoke."+name, "invalid tool name %q", name)
		}
	}

	seen := map[string]string{}
	for _, b := range BuiltinTools {
		seen[b] = "a builtin tool"
	}
	for i, p := range c.Plugins {
		f := fmt.Sprintf("plugins[%d]", i)
		switch {
		case !ValidToolName(p.Name):
			add(f+".name", "must be 1–64 letters, digits, '_' or '-', got %q", p.Name)
		case seen[p.Name] != "":
			add(f+".name", "%q is already %s", p.Name, seen[p.Name])
		}
		seen[p.Name] = "a plugin"
		if p.Path == "" {
			add(f+".path", "is required")
		}
		if p.Timeout <= 0 {
			add(f+".timeout", "must be > 0")
		}
		if p.MemoryLimit < 1<<20 || p.MemoryLimit > 4<<30 {
			add(f+".memory_limit", "must be between 1MiB and 4GiB")
		}
		if p.MaxOutput < 1 {
			add(f+".max_output", "must be ≥ 1B")
		}
		if p.MaxConcurrent < 1 {
			add(f+".max_concurrent", "must be ≥ 1")
		}
		oneOf(add, f+".risk", p.Risk, "low", "medium", "high")
		for j, h := range p.Hosts {
			if h == "" || strings.ContainsAny(h, "/ ") {
				add(fmt.Sprintf("%s.hosts[%d]", f, j), "must be a host name or host:port, got %q", h)
			}
		}
	}
	for i, s := range c.MCP.Servers {
		f := fmt.Sprintf("mcp.servers[%d]", i)
		switch {
		case !ValidToolName(s.Name) || strings.Contains(s.Name, "_"):
			add(f+".name", "must be 1–64 letters, digits or '-', got %q", s.Name)
		case seen["mcp:"+s.Name] != "":
			add(f+".name", "duplicate server %q", s.Name)
		}
		seen["mcp:"+s.Name] = "a server"
		switch {
		case len(s.Command) == 0 && s.URL == "":
			add(f, "needs command or url")
		case len(s.Command) > 0 && s.URL != "":
			add(f, "has both command and url; choose one")
		case s.URL != "":
			if u, err := url.Parse(s.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				add(f+".url", "must be an http(s) URL, got %q", s.URL)
			}
		}
		if s.Timeout <= 0 {
			add(f+".timeout", "must be > 0")
		}
		oneOf(add, f+".risk", s.Risk, "low", "medium", "high")
	}
}

// toolNames are the builtin and plugin tool names the configuration
// declares (MCP tools are only known once their servers answer).
func (c *Config) toolNames() map[string]bool {
	m := map[string]bool{}
	for _, b := range BuiltinTools {
		if !slices.Contains(c.Tools.Disabled, b) {
			m[b] = true
		}
	}
	for _, p := range c.Plugins {
		m[p.Name] = true
	}
	return m
}

// mcpTool reports whether name carries the prefix of a configured MCP
// server, whose tools are only known once it answers.
func (c *Config) mcpTool(name string) bool {
	for _, s := range c.MCP.Servers {
		if strings.HasPrefix(name, s.Name+"_") {
			return true
		}
	}
	return false
}

func checkRegex(add func(string, string, ...any), field string, res []string) {
	for i, re := range res {
		if _, err := regexp.Compile(re); err != nil {
			add(fmt.Sprintf("%s[%d]", field, i), "invalid regular expression: %v", err)
		}
	}
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
