package mail

import (
	"context"
	"errors"
	"fmt"
)

// Message is one email ready for the mail service.
type Message struct {
	// From is the RFC 5322 form, `"Leadflow" <hello@example.com>`.
	From    string
	To      string
	ReplyTo []string
	Subject string
	HTML    string
	Text    string
	// Headers are extra headers (List-Unsubscribe, List-Unsubscribe-Post).
	Headers []Header
	// Tags travel with the message and come back in every SES event.
	Tags map[string]string
	// ConfigSet is the SES configuration set (event publishing,
	// reputation metrics, suppression).
	ConfigSet string
}

// Header is one extra message header.
type Header struct {
	Name, Value string
}

// Header returns a header's value ("" when absent).
func (m Message) Header(name string) string {
	for _, h := range m.Headers {
		if h.Name == name {
			return h.Value
		}
	}
	return ""
}

// Mailer sends one message and returns the service's message id. It must
// make exactly one attempt: a retried send can deliver twice. Its errors
// are *SendError, which say what is known about the attempt.
type Mailer interface {
	Send(ctx context.Context, m Message) (messageID string, err error)
}

// Failure is what a failed attempt says about the message.
type Failure int

const (
	// NotSent: the request never left (no connection was made, or it
	// failed before being written): safe to try again.
	NotSent Failure = iota + 1
	// Throttled: the service refused for rate (429, sending paused): it
	// did not take the message; try again later.
	Throttled
	// Refused: the service refused this message (4xx: bad address,
	// unverified sender): trying again will not help.
	Refused
	// ServerError: the service answered 5xx. It most likely did not take
	// the message, but may have.
	ServerError
	// NoAnswer: the request may have reached the service and no answer
	// came back: the message may be on its way.
	NoAnswer
)

func (f Failure) String() string {
	switch f {
	case NotSent:
		return "not_sent"
	case Throttled:
		return "throttled"
	case Refused:
		return "refused"
	case ServerError:
		return "server_error"
	case NoAnswer:
		return "no_answer"
	}
	return "unknown"
}

// SendError is a failed attempt with what it means for the message.
type SendError struct {
	Failure Failure
	// Reason is short and safe to store on the record (the service's error
	// code and message; never the message content).
	Reason string
	Err    error
}

func (e *SendError) Error() string {
	return fmt.Sprintf("send %s: %s", e.Failure, e.Reason)
}

func (e *SendError) Unwrap() error { return e.Err }

// FailureOf classifies an error from a Mailer. An error that is not a
// *SendError says nothing about the attempt, so it counts as NoAnswer: the
// message may have gone out and must not be sent again blindly.
func FailureOf(err error) (Failure, string) {
	var se *SendError
	if errors.As(err, &se) {
		return se.Failure, se.Reason
	}
	return NoAnswer, err.Error()
}
