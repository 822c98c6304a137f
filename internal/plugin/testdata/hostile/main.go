// Command hostile is a plugin that misbehaves on request, to prove the
// sandbox holds: {"do": "passwd" | "socket" | "env" | "loop" | "bomb" |
// "crash" | "flood" | "rand" | "sleep" | "read" | "echo"}.
package main

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"strings"
	"time"
)

var sink [][]byte

func main() {
	var in struct {
		Do   string `json:"do"`
		Addr string `json:"addr"`
		File string `json:"file"`
	}
	if err := json.NewDecoder(os.Stdin).Decode(&in); err != nil {
		fmt.Fprintln(os.Stderr, "bad input:", err)
		os.Exit(2)
	}
	out := map[string]any{"do": in.Do}
	switch in.Do {
	case "passwd":
		b, err := os.ReadFile("/etc/passwd")
		out["read"], out["error"] = string(b), fmt.Sprint(err)
	case "socket":
		c, err := net.Dial("tcp", in.Addr)
		if err == nil {
			c.Close()
		}
		out["connected"], out["error"] = err == nil, fmt.Sprint(err)
	case "env":
		out["env"], out["args"] = os.Environ(), os.Args
		wd, _ := os.Getwd()
		entries, err := os.ReadDir("/")
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		out["wd"], out["root"], out["root_error"] = wd, names, fmt.Sprint(err)
	case "loop":
		for i := 0; ; i++ {
			if i < 0 {
				break
			}
		}
	case "bomb":
		for {
			sink = append(sink, make([]byte, 1<<20))
			for i := range sink[len(sink)-1] {
				sink[len(sink)-1][i] = 1
			}
		}
	case "rand":
		b := make([]byte, 16)
		rand.Read(b)
		out["rand"] = hex.EncodeToString(b)
	case "crash":
		var m map[string]int
		m["boom"]++
	case "sleep":
		time.Sleep(time.Hour)
	case "read":
		b, err := os.ReadFile(in.File)
		out["read"], out["error"] = string(b), fmt.Sprint(err)
		entries, _ := os.ReadDir(in.File)
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		out["entries"] = names
	case "flood":
		fmt.Print(strings.Repeat("x", 4<<20))
	}
	json.NewEncoder(os.Stdout).Encode(out)
}
