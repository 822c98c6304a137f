//go:build !gse

package text

// gseAvailable reports whether this build contains gse. It does not: the
// default build leaves gse out (about 32 MB of dictionaries) because
// character bigrams measured as well on CMRC 2018; build with -tags gse to
// include it.
const gseAvailable = false

func gseVersion() string { return "" }

func gseSegment(string) ([]int, bool) { return nil, false }
