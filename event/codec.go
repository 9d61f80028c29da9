package event

import (
	"encoding/json"
	"errors"
	"fmt"
)

// ErrVersion reports a payload whose "v" this build does not understand.
var ErrVersion = errors.New("unsupported schema version")

// Encode marshals a Message, Verdict or Alert, setting V to [Version] when
// it is zero.
func Encode[T Message | Verdict | Alert](p *T) ([]byte, error) {
	switch x := any(p).(type) {
	case *Message:
		setVersion(&x.V)
	case *Verdict:
		setVersion(&x.V)
	case *Alert:
		setVersion(&x.V)
	}
	return json.Marshal(p)
}

func setVersion(v *int) {
	if *v == 0 {
		*v = Version
	}
}

// Decode unmarshals a Message, Verdict or Alert and checks its version.
// Unknown fields are ignored (additive changes within a version).
func Decode[T Message | Verdict | Alert](data []byte) (*T, error) {
	var probe struct {
		V *int `json:"v"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, fmt.Errorf("decode payload: %w", err)
	}
	if probe.V == nil {
		return nil, fmt.Errorf("decode payload: no \"v\" field: %w", ErrVersion)
	}
	if *probe.V != Version {
		return nil, fmt.Errorf("decode payload: v=%d, this build reads v=%d: %w", *probe.V, Version, ErrVersion)
	}
	p := new(T)
	if err := json.Unmarshal(data, p); err != nil {
		return nil, fmt.Errorf("decode payload: %w", err)
	}
	return p, nil
}

// Validate checks the fields every stage relies on.
func (m *Message) Validate() error {
	var errs []error
	if m.ID == "" {
		errs = append(errs, errors.New("id is empty"))
	}
	if !m.Channel.Valid() {
		errs = append(errs, fmt.Errorf("channel %q is not email or sms", m.Channel))
	}
	if !m.Direction.Valid() {
		errs = append(errs, fmt.Errorf("direction %q is not in or out", m.Direction))
	}
	if err := checkTokens("household", m.Household, "person", m.Person); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("message %s: %w", m.ID, err)
	}
	return nil
}
