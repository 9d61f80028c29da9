package mailparse

// The phrases ParseError is made of, joined by "; ". Those about one MIME
// part are prefixed "part 1.2: " (IMAP-style part numbers). They are fixed
// strings on purpose: a ParseError is logged and shown to operators, and
// must never carry message content, addresses or charset labels.
const (
	issueMalformedHeader = "malformed header lines skipped"
	issueNoBlankLine     = "no blank line after header"
	issueHeaderTooBig    = "header block too large, rest skipped"
	issueTooManyParts    = "too many parts, rest skipped"
	issueTooDeep         = "nesting too deep, skipped"
	issueNoBoundary      = "multipart boundary missing or not found, body read as text"
	issueBoundaryGuessed = "multipart boundary missing or wrong, guessed"
	issueUnclosed        = "multipart not closed (truncated)"
	issueCTEMismatch     = "transfer encoding does not match content, read as is"
	issueBadBase64       = "bad base64, decoded what could be"
	issueUnknownCTE      = "unknown transfer encoding, read as is"
	issueUndecodable     = "undecodable characters replaced"
	issueTextTruncated   = "text truncated at 4 MB"
	issueHTMLTruncated   = "html truncated at 16 MB"
	issueFromNoAddress   = "from: no address"
	// issueInternal marks a recovered panic: a bug, never expected.
	issueInternal = "internal parser error, text read from raw bytes"

	// Why an input is not a mail (Parse then returns ErrNotMessage).
	issueEmpty        = "empty input"
	issueBinary       = "binary data"
	issueStructured   = "JSON or other structured data"
	issueHTMLDocument = "HTML or XML document"
	issueNoMailField  = "no mail header field"
)

// allIssues lists every phrase, for tests.
var allIssues = []string{
	issueMalformedHeader, issueNoBlankLine, issueHeaderTooBig, issueTooManyParts,
	issueTooDeep, issueNoBoundary, issueBoundaryGuessed, issueUnclosed, issueCTEMismatch,
	issueBadBase64, issueUnknownCTE, issueUndecodable, issueTextTruncated,
	issueHTMLTruncated, issueFromNoAddress, issueInternal, issueEmpty, issueBinary,
	issueStructured, issueHTMLDocument, issueNoMailField,
}
