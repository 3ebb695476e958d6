package runner_test

import (
	"regexp"
	"testing"
	"time"

	"github.com/leadflow/leadflow/shared/mail"
)

var pixelLink = regexp.MustCompile(`<img src="([^"]+/v1/t/o/[^"]+)"`)

// TestContactMessagesListSendsAndTheirEngagement: the contact page's
// messages come from the real pipeline: two sends to a contact, newest
// first and paged, each with its status; the open pixel of one marks it
// opened (by a person or, this soon after sending, a machine), and a
// website's forged "Email Opened" for the other changes nothing.
func TestContactMessagesListSendsAndTheirEngagement(t *testing.T) {
	e := sendEnv(t, 20, 0)
	ada := e.subscribed("c_msgs_ada", "msgs")
	e.seedContacts(ada)

	var ids []string
	for _, key := range []string{"msgs-1", "msgs-2"} {
		if code, body := e.postMessage(`{"contact_id":"c_msgs_ada","template_id":"welcome","idempotency_key":"` + key + `"}`); code != 202 {
			t.Fatalf("POST /v1/messages = %d %v", code, body)
		}
		id := mail.APISendID(key)
		e.waitSend(id, inState(mail.Sent, mail.Delivered))
		ids = append(ids, id)
	}

	code, page := e.adminDo("GET", "/v1/contacts/c_msgs_ada/messages?limit=1", "")
	msgs, _ := page["messages"].([]any)
	if code != 200 || len(msgs) != 1 || page["next"] == nil || page["contact_id"] != "c_msgs_ada" {
		t.Fatalf("page 1: %d %v", code, page)
	}
	if m := msgs[0].(map[string]any); m["send_id"] != ids[1] || m["template_id"] != "welcome" || (m["status"] != "sent" && m["status"] != "delivered") {
		t.Errorf("newest message %v, want %s sent or delivered", m, ids[1])
	}
	code, page2 := e.adminDo("GET", "/v1/contacts/c_msgs_ada/messages?limit=1&cursor="+page["next"].(string), "")
	msgs2, _ := page2["messages"].([]any)
	if code != 200 || len(msgs2) != 1 || page2["next"] != nil || msgs2[0].(map[string]any)["send_id"] != ids[0] {
		t.Fatalf("page 2: %d %v", code, page2)
	}
	if code, body := e.adminDo("GET", "/v1/contacts/c_msgs_ada/messages?cursor=nope", ""); code != 400 || errorCode(body) != "invalid_parameter" {
		t.Errorf("bad cursor: %d %v", code, body)
	}

	// Open the newer mail through its own pixel.
	mails := mailsTo(t, ada.Email)
	newer := e.waitSend(ids[1], inState(mail.Sent, mail.Delivered))
	var pixel string
	for _, m := range mails {
		if p := pixelLink.FindStringSubmatch(m.Body.HTML); p != nil && m.MessageID == newer["message_id"] {
			pixel = p[1]
		}
	}
	if pixel == "" {
		t.Fatalf("no pixel in the mail of %s (%d mails)", ids[1], len(mails))
	}
	if code, _, _ := e.linksFetch("GET", localPath(t, pixel), "", ""); code != 200 {
		t.Fatalf("pixel: %d", code)
	}
	// A website cannot mark the other send opened: its event is applied
	// (the marker), and the send stays as it was.
	e.track(`{"batch":[{"type":"track","messageId":"forged-open","anonymousId":"forged-opener","event":"Email Opened","properties":{"send_id":"` + ids[0] + `","machine":false}}]}`)

	deadline := time.Now().Add(30 * time.Second)
	var opened map[string]any
	for time.Now().Before(deadline) && opened == nil {
		_, p := e.adminDo("GET", "/v1/contacts/c_msgs_ada/messages", "")
		for _, x := range p["messages"].([]any) {
			if m := x.(map[string]any); m["send_id"] == ids[1] && (m["opened_at"] != nil || m["machine_opened_at"] != nil) {
				opened = m
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	if opened == nil {
		t.Fatalf("the pixel never marked %s opened", ids[1])
	}
	if opened["opened_at"] != nil && opened["status"] != "opened" {
		t.Errorf("a human open: status %v, want opened", opened["status"])
	}
	if opened["opened_at"] == nil && opened["status"] == "opened" {
		t.Errorf("a machine open made the status opened: %v", opened)
	}
	e.waitContact("forged-opener", 1)
	_, p := e.adminDo("GET", "/v1/contacts/c_msgs_ada/messages", "")
	for _, x := range p["messages"].([]any) {
		if m := x.(map[string]any); m["send_id"] == ids[0] && (m["opened_at"] != nil || m["machine_opened_at"] != nil) {
			t.Errorf("a website's event marked %s opened: %v", ids[0], m)
		}
	}
}
