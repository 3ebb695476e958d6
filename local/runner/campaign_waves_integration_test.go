package runner_test

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leadflow/leadflow/shared/awsapi/dynamodb"

	"github.com/leadflow/leadflow/local/runner"
	"github.com/leadflow/leadflow/shared/campaign"
	"github.com/leadflow/leadflow/shared/contact"
	"github.com/leadflow/leadflow/shared/fn/senderfn"
	"github.com/leadflow/leadflow/shared/membership"
	"github.com/leadflow/leadflow/shared/store/dynamo"
	"github.com/leadflow/leadflow/shared/timer"
)

// A recipient-time campaign on the local stack, in two zones a quarter of
// an hour apart: Kiritimati (UTC+14, also the default zone) and Chatham
// (UTC+13:45 in the southern summer, +12:45 in winter). Kiritimati's wave
// goes out when the schedule fires; Chatham's timer is still waiting
// after a tick a minute before its time (the marker that it did not fire
// early), and a tick at its time sends it. The wheel's clock is moved,
// not waited for; every recipient gets exactly one mail, and the campaign
// is sent only after the last wave.
func TestRecipientTimeCampaignSendsEachWaveAtItsTime(t *testing.T) {
	t.Setenv(senderfn.EnvMaxSendRate, "50")
	var offset atomic.Int64
	clock := func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
	e := newEnv(t, func(o *runner.Options) { o.TimerClock = clock })
	ctx := context.Background()

	kiri, chatham := "Pacific/Kiritimati", "Pacific/Chatham"
	var ps []*contact.Profile
	zoneOf := map[string]string{}
	for i := range 9 {
		p := e.subscribed(fmt.Sprintf("c_wave_%d", i), fmt.Sprintf("wave%d", i))
		switch i % 3 {
		case 0:
			p.Timezone = kiri
		case 1:
			p.Timezone = chatham
		default:
			p.Timezone = "" // the default zone: Kiritimati
		}
		zoneOf[strings.ToLower(p.Email)] = cmp.Or(p.Timezone, kiri)
		p.Lists = []string{"waves"}
		ps = append(ps, p)
	}
	e.seedContacts(ps...)
	st := dynamo.New(dynamodb.NewFromConfig(e.platform.AWS()), e.table)
	for _, p := range ps {
		if _, err := st.SetMember(ctx, membership.Ref{Kind: membership.List, ID: "waves"}, p.ID, true, time.Now().UTC()); err != nil {
			t.Fatal(err)
		}
	}
	// Planned, not run yet: the calendar shows a wave per zone the
	// audience has (from a sample of its member index), not only the
	// default zone's.
	later := "waves-later-" + strings.TrimSuffix(e.table, "-leadflow")
	day := time.Now().UTC().AddDate(1, 0, 0).Format(time.DateOnly)
	laterDef := fmt.Sprintf(`{"id":%q,"name":"Next year","audience":{"lists":["waves"]},"template":"welcome","topic":"newsletter",
		"schedule":{"type":"recipient_time","date":%q,"time":"09:00","default_zone":%q}}`, later, day, kiri)
	if code, body := e.adminDo("PUT", "/v1/campaigns/"+later, laterDef); code != 201 {
		t.Fatalf("PUT campaign = %d %v", code, body)
	}
	if code, body := e.adminDo("POST", "/v1/campaigns/"+later+"/schedule", ""); code != 200 {
		t.Fatalf("schedule = %d %v", code, body)
	}
	dayT, _ := time.Parse(time.DateOnly, day)
	code, cal := e.admin("/v1/calendar?from=" + dayT.AddDate(0, 0, -1).Format(time.DateOnly) + "&to=" + dayT.AddDate(0, 0, 2).Format(time.DateOnly))
	var waveZones []string
	entries, _ := cal["entries"].([]any)
	for _, en := range entries {
		m, _ := en.(map[string]any)
		if m["campaign"] != later {
			continue
		}
		ws, _ := m["waves"].([]any)
		for _, w := range ws {
			for _, z := range w.(map[string]any)["zones"].([]any) {
				waveZones = append(waveZones, z.(string))
			}
		}
	}
	slices.Sort(waveZones)
	if code != 200 || !slices.Equal(waveZones, []string{chatham, kiri}) {
		t.Errorf("calendar = %d, waves in %v, want Chatham's and Kiritimati's: %v", code, waveZones, cal)
	}
	if code, body := e.adminDo("POST", "/v1/campaigns/"+later+"/cancel", ""); code != 200 {
		t.Fatalf("cancel = %d %v", code, body)
	}

	// Nine o'clock somewhere: the current minute in Kiritimati, so the
	// schedule (at Kiritimati's time, the earliest on Earth) fires now.
	loc, _ := time.LoadLocation(kiri)
	local := time.Now().In(loc)
	sched := campaign.Schedule{Type: campaign.RecipientTime, Date: local.Format(time.DateOnly), Time: local.Format("15:04"), DefaultZone: kiri}
	chLoc, _ := time.LoadLocation(chatham)
	kiriAt, _ := sched.WaveTime(loc)
	chathamAt, _ := sched.WaveTime(chLoc)
	if d := chathamAt.Sub(kiriAt); d < 15*time.Minute || d > 75*time.Minute {
		t.Fatalf("Chatham's wave %s after Kiritimati's", d)
	}
	id := "waves-" + strings.TrimSuffix(e.table, "-leadflow")
	def := fmt.Sprintf(`{"id":%q,"name":"Local nine","audience":{"lists":["waves"]},"template":"welcome","topic":"newsletter",
		"ignore_quiet_hours":true,"schedule":{"type":"recipient_time","date":%q,"time":%q,"default_zone":%q}}`, id, sched.Date, sched.Time, kiri)
	if code, body := e.adminDo("PUT", "/v1/campaigns/"+id, def); code != 201 {
		t.Fatalf("PUT campaign = %d %v", code, body)
	}
	if code, body := e.adminDo("POST", "/v1/campaigns/"+id+"/schedule", ""); code != 200 {
		t.Fatalf("schedule = %d %v", code, body)
	}
	occ := campaign.OccurrenceID(kiriAt)
	chathamTimer := timer.Timer{ID: "cwave:" + id + ":" + occ + ":" + campaign.PhaseAll + ":" + chatham, Due: chathamAt}
	armed := func() bool {
		_, ok := onWheel(t, st, chathamTimer)
		return ok
	}
	// The fan-out stores the chunks and arms a timer per zone.
	deadline := time.Now().Add(60 * time.Second)
	for !armed() {
		if time.Now().After(deadline) {
			t.Fatal("Chatham's wave timer was never armed")
		}
		time.Sleep(200 * time.Millisecond)
	}
	tick := func() {
		t.Helper()
		if err := e.platform.FireSchedule(ctx, "timers", "timers-tick"); err != nil {
			t.Fatal(err)
		}
	}
	mailsIn := func(zone string) (n int, got map[string]int) {
		got = campaignMails(e, id)
		for addr := range got {
			if zoneOf[addr] == zone {
				n++
			}
		}
		return n, got
	}
	// Kiritimati's wave (its timer is due now).
	deadline = time.Now().Add(60 * time.Second)
	for {
		tick()
		if n, _ := mailsIn(kiri); n == 6 {
			break
		}
		if time.Now().After(deadline) {
			n, got := mailsIn(kiri)
			t.Fatalf("Kiritimati's wave reached %d of 6: %v", n, got)
		}
		time.Sleep(300 * time.Millisecond)
	}
	// Two minutes before Chatham's time, beyond the tick's one-minute
	// lookahead: a tick fires nothing of it.
	offset.Store(int64(time.Until(chathamAt.Add(-2 * time.Minute))))
	tick()
	if !armed() {
		t.Fatal("Chatham's wave timer fired two minutes early")
	}
	if n, got := mailsIn(chatham); n != 0 {
		t.Fatalf("Chatham mail before its wave: %v", got)
	}
	if _, body := e.admin("/v1/campaigns/" + id); body["state"] != string(campaign.Sending) {
		t.Fatalf("between the waves the campaign is %v, want sending", body["state"])
	}
	// Five seconds before Chatham's time: the tick hands the wave to the
	// campaigns queue on a 5 s delay (the lookahead), so it starts at its
	// time rather than at the next tick, up to a minute late.
	offset.Store(int64(time.Until(chathamAt.Add(-5 * time.Second))))
	tick()
	if armed() {
		t.Fatal("Chatham's wave timer was not handed over by the tick before its time")
	}
	if n, got := mailsIn(chatham); n != 0 {
		t.Fatalf("Chatham mail as soon as its wave was handed over, before its delay: %v", got)
	}
	e.waitCampaign(id, campaign.Sent, 60*time.Second)
	got := waitMails(e, id, len(ps), 60*time.Second)
	for addr, n := range got {
		if n != 1 {
			t.Errorf("%s (%s) got %d mails", addr, zoneOf[addr], n)
		}
	}
	if n, _ := mailsIn(chatham); n != 3 {
		t.Errorf("Chatham's wave reached %d of 3", n)
	}
}
