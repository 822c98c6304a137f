// Package datasettest locates the public evaluation datasets (SciFact,
// Cranfield, CMRC 2018) for tests and benchmarks, and the small samples of
// them vendored under testdata/datasets.
//
// The full datasets live outside the repository: in $RAGLINE_DATASETS, or
// by default in ../shared/datasets beside the repository root. A test that
// needs them calls Require, which fails the test under CI=true when they are
// missing (a CI run must not pass by skipping them) and skips it otherwise,
// so that the suite passes in a plain clone.
//
// It is imported by tests only and must never be linked into the binary.
package datasettest
