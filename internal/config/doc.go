// Package config owns ragline's YAML configuration: the typed Config,
// defaults, loading with precise positions, validation that reports every
// problem at once (file:line:col: field.path: message), secret references
// (${ENV} and ${file:/path}) and the config digest.
//
// It must not import any other ragline package nor open anything but the
// configuration file and the secret files it references.
package config
