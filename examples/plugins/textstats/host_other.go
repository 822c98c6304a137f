//go:build !wasip1

package main

import "errors"

// httpGet exists only inside the ragline host.
func httpGet(string) (string, error) {
	return "", errors.New("the url input needs the ragline host (build with GOOS=wasip1 GOARCH=wasm)")
}
