package text

import "testing"

func TestDetectLanguage(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{name: "empty", in: "", want: ""},
		{name: "no letters", in: "123 !!! 456", want: ""},
		{name: "english", in: "The quick brown fox jumps over the lazy dog.", want: "en"},
		{name: "other latin-script language", in: "Le renard brun saute par-dessus le chien.", want: "en"},
		{name: "chinese", in: "今天天气很好，我们去公园散步吧。", want: "zh"},
		{name: "chinese with english terms", in: "使用Python的pandas库读取CSV文件", want: "zh"},
		{name: "mixed example", in: "GPT-4模型的准确率是95%", want: "zh"},
		{name: "english with a chinese name", in: "Beijing (北京) is the capital of the People's Republic of China.", want: "en"},
		{name: "japanese", in: "コーヒーを飲みながら本を読みます。", want: ""},
		{name: "korean", in: "한국어 텍스트입니다", want: ""},
		{name: "russian", in: "Привет, как дела?", want: ""},
		{name: "full-width latin", in: "ＡＢＣ ｄｅｆ", want: "en"},
		{name: "balanced is unclear", in: "abc 中", want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := DetectLanguage(tt.in); got != tt.want {
				t.Errorf("DetectLanguage(%q) = %q; want %q", tt.in, got, tt.want)
			}
		})
	}
}
