package mailparse

import (
	"bytes"
	"io"
	"unicode/utf8"

	"github.com/emersion/go-message/charset"
	"golang.org/x/text/encoding/japanese"
)

// decodeISO2022JP decodes ISO-2022-JP and the variants mailers send under
// that name (CP5022x, ISO-2022-JP-MS/-1/-2/-3) more forgivingly than
// x/text's decoder:
//
//   - JIS X 0208, JIS X 0212 and JIS X 0201 katakana (ESC ( I and SO/SI)
//     are transcoded to EUC-JP bytes and decoded by x/text's EUC-JP table,
//     which carries the NEC and IBM extensions cp932 adds (①, ㈱, ...);
//   - JIS X 0213 designations are read as JIS X 0208 (its superset for
//     everyday text); ISO-2022-JP-2's GB 2312 and KS C 5601 are decoded;
//   - a double-byte mode left open at the end of a line is closed, as
//     RFC 1468 requires it to be;
//   - 8-bit bytes, which ISO-2022-JP forbids but mislabelled mail carries
//     (raw Shift_JIS or "8-bit JIS" half-width katakana), are decoded as a
//     run with the detector's choice instead of becoming U+FFFD;
//   - unknown escape sequences become one U+FFFD and are skipped whole.
func decodeISO2022JP(b []byte, prefer csKind) string {
	const (
		stASCII = iota
		stJIS0208
		stJIS0212
		stKatakana
		stGB2312
		stKSC5601
	)
	const (
		pendEUCJP = iota
		pendGB
		pendKR
	)
	out := make([]byte, 0, len(b)+len(b)/2)
	pend := make([]byte, 0, 256)
	pendKind := pendEUCJP
	flush := func() {
		if len(pend) == 0 {
			return
		}
		out = append(out, decodeTranscoded(pend, pendKind)...)
		pend = pend[:0]
	}
	setPend := func(k int) {
		if k != pendKind {
			flush()
			pendKind = k
		}
	}

	eightKind := csNone // decided on first use, over all 8-bit runs
	state, shifted := stASCII, false
	for i := 0; i < len(b); {
		c := b[i]
		switch {
		case c == 0x1b:
			n, next, ok := jisEscape(b[i:])
			i += n
			if !ok {
				setPend(pendEUCJP)
				pend = append(pend, 0xff) // invalid in EUC-JP: decodes to U+FFFD
				continue
			}
			if next >= 0 {
				state = next
				shifted = false
			}
			continue
		case c >= 0x80:
			flush()
			if eightKind == csNone {
				eightKind = detect8bitRuns(b, prefer)
			}
			j := eightBitRun(b, i, eightKind == csShiftJIS)
			out = append(out, decodeAs(b[i:j], eightKind, "", prefer)...)
			i = j
			continue
		case c == 0x0e: // SO: JIS X 0201 katakana (CP50221)
			shifted = true
			i++
			continue
		case c == 0x0f: // SI
			shifted = false
			i++
			continue
		case c == '\n' || c == '\r':
			state, shifted = stASCII, false
			setPend(pendEUCJP)
			pend = append(pend, c)
			i++
			continue
		}

		cur := state
		if shifted {
			cur = stKatakana
		}
		switch cur {
		case stASCII:
			setPend(pendEUCJP)
			pend = append(pend, c)
			i++
		case stKatakana:
			setPend(pendEUCJP)
			if c >= 0x21 && c <= 0x5f {
				pend = append(pend, 0x8e, c|0x80)
			} else {
				pend = append(pend, c)
			}
			i++
		default:
			kind := pendEUCJP
			switch cur {
			case stGB2312:
				kind = pendGB
			case stKSC5601:
				kind = pendKR
			}
			setPend(kind)
			if c < 0x21 || c > 0x7e {
				pend = append(pend, c) // a blank or control inside a double-byte run
				i++
				continue
			}
			if i+1 >= len(b) || b[i+1] < 0x21 || b[i+1] > 0x7e {
				pend = append(pend, 0xff)
				i++
				continue
			}
			if cur == stJIS0212 {
				pend = append(pend, 0x8f)
			}
			pend = append(pend, c|0x80, b[i+1]|0x80)
			i += 2
		}
	}
	flush()
	return toValid(out)
}

