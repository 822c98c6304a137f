package llm

import (
	"bytes"
	"fmt"
	"text/template"
)

// Built-in answer prompts. Fields: .Question, .Context (the numbered
// chunks), .Language.
const (
	SystemEN = `You answer questions using only the numbered sources you are given.
Cite every statement with the number of its source in square brackets, like [1] or [2][3].
Cite only the numbers of the sources below. If the sources do not contain the answer, say that you do not know, without citations.
Answer in the language of the question, briefly.`
	UserEN = `Sources:
{{.Context}}
Question: {{.Question}}`
	SystemZH = `你只根据给出的编号资料回答问题。
每一句陈述都要用方括号标注其资料编号，例如 [1] 或 [2][3]。
只能引用下面列出的资料编号。如果资料中没有答案，请直接说明不知道，不要标注引用。
请用提问的语言简要回答。`
	UserZH = `资料：
{{.Context}}
问题：{{.Question}}`
)

// Built-in query-understanding prompts.
const (
	// RewritePrompt's fields: .History (earlier turns, "role: text" per
	// line) and .Question.
	RewritePrompt = `Rewrite the last question of this conversation as a standalone question that can be understood without the conversation. Keep its language. Reply with the question only.

Conversation:
{{.History}}
Last question: {{.Question}}`
	// TranslatePrompt's fields: .Question and .Language (the target
	// language's English name).
	TranslatePrompt = `Translate this question into {{.Language}} for a search in documents written in {{.Language}}. Keep names, numbers and technical terms. Reply with the translated question only.

Question: {{.Question}}`
	// ExpandPrompt's fields: .Question and .N.
	ExpandPrompt = `Write {{.N}} different search queries that would find passages answering this question. Keep its language. Reply with a JSON object {"queries": ["...", ...]}.

Question: {{.Question}}`
)

// Prompts are the answer templates; empty ones use the built-in ones in
// the question's language.
type Prompts struct {
	System, User string
}

// parse compiles a template, reporting its name on error.
func parse(name, text string) (*template.Template, error) {
	t, err := template.New(name).Option("missingkey=error").Parse(text)
	if err != nil {
		return nil, fmt.Errorf("prompt %s: %w", name, err)
	}
	return t, nil
}

// render executes a template into a string.
func render(t *template.Template, data any) (string, error) {
	var b bytes.Buffer
	if err := t.Execute(&b, data); err != nil {
		return "", fmt.Errorf("prompt %s: %w", t.Name(), err)
	}
	return b.String(), nil
}

// templates holds compiled answer templates for one language.
type templates struct{ system, user *template.Template }

func compile(p Prompts, lang string) (templates, error) {
	sys, usr := SystemEN, UserEN
	if lang == "zh" {
		sys, usr = SystemZH, UserZH
	}
	if p.System != "" {
		sys = p.System
	}
	if p.User != "" {
		usr = p.User
	}
	var t templates
	var err error
	if t.system, err = parse("system", sys); err != nil {
		return t, err
	}
	t.user, err = parse("user", usr)
	return t, err
}
