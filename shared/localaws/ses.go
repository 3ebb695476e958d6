package localaws

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os/exec"
	"path/filepath"
	"strconv"
)

// StartSES starts aws-ses-v2-local on 127.0.0.1 and waits until GET /store answers.
// Sent mail is kept in memory only; read it with SentEmails.
func StartSES(ctx context.Context, o Options) (*Process, error) {
	o, err := prepare(o)
	if err != nil {
		return nil, fmt.Errorf("start ses: %w", err)
	}
	root := o.Root
	bin := filepath.Join(root, "node_modules", ".bin", "aws-ses-v2-local")
	if err := requireFile(bin); err != nil {
		return nil, fmt.Errorf("start ses: %w", err)
	}
	// The .bin entry is a `#!/usr/bin/env node` script.
	if _, err := exec.LookPath("node"); err != nil {
		return nil, fmt.Errorf("start ses: %w (node not found on PATH)", ErrToolsMissing)
	}

	return start(ctx, o, spec{
		name: "ses",
		build: func(port int) (*exec.Cmd, []func() error, error) {
			// Its default host is "::" (every interface); keep it on loopback.
			cmd := exec.Command(bin, "--host", "127.0.0.1", "--port", strconv.Itoa(port))
			cmd.Dir = root
			return cmd, nil, nil
		},
		ready: func(ctx context.Context, endpoint string) error {
			return httpOK(ctx, endpoint+"/store")
		},
	})
}

// SentEmail is one message as aws-ses-v2-local's GET /store reports it.
//
// For Simple content the fields come from the request (Headers are only the custom
// headers given in Content.Simple.Headers). For Raw content they are parsed back out
// of the MIME message: addresses are the header values (`"Name" <a@b>`), Destination
// in the request is ignored, and no headers are kept. EmailTags and
// ConfigurationSetName are accepted but never stored.
type SentEmail struct {
	MessageID   string           `json:"messageId"`
	From        string           `json:"from"`
	ReplyTo     []string         `json:"replyTo"`
	Destination SentDestination  `json:"destination"`
	Subject     string           `json:"subject"`
	Body        SentBody         `json:"body"`
	Attachments []SentAttachment `json:"attachments"`
	Headers     []SentHeader     `json:"headers,omitempty"`
	At          int64            `json:"at"` // Unix seconds
}

// SentDestination lists the recipients of a SentEmail.
type SentDestination struct {
	To  []string `json:"to"`
	CC  []string `json:"cc"`
	BCC []string `json:"bcc"`
}

// SentBody holds the HTML and text parts; either may be empty.
type SentBody struct {
	HTML string `json:"html,omitempty"`
	Text string `json:"text,omitempty"`
}

// SentAttachment is an attachment; Content is base64.
type SentAttachment struct {
	Filename    string `json:"filename"`
	ContentType string `json:"contentType"`
	Content     string `json:"content"`
	Size        int    `json:"size"`
}

// SentHeader is a custom header given with Simple or Template content.
type SentHeader struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// SentEmails returns every message the SES server at endpoint has accepted, oldest first.
func SentEmails(ctx context.Context, endpoint string) ([]SentEmail, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, endpoint+"/store", nil)
	if err != nil {
		return nil, fmt.Errorf("read SES store: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("read SES store: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("read SES store: GET /store: %s", resp.Status)
	}
	var store struct {
		Emails []SentEmail `json:"emails"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&store); err != nil {
		return nil, fmt.Errorf("read SES store: decode: %w", err)
	}
	return store.Emails, nil
}

// ClearSentEmails empties the SES server's store (messages and templates).
func ClearSentEmails(ctx context.Context, endpoint string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint+"/clear-store", nil)
	if err != nil {
		return fmt.Errorf("clear SES store: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("clear SES store: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("clear SES store: POST /clear-store: %s", resp.Status)
	}
	return nil
}
