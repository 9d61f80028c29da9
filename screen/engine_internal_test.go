package screen

import "testing"

func TestDevoice(t *testing.T) {
	for in, want := range map[string]string{"アマゾソ": "アマソソ", "グーグル": "クークル", "パピプペポ": "ハヒフヘホ", "バビブベボ": "ハヒフヘホ", "ガギグゲゴザジズゼゾダヂデド": "カキクケコサシスセソタチテト", "ドコモ": "トコモ", "ヴ": "ウ"} {
		if got := devoice(in); got != want {
			t.Errorf("devoice(%q) = %q, want %q", in, got, want)
		}
	}
}
