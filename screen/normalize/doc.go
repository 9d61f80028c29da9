// Package normalize folds text into the canonical form the screening engine
// matches against, and keeps a map from every output byte back to the
// original, so each reason can quote the sender's own words.
//
// Fraudsters disguise the words a filter looks for. The fold undoes the
// disguises seen in real Japanese and English lures, in one pass:
//
//   - NFKC: full-width and half-width forms ("ＡＭＡＺＯＮ", "ｱﾏｿﾞﾝ"),
//     mathematical alphanumerics ("𝐀𝐦𝐚𝐳𝐨𝐧"), circled and squared letters;
//   - case folding, and diacritics removed from Latin letters;
//   - Latin look-alikes from other scripts (Cyrillic "а", Greek "ο", small
//     capitals "ᴀᴍᴀᴢᴏɴ") mapped to Latin;
//   - hiragana folded to katakana, small kana to large, and the katakana that
//     look alike (ソ/ン, シ/ツ) folded together; the long-vowel mark and the
//     dashes and 一 that imitate it are dropped inside katakana;
//   - zero-width and other format characters removed;
//   - separators between Japanese characters removed ("ア マ ゾ ン",
//     "ギフト・カード", a line break in the middle of a phrase), runs of
//     white space elsewhere reduced to one space, and separators inside
//     spelled-out words collapsed ("A.m.a.z.o.n", "a m a z o n").
//
// Digit swaps inside brand words ("Amaz0n", "Arnazon") are not folded here,
// because digits matter everywhere else (amounts, numbers, codes);
// [Skeleton] gives the look-alike skeleton of a Latin token so the engine can
// check tokens against its brand list.
//
// The fold is idempotent (folding folded text changes nothing), and rule
// keywords go through the same [String] function as messages, so a keyword
// matches every disguise of itself. The package is pure and allocation-free
// when a [Text] is reused.
package normalize
