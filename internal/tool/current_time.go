package tool

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
	// Time zones work in a minimal container image with no zoneinfo.
	_ "time/tzdata"
)

// CurrentTime tells the time in an IANA time zone (defaultZone when the
// call names none). now is the clock (time.Now in production).
func CurrentTime(defaultZone string, now func() time.Time) Tool {
	if now == nil {
		now = time.Now
	}
	return Func{S: Spec{
		Name:        "current_time",
		Description: "Tell the current date and time in a time zone (IANA name such as Asia/Shanghai or Europe/Berlin; default " + defaultZone + ").",
		Parameters: json.RawMessage(`{"type":"object","properties":{"zone":{"type":"string","maxLength":64,` +
			`"description":"IANA time zone name"}},"additionalProperties":false}`),
		Risk: RiskLow,
	}, F: func(ctx context.Context, args json.RawMessage) (json.RawMessage, error) {
		var in struct {
			Zone string `json:"zone"`
		}
		if err := json.Unmarshal(args, &in); err != nil {
			return nil, err
		}
		if in.Zone == "" {
			in.Zone = defaultZone
		}
		loc, err := time.LoadLocation(in.Zone)
		if err != nil {
			return nil, fmt.Errorf("%w: zone: unknown time zone %q", ErrInvalidArguments, in.Zone)
		}
		t := now().In(loc)
		return json.Marshal(map[string]any{
			"zone":    in.Zone,
			"time":    t.Format(time.RFC3339),
			"weekday": t.Weekday().String(),
			"text":    fmt.Sprintf("It is %s (%s, %s).", t.Format("15:04"), t.Format("Monday 2 January 2006"), in.Zone),
		})
	}}
}
