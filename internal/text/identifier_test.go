package text

import (
	"slices"
	"testing"
)

// TestIdentifiersMeet checks that the spellings of one identifier, symbol
// or word family that papers and questions use share their terms: every
// spelling must give all of want (a code written as one word adds itself
// whole, see TestIdentifierTerms).
func TestIdentifiersMeet(t *testing.T) {
	a := mustAnalyzer(t, Options{})
	tests := []struct {
		name string
		in   []string
		want []string
	}{
		{name: "gene with isoform letter", in: []string{"FoxO3a", "FOXO3", "Foxo3", "FOXO-3"}, want: []string{"foxo", "3"}},
		{name: "acronym plural in a compound", in: []string{"PPAR-RXRs", "PPAR-RXR", "PPAR RXR"}, want: []string{"ppar", "rxr"}},
		{name: "letters and digits", in: []string{"Bcl2", "BCL-2", "bcl 2", "Bcl-2"}, want: []string{"bcl", "2"}},
		{name: "greek letter and its name", in: []string{"IFN-γ", "IFN-gamma", "IFN γ", "IFN-Γ"}, want: []string{"ifn", "gamma"}},
		{name: "greek letter glued to latin is spelt in place", in: []string{"IFNγ", "IFNgamma"}, want: []string{"ifngamma"}},
		{name: "greek letter inside a word", in: []string{"NF-κB", "NF-kappaB", "NF-KAPPAB"}, want: []string{"nf", "kappab"}},
		{name: "greek letter after digits", in: []string{"IL-1β", "IL-1beta", "IL 1 beta"}, want: []string{"il", "1", "beta"}},
		{name: "alpha", in: []string{"TNF-α", "TNF-alpha", "TNF α"}, want: []string{"tnf", "alpha"}},
		{name: "acronym plurals", in: []string{"RXRs", "RXR", "rxr"}, want: []string{"rxr"}},
		{name: "acronym plural with a lower-case prefix", in: []string{"mRNAs", "mRNA"}, want: []string{"mrna"}},
		{name: "acronym plural of a vowelless acronym", in: []string{"GPCRs", "GPCR"}, want: []string{"gpcr"}},
		{name: "stems of -sis words", in: []string{"metastases", "metastasis"}, want: []string{"metastas"}},
		{name: "stems of analysis", in: []string{"analyses", "analysis"}, want: []string{"analys"}},
		{name: "stems of diagnosis", in: []string{"diagnosis", "diagnoses", "diagnosed"}, want: []string{"diagnos"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, in := range tt.in {
				got := a.Terms(in)
				for _, w := range tt.want {
					if !slices.Contains(got, w) {
						t.Errorf("Terms(%q) = %q; want it to hold %q", in, got, w)
					}
				}
			}
		})
	}
}

// TestIdentifierTerms pins the exact terms of identifiers, including the
// whole code that follows its parts, and the limits of the rules.
func TestIdentifierTerms(t *testing.T) {
	a := mustAnalyzer(t, Options{})
	tests := []struct {
		in   string
		want []string
	}{
		{in: "Bcl2", want: []string{"bcl", "2", "bcl2"}},
		{in: "BCL-2", want: []string{"bcl", "2"}},
		{in: "FoxO3a", want: []string{"foxo", "3", "foxo3a"}},               // "a" alone is a stop word
		{in: "H3K9me3", want: []string{"h", "3", "k", "9", "3", "h3k9me3"}}, // "me" is a stop word
		{in: "IL-1β", want: []string{"il", "1", "beta", "1beta"}},
		{in: "PPAR-RXRs", want: []string{"ppar", "rxr"}},
		// Greek text is not a row of symbols.
		{in: "ΣΟΦΟΣ λόγος", want: []string{"σοφοσ", "λόγοσ"}},
		// A lower-case plural is the stemmer's business; one capital
		// before the "s" is not an acronym plural.
		{in: "cats PhDs Ts", want: []string{"cat", "phds", "ts"}},
		// "s" after an acronym inside a word is kept.
		{in: "RXRsx", want: []string{"rxrsx"}},
	}
	for _, tt := range tests {
		if got := a.Terms(tt.in); !slices.Equal(got, tt.want) {
			t.Errorf("Terms(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}

// TestTypoStems records the stems of the misspellings that typo
// tolerance in search has to bridge: they differ from the right stem by
// one or two edits.
func TestTypoStems(t *testing.T) {
	a := mustAnalyzer(t, Options{})
	for _, tt := range []struct{ typo, right string }{
		{"methyltrasnferase", "methyltransferase"},
		{"microenviroment", "microenvironment"},
		{"matasteses", "metastases"},
	} {
		typo, right := a.Terms(tt.typo), a.Terms(tt.right)
		if len(typo) != 1 || len(right) != 1 || typo[0] == right[0] {
			t.Errorf("Terms(%q) = %q, Terms(%q) = %q; want one term each, different", tt.typo, typo, tt.right, right)
		}
	}
}
