package runner_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/leadflow/leadflow/shared/catalog"
	"github.com/leadflow/leadflow/shared/ingest"
)

// formsJSONFrom posts a script's form fill from a given loopback address
// (127.0.0.0/8 is all loopback on Linux), so one test can be many senders.
func (e *env) formsJSONFrom(ip, formID, body string, headers map[string]string) (int, map[string]any) {
	e.t.Helper()
	dialer := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
	client := &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			return dialer.DialContext(ctx, network, addr)
		},
		DisableKeepAlives: true,
	}}
	defer client.CloseIdleConnections()
	req, err := http.NewRequest("POST", e.api.URL+"/v1/forms/"+formID, strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := client.Do(req)
	if err != nil {
		e.t.Fatalf("POST from %s: %v", ip, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		e.t.Fatalf("POST /v1/forms/%s from %s: %d %s", formID, ip, resp.StatusCode, raw)
	}
	return resp.StatusCode, out
}

func TestListBombingMailsAnAddressAtMostTheDailyLimit(t *testing.T) {
	// Given the newsletter form (double opt-in) and an attacker posting one
	// victim's address 20 times from 20 addresses (so no per-IP limit
	// stops it),
	e := sendEnv(t, 20, 0)
	victim := e.addr("victim")
	for i := range 20 {
		code, body := e.formsJSONFrom(fmt.Sprintf("127.0.0.%d", 10+i), "newsletter",
			fmt.Sprintf(`{"email":%q,"first_name":"V%d","consent":true}`, victim, i), map[string]string{"Origin": "https://www.example.com"})
		// then every fill is accepted with the same answer,
		if code != 200 || body["status"] != "pending" {
			t.Fatalf("fill %d = %d %v", i+1, code, body)
		}
	}
	// and once all 20 are processed (40 events on the contact, the events
	// queue drained) and every send they asked for has been handled (the
	// sends queue drained),
	c := e.formsContact(victim, 40)
	e.settle()
	e.waitQueueEmpty(catalog.SendsQueue)
	// the victim got the daily allowance of confirmation mails and no more,
	if got, want := len(mailsTo(t, victim)), ingest.DefaultFormLimits.ConfirmPerAddress; got != want {
		t.Errorf("%d confirmation mails to one address after 20 fills, want %d", got, want)
	}
	// and still has to confirm: the unmailed fills granted nothing.
	if c["status"] != "pending" {
		t.Errorf("status %v, want pending", c["status"])
	}
}

func TestFloodFromOneIPLeavesTheFormOpenToOthers(t *testing.T) {
	e := newEnv(t)
	// Counters are per minute: start well inside one so the flood and the
	// other visitor share it.
	if s := time.Now().Second(); s > 45 {
		time.Sleep(time.Duration(61-s) * time.Second)
	}
	// Given one address posting a form 30 times in a minute,
	refused := 0
	for i := range 30 {
		code, body := e.formsJSONFrom("127.0.0.200", "demo-request",
			fmt.Sprintf(`{"email":"flood%d@example.com","first_name":"F","company":"C"}`, i), nil)
		switch code {
		case 200:
		case 429:
			refused++
		default:
			t.Fatalf("flood fill %d = %d %v", i+1, code, body)
		}
	}
	// then all but its per-IP allowance are refused,
	if want := 30 - ingest.DefaultFormLimits.PerIP; refused != want {
		t.Errorf("%d of 30 refused, want %d", refused, want)
	}
	// and a visitor from another address gets through in the same minute.
	if code, body := e.formsJSONFrom("127.0.0.201", "demo-request", `{"email":"real-visitor@example.com","first_name":"R","company":"C"}`, nil); code != 200 {
		t.Fatalf("another address during the flood = %d %v", code, body)
	}
	e.formsContact("real-visitor@example.com", 2)
}
