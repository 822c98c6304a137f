package telemetry

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
)

// RequestIDHeader is the header that carries a request id in both
// directions, so that a caller's id (a load balancer's, a client's) can
// be found in ragline's logs and ragline's id in the caller's.
const RequestIDHeader = "X-Request-Id"

// maxRequestIDLen bounds an accepted id: long enough for UUIDs and trace
// ids, short enough to keep log lines small.
const maxRequestIDLen = 64

type requestIDKey struct{}

// WithRequestID returns a copy of ctx that carries id.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestID returns the request id ctx carries, or "" when it has none.
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// RequestIDMiddleware gives every request an id: the X-Request-Id the
// client sent when it is a sane token (1 to 64 characters of A–Z, a–z,
// 0–9, '.', '_' and '-'), otherwise 16 random hexadecimal characters. A
// value that is not a sane token is dropped, not cleaned up, since it
// would otherwise let a client inject text into logs. The id is set on
// the response header before next runs and carried in the request's
// context for RequestID and ContextHandler.
func RequestIDMiddleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get(RequestIDHeader)
		if !saneRequestID(id) {
			id = newRequestID()
		}
		w.Header().Set(RequestIDHeader, id)
		next.ServeHTTP(w, r.WithContext(WithRequestID(r.Context(), id)))
	})
}

func saneRequestID(id string) bool {
	if id == "" || len(id) > maxRequestIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '.', c == '_', c == '-':
		default:
			return false
		}
	}
	return true
}

// newRequestID returns 16 hexadecimal characters (64 random bits): unique
// enough to find one request in the logs of a busy day.
func newRequestID() string {
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails; it aborts the program instead.
	return hex.EncodeToString(b[:])
}
