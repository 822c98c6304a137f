package config

// AgentConfig configures the perceive → decide → execute layer in front of
// the knowledge base: how intents are recognised, the business rules that
// route a question, and the bounds of a tool-calling model.
type AgentConfig struct {
	// Intents are recognised in order; a question gets the first intent
	// whose keywords, regex or language match.
	Intents []IntentConfig `yaml:"intents" json:"intents,omitempty"`
	// Rules are tried in order; the first that matches decides. With no
	// matching rule the question is answered by retrieval.
	Rules []RuleConfig `yaml:"rules" json:"rules,omitempty"`
	// ClassifyIntents asks the chat model for the intent when no rule
	// pattern recognised one (only with models.chat configured).
	ClassifyIntents bool `yaml:"classify_intents" json:"classify_intents"`
	// Tools are the tools a tool-calling chat model may choose among; an
	// empty list keeps the model from calling any tool.
	Tools []string `yaml:"tools" json:"tools,omitempty"`
	// MaxSteps bounds the model's tool-calling rounds for one question.
	MaxSteps int `yaml:"max_steps" json:"max_steps"`
	// TokenBudget bounds the tokens the model may spend on one question.
	TokenBudget int `yaml:"token_budget" json:"token_budget"`
	// MaxToolOutput caps the bytes of a tool result quoted to the model or
	// into an answer; longer results are cut.
	MaxToolOutput ByteSize `yaml:"max_tool_output" json:"max_tool_output"`
}

// IntentConfig recognises one intent. Any of its patterns matching is
// enough; Languages, when set, is a further condition.
type IntentConfig struct {
	Name string `yaml:"name" json:"name"`
	// Keywords match as case-insensitive substrings of the question.
	Keywords []string `yaml:"keywords" json:"keywords,omitempty"`
	// Regex are Go regular expressions (RE2 syntax) matched against the
	// normalised question.
	Regex []string `yaml:"regex" json:"regex,omitempty"`
	// Languages restricts the intent to these detected languages
	// ("en", "zh", …); alone, it matches every question in them.
	Languages []string `yaml:"languages" json:"languages,omitempty"`
	// Description tells a classifying model what the intent means.
	Description string `yaml:"description" json:"description,omitempty"`
}

// RuleConfig is one business rule: a condition and an action.
type RuleConfig struct {
	// Name identifies the rule in traces.
	Name string `yaml:"name" json:"name"`
	// When is the condition; every field set must hold. An empty
	// condition always matches.
	When RuleMatch `yaml:"when" json:"when"`
	// Action is "retrieve", "tool", "respond" or "handoff".
	Action string `yaml:"action" json:"action"`
	// Collection overrides the collection searched (retrieve).
	Collection string `yaml:"collection" json:"collection,omitempty"`
	// TopK overrides retrieval.top_k (retrieve).
	TopK int `yaml:"top_k" json:"top_k,omitempty"`
	// Tool is the registered tool to call (tool).
	Tool string `yaml:"tool" json:"tool,omitempty"`
	// Arguments is the tool's argument object; string values are
	// templates ({{.Question}}, {{.Match}}, {{.Group "name"}},
	// {{.Language}}, {{.Collection}}).
	Arguments map[string]any `yaml:"arguments" json:"arguments,omitempty"`
	// Message is the fixed reply (respond, handoff).
	Message string `yaml:"message" json:"message,omitempty"`
	// Answer is a template turning the tool result into the answer
	// ({{.Result}} is the decoded result, {{.Text}} its text field).
	Answer string `yaml:"answer" json:"answer,omitempty"`
	// FeedBack hands the tool result to the chat model to phrase the
	// answer (only with models.chat configured).
	FeedBack bool `yaml:"feed_back" json:"feed_back"`
}

// RuleMatch is the condition of a rule.
type RuleMatch struct {
	// Intents match the perceived intent.
	Intents []string `yaml:"intents" json:"intents,omitempty"`
	// Keywords match as case-insensitive substrings of the question.
	Keywords []string `yaml:"keywords" json:"keywords,omitempty"`
	// Regex match the normalised question (any of them).
	Regex []string `yaml:"regex" json:"regex,omitempty"`
	// Languages match the detected language.
	Languages []string `yaml:"languages" json:"languages,omitempty"`
	// Collections match the collection asked about.
	Collections []string `yaml:"collections" json:"collections,omitempty"`
	// FollowUp, when set, matches only follow-up (true) or only
	// standalone (false) questions.
	FollowUp *bool `yaml:"follow_up" json:"follow_up,omitempty"`
	// MinTurns and MaxTurns bound the earlier user turns of the session
	// (MaxTurns 0: no bound).
	MinTurns int `yaml:"min_turns" json:"min_turns,omitempty"`
	MaxTurns int `yaml:"max_turns" json:"max_turns,omitempty"`
}

