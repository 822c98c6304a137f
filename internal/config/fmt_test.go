package config

import (
	"encoding/json"
	"fmt"
)

func fmtAll(c *Config) string {
	b, _ := json.Marshal(c)
	return fmt.Sprintf("%v %+v %#v %s", c, c, c, b)
}
