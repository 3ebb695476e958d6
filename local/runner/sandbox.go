package runner

import (
	"context"
	"sync"

	"github.com/aws/aws-lambda-go/lambda"
)

// sandboxes are one function's execution environments, as Lambda keeps
// them: an instance runs one invocation at a time, and a concurrent
// invocation gets another instance (built on demand, kept warm after).
//
// Handlers rely on this: per-invocation state such as the processor's
// reactors, which buffer a batch's journey history and counters until the
// batch's Flush, lives on the handler instance. One instance shared by the
// runner's concurrent pollers let one batch's Flush discard another's
// buffered records (a bench saw 32 of 10,001 journey runs never recorded
// while their profiles moved on).
type sandboxes struct {
	build func() (lambda.Handler, error)
	mu    sync.Mutex
	idle  []lambda.Handler
	built int
}

func newSandboxes(first lambda.Handler, build func() (lambda.Handler, error)) *sandboxes {
	return &sandboxes{build: build, idle: []lambda.Handler{first}, built: 1}
}

// Invoke runs payload on an idle instance, or on a new one when every
// instance is busy.
func (s *sandboxes) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	h, err := s.take()
	if err != nil {
		return nil, err
	}
	defer s.put(h)
	return h.Invoke(ctx, payload)
}

func (s *sandboxes) take() (lambda.Handler, error) {
	s.mu.Lock()
	if n := len(s.idle); n > 0 {
		h := s.idle[n-1]
		s.idle = s.idle[:n-1]
		s.mu.Unlock()
		return h, nil
	}
	s.mu.Unlock()
	h, err := s.build()
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.built++
	s.mu.Unlock()
	return h, nil
}

func (s *sandboxes) put(h lambda.Handler) {
	s.mu.Lock()
	s.idle = append(s.idle, h)
	s.mu.Unlock()
}

// instances is how many instances were built.
func (s *sandboxes) instances() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.built
}
