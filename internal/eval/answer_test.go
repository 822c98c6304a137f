package eval

import "testing"

func TestNormalizeAnswer(t *testing.T) {
	tests := []struct{ in, want string }{
		{"The Quick, brown fox!", "quick brown fox"},
		{"  A  an   apple ", "apple"},
		{"theater and anthem", "theater and anthem"},
		{"Hello-World", "helloworld"},
		{"the—end", "—end"}, // articles are whole words, as \b defines them
		{"NT$25,000", "nt25000"},
		{"", ""},
		{"《战国无双3》，", "战国无双3"},
		{"２００８ 年 6 月", "2008年6月"},
		{"中国 The Great Wall。", "中国the great wall"},
		{"乔丹 Michael  Jordan", "乔丹michael jordan"},
		{"两万 公里 ( 20,000 km )", "两万公里20000 km"},
		{"長城（万里）", "長城万里"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := NormalizeAnswer(tt.in); got != tt.want {
				t.Errorf("NormalizeAnswer(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestExactMatch(t *testing.T) {
	tests := []struct {
		name string
		pred string
		refs []string
		want float64
	}{
		{"case and article", "the cat", []string{"Cat"}, 1},
		{"second reference", "a dog", []string{"cat", "dog."}, 1},
		{"no match", "dog", []string{"dogs"}, 0},
		{"no references", "dog", nil, 0},
		{"chinese punctuation", "2008年6月", []string{"2008年6月。"}, 1},
		{"chinese spaces", "两万 公里", []string{"两万公里"}, 1},
		{"mixed pair normalised as chinese", "147", []string{"147位"}, 0},
		{"both empty after normalisation", "。", []string{"，"}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ExactMatch(tt.pred, tt.refs); got != tt.want {
				t.Errorf("ExactMatch(%q, %q) = %v, want %v", tt.pred, tt.refs, got, tt.want)
			}
		})
	}
}

func TestF1(t *testing.T) {
	tests := []struct {
		name string
		pred string
		refs []string
		want float64
	}{
		// pred tokens [cat sat on mat], ref [cat on mat]: p = 3/4, r = 1.
		{"english overlap", "The cat sat on the mat", []string{"cat on the mat"}, 2 * 0.75 / 1.75},
		{"english best of refs", "The cat sat on the mat", []string{"dog", "cat on the mat"}, 2 * 0.75 / 1.75},
		{"english bag of words ignores order", "mat cat", []string{"cat mat"}, 1},
		{"english repeated tokens", "cat cat cat", []string{"cat"}, 2 * (1.0 / 3) / (4.0 / 3)},
		{"english no overlap", "dog", []string{"cat"}, 0},
		// 4 character tokens against 2, common run 2: p = 1/2, r = 1.
		{"chinese characters", "北京大学", []string{"北京"}, 2.0 / 3},
		// Order matters: the longest common run of 京北 and 北京 is 1.
		{"chinese longest common run", "京北", []string{"北京"}, 0.5},
		// Tokens [2008 年 6 月] against [2008 年].
		{"mixed digits and characters", "2008年6月", []string{"2008年"}, 2.0 / 3},
		{"chinese punctuation ignored", "《两万公里》", []string{"两万公里"}, 1},
		// Latin words inside Chinese text stay tokens: [乔 丹 michael jordan]
		// against [jordan].
		{"latin words in chinese text", "乔丹 Michael Jordan", []string{"Jordan"}, 2 * 0.25 / 1.25},
		// White space between Latin characters splits a token, so exact
		// match and F1 agree.
		{"spaces inside latin runs", "中 ab c", []string{"中abc"}, 2 * (1.0 / 3) * 0.5 / (1.0/3 + 0.5)},
		{"no references", "北京", nil, 0},
		{"both empty", "", []string{""}, 1},
		{"empty reference", "cat", []string{""}, 0},
		{"empty prediction", "", []string{"cat"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := F1(tt.pred, tt.refs); !approx(got, tt.want) {
				t.Errorf("F1(%q, %q) = %v, want %v", tt.pred, tt.refs, got, tt.want)
			}
		})
	}
}
