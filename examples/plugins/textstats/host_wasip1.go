//go:build wasip1

package main

import (
	"encoding/json"
	"errors"
	"unsafe"
)

//go:wasmimport ragline http_get
func hostHTTPGet(urlPtr unsafe.Pointer, urlLen uint32, outPtr unsafe.Pointer, outCap uint32) int32

// httpGet asks the host to GET url; the host refuses hosts the plugin was
// not granted.
func httpGet(url string) (string, error) {
	u := []byte(url)
	if len(u) == 0 {
		return "", errors.New("empty url")
	}
	buf := make([]byte, 64<<10)
	n := hostHTTPGet(unsafe.Pointer(&u[0]), uint32(len(u)), unsafe.Pointer(&buf[0]), uint32(len(buf)))
	if n < 0 {
		buf = make([]byte, -n)
		n = hostHTTPGet(unsafe.Pointer(&u[0]), uint32(len(u)), unsafe.Pointer(&buf[0]), uint32(len(buf)))
		if n < 0 {
			return "", errors.New("host call failed")
		}
	}
	var res struct {
		Status int    `json:"status"`
		Body   string `json:"body"`
		Error  string `json:"error"`
	}
	if err := json.Unmarshal(buf[:n], &res); err != nil {
		return "", err
	}
	if res.Error != "" {
		return "", errors.New(res.Error)
	}
	return res.Body, nil
}
