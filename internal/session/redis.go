package session

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Redis is a Store in a Redis server: sessions survive restarts of the
// service and are shared by every replica that points at the same server.
// It is safe for concurrent use, from one process or several.
//
// Each session lives under three keys that share the hash tag {id}, so
// they fall in one cluster slot and Lua scripts may touch them together:
//
//	ragline:session:{id}:turns     list of JSON turns, in order
//	ragline:session:{id}:meta      hash with "created" and "updated" (RFC 3339)
//	ragline:session:{id}:feedback  list of JSON ratings
//
// Redis expires the keys itself: every Append sets the time to live of all
// three, and a rating inherits the time left on its session's turns.
//
// Every call is bounded by the store's call timeout (CallTimeout), and the
// client neither retries nor waits long for a connection, so a server that
// is down or frozen costs a request at most about that long: the error is
// ErrUnavailable.
type Redis struct {
	client *redis.Client
	ttl    time.Duration
	opts   options
	now    func() time.Time
}

// redisKeyPrefix starts every key the store writes.
const redisKeyPrefix = "ragline:session:"

// defaultRedisDialTimeout bounds the ping on open when the URL leaves the
// dial timeout unset or disabled.
const defaultRedisDialTimeout = 5 * time.Second

// redisKeys are the keys of one session.
type redisKeys struct{ turns, meta, feedback string }

func keysFor(id string) redisKeys {
	base := redisKeyPrefix + "{" + id + "}:"
	return redisKeys{turns: base + "turns", meta: base + "meta", feedback: base + "feedback"}
}

// appendScript adds a turn and renews the session in one atomic step, so
// concurrent appends from any number of processes get consecutive indexes.
// A list that RPUSH has just created means a new (or expired) session:
// stale feedback is dropped and "created" is set.
//
// A session that holds ARGV[4] turns already is left alone: -1.
//
// KEYS: turns, meta, feedback. ARGV: turn JSON, now, ttl in ms (0: never),
// maximum turns.
var appendScript = redis.NewScript(`
if redis.call('LLEN', KEYS[1]) >= tonumber(ARGV[4]) then
  return -1
end
local n = redis.call('RPUSH', KEYS[1], ARGV[1])
if n == 1 then
  redis.call('DEL', KEYS[3])
  redis.call('HSET', KEYS[2], 'created', ARGV[2])
end
redis.call('HSET', KEYS[2], 'updated', ARGV[2])
local ttl = tonumber(ARGV[3])
for i = 1, 3 do
  if ttl > 0 then
    redis.call('PEXPIRE', KEYS[i], ttl)
  else
    redis.call('PERSIST', KEYS[i])
  end
end
return n - 1
`)

// feedbackScript stores a rating only when its turn exists, giving the
// feedback list the time left on the turns so both expire together. It
// returns the number of turns; the caller tells "no session" (0) from "no
// such turn".
//
// KEYS: turns, feedback. ARGV: turn index, feedback JSON.
var feedbackScript = redis.NewScript(`
local n = redis.call('LLEN', KEYS[1])
if tonumber(ARGV[1]) < n then
  redis.call('RPUSH', KEYS[2], ARGV[2])
  local ttl = redis.call('PTTL', KEYS[1])
  if ttl > 0 then
    redis.call('PEXPIRE', KEYS[2], ttl)
  end
end
return n
`)

// OpenRedis connects to the Redis server at rawURL
// (redis://[[user]:password@]host:port/db, or rediss:// for TLS, with
// go-redis query options such as ?dial_timeout=2s) and checks that it
// answers. Sessions expire ttl after their last turn (0: never). Errors
// name the server's address, never the password. Timeouts the URL leaves
// unset follow the call timeout, and failed commands are not retried: a
// request that finds Redis gone fails fast rather than late.
func OpenRedis(ctx context.Context, rawURL string, ttl time.Duration, opts ...Option) (*Redis, error) {
	opt, err := redis.ParseURL(rawURL)
	if err != nil {
		// A url.Error quotes the whole URL, password included.
		if ue := (*url.Error)(nil); errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("open redis sessions: bad url: %w", err)
	}
	o := buildOptions(opts)
	u, _ := url.Parse(rawURL)
	q := u.Query()
	for name, d := range map[string]*time.Duration{"dial_timeout": &opt.DialTimeout, "read_timeout": &opt.ReadTimeout, "write_timeout": &opt.WriteTimeout, "pool_timeout": &opt.PoolTimeout} {
		if !q.Has(name) {
			*d = o.callTimeout
		}
	}
	if !q.Has("max_retries") {
		opt.MaxRetries = -1 // none: a retry would double the wait on a dead server
	}
	opt.ContextTimeoutEnabled = true
	where := fmt.Sprintf("%s (db %d)", opt.Addr, opt.DB)
	bound := opt.DialTimeout
	if bound <= 0 {
		bound = defaultRedisDialTimeout
	}
	client := redis.NewClient(opt)
	pingCtx, cancel := context.WithTimeout(ctx, bound)
	defer cancel()
	if err := client.Ping(pingCtx).Err(); err != nil {
		client.Close()
		return nil, fmt.Errorf("open redis sessions at %s: %w", where, err)
	}
	return &Redis{client: client, ttl: ttl, opts: o, now: time.Now}, nil
}

