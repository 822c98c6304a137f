//go:build !gse

package text

// gseWantErr is the error NewAnalyzer gives for CJK "gse" in a build
// without gse.
const gseWantErr = "not in this build"
