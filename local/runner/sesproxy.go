package runner

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// The SES proxy sits between the handlers and aws-ses-v2-local. SES
// publishes events (Sent, Delivered, Bounced, Complaint...) carrying the
// message's tags through the configuration set to EventBridge; the local
// SES server does not, and does not keep tags either. The proxy does both:
// it records every SendEmail request as sent (tags, configuration set,
// headers) and publishes the events SES would, to the local bus. It also
// injects faults (throttling, 5xx, a connection dropped after SES accepted
// the mail) so the no-duplicate guarantees can be tested.
//
// SES's mailbox simulator addresses behave as on AWS:
// bounce@simulator.amazonses.com bounces (Permanent), complaint@... is
// delivered and then complained about, suppressionlist@... bounces as if on
// the account suppression list.

// SESRequest is one SendEmail call as the proxy saw it.
type SESRequest struct {
	At           time.Time         `json:"at"`
	From         string            `json:"from"`
	To           []string          `json:"to"`
	Subject      string            `json:"subject"`
	HTML         string            `json:"html"`
	Text         string            `json:"text"`
	Headers      map[string]string `json:"headers"`
	Tags         map[string]string `json:"tags"`
	ConfigSet    string            `json:"configuration_set"`
	MessageID    string            `json:"message_id"`
	Accepted     bool              `json:"accepted"`
	Fault        string            `json:"fault,omitempty"`
	ResponseLost bool              `json:"response_lost,omitempty"`
}

// SESFaults injects failures into SendEmail calls: each is a fraction from
// 0 to 1, applied in a deterministic rotation so tests are repeatable.
type SESFaults struct {
	// Throttle answers 429 TooManyRequestsException without sending.
	Throttle float64
	// ServerError answers 500 without sending.
	ServerError float64
	// DropAfterAccept forwards the call (SES accepts and will deliver),
	// then drops the connection: the caller cannot know it was sent.
	DropAfterAccept float64
}

type sesProxy struct {
	p       *Platform
	target  *url.URL
	proxy   *httputil.ReverseProxy
	url     string
	mu      sync.Mutex
	faults  SESFaults
	calls   int
	records []SESRequest
}

func startSESProxy(ctx context.Context, p *Platform, sesEndpoint string) (*sesProxy, error) {
	target, err := url.Parse(sesEndpoint)
	if err != nil || sesEndpoint == "" {
		return nil, fmt.Errorf("ses proxy target %q: %v", sesEndpoint, err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("ses proxy: %w", err)
	}
	sp := &sesProxy{p: p, target: target, proxy: httputil.NewSingleHostReverseProxy(target), url: "http://" + ln.Addr().String()}
	srv := &http.Server{Handler: sp, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	return sp, nil
}

// fault picks this call's fault, spreading each kind evenly over calls.
func (sp *sesProxy) fault() string {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	sp.calls++
	n := float64(sp.calls)
	hit := func(rate float64, offset float64) bool {
		if rate <= 0 {
			return false
		}
		// Fires when the running count of rate*n crosses an integer.
		return int(rate*n+offset) != int(rate*(n-1)+offset)
	}
	switch {
	case hit(sp.faults.Throttle, 0.13):
		return "throttle"
	case hit(sp.faults.ServerError, 0.41):
		return "server_error"
	case hit(sp.faults.DropAfterAccept, 0.77):
		return "drop_after_accept"
	}
	return ""
}

type sendEmailInput struct {
	FromEmailAddress string `json:"FromEmailAddress"`
	Destination      struct {
		ToAddresses []string `json:"ToAddresses"`
	} `json:"Destination"`
	Content struct {
		Simple *struct {
			Subject struct{ Data string } `json:"Subject"`
			Body    struct {
				HTML *struct{ Data string } `json:"Html"`
				Text *struct{ Data string } `json:"Text"`
			} `json:"Body"`
			Headers []struct{ Name, Value string } `json:"Headers"`
		} `json:"Simple"`
	} `json:"Content"`
	EmailTags            []struct{ Name, Value string } `json:"EmailTags"`
	ConfigurationSetName string                         `json:"ConfigurationSetName"`
}

func (sp *sesProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/v2/email/outbound-emails" {
		sp.proxy.ServeHTTP(w, r)
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, "read body", http.StatusBadRequest)
		return
	}
	var in sendEmailInput
	_ = json.Unmarshal(body, &in) // the SES server validates; the record is best effort
	rec := SESRequest{At: time.Now().UTC(), From: in.FromEmailAddress, To: in.Destination.ToAddresses, ConfigSet: in.ConfigurationSetName,
		Headers: map[string]string{}, Tags: map[string]string{}}
	if s := in.Content.Simple; s != nil {
		rec.Subject = s.Subject.Data
		if s.Body.HTML != nil {
			rec.HTML = s.Body.HTML.Data
		}
		if s.Body.Text != nil {
			rec.Text = s.Body.Text.Data
		}
		for _, h := range s.Headers {
			rec.Headers[h.Name] = h.Value
		}
	}
	for _, t := range in.EmailTags {
		rec.Tags[t.Name] = t.Value
	}
	rec.Fault = sp.fault()
	switch rec.Fault {
	case "throttle":
		sp.keep(rec)
		writeSESError(w, http.StatusTooManyRequests, "TooManyRequestsException", "Maximum sending rate exceeded.")
		return
	case "server_error":
		sp.keep(rec)
		writeSESError(w, http.StatusInternalServerError, "InternalFailure", "injected server error")
		return
	}
	// Forward to the SES server and capture its answer.
	req, _ := http.NewRequestWithContext(r.Context(), r.Method, sp.target.String()+r.URL.Path, bytes.NewReader(body))
	req.Header = r.Header.Clone()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		sp.keep(rec)
		writeSESError(w, http.StatusBadGateway, "InternalFailure", err.Error())
		return
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	var answer struct {
		MessageID string `json:"MessageId"`
	}
	_ = json.Unmarshal(out, &answer)
	rec.MessageID = answer.MessageID
	rec.Accepted = resp.StatusCode == http.StatusOK && answer.MessageID != ""
	if rec.Fault == "drop_after_accept" {
		rec.ResponseLost = true
	}
	sp.keep(rec)
	if rec.Accepted {
		// SES publishes its events after it answers, seconds later: the
		// sender has recorded the send by then. Publishing them before the
		// answer made the events handler settle a send still claimed and
		// the sender's outcome write then fail its condition, work and
		// failed writes that AWS does not see.
		defer sp.publishLater(rec)
	}
	if rec.ResponseLost {
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				conn.Close() // accepted by SES, answer lost on the way back
				return
			}
		}
	}
	for k, vs := range resp.Header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	w.WriteHeader(resp.StatusCode)
	w.Write(out)
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
}

