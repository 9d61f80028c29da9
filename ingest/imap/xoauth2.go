package imap

import (
	"github.com/emersion/go-sasl"
)

// xoauth2Mech is the SASL mechanism Gmail and Microsoft 365 use for OAuth
// 2.0 access tokens. go-sasl implements OAUTHBEARER but not XOAUTH2.
const xoauth2Mech = "XOAUTH2"

// xoauth2Client is a sasl.Client for XOAUTH2: the initial response is
// "user=<user>^Aauth=Bearer <token>^A^A". On failure the server sends a
// JSON error as a challenge, which is answered with an empty response so it
// can finish with NO.
type xoauth2Client struct {
	user, token string
}

var _ sasl.Client = (*xoauth2Client)(nil)

func newXOAuth2Client(user, token string) *xoauth2Client {
	return &xoauth2Client{user: user, token: token}
}

// XOAuth2Response is the initial client response of SASL XOAUTH2 for user
// and an access token. Test servers use it to check what a client sent.
func XOAuth2Response(user, token string) []byte {
	return []byte("user=" + user + "\x01auth=Bearer " + token + "\x01\x01")
}

func (c *xoauth2Client) Start() (string, []byte, error) {
	return xoauth2Mech, XOAuth2Response(c.user, c.token), nil
}

func (c *xoauth2Client) Next([]byte) ([]byte, error) {
	return []byte{}, nil
}
