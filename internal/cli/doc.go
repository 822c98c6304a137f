// Package cli owns ragline's command line: cobra commands, flags, output
// formatting and exit codes. Commands parse input and call the knowledge
// base, server and evaluation packages; no domain logic lives here.
//
// Nothing imports cli except cmd/ragline.
package cli
