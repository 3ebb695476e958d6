package runner

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/leadflow/leadflow/shared/campaign"
	"github.com/leadflow/leadflow/shared/timezone"
)

// No EventBridge Scheduler server exists to run locally, so the runner
// serves the calls Leadflow makes (CreateSchedule, UpdateSchedule,
// DeleteSchedule, GetSchedule) over the Scheduler's REST-JSON protocol:
// the production adapter (shared/campaign/ebscheduler) and SDK client talk
// to it unchanged. It keeps the schedules and, on time, sends each one's
// input to its SQS target with <aws.scheduler.scheduled-time> filled in,
// as the Scheduler does; a one-time schedule set to delete after
// completion is removed once it fired.

// LocalSchedule is a schedule the runner keeps.
type LocalSchedule struct {
	Group, Name string
	Expression  string
	Zone        string
	End         time.Time
	TargetARN   string
	Input       string
	DeleteAfter bool
	// Next is the next firing (zero: none left).
	Next time.Time
	// Fired counts firings.
	Fired int
}

type localScheduler struct {
	p   *Platform
	srv *http.Server
	url string

	mu        sync.Mutex
	schedules map[string]*LocalSchedule // group/name
	// wake makes the firing loop look again after a change.
	wake chan struct{}
}

func startScheduler(ctx context.Context, p *Platform) (*localScheduler, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("local scheduler: %w", err)
	}
	s := &localScheduler{p: p, url: "http://" + ln.Addr().String(), schedules: map[string]*LocalSchedule{}, wake: make(chan struct{}, 1)}
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 5 * time.Second}
	go s.srv.Serve(ln)
	go func() {
		<-ctx.Done()
		s.srv.Close()
	}()
	return s, nil
}

type scheduleInput struct {
	ActionAfterCompletion      string   `json:"ActionAfterCompletion"`
	EndDate                    *float64 `json:"EndDate"`
	GroupName                  string   `json:"GroupName"`
	ScheduleExpression         string   `json:"ScheduleExpression"`
	ScheduleExpressionTimezone string   `json:"ScheduleExpressionTimezone"`
	State                      string   `json:"State"`
	Target                     struct {
		Arn   string `json:"Arn"`
		Input string `json:"Input"`
	} `json:"Target"`
}

func schedulerError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("X-Amzn-Errortype", code)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"Message": msg})
}

func (s *localScheduler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name, ok := strings.CutPrefix(r.URL.Path, "/schedules/")
	if !ok || name == "" {
		schedulerError(w, http.StatusNotFound, "ValidationException", "the local scheduler serves /schedules/{Name} only")
		return
	}
	group := r.URL.Query().Get("groupName")
	var in scheduleInput
	if r.Method == http.MethodPost || r.Method == http.MethodPut {
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			schedulerError(w, http.StatusBadRequest, "ValidationException", err.Error())
			return
		}
		group = in.GroupName
	}
	if group == "" {
		group = "default"
	}
	k := group + "/" + name
	arn := "arn:aws:scheduler:us-east-1:000000000000:schedule/" + k
	s.mu.Lock()
	defer s.mu.Unlock()
	_, exists := s.schedules[k]
	switch r.Method {
	case http.MethodPost, http.MethodPut:
		if r.Method == http.MethodPost && exists {
			schedulerError(w, http.StatusConflict, "ConflictException", "schedule "+k+" already exists")
			return
		}
		if r.Method == http.MethodPut && !exists {
			schedulerError(w, http.StatusNotFound, "ResourceNotFoundException", "schedule "+k+" does not exist")
			return
		}
		sc := &LocalSchedule{Group: group, Name: name, Expression: in.ScheduleExpression, Zone: in.ScheduleExpressionTimezone,
			TargetARN: in.Target.Arn, Input: in.Target.Input, DeleteAfter: in.ActionAfterCompletion == "DELETE"}
		if in.EndDate != nil {
			sc.End = time.Unix(int64(*in.EndDate), 0).UTC()
		}
		next, err := s.next(sc, time.Now().Add(-time.Second))
		if err != nil {
			schedulerError(w, http.StatusBadRequest, "ValidationException", err.Error())
			return
		}
		sc.Next = next
		s.schedules[k] = sc
		select {
		case s.wake <- struct{}{}:
		default:
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]string{"ScheduleArn": arn})
	case http.MethodDelete:
		if !exists {
			schedulerError(w, http.StatusNotFound, "ResourceNotFoundException", "schedule "+k+" does not exist")
			return
		}
		delete(s.schedules, k)
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte("{}"))
	case http.MethodGet:
		if !exists {
			schedulerError(w, http.StatusNotFound, "ResourceNotFoundException", "schedule "+k+" does not exist")
			return
		}
		sc := s.schedules[k]
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"Arn": arn, "Name": name, "GroupName": group,
			"ScheduleExpression": sc.Expression, "ScheduleExpressionTimezone": sc.Zone, "State": "ENABLED",
			"Target": map[string]string{"Arn": sc.TargetARN, "Input": sc.Input}})
	default:
		schedulerError(w, http.StatusMethodNotAllowed, "ValidationException", r.Method+" is not served")
	}
}

