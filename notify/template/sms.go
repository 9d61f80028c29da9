package template

import (
	"unicode/utf16"

	"github.com/scamscreen/scamscreen/notify"
)

// SMS encodings.
const (
	EncodingGSM7 = "GSM-7"
	EncodingUCS2 = "UCS-2"
)

// Segment capacities: a single message, and each part of a concatenated
// one (the rest carries the concatenation header).
const (
	gsmSingle  = 160
	gsmPart    = 153
	ucs2Single = 70
	ucs2Part   = 67
)

// gsmBasic is the GSM 03.38 default alphabet; gsmExt are the characters of
// its extension table, which take two septets (escape + character).
const (
	gsmBasic = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
	gsmExt   = "^{}\\[~]|€\f"
)

var gsmCost = func() map[rune]int {
	m := make(map[rune]int, 140)
	for _, r := range gsmBasic {
		m[r] = 1
	}
	for _, r := range gsmExt {
		m[r] = 2
	}
	return m
}()

// Segments reports how s travels as an SMS: GSM-7 when every character is
// in the GSM default alphabet or its extension table, UCS-2 otherwise; the
// number of units (septets, or UTF-16 code units); and the number of
// segments. A character is never split across segments (an escape pair, a
// surrogate pair), as carriers do. An empty text is one segment.
func Segments(s string) notify.SMSInfo {
	gsm := true
	for _, r := range s {
		if _, ok := gsmCost[r]; !ok {
			gsm = false
			break
		}
	}
	var costs []int
	units := 0
	for _, r := range s {
		c := 1
		if gsm {
			c = gsmCost[r]
		} else if utf16.RuneLen(r) == 2 {
			c = 2
		}
		costs = append(costs, c)
		units += c
	}
	info := notify.SMSInfo{Encoding: EncodingGSM7, Units: units, Segments: 1}
	single, part := gsmSingle, gsmPart
	if !gsm {
		info.Encoding = EncodingUCS2
		single, part = ucs2Single, ucs2Part
	}
	if units <= single {
		return info
	}
	segs, left := 1, part
	for _, c := range costs {
		if c > left {
			segs++
			left = part
		}
		left -= c
	}
	info.Segments = segs
	return info
}
