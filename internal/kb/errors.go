package kb

import "errors"

// ErrInvalid marks a request that is wrong as given (empty or oversized
// question, bad collection name); callers map it to a client error.
var ErrInvalid = errors.New("invalid request")
