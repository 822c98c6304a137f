package server

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/ragline/ragline/internal/schema"
)

// Citations as OpenAI annotations: many clients (LangChain among them)
// drop ragline's top-level citations but keep a message's annotations, so
// every [n] marker in the content is also a url_citation annotation whose
// url opens the cited document on this server at the passage's offsets.

// urlCitation is one cited source at one marker. StartIndex and EndIndex
// count characters (Unicode code points) of the content, end exclusive:
// content[start:end] is the marker, e.g. "[1]".
type urlCitation struct {
	URL        string `json:"url"`
	Title      string `json:"title"`
	StartIndex int    `json:"start_index"`
	EndIndex   int    `json:"end_index"`
}

// chatAnnotation is a message annotation of Chat Completions.
type chatAnnotation struct {
	Type        string      `json:"type"`
	URLCitation urlCitation `json:"url_citation"`
}

// responseAnnotation is an output_text annotation of the Responses API,
// which has the citation's fields at the top level.
type responseAnnotation struct {
	Type string `json:"type"`
	urlCitation
}

// citationMarker finds [n] markers.
var citationMarker = regexp.MustCompile(`\[(\d{1,4})\]`)

// citationURLs returns, for each marker in content whose number is among
// cites, the cited document's URL and where the marker stands.
func citationURLs(base, content string, cites []schema.Citation) []urlCitation {
	byIndex := make(map[int]schema.Citation, len(cites))
	for _, c := range cites {
		byIndex[c.Index] = c
	}
	out := []urlCitation{}
	runes, last := 0, 0
	for _, m := range citationMarker.FindAllStringSubmatchIndex(content, -1) {
		n, _ := strconv.Atoi(content[m[2]:m[3]])
		c, ok := byIndex[n]
		if !ok {
			continue
		}
		runes += utf8.RuneCountInString(content[last:m[0]])
		start := runes
		runes += utf8.RuneCountInString(content[m[0]:m[1]])
		last = m[1]
		title := c.Title
		if title == "" {
			title = c.Source
		}
		out = append(out, urlCitation{URL: documentURL(base, c), Title: title, StartIndex: start, EndIndex: runes})
	}
	return out
}

// documentURL is the cited document on this server with the passage's
// character offsets (and page, when the format has pages).
func documentURL(base string, c schema.Citation) string {
	u := fmt.Sprintf("%s/v1/documents/%s?start=%d&end=%d", base, url.PathEscape(c.DocumentID), c.Start, c.End)
	if c.Page > 0 {
		u += "&page=" + strconv.Itoa(c.Page)
	}
	return u
}

// baseURL is this server's address as the client reached it; a proxy's
// X-Forwarded-Proto and X-Forwarded-Host are honoured.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if p := firstValue(r.Header.Get("X-Forwarded-Proto")); p == "http" || p == "https" {
		scheme = p
	}
	host := r.Host
	if h := firstValue(r.Header.Get("X-Forwarded-Host")); h != "" {
		host = h
	}
	return scheme + "://" + host
}

func firstValue(h string) string {
	v, _, _ := strings.Cut(h, ",")
	return strings.TrimSpace(v)
}

func chatAnnotations(base, content string, cites []schema.Citation) []chatAnnotation {
	urls := citationURLs(base, content, cites)
	out := make([]chatAnnotation, len(urls))
	for i, u := range urls {
		out[i] = chatAnnotation{Type: "url_citation", URLCitation: u}
	}
	return out
}

func responseAnnotations(base, content string, cites []schema.Citation) []responseAnnotation {
	urls := citationURLs(base, content, cites)
	out := make([]responseAnnotation, len(urls))
	for i, u := range urls {
		out[i] = responseAnnotation{Type: "url_citation", urlCitation: u}
	}
	return out
}
