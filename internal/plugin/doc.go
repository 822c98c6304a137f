// Package plugin runs WebAssembly tools (WASI preview 1 modules) in a
// wazero sandbox: JSON arguments on stdin, a JSON result on stdout, no
// filesystem, network, environment variables or arguments unless the
// configuration grants them (a read-only directory at /data; named hosts
// through the host function ragline.http_get), linear memory capped and
// a CPU deadline on every call.
//
// It must not hand a module anything the configuration does not spell
// out, and a module's failure must stay a tool error: it never takes the
// process down.
package plugin
