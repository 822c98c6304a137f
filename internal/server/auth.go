package server

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"

	"github.com/ragline/ragline/internal/config"
	"github.com/ragline/ragline/internal/telemetry"
)

// Scopes a key may hold. A route needs one; "admin" passes every route.
// "ingest" does not imply "chat": a pipeline that feeds documents in has
// no business reading answers out, and a key that needs both lists both.
const (
	scopeChat   = "chat"
	scopeIngest = "ingest"
	scopeAdmin  = "admin"
)

// legacyKeyName names the key of server.api_key, which is an admin key.
const legacyKeyName = "api_key"

// HashKey returns the form in which server.keys stores a key:
// "sha256:" and the hex SHA-256 of the key.
func HashKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// OpenMode reports whether cfg configures no API key at all, so that every
// request is allowed (open local mode).
func OpenMode(cfg *config.Config) bool {
	return len(cfg.Server.Keys) == 0 && !cfg.Server.APIKey.IsSet()
}

// caller is the authenticated key of a request: its name, what it may do
// and where. It never holds the key itself.
type caller struct {
	name   string
	scopes []string
	// collections, when not empty, are the only collections the key may
	// use.
	collections []string
}

// can reports whether the caller holds scope (admin holds them all).
func (c *caller) can(scope string) bool {
	return slices.Contains(c.scopes, scope) || slices.Contains(c.scopes, scopeAdmin)
}

// restricted reports whether the caller may use only some collections. A
// nil caller (open mode) may use any.
func (c *caller) restricted() bool { return c != nil && len(c.collections) > 0 }

// mayUse reports whether the caller may use collection.
func (c *caller) mayUse(collection string) bool {
	return !c.restricted() || slices.Contains(c.collections, collection)
}

type callerKey struct{}

// callerFrom returns the request's authenticated key, nil in open mode.
func callerFrom(ctx context.Context) *caller {
	c, _ := ctx.Value(callerKey{}).(*caller)
	return c
}

// keyring holds the configured keys by the SHA-256 of the key. It is
// immutable after construction and safe for concurrent use.
type keyring struct {
	hashes  [][sha256.Size]byte
	callers []*caller
}

// newKeyring reads server.keys and server.api_key; hashes were validated
// with the configuration, so one that does not decode is skipped (it could
// never match).
func newKeyring(cfg *config.ServerConfig) *keyring {
	kr := &keyring{}
	add := func(sum [sha256.Size]byte, c *caller) {
		kr.hashes = append(kr.hashes, sum)
		kr.callers = append(kr.callers, c)
	}
	for _, k := range cfg.Keys {
		b, err := hex.DecodeString(strings.TrimPrefix(k.Hash, "sha256:"))
		if err != nil || len(b) != sha256.Size || !strings.HasPrefix(k.Hash, "sha256:") {
			continue
		}
		add([sha256.Size]byte(b), &caller{name: k.Name, scopes: slices.Clone(k.Scopes), collections: slices.Clone(k.Collections)})
	}
	if cfg.APIKey.IsSet() {
		add(sha256.Sum256([]byte(cfg.APIKey.Value())), &caller{name: legacyKeyName, scopes: []string{scopeAdmin}})
	}
	return kr
}

// open reports whether no key is configured.
func (kr *keyring) open() bool { return len(kr.hashes) == 0 }

// lookup returns the key whose hash is the SHA-256 of presented, or nil.
// Every configured hash is compared, in constant time, whatever matches.
func (kr *keyring) lookup(presented string) *caller {
	sum := sha256.Sum256([]byte(presented))
	var found *caller
	for i, h := range kr.hashes {
		if subtle.ConstantTimeCompare(sum[:], h[:]) == 1 && found == nil {
			found = kr.callers[i]
		}
	}
	return found
}

// presentedKey returns the key a request carries: an Authorization bearer
// token, else the X-API-Key header.
func presentedKey(r *http.Request) (string, bool) {
	if scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " "); ok && strings.EqualFold(scheme, "Bearer") {
		if token = strings.TrimSpace(token); token != "" {
			return token, true
		}
	}
	if k := strings.TrimSpace(r.Header.Get("X-API-Key")); k != "" {
		return k, true
	}
	return "", false
}