// ToolsConfig configures the builtin tools and who may invoke tools
// directly over HTTP.
type ToolsConfig struct {
	// Disabled lists builtin tools not to register.
	Disabled []string `yaml:"disabled" json:"disabled,omitempty"`
	// Timeout bounds one tool call unless the tool sets its own.
	Timeout Duration `yaml:"timeout" json:"timeout"`
	// CurrentTime configures current_time.
	CurrentTime CurrentTimeConfig `yaml:"current_time" json:"current_time"`
	// HTTP configures http_request; with no allowed hosts it refuses
	// every request.
	HTTP HTTPToolConfig `yaml:"http_request" json:"http_request"`
	// Invoke maps a tool name to the API key names that may call it
	// through /v1/invoke; keys with the admin scope may call any tool.
	Invoke map[string][]string `yaml:"invoke" json:"invoke,omitempty"`
}

// CurrentTimeConfig configures the current_time tool.
type CurrentTimeConfig struct {
	// Zone is the IANA time zone used when a call names none.
	Zone string `yaml:"zone" json:"zone"`
}

// HTTPToolConfig bounds the http_request tool.
type HTTPToolConfig struct {
	// AllowedHosts are host names (or host:port) requests may go to;
	// redirects to any other host are refused.
	AllowedHosts []string `yaml:"allowed_hosts" json:"allowed_hosts,omitempty"`
	// AllowedMethods are the HTTP methods allowed (default GET).
	AllowedMethods []string `yaml:"allowed_methods" json:"allowed_methods,omitempty"`
	// MaxResponseBytes cuts longer response bodies.
	MaxResponseBytes ByteSize `yaml:"max_response_bytes" json:"max_response_bytes"`
	// Timeout bounds one request.
	Timeout Duration `yaml:"timeout" json:"timeout"`
}

// PluginConfig declares one WebAssembly plugin (WASI preview 1) and the
// capabilities it is granted. By default it gets no filesystem, network
// or environment.
type PluginConfig struct {
	// Name is the tool name the plugin is registered under.
	Name string `yaml:"name" json:"name"`
	// Path is the .wasm module (relative to the config file).
	Path        string `yaml:"path" json:"path"`
	Description string `yaml:"description" json:"description"`
	// Parameters is the JSON Schema of the plugin's input object.
	Parameters map[string]any `yaml:"parameters" json:"parameters,omitempty"`
	// Timeout is the CPU deadline of one call.
	Timeout Duration `yaml:"timeout" json:"timeout"`
	// MemoryLimit caps the module's linear memory.
	MemoryLimit ByteSize `yaml:"memory_limit" json:"memory_limit"`
	// MaxOutput caps what the plugin may write to stdout.
	MaxOutput ByteSize `yaml:"max_output" json:"max_output"`
	// Risk is "low", "medium" or "high".
	Risk string `yaml:"risk" json:"risk"`
	// ReadDir, when set, is mounted read-only at /data inside the module
	// (relative to the config file).
	ReadDir string `yaml:"read_dir" json:"read_dir,omitempty"`
	// Hosts are the hosts the plugin may reach through the host function
	// ragline.http_get; nothing else leaves the sandbox.
	Hosts []string `yaml:"hosts" json:"hosts,omitempty"`
	// MaxConcurrent caps the plugin's calls running at once (each holds
	// up to memory_limit); a call beyond it waits for a slot within its
	// deadline.
	MaxConcurrent int `yaml:"max_concurrent" json:"max_concurrent"`
}

// MCPConfig lists Model Context Protocol servers whose tools are imported.
type MCPConfig struct {
	Servers []MCPServerConfig `yaml:"servers" json:"servers,omitempty"`
}

// MCPServerConfig is one MCP server: a command speaking MCP on stdio or a
// streamable HTTP endpoint.
type MCPServerConfig struct {
	// Name prefixes the imported tools ("NAME_tool": letters, digits,
	// "_" and "-" only, as tool-calling models require).
	Name string `yaml:"name" json:"name"`
	// Command runs the server (program and arguments) on stdio.
	Command []string `yaml:"command" json:"command,omitempty"`
	// URL is a streamable HTTP endpoint.
	URL string `yaml:"url" json:"url,omitempty"`
	// Timeout bounds connecting and each call.
	Timeout Duration `yaml:"timeout" json:"timeout"`
	// Risk is the risk level given to every imported tool.
	Risk string `yaml:"risk" json:"risk"`
}