// DefaultSESEventDelay is how long after its answer the proxy publishes an
// accepted message's events (Options.SESEventDelay).
const DefaultSESEventDelay = time.Second

// publishLater publishes rec's events after the platform's event delay.
func (sp *sesProxy) publishLater(rec SESRequest) {
	d := sp.p.opts.SESEventDelay
	if d == 0 {
		d = DefaultSESEventDelay
	}
	if d < 0 {
		sp.publishEvents(rec)
		return
	}
	time.AfterFunc(d, func() { sp.publishEvents(rec) })
}

func (sp *sesProxy) keep(rec SESRequest) {
	sp.mu.Lock()
	sp.records = append(sp.records, rec)
	sp.mu.Unlock()
}

func writeSESError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-ErrorType", code)
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"message":%q}`, msg)
}

// publishEvents sends the events SES would publish for an accepted message,
// shaped as SES's EventBridge destination delivers them.
func (sp *sesProxy) publishEvents(rec SESRequest) {
	tags := map[string][]string{
		"ses:configuration-set": {rec.ConfigSet}, "ses:from-domain": {domainOf(rec.From)},
	}
	for k, v := range rec.Tags {
		tags[k] = []string{v}
	}
	var headers []map[string]string
	for k, v := range rec.Headers {
		headers = append(headers, map[string]string{"name": k, "value": v})
	}
	mailObj := map[string]any{
		"timestamp": rec.At.Format("2006-01-02T15:04:05.000Z"), "source": rec.From, "messageId": rec.MessageID,
		"destination": rec.To, "headersTruncated": false, "headers": headers, "tags": tags,
		"commonHeaders": map[string]any{"from": []string{rec.From}, "to": rec.To, "messageId": rec.MessageID, "subject": rec.Subject},
	}
	at := time.Now().UTC().Format("2006-01-02T15:04:05.000Z")
	emit := func(detailType, eventType, key string, obj map[string]any) {
		detail, _ := json.Marshal(map[string]any{"eventType": eventType, "mail": mailObj, key: obj})
		sp.p.bus.put(PublishedEvent{
			Version: "0", ID: newRequestID(), DetailType: detailType, Source: "aws.ses", Account: "000000000000",
			Time: time.Now().UTC(), Region: "us-east-1", Detail: detail,
			Resources: []string{"arn:aws:ses:us-east-1:000000000000:configuration-set/" + rec.ConfigSet},
		})
	}
	emit("Email Sent", "Send", "send", map[string]any{})
	to := strings.ToLower(strings.Join(rec.To, ","))
	switch {
	case strings.Contains(to, "bounce@simulator.amazonses.com"), strings.Contains(to, "suppressionlist@simulator.amazonses.com"):
		sub := "General"
		if strings.Contains(to, "suppressionlist@") {
			sub = "OnAccountSuppressionList"
		}
		emit("Email Bounced", "Bounce", "bounce", map[string]any{
			"bounceType": "Permanent", "bounceSubType": sub, "timestamp": at, "feedbackId": newRequestID(),
			"bouncedRecipients": []map[string]any{{"emailAddress": rec.To[0], "action": "failed", "status": "5.1.1", "diagnosticCode": "smtp; 550 5.1.1 user unknown"}},
		})
	case strings.Contains(to, "ooto@simulator.amazonses.com"):
		emit("Email Delivered", "Delivery", "delivery", map[string]any{"timestamp": at, "recipients": rec.To, "smtpResponse": "250 2.0.0 OK"})
	default:
		emit("Email Delivered", "Delivery", "delivery", map[string]any{"timestamp": at, "recipients": rec.To, "smtpResponse": "250 2.0.0 OK", "processingTimeMillis": 12})
		if strings.Contains(to, "complaint@simulator.amazonses.com") {
			emit("Email Complaint Received", "Complaint", "complaint", map[string]any{
				"timestamp": at, "feedbackId": newRequestID(), "complaintFeedbackType": "abuse",
				"complainedRecipients": []map[string]any{{"emailAddress": rec.To[0]}},
			})
		}
	}
}

func domainOf(addr string) string {
	addr = strings.TrimSuffix(addr, ">")
	if i := strings.LastIndexByte(addr, '@'); i >= 0 {
		return addr[i+1:]
	}
	return ""
}

// SESRequests returns every SendEmail call the proxy saw.
func (p *Platform) SESRequests() []SESRequest {
	p.ses.mu.Lock()
	defer p.ses.mu.Unlock()
	return slices.Clone(p.ses.records)
}

// SetSESFaults changes the injected faults (tests).
func (p *Platform) SetSESFaults(f SESFaults) {
	p.ses.mu.Lock()
	p.ses.faults = f
	p.ses.mu.Unlock()
}