// identify returns the caller whose key the request presents, or nil and
// why not (authMissing, authInvalid).
func (kr *keyring) identify(r *http.Request) (*caller, string) {
	k, presented := presentedKey(r)
	if !presented {
		return nil, authMissing
	}
	if c := kr.lookup(k); c != nil {
		return c, ""
	}
	return nil, authInvalid
}

// auth lets a request through when it carries a key holding scope, with
// the key in its context; otherwise it answers 401 (no or unknown key) or
// 403 (the key lacks the scope). In open mode every request passes.
func (s *Server) auth(scope string, next http.Handler) http.Handler {
	if s.keys.open() {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, reason := s.keys.identify(r)
		if c == nil {
			s.authFailed(r, reason, "")
			w.Header().Set("WWW-Authenticate", `Bearer realm="ragline"`)
			s.writeError(w, r, &apiError{status: http.StatusUnauthorized, Type: "unauthorized",
				Message: "missing or invalid API key: send Authorization: Bearer KEY or X-API-Key: KEY"})
			return
		}
		if !c.can(scope) {
			s.authFailed(r, authScope, c.name)
			w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer realm="ragline", error="insufficient_scope", scope=%q`, scope))
			s.writeError(w, r, &apiError{status: http.StatusForbidden, Type: "forbidden",
				Message: fmt.Sprintf("key %q lacks scope %q needed for %s", c.name, scope, r.Pattern)})
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), callerKey{}, c)))
	})
}

// Guard authenticates requests to a handler served beside the API (the
// MCP endpoint of mcp serve --http) with the API's keys: a request passes
// with a key that holds scope and is not limited to some collections,
// since such a handler takes any collection. Any other request gets 401
// with message as its body, and is counted in
// ragline_auth_failures_total and logged as the API's failures are. With
// no key configured (open mode) every request passes. The handler is
// safe for concurrent use.
func Guard(cfg *config.Config, m *telemetry.Metrics, logger *slog.Logger, scope, message string, next http.Handler) http.Handler {
	keys := newKeyring(&cfg.Server)
	if keys.open() {
		return next
	}
	if m == nil {
		m = telemetry.New()
	}
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	var log authLog
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, reason := keys.identify(r)
		name := ""
		if c != nil && (!c.can(scope) || c.restricted()) {
			reason, name = authScope, c.name
		}
		if reason != "" {
			recordAuthFailure(&log, m, logger, r, reason, name)
			w.Header().Set("WWW-Authenticate", `Bearer realm="ragline"`)
			http.Error(w, message, http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// allowCollection returns an error naming field when the request's key
// may not use collection ("" is the configured default collection).
// Handlers call it as soon as they know which collection a request uses.
// The error is the 404 of a collection that does not exist: a key limited
// to some collections learns nothing of the others, not even whether they
// exist.
func (s *Server) allowCollection(r *http.Request, field, collection string) error {
	if collection == "" {
		collection = s.opts.Config.Collection
	}
	if callerFrom(r.Context()).mayUse(collection) {
		return nil
	}
	return noCollection(field, collection)
}

// noCollection is the answer for a collection that does not exist, and
// for one the caller's key may not use.
func noCollection(field, name string) *apiError {
	return &apiError{status: http.StatusNotFound, Type: "not_found", Field: field,
		Message: fmt.Sprintf("collection %q does not exist", name)}
}

// noDocument is the answer for a document that does not exist, and for
// one in a collection the caller's key may not use.
func noDocument(field, id string) *apiError {
	return &apiError{status: http.StatusNotFound, Type: "not_found", Field: field,
		Message: fmt.Sprintf("document %q does not exist", id)}
}

// allowDocument is allowCollection for the collection of document id. A
// key limited to some collections costs one metadata lookup; a missing
// document and a forbidden one get the same 404.
func (s *Server) allowDocument(r *http.Request, field, id string) error {
	if !callerFrom(r.Context()).restricted() {
		return nil
	}
	_, err := s.documentInfo(r, field, id)
	return err
}

// visibleCollection reports whether listings shown to the request's key
// include collection: a key limited to some collections sees only those.
func (s *Server) visibleCollection(r *http.Request, collection string) bool {
	return callerFrom(r.Context()).mayUse(collection)
}
