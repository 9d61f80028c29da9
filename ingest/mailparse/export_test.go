package mailparse

// Internals the black-box tests check against.
var (
	InternalErrorIssue = issueInternal
	AllIssues          = allIssues
)