// next is a schedule's first firing after t, with the expressions the
// Scheduler accepts for campaigns: at(...) in the zone, and cron(...).
// A one-time schedule already due fires at once.
func (s *localScheduler) next(sc *LocalSchedule, after time.Time) (time.Time, error) {
	loc := time.UTC
	if sc.Zone != "" {
		l, ok := timezone.Load(sc.Zone)
		if !ok {
			return time.Time{}, fmt.Errorf("unknown zone %q", sc.Zone)
		}
		loc = l
	}
	switch {
	case strings.HasPrefix(sc.Expression, "at(") && strings.HasSuffix(sc.Expression, ")"):
		t, err := time.ParseInLocation("2006-01-02T15:04:05", sc.Expression[3:len(sc.Expression)-1], loc)
		if err != nil {
			return time.Time{}, fmt.Errorf("at expression %q: %w", sc.Expression, err)
		}
		if sc.Fired > 0 {
			return time.Time{}, nil
		}
		return t, nil
	case strings.HasPrefix(sc.Expression, "cron("):
		c, err := campaign.ParseCron(sc.Expression)
		if err != nil {
			return time.Time{}, err
		}
		horizon := after.AddDate(5, 0, 0)
		if !sc.End.IsZero() && sc.End.Before(horizon) {
			horizon = sc.End
		}
		t, _ := c.Next(after, loc, horizon)
		return t, nil
	}
	return time.Time{}, fmt.Errorf("the local scheduler takes at(...) and cron(...), not %q", sc.Expression)
}

// keepRepoSchedules adds the schedules the stack creates for the repo's
// campaigns (campaign.RepoSchedules, the stack's list), with the same
// input, in the campaigns' group: a repo campaign goes out locally as it
// does on AWS, without anyone scheduling it through the API.
func (s *localScheduler) keepRepoSchedules(campaigns []campaign.Campaign, group, targetARN string, now time.Time) error {
	list, err := campaign.RepoSchedules(campaigns, now)
	if err != nil {
		return fmt.Errorf("repo campaign schedules: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, rs := range list {
		sc := &LocalSchedule{Group: group, Name: rs.Name, Expression: rs.Expression, Zone: rs.Zone, End: rs.End,
			TargetARN: targetARN, Input: rs.Message.Encode()}
		next, err := s.next(sc, now.Add(-time.Second))
		if err != nil {
			return fmt.Errorf("repo campaign %s schedule: %w", rs.Campaign, err)
		}
		sc.Next = next
		s.schedules[group+"/"+rs.Name] = sc
	}
	return nil
}

// Schedules lists the schedules kept, by group/name.
func (p *Platform) Schedules() []LocalSchedule {
	s := p.scheduler
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]LocalSchedule, 0, len(s.schedules))
	for _, sc := range s.schedules {
		out = append(out, *sc)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Group+out[i].Name < out[j].Group+out[j].Name })
	return out
}

// run fires due schedules until ctx ends.
func (s *localScheduler) run(ctx context.Context) {
	t := time.NewTicker(250 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.wake:
		}
		s.fireDue(ctx, time.Now())
	}
}

func (s *localScheduler) fireDue(ctx context.Context, now time.Time) {
	type firing struct {
		sc *LocalSchedule
		at time.Time
	}
	var due []firing
	s.mu.Lock()
	for k, sc := range s.schedules {
		if sc.Next.IsZero() || sc.Next.After(now) {
			continue
		}
		due = append(due, firing{sc, sc.Next})
		sc.Fired++
		next, err := s.next(sc, sc.Next)
		if err != nil {
			next = time.Time{}
		}
		sc.Next = next
		if next.IsZero() && sc.DeleteAfter {
			delete(s.schedules, k)
		}
	}
	s.mu.Unlock()
	for _, f := range due {
		if err := s.deliver(ctx, f.sc, f.at); err != nil {
			s.p.log.ErrorContext(ctx, "local schedule", "schedule", f.sc.Group+"/"+f.sc.Name, "error", err)
		}
	}
}

// deliver sends the schedule's input to its queue target, retrying a few
// times as the Scheduler's retry policy would.
func (s *localScheduler) deliver(ctx context.Context, sc *LocalSchedule, at time.Time) error {
	name := sc.TargetARN[strings.LastIndex(sc.TargetARN, ":")+1:]
	url, ok := s.p.queueURLs[strings.TrimPrefix(name, s.p.opts.QueuePrefix)]
	if !ok {
		return fmt.Errorf("target %s is no local queue", sc.TargetARN)
	}
	body := strings.ReplaceAll(sc.Input, campaign.ScheduledTimeField, at.UTC().Format(time.RFC3339))
	var err error
	for attempt := range 5 {
		if _, err = s.p.sqs.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(body)}); err == nil {
			return nil
		}
		time.Sleep(time.Duration(attempt+1) * 200 * time.Millisecond)
	}
	return err
}
