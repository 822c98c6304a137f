package text

// DefaultStopWords is the English stop-word list an Analyzer uses when
// Options.StopWords is nil. It is the Snowball English list with its
// contractions written the way the Analyzer normalises them ("don't" →
// "dont"); the entries whose normalised form is an ordinary word ("we'll"
// → "well", "she'd" → "shed", "I'd" → "id") are left out so that those
// words stay searchable.
//
// Treat it as read-only: NewAnalyzer copies it, so changing it later has
// no effect on existing analyzers but makes new ones disagree with stored
// indexes.
var DefaultStopWords = []string{
	// Pronouns.
	"i", "me", "my", "myself", "we", "our", "ours", "ourselves",
	"you", "your", "yours", "yourself", "yourselves",
	"he", "him", "his", "himself", "she", "her", "hers", "herself",
	"it", "its", "itself", "they", "them", "their", "theirs", "themselves",
	"what", "which", "who", "whom", "this", "that", "these", "those",
	// Auxiliary verbs.
	"am", "is", "are", "was", "were", "be", "been", "being",
	"have", "has", "had", "having", "do", "does", "did", "doing",
	"would", "should", "could", "ought", "will", "shall", "can", "cannot",
	// Contractions, apostrophe removed.
	"im", "youre", "theyre", "ive", "youve", "weve", "theyve",
	"youd", "theyd", "youll", "theyll",
	"isnt", "arent", "wasnt", "werent", "hasnt", "havent", "hadnt",
	"doesnt", "dont", "didnt", "wont", "wouldnt", "shant", "shouldnt",
	"cant", "couldnt", "mustnt",
	"lets", "thats", "whos", "whats", "heres", "theres", "whens", "wheres",
	"whys", "hows",
	// Articles, conjunctions and prepositions.
	"a", "an", "the", "and", "but", "if", "or", "because", "as", "until",
	"while", "of", "at", "by", "for", "with", "about", "against", "between",
	"into", "through", "during", "before", "after", "above", "below", "to",
	"from", "up", "down", "in", "out", "on", "off", "over", "under",
	// Adverbs and determiners.
	"again", "further", "then", "once", "here", "there", "when", "where",
	"why", "how", "all", "any", "both", "each", "few", "more", "most",
	"other", "some", "such", "no", "nor", "not", "only", "own", "same", "so",
	"than", "too", "very",
}