// jisEscape parses the escape sequence at the start of b. It returns the
// bytes consumed, the new state (-1 for a sequence that changes nothing)
// and whether the sequence was understood.
func jisEscape(b []byte) (n int, state int, ok bool) {
	const (
		stASCII = iota
		stJIS0208
		stJIS0212
		stKatakana
		stGB2312
		stKSC5601
	)
	if len(b) >= 3 {
		switch string(b[1:3]) {
		case "(B", "(J", "(H":
			return 3, stASCII, true
		case "(I":
			return 3, stKatakana, true
		case "$@", "$B":
			return 3, stJIS0208, true
		case "$A":
			return 3, stGB2312, true
		case "&@": // JIS X 0208-1990 announcer, followed by ESC $ B
			return 3, -1, true
		}
	}
	if len(b) >= 4 && b[1] == '$' && b[2] == '(' {
		switch b[3] {
		case '@', 'B', 'O', 'Q':
			return 4, stJIS0208, true
		case 'D':
			return 4, stJIS0212, true
		case 'C':
			return 4, stKSC5601, true
		}
	}
	// Unknown: skip ESC, its intermediate bytes and the final byte.
	n = 1
	for n < len(b) && n < 8 && b[n] >= 0x20 && b[n] <= 0x2f {
		n++
	}
	if n < len(b) && b[n] >= 0x30 && b[n] <= 0x7e {
		n++
	}
	return n, -1, false
}

// decodeTranscoded decodes the EUC bytes the ISO-2022 decoder built.
func decodeTranscoded(b []byte, kind int) []byte {
	switch kind {
	case 1, 2:
		label := "gb2312"
		if kind == 2 {
			label = "euc-kr"
		}
		if r, err := charset.Reader(label, bytes.NewReader(b)); err == nil {
			if out, err := io.ReadAll(r); err == nil {
				return out
			}
		}
		return []byte(toValid(b))
	}
	out, _ := japanese.EUCJP.NewDecoder().Bytes(b)
	return out
}

// detect8bitRuns picks the decoder for the 8-bit runs inside an
// ISO-2022-JP text by scoring them together.
func detect8bitRuns(b []byte, prefer csKind) csKind {
	var runs []byte
	allUTF8 := true
	for i := 0; i < len(b) && len(runs) < sampleSize; {
		if b[i] < 0x80 {
			i++
			continue
		}
		j := eightBitRun(b, i, true)
		if !utf8.Valid(b[i:eightBitRun(b, i, false)]) {
			allUTF8 = false
		}
		runs = append(runs, b[i:j]...)
		runs = append(runs, ' ')
		i = j
	}
	if allUTF8 {
		return csUTF8
	}
	if halfwidthOnly(runs) {
		return csShiftJIS // "8-bit JIS": JIS X 0201 katakana as raw bytes, read the same in Shift_JIS
	}
	if prefer != csShiftJIS && prefer != csEUCJP && prefer != csUTF8 {
		prefer = csShiftJIS // 8-bit JIS half-width katakana reads the same in Shift_JIS
	}
	return detect8(runs, prefer)
}

// eightBitRun returns the end of the run of 8-bit bytes starting at i.
// With sjis, a Shift_JIS lead byte takes the following byte along even when
// it is in the ASCII range, as Shift_JIS trail bytes may be.
func eightBitRun(b []byte, i int, sjis bool) int {
	j := i
	for j < len(b) && b[j] >= 0x80 {
		c := b[j]
		if sjis && ((c >= 0x81 && c <= 0x9f) || (c >= 0xe0 && c <= 0xfc)) && j+1 < len(b) &&
			b[j+1] >= 0x40 && b[j+1] != 0x7f {
			j += 2
			continue
		}
		j++
	}
	return j
}

// halfwidthOnly reports whether every 8-bit byte of b is in 0xA1–0xDF, the
// JIS X 0201 katakana range.
func halfwidthOnly(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 && (c < 0xa1 || c > 0xdf) {
			return false
		}
	}
	return true
}
