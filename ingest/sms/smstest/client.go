package smstest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/scamscreen/scamscreen/event"
	"github.com/scamscreen/scamscreen/ingest/sms"
)

// Source describes a forwarder or SMSC feed as the listener's
// configuration knows it: its name, format and credential. Exactly one of
// HMACSecret and BearerToken is set.
type Source struct {
	Name        string
	Format      string // sms.FormatScamscreen, sms.FormatSMSGateway or sms.FormatTemplate
	HMACSecret  string
	BearerToken string
}

// NewTwilioRequest returns a POST of params to baseURL/sms/twilio signed
// for publicURL/sms/twilio, the URL Twilio believes it calls (they differ
// behind a reverse proxy). An empty publicURL means baseURL.
func NewTwilioRequest(ctx context.Context, baseURL, publicURL, authToken string, params url.Values) (*http.Request, error) {
	if publicURL == "" {
		publicURL = baseURL
	}
	body := params.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(baseURL, "/")+"/sms/twilio", strings.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set(sms.HeaderTwilioSignature, SignTwilio(authToken, strings.TrimSuffix(publicURL, "/")+"/sms/twilio", params))
	return req, nil
}

// NewSourceRequest returns a POST of body to baseURL/sms/inbound/<name>,
// authenticated as src does it at time at.
func NewSourceRequest(ctx context.Context, baseURL string, src Source, body []byte, at time.Time) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(baseURL, "/")+"/sms/inbound/"+url.PathEscape(src.Name), bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	Authenticate(req, src, body, at)
	return req, nil
}

// Authenticate sets the headers with which src proves a request with body
// at time at, using the default header names of its format.
func Authenticate(req *http.Request, src Source, body []byte, at time.Time) {
	if src.BearerToken != "" {
		req.Header.Set("Authorization", "Bearer "+src.BearerToken)
		return
	}
	switch src.Format {
	case sms.FormatScamscreen:
		sig, ts := SignScamscreen(src.HMACSecret, body, at)
		req.Header.Set(sms.HeaderScamscreenSignature, sig)
		req.Header.Set(sms.HeaderScamscreenTimestamp, ts)
	case sms.FormatSMSGateway:
		sig, ts := SignSMSGateway(src.HMACSecret, body, at)
		req.Header.Set(sms.HeaderSMSGatewaySignature, sig)
		req.Header.Set(sms.HeaderSMSGatewayTimestamp, ts)
	default:
		req.Header.Set(sms.HeaderSMSGatewaySignature, SignBody(src.HMACSecret, body))
	}
}

// Client posts signed requests to a running listener. The zero value is
// not usable: set BaseURL. Its methods are safe for concurrent use.
type Client struct {
	// BaseURL is where the listener is reachable, such as
	// "http://127.0.0.1:8088".
	BaseURL string
	// PublicURL is the listener's configured public_url, which Twilio
	// signatures cover. Empty means BaseURL.
	PublicURL string
	// TwilioAuthToken signs Twilio requests.
	TwilioAuthToken string
	// HTTPClient sends the requests; nil means a client with a 15 s
	// timeout.
	HTTPClient *http.Client
	// Now is the clock for signature timestamps; nil means time.Now.
	Now func() time.Time
}

// Response is what the listener answered.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// PostTwilio posts a Twilio inbound-message webhook.
func (c *Client) PostTwilio(ctx context.Context, params url.Values) (*Response, error) {
	req, err := NewTwilioRequest(ctx, c.BaseURL, c.PublicURL, c.TwilioAuthToken, params)
	if err != nil {
		return nil, err
	}
	return c.do(req)
}

// PostSource posts body as src.
func (c *Client) PostSource(ctx context.Context, src Source, body []byte) (*Response, error) {
	req, err := NewSourceRequest(ctx, c.BaseURL, src, body, c.now())
	if err != nil {
		return nil, err
	}
	return c.do(req)
}

func (c *Client) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *Client) do(req *http.Request) (*Response, error) {
	hc := c.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 15 * time.Second}
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: body}, nil
}

// Sent records one sample the Client posted.
type Sent struct {
	Sample Sample
	Via    string // "twilio" or the source's name
	Status int
}

// SendSamples posts every sample of [Samples] for the protected person
// whose number is person: incoming ones through Twilio when
// TwilioAuthToken is set and through src otherwise, outgoing ones through
// src in src's format (template sources carry incoming samples only). It
// stops at the first error or non-2xx answer.
func (c *Client) SendSamples(ctx context.Context, person string, src Source) ([]Sent, error) {
	var out []Sent
	for _, s := range Samples() {
		var (
			resp *Response
			err  error
			via  = src.Name
		)
		switch {
		case s.Direction == event.DirectionIn && c.TwilioAuthToken != "":
			via = "twilio"
			resp, err = c.PostTwilio(ctx, s.TwilioParams(person))
		default:
			var body []byte
			body, err = s.Payload(src.Format, person)
			if errors.Is(err, ErrFormat) {
				continue // a template forwarder forwards incoming SMS only
			}
			if err == nil {
				resp, err = c.PostSource(ctx, src, body)
			}
		}
		if err != nil {
			return out, fmt.Errorf("sample %s via %s: %w", s.Name, via, err)
		}
		out = append(out, Sent{Sample: s, Via: via, Status: resp.Status})
		if resp.Status/100 != 2 {
			return out, fmt.Errorf("sample %s via %s: %w", s.Name, via, &StatusError{Status: resp.Status, Body: resp.Body})
		}
	}
	return out, nil
}

// StatusError is a non-2xx answer of the listener.
type StatusError struct {
	Status int
	Body   []byte
}

// Error says what the listener answered, with its (short, content-free)
// body.
func (e *StatusError) Error() string {
	return fmt.Sprintf("listener answered %d: %s", e.Status, bytes.TrimSpace(e.Body))
}

// ErrFormat reports a sample that a source format cannot carry.
var ErrFormat = errors.New("sample cannot be sent in this format")
