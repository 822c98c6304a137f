package session

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/ragline/ragline/internal/schema"
)

// ErrNotFound is returned for an unknown or expired session.
var ErrNotFound = errors.New("session not found")

// ErrInvalid marks a bad session id, turn, rating or listing cursor.
var ErrInvalid = errors.New("invalid session request")

// ErrFull is returned by Append when the session already holds its
// store's maximum number of turns (see MaxTurns): the turn is refused and
// the session kept as it is, so a client starts a new session.
var ErrFull = errors.New("session is full")

// FullError is the ErrFull of session id, which holds n turns.
func FullError(id string, n int) error {
	return fmt.Errorf("session %s: %w: it has %d turns, the most a session holds", id, ErrFull, n)
}

// ErrUnavailable marks a store that did not answer in time or could not be
// reached (Redis down or frozen); the request may be retried later.
var ErrUnavailable = errors.New("session store unavailable")

// DefaultMaxTurns is the most turns a session holds unless MaxTurns says
// otherwise.
const DefaultMaxTurns = 200

// DefaultCallTimeout bounds each call to a networked store (Redis) unless
// CallTimeout says otherwise, so that a store that is down or frozen
// answers ErrUnavailable well within a second.
const DefaultCallTimeout = 800 * time.Millisecond

// Option tunes a store when it is opened.
type Option func(*options)

type options struct {
	maxTurns    int
	callTimeout time.Duration
}

func buildOptions(opts []Option) options {
	o := options{maxTurns: DefaultMaxTurns, callTimeout: DefaultCallTimeout}
	for _, f := range opts {
		f(&o)
	}
	return o
}

// MaxTurns sets the most turns a session holds; an Append beyond it fails
// with ErrFull (n ≤ 0: DefaultMaxTurns).
func MaxTurns(n int) Option {
	return func(o *options) {
		if n > 0 {
			o.maxTurns = n
		}
	}
}

// CallTimeout bounds each call a networked store makes (d ≤ 0:
// DefaultCallTimeout); a call that runs out fails with ErrUnavailable.
func CallTimeout(d time.Duration) Option {
	return func(o *options) {
		if d > 0 {
			o.callTimeout = d
		}
	}
}

// Turn is one question and its answer.
type Turn struct {
	Question  string            `json:"question"`
	Answer    string            `json:"answer"`
	NoAnswer  bool              `json:"no_answer"`
	Citations []schema.Citation `json:"citations,omitempty"`
	// Trace is the answer's trace, so a reopened conversation shows how
	// each answer was made.
	Trace []schema.TraceStep `json:"trace,omitempty"`
	Time  time.Time          `json:"time"`
}

// Session is a conversation.
type Session struct {
	ID      string    `json:"id"`
	Turns   []Turn    `json:"turns"`
	Created time.Time `json:"created"`
	Updated time.Time `json:"updated"`

	// owner and ref are the Memory store's listing record (see Lister).
	owner, ref string
	owned      bool
}

// Feedback is a rating of one turn.
type Feedback struct {
	SessionID string    `json:"session_id"`
	Turn      int       `json:"turn"`
	Rating    string    `json:"rating"` // "up" or "down"
	Comment   string    `json:"comment,omitempty"`
	Time      time.Time `json:"time"`
}

// Store keeps sessions. Implementations are safe for concurrent use.
type Store interface {
	// Get returns a session or ErrNotFound.
	Get(ctx context.Context, id string) (Session, error)
	// Append adds a turn, creating the session when it does not exist,
	// and returns the turn's index (from 0). A session that already holds
	// the store's maximum number of turns is left as it is: ErrFull.
	Append(ctx context.Context, id string, t Turn) (int, error)
	// Delete removes a session and its feedback; ErrNotFound if unknown.
	Delete(ctx context.Context, id string) error
	// AddFeedback records a rating of an existing turn.
	AddFeedback(ctx context.Context, f Feedback) error
	// Close releases the store.
	Close() error
}

var idPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{8,64}$`)

// ValidID reports whether id is an acceptable session id: 8–64 letters,
// digits, '_' or '-'.
func ValidID(id string) bool { return idPattern.MatchString(id) }

// NewID returns a random session id.
func NewID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// checkFeedback validates a rating before it is stored.
func checkFeedback(f Feedback) error {
	if !ValidID(f.SessionID) {
		return errors.Join(ErrInvalid, errors.New("session_id: invalid"))
	}
	if f.Rating != "up" && f.Rating != "down" {
		return errors.Join(ErrInvalid, errors.New(`rating: want "up" or "down"`))
	}
	if f.Turn < 0 {
		return errors.Join(ErrInvalid, errors.New("turn: must be ≥ 0"))
	}
	if len(f.Comment) > 4000 {
		return errors.Join(ErrInvalid, errors.New("comment: over 4000 bytes"))
	}
	return nil
}