// call bounds one call to the server by the call timeout.
func (r *Redis) call(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, r.opts.callTimeout)
}

// fault marks an error that says the server is unreachable, slow or not
// serving (rather than a reply to a bad command) as ErrUnavailable.
func (r *Redis) fault(err error) error {
	if err == nil || errors.Is(err, context.Canceled) {
		return err
	}
	var re redis.Error
	if errors.As(err, &re) {
		msg := re.Error()
		for _, busy := range []string{"LOADING", "BUSY", "MASTERDOWN", "READONLY", "TRYAGAIN", "CLUSTERDOWN"} {
			if strings.HasPrefix(msg, busy) {
				return errors.Join(ErrUnavailable, err)
			}
		}
		return err
	}
	return errors.Join(ErrUnavailable, err)
}

// Get returns a session, reading its metadata and turns in one transaction.
func (r *Redis) Get(ctx context.Context, id string) (Session, error) {
	if !ValidID(id) {
		// Append never stores such an id, and it must not reach a key.
		return Session{}, fmt.Errorf("session %s: %w", id, ErrNotFound)
	}
	ctx, cancel := r.call(ctx)
	defer cancel()
	k := keysFor(id)
	var meta *redis.MapStringStringCmd
	var turns *redis.StringSliceCmd
	if _, err := r.client.TxPipelined(ctx, func(p redis.Pipeliner) error {
		meta = p.HGetAll(ctx, k.meta)
		turns = p.LRange(ctx, k.turns, 0, -1)
		return nil
	}); err != nil {
		return Session{}, fmt.Errorf("session %s: %w", id, r.fault(err))
	}
	raw := turns.Val()
	if len(raw) == 0 {
		return Session{}, fmt.Errorf("session %s: %w", id, ErrNotFound)
	}
	out := Session{ID: id, Turns: make([]Turn, 0, len(raw))}
	out.Created, _ = time.Parse(time.RFC3339Nano, meta.Val()["created"])
	out.Updated, _ = time.Parse(time.RFC3339Nano, meta.Val()["updated"])
	for _, s := range raw {
		var t Turn
		if err := json.Unmarshal([]byte(s), &t); err != nil {
			return Session{}, fmt.Errorf("session %s: stored turn: %w", id, err)
		}
		out.Turns = append(out.Turns, t)
	}
	return out, nil
}

// Append adds a turn atomically and renews the session's time to live.
func (r *Redis) Append(ctx context.Context, id string, t Turn) (int, error) {
	now := r.now().UTC()
	raw, err := encodeTurn(id, t, now)
	if err != nil {
		return 0, err
	}
	ctx, cancel := r.call(ctx)
	defer cancel()
	k := keysFor(id)
	idx, err := appendScript.Run(ctx, r.client, []string{k.turns, k.meta, k.feedback},
		raw, now.Format(time.RFC3339Nano), ttlMillis(r.ttl), r.opts.maxTurns).Int()
	if err != nil {
		return 0, fmt.Errorf("session %s: append: %w", id, r.fault(err))
	}
	if idx < 0 {
		return 0, FullError(id, r.opts.maxTurns)
	}
	return idx, nil
}

// Delete removes a session with its turns and feedback.
func (r *Redis) Delete(ctx context.Context, id string) error {
	if !ValidID(id) {
		return fmt.Errorf("session %s: %w", id, ErrNotFound)
	}
	ctx, cancel := r.call(ctx)
	defer cancel()
	k := keysFor(id)
	n, err := r.client.Del(ctx, k.turns, k.meta, k.feedback).Result()
	if err != nil {
		return fmt.Errorf("session %s: delete: %w", id, r.fault(err))
	}
	if n == 0 {
		return fmt.Errorf("session %s: %w", id, ErrNotFound)
	}
	return nil
}

// AddFeedback records a rating of an existing turn.
func (r *Redis) AddFeedback(ctx context.Context, f Feedback) error {
	if err := checkFeedback(f); err != nil {
		return err
	}
	if f.Time.IsZero() {
		f.Time = r.now().UTC()
	}
	raw, err := json.Marshal(f)
	if err != nil {
		return err
	}
	ctx, cancel := r.call(ctx)
	defer cancel()
	k := keysFor(f.SessionID)
	n, err := feedbackScript.Run(ctx, r.client, []string{k.turns, k.feedback}, f.Turn, raw).Int()
	if err != nil {
		return fmt.Errorf("session %s: feedback: %w", f.SessionID, r.fault(err))
	}
	if n == 0 {
		return fmt.Errorf("session %s: %w", f.SessionID, ErrNotFound)
	}
	if f.Turn >= n {
		return errors.Join(ErrInvalid, fmt.Errorf("turn: session %s has %d turns", f.SessionID, n))
	}
	return nil
}

// Close closes the connections to the server.
func (r *Redis) Close() error { return r.client.Close() }

// ttlMillis converts a time to live for PEXPIRE, rounding a positive
// sub-millisecond one up so that it still expires rather than persists.
func ttlMillis(ttl time.Duration) int64 {
	if ttl <= 0 {
		return 0
	}
	return max(ttl.Milliseconds(), 1)
}

// Ping checks that Redis answers, for readiness probes.
func (r *Redis) Ping(ctx context.Context) error {
	ctx, cancel := r.call(ctx)
	defer cancel()
	return r.fault(r.client.Ping(ctx).Err())
}
